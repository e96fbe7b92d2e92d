//! Polled filters (`eth_newFilter` and friends) and WebSocket subscriptions (`eth_subscribe`).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    rpc::types::{Filter, FilterBlockOption},
};
use alloy_primitives::{B256, U256};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule, SubscriptionMessage,
    core::SubscriptionError,
    server::IdProvider,
    types::{ErrorObjectOwned, SubscriptionId},
};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};

use super::{
    convert,
    error::{RpcError, RpcResult},
    eth::EthApi,
};
use crate::domain::ChainEvent;

/// Filters not polled for this long are removed, as in geth.
const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

enum Kind {
    Blocks { next: u64 },
    Logs { filter: Box<Filter>, next: u64 },
    PendingTxs { rx: broadcast::Receiver<ChainEvent> },
}

struct Installed {
    kind: Kind,
    polled: Instant,
}

/// The installed filters of one domain.
pub struct Filters {
    installed: Mutex<HashMap<U256, Installed>>,
}

/// Filter and subscription ids: 16 random bytes as hex, like geth's.
#[derive(Debug)]
pub struct HexIdProvider;

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(format!("{:#x}", random_id()).into())
    }
}

fn random_id() -> U256 {
    U256::from_be_slice(alloy_primitives::B128::random().as_slice())
}

impl Filters {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { installed: Mutex::new(HashMap::new()) })
    }

    fn install(&self, kind: Kind) -> U256 {
        let mut map = self.installed.lock();
        Self::purge(&mut map);
        let id = random_id();
        map.insert(id, Installed { kind, polled: Instant::now() });
        id
    }

    fn purge(map: &mut HashMap<U256, Installed>) {
        map.retain(|_, f| f.polled.elapsed() < FILTER_TIMEOUT);
    }

    /// Removes the filters nobody polled within the timeout, every so often, for as long as
    /// the filters exist: an abandoned filter must not hold its pending-transaction receiver
    /// (and the events queued in it) until the next install.
    pub fn purge_periodically(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let weak = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(FILTER_TIMEOUT / 10);
            loop {
                tick.tick().await;
                let Some(filters) = weak.upgrade() else { return };
                Self::purge(&mut filters.installed.lock());
            }
        });
    }

    fn uninstall(&self, id: &U256) -> bool {
        self.installed.lock().remove(id).is_some()
    }
}

fn not_found() -> RpcError {
    RpcError::Server("filter not found".into())
}

