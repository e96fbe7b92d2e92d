//! [`L1Client`]: one key on one Ethereum node, over standard JSON-RPC only, so it works the
//! same against geth, hardhat's node or this project's own L1 dev chain.

use std::{sync::Arc, time::Duration};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    rpc::types::{Filter, Log},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolCall,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256, keccak256};
use jsonrpsee::{
    core::{ClientError, client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tracing::{debug, warn};

use crate::error::{BridgeError, Result};

/// Fallback priority fee when the node has no `eth_maxPriorityFeePerGas` (1 gwei).
const DEFAULT_PRIORITY_FEE: u128 = 1_000_000_000;

/// A mined transaction, as much of `eth_getTransactionReceipt` as the bridge needs (fields
/// every node returns, so it parses whatever the node adds).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Transaction hash.
    pub transaction_hash: B256,
    /// Block it was mined in.
    pub block_number: U64,
    /// That block's hash.
    pub block_hash: B256,
    /// 1 = success (post-Byzantium).
    pub status: Option<U64>,
    /// Gas used by this transaction.
    pub gas_used: U64,
    /// Created contract, for creations.
    pub contract_address: Option<Address>,
    /// Logs emitted.
    pub logs: Vec<Log>,
}

impl Receipt {
    /// Whether the transaction succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == Some(U64::from(1))
    }

    /// The block number as an integer.
    pub fn block(&self) -> u64 {
        self.block_number.to::<u64>()
    }
}

/// A block header, as much as the bridge needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockInfo {
    /// Number.
    pub number: U64,
    /// Hash.
    pub hash: B256,
    /// Timestamp, unix seconds.
    pub timestamp: U64,
    /// State root.
    #[serde(default)]
    pub state_root: B256,
}

/// Fees for an EIP-1559 transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

/// A client for one Ethereum node that signs with one key.
///
/// Transactions are sent one at a time: the nonce lock is held from signing until the
/// receipt arrives, so one sender's transactions reach the node strictly in nonce order
/// (nodes with automine, like hardhat's, keep no queue for nonce gaps).
#[derive(Clone)]
pub struct L1Client {
    http: HttpClient,
    url: String,
    signer: PrivateKeySigner,
    chain_id: u64,
    /// Next nonce of `signer`, shared by clones of this client.
    nonce: Arc<Mutex<u64>>,
    receipt_timeout: Duration,
    poll_interval: Duration,
}

impl std::fmt::Debug for L1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Client")
            .field("url", &self.url)
            .field("address", &self.signer.address())
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

fn params(values: Vec<Value>) -> ArrayParams {
    let mut p = ArrayParams::new();
    for v in values {
        // a serde_json::Value always serializes
        let _ = p.insert(v);
    }
    p
}

fn hex_bytes(value: &Value) -> Option<Bytes> {
    value.as_str().and_then(|s| s.parse::<Bytes>().ok())
}

/// Revert data in a JSON-RPC error: geth puts the hex string in `data`, hardhat an object
/// whose `data` field is the hex string.
fn revert_data(data: Option<&serde_json::value::RawValue>) -> Option<Bytes> {
    let value: Value = serde_json::from_str(data?.get()).ok()?;
    hex_bytes(&value).or_else(|| value.get("data").and_then(hex_bytes))
}

fn block_tag(block: Option<u64>) -> Value {
    match block {
        Some(n) => json!(format!("{n:#x}")),
        None => json!("latest"),
    }
}

impl L1Client {
    /// Connects to `url` with `signer`: reads the chain id and the signer's pending nonce.
    pub async fn connect(url: &str, signer: PrivateKeySigner) -> Result<Self> {
        let http = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(url)
            .map_err(|e| BridgeError::Endpoint { url: url.to_string(), reason: e.to_string() })?;
        Self::from_http(http, url.to_string(), signer).await
    }

    async fn from_http(http: HttpClient, url: String, signer: PrivateKeySigner) -> Result<Self> {
        let mut client = Self {
            http,
            url,
            signer,
            chain_id: 0,
            nonce: Arc::new(Mutex::new(0)),
            receipt_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
        };
        let chain_id: U64 = client.request("eth_chainId", vec![]).await?;
        client.chain_id = chain_id.to();
        let nonce = client.pending_nonce(client.address()).await?;
        client.nonce = Arc::new(Mutex::new(nonce));
        Ok(client)
    }

