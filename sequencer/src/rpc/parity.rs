//! The Parity/OpenEthereum `trace_` namespace: `trace_block`, `trace_transaction`,
//! `trace_replayBlockTransactions`, `trace_replayTransaction` and `trace_filter`. Indexers of the
//! Erigon kind (Blockscout's `erigon` variant among them) read internal transactions this way.

use alloy_primitives::map::HashSet;

use alloy::{
    eips::BlockId,
    rpc::types::trace::{
        filter::TraceFilter,
        parity::{LocalizedTransactionTrace, TraceResultsWithTransactionHash, TraceType},
    },
};
use alloy_primitives::B256;
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use revm::{Context, DatabaseCommit, InspectEvm, MainBuilder, MainContext};
use revm_inspectors::tracing::{TracingInspector, TracingInspectorConfig};
use serde_json::Value;

use super::{
    debug::{Replay, tx_info},
    error::{RpcError, RpcResult},
    eth::{Args, EthApi, Reply, finish, to_raw},
};
use crate::{
    executor::{tx_cfg, tx_env},
    state::Overlay,
};

/// What a replay keeps of each transaction.
enum Want<'a> {
    /// Its localized call traces (`trace_block`, `trace_transaction`, `trace_filter`).
    Traces,
    /// The trace types asked for (`trace_replay*`), state diffs included.
    Results(&'a HashSet<TraceType>),
}

/// One transaction's replay output.
enum Replayed {
    Traces(Vec<LocalizedTransactionTrace>),
    Results(Box<TraceResultsWithTransactionHash>),
}

/// Replays block `number` on its parent state, each transaction under a fresh inspector;
/// stops after transaction `only` if given.
fn replay(api: &EthApi, number: u64, only: Option<usize>, want: &Want) -> RpcResult<Vec<Replayed>> {
    if number == 0 {
        return Ok(vec![]);
    }
    let Replay { block, input, txs } = Replay::load(api, number)?;
    let chain_id = api.domain.chain_id();
    let config = match want {
        Want::Traces => TracingInspectorConfig::default_parity(),
        Want::Results(types) => TracingInspectorConfig::from_parity_config(types),
    };
    api.domain
        .with_state(Some(number - 1), |reader, _| -> RpcResult<Vec<Replayed>> {
            let mut overlay = Overlay::new(reader);
            let mut out = Vec::new();
            for (i, (tx, stored)) in txs.iter().zip(&block.txs).enumerate() {
                let mut insp = TracingInspector::new(config);
                let env = tx_env(tx, stored.sender);
                let outcome = {
                    let mut evm = Context::mainnet()
                        .with_db(&mut overlay)
                        .with_cfg(tx_cfg(chain_id, &env, &input))
                        .with_block(input.env())
                        .build_mainnet_with_inspector(&mut insp);
                    evm.inspect_tx(env).map_err(|e| RpcError::Internal(e.to_string()))?
                };
                if only.is_none_or(|j| j == i) {
                    let hash = block.tx_hashes[i];
                    let builder = insp
                        .into_parity_builder()
                        .with_transaction_gas_used(outcome.result.tx_gas_used());
                    out.push(match want {
                        Want::Traces => {
                            let info = tx_info(&block, i);
                            Replayed::Traces(builder.into_localized_transaction_traces(info))
                        }
                        Want::Results(types) => {
                            // The overlay still holds the state before this transaction.
                            let full_trace = builder
                                .into_trace_results_with_state(&outcome, types, &overlay)
                                .map_err(|e| RpcError::Internal(e.to_string()))?;
                            Replayed::Results(Box::new(TraceResultsWithTransactionHash {
                                full_trace,
                                transaction_hash: hash,
                            }))
                        }
                    });
                    if only == Some(i) {
                        break;
                    }
                }
                overlay.commit(outcome.state);
            }
            Ok(out)
        })?
        .ok_or_else(RpcError::header_not_found)?
}