fn changes(api: &EthApi, id: U256) -> RpcResult<Value> {
    let head = api.domain.head().0;
    let mut map = api.filters.installed.lock();
    let f = map.get_mut(&id).ok_or_else(not_found)?;
    f.polled = Instant::now();
    match &mut f.kind {
        Kind::Blocks { next } => {
            let mut hashes = Vec::new();
            for n in *next..=head {
                if let Some(b) = api.domain.block(n)? {
                    hashes.push(b.hash);
                }
            }
            *next = head + 1;
            Ok(json!(hashes))
        }
        Kind::PendingTxs { rx } => {
            let mut hashes: Vec<B256> = Vec::new();
            loop {
                match rx.try_recv() {
                    Ok(ChainEvent::PendingTx(h)) => hashes.push(h),
                    Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
            Ok(json!(hashes))
        }
        Kind::Logs { filter, next } => {
            if *next > head {
                return Ok(json!([]));
            }
            // At most one `eth_getLogs` range per poll: a filter left unpolled for long catches
            // up over several polls instead of failing on the range limit for ever.
            let from = *next;
            let to = head.min(from.saturating_add(api.config.max_logs_range - 1));
            let range = filter.as_ref().clone().from_block(from).to_block(to);
            drop(map);
            // The cursor moves only once the logs are in hand: a poll that fails (too many
            // results) leaves it where it was, and nothing is skipped.
            let logs = api.logs(&range)?;
            if let Some(Installed { kind: Kind::Logs { next, .. }, .. }) =
                api.filters.installed.lock().get_mut(&id)
                && *next == from
            {
                *next = to + 1;
            }
            Ok(serde_json::to_value(logs).map_err(|e| RpcError::Internal(e.to_string()))?)
        }
    }
}

/// Registers the filter and subscription methods.
pub fn register(m: &mut RpcModule<EthApi>) {
    let reg = |m: &mut RpcModule<EthApi>,
               name: &'static str,
               f: fn(&EthApi, jsonrpsee::types::Params) -> RpcResult<Value>| {
        m.register_method(name, move |p, api, _| -> Result<Value, ErrorObjectOwned> {
            f(api, p).map_err(Into::into)
        })
        .expect("unique method");
    };
    // Polls that read blocks from disk run on the blocking pool.
    let reg_blocking =
        |m: &mut RpcModule<EthApi>,
         name: &'static str,
         f: fn(&EthApi, jsonrpsee::types::Params) -> RpcResult<Value>| {
            m.register_blocking_method(name, move |p, api, _| -> Result<Value, ErrorObjectOwned> {
                f(&api, p).map_err(Into::into)
            })
            .expect("unique method");
        };
    reg(m, "eth_newBlockFilter", |api, _| {
        let next = api.domain.head().0 + 1;
        Ok(json!(format!("{:#x}", api.filters.install(Kind::Blocks { next }))))
    });
    reg(m, "eth_newPendingTransactionFilter", |api, _| {
        let rx = api.domain.subscribe();
        Ok(json!(format!("{:#x}", api.filters.install(Kind::PendingTxs { rx }))))
    });
    reg(m, "eth_newFilter", |api, p| {
        let filter: Filter =
            p.one().map_err(|e| RpcError::InvalidParams(e.message().to_string()))?;
        let head = api.domain.head().0;
        let next = match filter.block_option {
            FilterBlockOption::Range { from_block: Some(BlockNumberOrTag::Number(n)), .. } => n,
            FilterBlockOption::AtBlockHash(_) => {
                return Err(RpcError::InvalidParams(
                    "blockHash is not allowed in eth_newFilter".into(),
                ));
            }
            _ => head + 1,
        };
        Ok(json!(format!(
            "{:#x}",
            api.filters.install(Kind::Logs { filter: Box::new(filter), next })
        )))
    });
    reg_blocking(m, "eth_getFilterChanges", |api, p| {
        let id: U256 = p.one().map_err(|e| RpcError::InvalidParams(e.message().to_string()))?;
        changes(api, id)
    });
    reg_blocking(m, "eth_getFilterLogs", |api, p| {
        let id: U256 = p.one().map_err(|e| RpcError::InvalidParams(e.message().to_string()))?;
        let filter = {
            let mut map = api.filters.installed.lock();
            let f = map.get_mut(&id).ok_or_else(not_found)?;
            f.polled = Instant::now();
            match &f.kind {
                Kind::Logs { filter, .. } => filter.as_ref().clone(),
                _ => return Err(not_found()),
            }
        };
        serde_json::to_value(api.logs(&filter)?).map_err(|e| RpcError::Internal(e.to_string()))
    });
    reg(m, "eth_uninstallFilter", |api, p| {
        let id: U256 = p.one().map_err(|e| RpcError::InvalidParams(e.message().to_string()))?;
        Ok(json!(api.filters.uninstall(&id)))
    });

    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, api, _| async move { subscribe(params, pending, api).await },
    )
    .expect("unique method");
}

/// Serves one subscription until the client leaves. A subscriber too slow to keep up is told
/// with an error notification and the subscription ends: skipping events silently would let
/// a client believe it saw every block or log.
async fn subscribe(
    params: jsonrpsee::types::Params<'static>,
    pending: PendingSubscriptionSink,
    api: Arc<EthApi>,
) -> Result<(), SubscriptionError> {
    let mut seq = params.sequence();
    let kind: String = match seq.next() {
        Ok(k) => k,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let filter: Option<Filter> = match kind.as_str() {
        "logs" => match seq.optional_next::<Filter>() {
            Ok(f) => Some(f.unwrap_or_default()),
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        },
        "newHeads" | "newPendingTransactions" => None,
        other => {
            let e: ErrorObjectOwned =
                RpcError::InvalidParams(format!("unknown subscription: {other}")).into();
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut rx = api.domain.subscribe();
    let Ok(sink) = pending.accept().await else { return Ok(()) };
    loop {
        let event = tokio::select! {
            e = rx.recv() => e,
            _ = sink.closed() => return Ok(()),
        };
        let event = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(missed)) => {
                return Err(format!(
                    "subscriber too slow: {missed} events missed, subscription closed"
                )
                .into());
            }
            Err(RecvError::Closed) => return Ok(()),
        };
        let messages: Vec<Value> = match (&event, kind.as_str()) {
            (ChainEvent::Block(b), "newHeads") => {
                vec![
                    serde_json::to_value(convert::rpc_header(&b.header, b.hash, None))
                        .unwrap_or_default(),
                ]
            }
            (ChainEvent::Block(b), "logs") => {
                let f = filter.as_ref().expect("logs subscriptions have a filter");
                if !f.matches_bloom(b.header.logs_bloom) {
                    continue;
                }
                match convert::block_logs(b) {
                    Ok(logs) => logs
                        .into_iter()
                        .filter(|l| f.matches(&l.inner))
                        .filter_map(|l| serde_json::to_value(l).ok())
                        .collect(),
                    Err(_) => continue,
                }
            }
            (ChainEvent::PendingTx(h), "newPendingTransactions") => vec![json!(h)],
            _ => continue,
        };
        for msg in messages {
            let Ok(raw) = serde_json::value::to_raw_value(&msg) else { continue };
            if sink.send(SubscriptionMessage::from(raw)).await.is_err() {
                return Ok(());
            }
        }
    }
}