    /// The same node with another key (its own nonce).
    pub async fn with_signer(&self, signer: PrivateKeySigner) -> Result<Self> {
        let mut client = Self::from_http(self.http.clone(), self.url.clone(), signer).await?;
        client.receipt_timeout = self.receipt_timeout;
        client.poll_interval = self.poll_interval;
        Ok(client)
    }

    /// How long [`Self::wait_for_receipt`] waits (default 60 s).
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The signer.
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The nonce the next transaction of this client will use.
    pub async fn next_nonce(&self) -> u64 {
        *self.nonce.lock().await
    }

    /// Any JSON-RPC request; an error carrying revert data becomes [`BridgeError::Reverted`].
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &'static str,
        args: Vec<Value>,
    ) -> Result<T> {
        match self.http.request::<T, _>(method, params(args)).await {
            Ok(v) => Ok(v),
            Err(ClientError::Call(obj)) => {
                let data = revert_data(obj.data());
                let is_revert = data.is_some() || obj.message().contains("revert");
                if is_revert {
                    let data = data.unwrap_or_default();
                    let reason = sec_contracts::decode_revert(&data)
                        .unwrap_or_else(|| obj.message().to_string());
                    Err(BridgeError::Reverted { method, reason, data })
                } else {
                    Err(BridgeError::Rpc { method, source: ClientError::Call(obj) })
                }
            }
            Err(source) => Err(BridgeError::Rpc { method, source }),
        }
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64> {
        let n: U64 = self.request("eth_blockNumber", vec![]).await?;
        Ok(n.to())
    }

    /// `eth_getBlockByNumber` (header fields only); `None` = latest.
    pub async fn block(&self, number: Option<u64>) -> Result<BlockInfo> {
        let block: Option<BlockInfo> =
            self.request("eth_getBlockByNumber", vec![block_tag(number), json!(false)]).await?;
        block.ok_or(BridgeError::BadResponse {
            method: "eth_getBlockByNumber",
            reason: format!("no block {number:?}"),
        })
    }

    /// `eth_getBalance` at the latest block.
    pub async fn balance(&self, who: Address) -> Result<U256> {
        self.request("eth_getBalance", vec![json!(who), json!("latest")]).await
    }

    /// `eth_getTransactionCount` at `pending`.
    pub async fn pending_nonce(&self, who: Address) -> Result<u64> {
        let n: U64 =
            self.request("eth_getTransactionCount", vec![json!(who), json!("pending")]).await?;
        Ok(n.to())
    }

    /// `eth_getTransactionCount` at `latest`: how many of `who`'s transactions are mined.
    pub async fn mined_nonce(&self, who: Address) -> Result<u64> {
        let n: U64 =
            self.request("eth_getTransactionCount", vec![json!(who), json!("latest")]).await?;
        Ok(n.to())
    }

    /// Replaces whatever transaction of this key waits in the pool at `nonce` with a transfer
    /// of nothing to itself, at `fee_factor` times the suggested fees (a replacement must raise
    /// both fee cap and tip by 10% at least), and waits for it: how a stuck transaction is
    /// cleared. Afterwards this client sends from `nonce + 1` on.
    pub async fn cancel_pending(&self, nonce: u64, fee_factor: u128) -> Result<Receipt> {
        let mut next = self.nonce.lock().await;
        let fees = self.fees().await?;
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: fees.max_fee_per_gas.saturating_mul(fee_factor),
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas.saturating_mul(fee_factor),
            to: TxKind::Call(self.address()),
            ..Default::default()
        };
        let signature = self.signer.sign_hash_sync(&tx.signature_hash())?;
        let raw: Bytes = TxEnvelope::from(tx.into_signed(signature)).encoded_2718().into();
        let tx_hash: B256 = self.request("eth_sendRawTransaction", vec![json!(raw)]).await?;
        *next = (*next).max(nonce + 1);
        drop(next);
        self.wait_for_receipt(tx_hash).await
    }

    /// `eth_getCode`; `None` = latest.
    pub async fn code(&self, who: Address, block: Option<u64>) -> Result<Bytes> {
        self.request("eth_getCode", vec![json!(who), block_tag(block)]).await
    }

    /// `eth_call` from this client's address; `None` = latest.
    pub async fn call(&self, to: Address, data: Bytes, block: Option<u64>) -> Result<Bytes> {
        let tx = json!({ "from": self.address(), "to": to, "data": data });
        self.request("eth_call", vec![tx, block_tag(block)]).await
    }

    /// A typed view call at the latest block.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        self.view_at(to, call, None).await
    }

    /// A typed view call at block `block` (`None` = latest): what the node needs to read the
    /// L1 state at an L1 origin rather than at whatever is newest.
    pub async fn view_at<C: SolCall>(
        &self,
        to: Address,
        call: C,
        block: Option<u64>,
    ) -> Result<C::Return> {
        let out = self.call(to, call.abi_encode().into(), block).await?;
        Ok(C::abi_decode_returns(&out)?)
    }

    /// A typed view call at the block with hash `hash` (EIP-1898, `requireCanonical`): reads
    /// exactly that block's state, and fails rather than read another block after a reorg.
    pub async fn view_at_hash<C: SolCall>(
        &self,
        to: Address,
        call: C,
        hash: B256,
    ) -> Result<C::Return> {
        let tx =
            json!({ "from": self.address(), "to": to, "data": Bytes::from(call.abi_encode()) });
        let block = json!({ "blockHash": hash, "requireCanonical": true });
        let out: Bytes = self.request("eth_call", vec![tx, block]).await?;
        Ok(C::abi_decode_returns(&out)?)
    }

    /// `eth_getBlockByNumber` for a tag (`"latest"`, `"safe"`, `"finalized"`) or a number;
    /// `None` if the node has no such block.
    pub async fn block_by_tag(&self, tag: Value) -> Result<Option<BlockInfo>> {
        self.request("eth_getBlockByNumber", vec![tag, json!(false)]).await
    }

    /// `eth_getLogs`.
    pub async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.request("eth_getLogs", vec![json!(filter)]).await
    }

    /// Fees from `eth_gasPrice` and `eth_maxPriorityFeePerGas` (1 gwei if the node lacks
    /// it): the max fee leaves room for the base fee to double before inclusion.
    pub async fn fees(&self) -> Result<Fees> {
        let gas_price: U256 = self.request("eth_gasPrice", vec![]).await?;
        let gas_price = gas_price.saturating_to::<u128>();
        let priority = match self.request::<U256>("eth_maxPriorityFeePerGas", vec![]).await {
            Ok(p) => p.saturating_to::<u128>(),
            Err(e) => {
                debug!(error = %e, "no eth_maxPriorityFeePerGas, using 1 gwei");
                DEFAULT_PRIORITY_FEE.min(gas_price.max(1))
            }
        };
        Ok(Fees {
            max_fee_per_gas: gas_price.saturating_mul(2).saturating_add(priority),
            max_priority_fee_per_gas: priority,
        })
    }

    /// `eth_estimateGas` for a transaction from this client; a revert comes back as
    /// [`BridgeError::Reverted`] before anything is sent.
    pub async fn estimate_gas(&self, to: TxKind, data: &Bytes, value: U256) -> Result<u64> {
        let mut tx = json!({ "from": self.address(), "data": data, "value": value });
        if let TxKind::Call(to) = to {
            tx["to"] = json!(to);
        }
        let gas: U64 = self.request("eth_estimateGas", vec![tx]).await?;
        Ok(gas.to())
    }

    /// Estimates, signs (EIP-1559), sends and waits for the receipt of one transaction. A
    /// transaction that would revert is not sent; one mined with status 0 is an error.
    pub async fn send(&self, to: TxKind, data: Bytes, value: U256) -> Result<Receipt> {
        self.send_at(None, to, data, value).await.map(|(_, r)| r)
    }

    /// Like [`Self::send`] for a typed contract call.
    pub async fn send_call<C: SolCall>(
        &self,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<Receipt> {
        self.send(TxKind::Call(to), call.abi_encode().into(), value).await
    }

    /// Sends with a required nonce (deployment plans fix addresses by nonce): fails with
    /// [`BridgeError::NonceMoved`] if the account's next nonce is another.
    pub(crate) async fn send_at(
        &self,
        required: Option<(&'static str, u64)>,
        to: TxKind,
        data: Bytes,
        value: U256,
    ) -> Result<(B256, Receipt)> {
        let mut nonce = self.nonce.lock().await;
        if let Some((name, expected)) = required
            && expected != *nonce
        {
            return Err(BridgeError::NonceMoved { name, expected, actual: *nonce });
        }
        let estimate = self.estimate_gas(to, &data, value).await?;
        let fees = self.fees().await?;
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: *nonce,
            // estimates are exact for straight-line code, a margin covers refunds and the
            // 63/64 rule of nested calls
            gas_limit: estimate.saturating_mul(6) / 5 + 10_000,
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            to,
            value,
            input: data,
            ..Default::default()
        };
        let signature = self.signer.sign_hash_sync(&tx.signature_hash())?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        let raw: Bytes = envelope.encoded_2718().into();
        let tx_hash = keccak256(&raw);
        match self.request::<B256>("eth_sendRawTransaction", vec![json!(raw)]).await {
            Ok(returned) => {
                if returned != tx_hash {
                    warn!(%returned, %tx_hash, "node returned another transaction hash");
                }
                *nonce += 1;
            }
            Err(e) => {
                // the node may know a different nonce (another client used this key): resync
                if let Ok(n) = self.pending_nonce(self.address()).await {
                    *nonce = n;
                }
                return Err(e);
            }
        }
        debug!(%tx_hash, nonce = *nonce - 1, "sent");
        let receipt = self.wait_for_receipt(tx_hash).await?;
        drop(nonce);
        if !receipt.succeeded() {
            return Err(BridgeError::TransactionFailed {
                tx_hash,
                gas_used: receipt.gas_used.to(),
            });
        }
        Ok((tx_hash, receipt))
    }

    /// Polls `eth_getTransactionReceipt` until the receipt appears or the timeout passes.
    pub async fn wait_for_receipt(&self, tx_hash: B256) -> Result<Receipt> {
        let started = tokio::time::Instant::now();
        loop {
            let receipt: Option<Receipt> =
                self.request("eth_getTransactionReceipt", vec![json!(tx_hash)]).await?;
            if let Some(r) = receipt {
                return Ok(r);
            }
            if started.elapsed() >= self.receipt_timeout {
                return Err(BridgeError::ReceiptTimeout { tx_hash, waited: started.elapsed() });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_data_in_geth_and_hardhat_shapes() {
        let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_string()).unwrap();
        let geth = raw(r#""0x12345678""#);
        assert_eq!(revert_data(Some(&geth)), Some(Bytes::from(vec![0x12, 0x34, 0x56, 0x78])));
        let hardhat = raw(r#"{"message":"reverted","data":"0xdeadbeef"}"#);
        assert_eq!(revert_data(Some(&hardhat)), Some(Bytes::from(vec![0xde, 0xad, 0xbe, 0xef])));
        assert_eq!(revert_data(Some(&raw(r#"{"message":"x"}"#))), None);
        assert_eq!(revert_data(Some(&raw("42"))), None);
        assert_eq!(revert_data(None), None);
    }

    #[test]
    fn receipts_parse_with_extra_and_missing_optional_fields() {
        let json = r#"{"transactionHash":"0x0101010101010101010101010101010101010101010101010101010101010101",
            "blockNumber":"0x2a","blockHash":"0x0202020202020202020202020202020202020202020202020202020202020202",
            "status":"0x0","gasUsed":"0x5208","contractAddress":null,"logs":[],"cumulativeGasUsed":"0x5208",
            "type":"0x2"}"#;
        let r: Receipt = serde_json::from_str(json).unwrap();
        assert!(!r.succeeded());
        assert_eq!(r.block(), 42);
        assert_eq!(r.gas_used.to::<u64>(), 21_000);
    }

    #[tokio::test]
    async fn unreachable_node_is_an_rpc_error() {
        let signer = PrivateKeySigner::random();
        let err = L1Client::connect("http://127.0.0.1:1", signer).await.unwrap_err();
        assert!(matches!(err, BridgeError::Rpc { method: "eth_chainId", .. }), "{err}");
        let err = L1Client::connect("not a url", PrivateKeySigner::random()).await.unwrap_err();
        assert!(matches!(err, BridgeError::Endpoint { .. }), "{err}");
    }
}