fn traces(replayed: Vec<Replayed>) -> Vec<LocalizedTransactionTrace> {
    replayed
        .into_iter()
        .flat_map(|r| match r {
            Replayed::Traces(t) => t,
            Replayed::Results(_) => vec![],
        })
        .collect()
}

fn results(replayed: Vec<Replayed>) -> Vec<TraceResultsWithTransactionHash> {
    replayed
        .into_iter()
        .filter_map(|r| match r {
            Replayed::Results(r) => Some(*r),
            Replayed::Traces(_) => None,
        })
        .collect()
}

/// Registers the `trace_` namespace.
pub fn register(m: &mut RpcModule<EthApi>) {
    type Handler = fn(&EthApi, &mut Args<'_>) -> RpcResult<Reply>;
    let handlers: [(&'static str, Handler); 5] = [
        ("trace_block", |api, a| {
            let id: BlockId = a.next()?;
            let Some(n) = api.resolve(id)? else { return Ok(Value::Null.into()) };
            Ok(to_raw(&traces(replay(api, n, None, &Want::Traces)?))?.into())
        }),
        ("trace_transaction", |api, a| {
            let hash: B256 = a.next()?;
            let Some((n, i)) = api.domain.tx_location(&hash)? else {
                return Ok(Value::Null.into());
            };
            Ok(to_raw(&traces(replay(api, n, Some(i as usize), &Want::Traces)?))?.into())
        }),
        ("trace_replayBlockTransactions", |api, a| {
            let id: BlockId = a.next()?;
            let types: HashSet<TraceType> = a.next()?;
            let Some(n) = api.resolve(id)? else { return Ok(Value::Null.into()) };
            Ok(to_raw(&results(replay(api, n, None, &Want::Results(&types))?))?.into())
        }),
        ("trace_replayTransaction", |api, a| {
            let hash: B256 = a.next()?;
            let types: HashSet<TraceType> = a.next()?;
            let (n, i) = api
                .domain
                .tx_location(&hash)?
                .ok_or_else(|| RpcError::Server(format!("transaction {hash} not found")))?;
            let mut r = results(replay(api, n, Some(i as usize), &Want::Results(&types))?);
            let one = r.pop().ok_or_else(|| RpcError::Internal("trace missing".into()))?;
            Ok(to_raw(&one.full_trace)?.into())
        }),
        ("trace_filter", |api, a| {
            let filter: TraceFilter = a.next()?;
            let head = api.domain.head().0;
            let from = filter.from_block.unwrap_or(0);
            let to = filter.to_block.unwrap_or(head).min(head);
            if from > to {
                return Err(RpcError::InvalidParams("invalid block range params".into()));
            }
            if to - from >= api.config.max_logs_range {
                return Err(RpcError::LimitExceeded(format!(
                    "query exceeds max block range {}",
                    api.config.max_logs_range
                )));
            }
            let matcher = filter.matcher();
            let skip = filter.after.unwrap_or(0) as usize;
            let count = filter.count.map_or(usize::MAX, |c| c as usize);
            let mut out = Vec::new();
            let mut seen = 0usize;
            'blocks: for n in from..=to {
                for t in traces(replay(api, n, None, &Want::Traces)?) {
                    if !matcher.matches(&t.trace) {
                        continue;
                    }
                    seen += 1;
                    if seen <= skip {
                        continue;
                    }
                    if out.len() >= count {
                        break 'blocks;
                    }
                    if out.len() >= api.config.max_logs {
                        return Err(RpcError::LimitExceeded(format!(
                            "query returned more than {} results",
                            api.config.max_logs
                        )));
                    }
                    out.push(t);
                }
            }
            Ok(to_raw(&out)?.into())
        }),
    ];
    for (name, f) in handlers {
        m.register_blocking_method(name, move |p, api, _| -> Result<Reply, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            finish(f(&api, &mut args))
        })
        .expect("unique method");
    }
}
