//! A node as the indexer sees it: JSON-RPC over HTTP in batches, and `newHeads` over WebSocket.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{Address, B256, Bytes, U256};
use jsonrpsee::{
    core::{
        client::{ClientT, SubscriptionClientT},
        params::{ArrayParams, BatchRequestBuilder},
    },
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde::de::DeserializeOwned;

use crate::{
    IndexerError,
    wire::{Block, BlockRef, Certificate, EpochProduction, Receipt, TxTrace},
};

/// Most calls the indexer puts in one batch (the node's default limit is 1,000).
const MAX_BATCH: usize = 500;

/// Attempts at one request that fails in transit (a dropped connection, a 5xx from a proxy)
/// before its caller hears of it: a run of blocks takes a dozen requests, and one of them
/// failing should cost that request again, not the run. (The followers wait out longer
/// failures with a backoff of their own.)
const ATTEMPTS: u32 = 3;

/// Pause before the second attempt; doubled before each further one.
const FIRST_PAUSE: Duration = Duration::from_millis(50);

/// Whether a failed request may pass if sent again: it failed in transit, not as an answer.
/// (A timeout is not retried here: it has already waited long.)
fn in_transit(e: &jsonrpsee::core::client::Error) -> bool {
    use jsonrpsee::core::client::Error;
    matches!(e, Error::Transport(_) | Error::RestartNeeded(_))
}

/// Runs `request` until it succeeds, fails as an answer, or has failed in transit
/// [`ATTEMPTS`] times.
async fn attempt<T, F, Fut>(
    url: &str,
    method: &str,
    mut request: F,
) -> Result<T, jsonrpsee::core::client::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, jsonrpsee::core::client::Error>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempts = 1;
    loop {
        match request().await {
            Err(e) if attempts < ATTEMPTS && in_transit(&e) => {
                tracing::debug!(url, method, error = %e, attempts, "request failed in transit; sending it again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempts += 1;
            }
            result => return result,
        }
    }
}

/// A JSON-RPC endpoint of one domain.
#[derive(Debug, Clone)]
pub struct NodeClient {
    url: String,
    http: HttpClient,
    /// Cleared when the node says it has no `eth_getBlockReceipts`.
    block_receipts: Arc<AtomicBool>,
    /// Cleared when the node says it has no `debug_traceBlockByNumber`.
    traces: Arc<AtomicBool>,
    /// Cleared when the node says it has no `sec_getFinalityCertificate` (a chain without
    /// validators, or not an SEC node).
    certificates: Arc<AtomicBool>,
}

/// Whether an answer (not a failure in transit) says the node has no such method: -32601 in
/// the specification, -32004 "not supported" from hardhat's node.
fn unsupported(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("not supported")
        || m.contains("method not found")
        || m.contains("does not exist")
        || m.contains("not available")
}

fn hex(n: u64) -> String {
    format!("{n:#x}")
}

impl NodeClient {
    /// A client of the endpoint at `url` (http://...).
    pub fn new(url: &str) -> Result<Self, IndexerError> {
        let http = HttpClientBuilder::default()
            .max_response_size(u32::MAX)
            .max_request_size(64 * 1024 * 1024)
            .request_timeout(Duration::from_secs(300))
            .build(url)
            .map_err(|e| IndexerError::Rpc { url: url.into(), message: e.to_string() })?;
        Ok(Self {
            url: url.to_string(),
            http,
            block_receipts: Arc::new(AtomicBool::new(true)),
            traces: Arc::new(AtomicBool::new(true)),
            certificates: Arc::new(AtomicBool::new(true)),
        })
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn err(&self, e: impl std::fmt::Display) -> IndexerError {
        IndexerError::Rpc { url: self.url.clone(), message: e.to_string() }
    }

    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: ArrayParams,
    ) -> Result<R, IndexerError> {
        attempt(&self.url, method, || self.http.request(method, params.clone()))
            .await
            .map_err(|e| self.err(format!("{method}: {e}")))
    }

    /// Runs `method` once per parameter list, in batches; each answer is its own result.
    async fn batch<R: DeserializeOwned + Default + Clone + std::fmt::Debug>(
        &self,
        method: &str,
        params: Vec<ArrayParams>,
    ) -> Result<Vec<Result<R, String>>, IndexerError> {
        let mut out = Vec::with_capacity(params.len());
        let mut params = params.into_iter().peekable();
        while params.peek().is_some() {
            let mut batch = BatchRequestBuilder::new();
            for p in params.by_ref().take(MAX_BATCH) {
                batch.insert(method, p).map_err(|e| self.err(e))?;
            }
            let response =
                attempt(&self.url, method, || self.http.batch_request::<R>(batch.clone()))
                    .await
                    .map_err(|e| self.err(format!("{method}: {e}")))?;
            out.extend(response.into_iter().map(|r| r.map_err(|e| e.message().to_string())));
        }
        Ok(out)
    }

    /// Like [`Self::batch`], but any failed call fails the whole.
    async fn batch_all<R: DeserializeOwned + Default + Clone + std::fmt::Debug>(
        &self,
        method: &str,
        params: Vec<ArrayParams>,
    ) -> Result<Vec<R>, IndexerError> {
        self.batch(method, params)
            .await?
            .into_iter()
            .map(|r| r.map_err(|e| self.err(format!("{method}: {e}"))))
            .collect()
    }

    /// The chain id.
    pub async fn chain_id(&self) -> Result<u64, IndexerError> {
        let id: U256 = self.call("eth_chainId", rpc_params![]).await?;
        Ok(id.saturating_to())
    }

    /// The number of the latest block.
    pub async fn block_number(&self) -> Result<u64, IndexerError> {
        let n: U256 = self.call("eth_blockNumber", rpc_params![]).await?;
        Ok(n.saturating_to())
    }

    /// The number of the latest finalized block.
    pub async fn finalized(&self) -> Result<u64, IndexerError> {
        let block: Option<BlockRef> =
            self.call("eth_getBlockByNumber", rpc_params!["finalized", false]).await?;
        Ok(block.map(|b| b.number).unwrap_or(0))
    }

    /// The hash of block `number`, if the node has it.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, IndexerError> {
        let block: Option<BlockRef> =
            self.call("eth_getBlockByNumber", rpc_params![hex(number), false]).await?;
        Ok(block.map(|b| b.hash))
    }

    /// Transaction counts of blocks `numbers` (0 for a block the node lacks).
    pub async fn tx_counts(&self, numbers: &[u64]) -> Result<Vec<u64>, IndexerError> {
        let params = numbers.iter().map(|n| rpc_params![hex(*n)]).collect();
        let counts: Vec<Option<U256>> =
            self.batch_all("eth_getBlockTransactionCountByNumber", params).await?;
        Ok(counts.into_iter().map(|c| c.map(|c| c.saturating_to()).unwrap_or(0)).collect())
    }

    /// Blocks `numbers` with their full transactions; a block the node lacks is an error.
    pub async fn blocks(&self, numbers: &[u64]) -> Result<Vec<Block>, IndexerError> {
        let params = numbers.iter().map(|n| rpc_params![hex(*n), true]).collect();
        let blocks: Vec<Option<Block>> = self.batch_all("eth_getBlockByNumber", params).await?;
        blocks
            .into_iter()
            .zip(numbers)
            .map(|(b, n)| b.ok_or_else(|| self.err(format!("block {n} not found"))))
            .collect()
    }

    /// Whether the node is not known to lack `eth_getBlockReceipts`.
    pub fn block_receipts(&self) -> bool {
        self.block_receipts.load(Ordering::Relaxed)
    }

    /// The receipts of blocks `numbers`. A node without `eth_getBlockReceipts` fails this once
    /// and is asked per transaction from then on ([`Self::transaction_receipts`]).
    pub async fn receipts(&self, numbers: &[u64]) -> Result<Vec<Vec<Receipt>>, IndexerError> {
        let params = numbers.iter().map(|n| rpc_params![hex(*n)]).collect();
        let receipts: Vec<Option<Vec<Receipt>>> =
            match self.batch_all("eth_getBlockReceipts", params).await {
                Err(IndexerError::Rpc { message, .. }) if unsupported(&message) => {
                    tracing::warn!(
                        url = self.url,
                        "no eth_getBlockReceipts: receipts are read per transaction"
                    );
                    self.block_receipts.store(false, Ordering::Relaxed);
                    return Err(self.err("eth_getBlockReceipts unsupported"));
                }
                other => other?,
            };
        receipts
            .into_iter()
            .zip(numbers)
            .map(|(r, n)| r.ok_or_else(|| self.err(format!("receipts of block {n} not found"))))
            .collect()
    }

    /// The receipts of every transaction of `blocks`, one `eth_getTransactionReceipt` each.
    pub async fn transaction_receipts(
        &self,
        blocks: &[Block],
    ) -> Result<Vec<Vec<Receipt>>, IndexerError> {
        let params = blocks
            .iter()
            .flat_map(|b| b.transactions.iter().map(|t| rpc_params![t.hash]))
            .collect();
        let receipts: Vec<Option<Receipt>> =
            self.batch_all("eth_getTransactionReceipt", params).await?;
        let mut receipts = receipts.into_iter();
        blocks
            .iter()
            .map(|b| {
                b.transactions
                    .iter()
                    .map(|t| {
                        receipts
                            .next()
                            .flatten()
                            .ok_or_else(|| self.err(format!("receipt of {} not found", t.hash)))
                    })
                    .collect()
            })
            .collect()
    }

    /// The call trees of every transaction of blocks `numbers`; none (empty) on a node without
    /// `debug_traceBlockByNumber`.
    pub async fn traces(&self, numbers: &[u64]) -> Result<Vec<Vec<TxTrace>>, IndexerError> {
        if !self.traces.load(Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let tracer = serde_json::json!({ "tracer": "callTracer" });
        let params = numbers.iter().map(|n| rpc_params![hex(*n), tracer.clone()]).collect();
        match self.batch_all("debug_traceBlockByNumber", params).await {
            Err(IndexerError::Rpc { message, .. }) if unsupported(&message) => {
                tracing::warn!(
                    url = self.url,
                    "no debug_traceBlockByNumber: indexing without internal transfers"
                );
                self.traces.store(false, Ordering::Relaxed);
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// The finality certificates of blocks `numbers` of `domain`, `None` for a block made
    /// without validators; none at all (empty) from a node without the method.
    pub async fn certificates(
        &self,
        domain: u32,
        numbers: &[u64],
    ) -> Result<Vec<Option<Certificate>>, IndexerError> {
        if !self.certificates.load(Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let params = numbers.iter().map(|n| rpc_params![hex(u64::from(domain)), hex(*n)]).collect();
        match self.batch_all("sec_getFinalityCertificate", params).await {
            Err(IndexerError::Rpc { message, .. }) if unsupported(&message) => {
                tracing::info!(url = self.url, "no sec_getFinalityCertificate: no certificates");
                self.certificates.store(false, Ordering::Relaxed);
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// An epoch's validators with the blocks each produced and the slots each missed
    /// (`sec_validators`; the current epoch when `epoch` is `None`); `None` from a chain
    /// without validators or a node without the method.
    pub async fn production(
        &self,
        epoch: Option<u64>,
    ) -> Result<Option<EpochProduction>, IndexerError> {
        let params = match epoch {
            Some(e) => rpc_params![hex(e)],
            None => rpc_params![],
        };
        match self.call("sec_validators", params).await {
            Err(IndexerError::Rpc { message, .. }) if unsupported(&message) => Ok(None),
            other => other,
        }
    }

    /// `eth_call`s at block `at`; a reverted call is `None`.
    pub async fn calls(
        &self,
        calls: &[(Address, Bytes)],
        at: u64,
    ) -> Result<Vec<Option<Bytes>>, IndexerError> {
        let params = calls
            .iter()
            .map(|(to, data)| rpc_params![serde_json::json!({ "to": to, "input": data }), hex(at)])
            .collect();
        Ok(self.batch::<Bytes>("eth_call", params).await?.into_iter().map(Result::ok).collect())
    }

    /// Native balances at block `at`.
    pub async fn balances(&self, holders: &[Address], at: u64) -> Result<Vec<U256>, IndexerError> {
        let params = holders.iter().map(|a| rpc_params![a, hex(at)]).collect();
        self.batch_all("eth_getBalance", params).await
    }

    /// Code at block `at`.
    pub async fn codes(&self, addresses: &[Address], at: u64) -> Result<Vec<Bytes>, IndexerError> {
        let params = addresses.iter().map(|a| rpc_params![a, hex(at)]).collect();
        self.batch_all("eth_getCode", params).await
    }

    /// Logs of `addresses` in blocks `from..=to`.
    pub async fn logs(
        &self,
        from: u64,
        to: u64,
        addresses: &[Address],
    ) -> Result<Vec<alloy::rpc::types::Log>, IndexerError> {
        let filter =
            serde_json::json!({ "fromBlock": hex(from), "toBlock": hex(to), "address": addresses });
        self.call("eth_getLogs", rpc_params![filter]).await
    }

    /// Calls `on_head` with each new head's number the node announces over WebSocket, until the
    /// subscription ends (the caller reconnects or falls back to polling).
    pub async fn follow_heads(&self, mut on_head: impl FnMut(u64)) -> Result<(), IndexerError> {
        let ws_url = self.url.replacen("http", "ws", 1);
        let ws = WsClientBuilder::default()
            .max_response_size(16 * 1024 * 1024)
            .build(&ws_url)
            .await
            .map_err(|e| self.err(e))?;
        let mut sub = ws
            .subscribe::<alloy::rpc::types::Header, _>(
                "eth_subscribe",
                rpc_params!["newHeads"],
                "eth_unsubscribe",
            )
            .await
            .map_err(|e| self.err(e))?;
        while let Some(head) = sub.next().await {
            let head = head.map_err(|e| self.err(e))?;
            on_head(head.number);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_missing_method_from_other_answers() {
        assert!(unsupported("eth_getBlockReceipts: Method eth_getBlockReceipts is not supported"));
        assert!(unsupported("debug_traceBlockByNumber: Method not found"));
        assert!(unsupported("the method debug_traceBlockByNumber does not exist/is not available"));
        assert!(!unsupported("eth_getBlockReceipts: Request rejected `503`"));
        assert!(!unsupported("eth_getBlockByNumber: header not found"));
    }
}
