//! [`JsonRpcL1Source`]: the node's [`L1Source`] over JSON-RPC, reading `StakeManager` at a
//! given L1 block hash so every node that agrees on an L1 origin derives the same set, and
//! `L1Bridge`'s deposits up to a given L1 block.
//!
//! `L1Source` is synchronous (block building and validation run off the async runtime), while
//! the JSON-RPC client is async: the source owns a one-thread tokio runtime on its own thread
//! and waits for each request on a std channel, so it can be called from any thread (a plain
//! thread, `spawn_blocking`) without needing, or nesting, the caller's runtime.

use std::{future::Future, sync::mpsc, thread};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256, U256};
use sec_contracts::{
    L1Addresses,
    bindings::{CheckpointManager, L1Bridge, StakeManager},
};
use sec_primitives::{
    CheckpointSummary, Deposit, DomainId, L1Origin,
    l1::{L1Error, L1Source},
    validator::{ActiveValidator, ValidatorSet},
};
use serde_json::json;
use tokio::{runtime::Handle, sync::oneshot};
use tracing::debug;

use crate::{BridgeError, L1Client, client::BlockInfo, deposit::IERC20};

/// [`L1Source`] for one deployment (`StakeManager`, `L1Bridge`, `CheckpointManager`) on one
/// Ethereum node.
pub struct JsonRpcL1Source {
    client: L1Client,
    stake_manager: Address,
    bridge: Address,
    checkpoint_manager: Address,
    runtime: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for JsonRpcL1Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonRpcL1Source")
            .field("url", &self.client.url())
            .field("stake_manager", &self.stake_manager)
            .field("bridge", &self.bridge)
            .field("checkpoint_manager", &self.checkpoint_manager)
            .finish()
    }
}

fn rpc_error(method: &'static str, e: BridgeError) -> L1Error {
    match e {
        BridgeError::Abi(e) => L1Error::BadResponse { method, reason: e.to_string() },
        BridgeError::BadResponse { reason, .. } => L1Error::BadResponse { method, reason },
        other => L1Error::Rpc { method, reason: other.to_string() },
    }
}

fn origin(block: BlockInfo) -> L1Origin {
    L1Origin { number: block.number.to(), hash: block.hash }
}

impl JsonRpcL1Source {
    /// Connects to the node at `url` and reads the deployment at `addresses` there. Blocking:
    /// call it off the async runtime, like the source's methods.
    pub fn connect(url: &str, addresses: &L1Addresses) -> Result<Self, L1Error> {
        let (stake_manager, bridge, checkpoint_manager) =
            (addresses.stake_manager, addresses.l1_bridge, addresses.checkpoint_manager);
        let (handle_tx, handle_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name("l1-source".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => {
                        let _ = handle_tx.send(Ok(rt.handle().clone()));
                        // drives every request until the source is dropped
                        rt.block_on(async {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = handle_tx.send(Err(e.to_string()));
                    }
                }
            })
            .map_err(|e| L1Error::Rpc { method: "connect", reason: e.to_string() })?;
        let runtime = handle_rx
            .recv()
            .map_err(|e| L1Error::Rpc { method: "connect", reason: e.to_string() })?
            .map_err(|reason| L1Error::Rpc { method: "connect", reason })?;
        // reads only: the key signs nothing, it only fills `from` in calls
        let url_owned = url.to_string();
        let client = Self::block_on(&runtime, async move {
            L1Client::connect(&url_owned, PrivateKeySigner::random()).await
        })?
        .map_err(|e| rpc_error("connect", e))?;
        Ok(Self {
            client,
            stake_manager,
            bridge,
            checkpoint_manager,
            runtime,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The `StakeManager` read.
    pub fn stake_manager(&self) -> Address {
        self.stake_manager
    }

    fn block_on<T: Send + 'static>(
        runtime: &Handle,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, L1Error> {
        let (tx, rx) = mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().map_err(|_| L1Error::Rpc {
            method: "l1-source",
            reason: "the L1 reader's runtime stopped".into(),
        })
    }

    fn run<T: Send + 'static, F>(
        &self,
        method: &'static str,
        f: impl FnOnce(L1Client) -> F,
    ) -> Result<T, L1Error>
    where
        F: Future<Output = Result<T, BridgeError>> + Send + 'static,
    {
        Self::block_on(&self.runtime, f(self.client.clone()))?.map_err(|e| rpc_error(method, e))
    }

    fn tagged(&self, tag: &'static str) -> Result<L1Origin, L1Error> {
        let block =
            self.run("eth_getBlockByNumber", |c| async move { c.block_by_tag(json!(tag)).await })?;
        block.map(origin).ok_or(L1Error::BadResponse {
            method: "eth_getBlockByNumber",
            reason: format!("no {tag} block"),
        })
    }

    /// The set at `at` without the canonicality check.
    fn read_set(&self, at: L1Origin) -> Result<ValidatorSet, L1Error> {
        let sm = self.stake_manager;
        let hash = at.hash;
        let members = self.run("eth_call", move |c| async move {
            let size = c.view_at_hash(sm, StakeManager::activeSetSizeCall {}, hash).await?;
            let set = c.view_at_hash(sm, StakeManager::activeSetCall { n: size }, hash).await?;
            let mut members = Vec::with_capacity(set.len());
            for v in set {
                let info = c
                    .view_at_hash(sm, StakeManager::validatorCall { v: v.validator }, hash)
                    .await?;
                members.push(ActiveValidator {
                    validator: v.validator,
                    signer: v.signer,
                    stake: v.stake,
                    bls_key: info.blsKey,
                });
            }
            Ok(members)
        })?;
        Ok(ValidatorSet::new(members)?)
    }
}

impl L1Source for JsonRpcL1Source {
    fn head(&self) -> Result<L1Origin, L1Error> {
        self.tagged("latest")
    }

    fn finalized(&self) -> Result<L1Origin, L1Error> {
        self.tagged("finalized")
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        let block = self.run("eth_getBlockByNumber", move |c| async move {
            c.block_by_tag(json!(format!("{number:#x}"))).await
        })?;
        Ok(block.map(|b| b.hash))
    }

    fn validator_set(&self, at: L1Origin) -> Result<ValidatorSet, L1Error> {
        let read = self.read_set(at);
        // the state was read at `at.hash`; make sure that block is the canonical one at its
        // number (a node may still serve a reorganised block's state), and tell an unknown or
        // orphaned origin apart from a failing node
        if self.block_hash(at.number)? != Some(at.hash) {
            debug!(number = at.number, hash = %at.hash, "L1 origin is not canonical");
            return Err(L1Error::NotCanonical(at));
        }
        read
    }

    fn deposits(&self, domain: DomainId, from: u64, to: L1Origin) -> Result<Vec<Deposit>, L1Error> {
        if from > to.number {
            return Ok(vec![]);
        }
        let bridge = self.bridge;
        let found = self.run("eth_getLogs", move |c| async move {
            crate::deposit::deposits(&c, bridge, Some(domain), from, to.number).await
        })?;
        // logs were read by number: make sure the range still ends on the block the caller
        // named, so no deposit of an orphaned branch is credited
        if self.block_hash(to.number)? != Some(to.hash) {
            return Err(L1Error::NotCanonical(to));
        }
        Ok(found)
    }

    fn last_checkpoint(&self) -> Result<u64, L1Error> {
        let cm = self.checkpoint_manager;
        self.run(
            "eth_call",
            move |c| async move { c.view(cm, CheckpointManager::lastIdCall {}).await },
        )
    }

    fn checkpoint(
        &self,
        id: u64,
        domains: &[DomainId],
    ) -> Result<Option<CheckpointSummary>, L1Error> {
        let cm = self.checkpoint_manager;
        let domains = domains.to_vec();
        self.run("eth_call", move |c| async move {
            let record = c.view(cm, CheckpointManager::checkpointCall { id }).await?;
            if record.submittedAt == 0 {
                return Ok(None);
            }
            let mut blocks = Vec::with_capacity(domains.len());
            for domain in domains {
                let state = c.view(cm, CheckpointManager::domainStateCall { id, domain }).await?;
                blocks.push((domain, state.blockNumber));
            }
            Ok(Some(CheckpointSummary {
                id,
                withdrawal_root: record.withdrawalRoot,
                submitted_at: record.submittedAt,
                blocks,
            }))
        })
    }

    fn bridge_balances(&self, tokens: &[Address], at: L1Origin) -> Result<Vec<U256>, L1Error> {
        let (bridge, tokens) = (self.bridge, tokens.to_vec());
        self.run("eth_call", move |c| async move {
            let mut out = Vec::with_capacity(tokens.len());
            for token in tokens {
                out.push(if token.is_zero() {
                    let block = json!({ "blockHash": at.hash, "requireCanonical": true });
                    c.request("eth_getBalance", vec![json!(bridge), block]).await?
                } else {
                    let call = IERC20::balanceOfCall { account: bridge };
                    c.view_at_hash(token, call, at.hash).await?
                });
            }
            Ok(out)
        })
    }

    fn withdrawals_paid(&self, hashes: &[B256], at: L1Origin) -> Result<Vec<bool>, L1Error> {
        let (bridge, hashes) = (self.bridge, hashes.to_vec());
        self.run("eth_call", move |c| async move {
            let mut out = Vec::with_capacity(hashes.len());
            for h in hashes {
                let finalized = c.view_at_hash(bridge, L1Bridge::finalizedCall(h), at.hash).await?;
                let failed = finalized
                    && c.view_at_hash(bridge, L1Bridge::failedPayoutCall(h), at.hash).await?;
                out.push(finalized && !failed);
            }
            Ok(out)
        })
    }
}

impl Drop for JsonRpcL1Source {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_node_is_an_rpc_error_not_a_panic() {
        let err =
            JsonRpcL1Source::connect("http://127.0.0.1:1", &L1Addresses::default()).unwrap_err();
        assert!(matches!(err, L1Error::Rpc { method: "connect", .. }), "{err}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn usable_from_spawn_blocking_inside_a_runtime() {
        let err = tokio::task::spawn_blocking(|| {
            JsonRpcL1Source::connect("http://127.0.0.1:1", &L1Addresses::default()).unwrap_err()
        })
        .await
        .unwrap();
        assert!(matches!(err, L1Error::Rpc { .. }), "{err}");
    }
}
