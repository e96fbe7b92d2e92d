//! `debug_trace*` (geth's callTracer and struct logger, via revm-inspectors) and the access-list
//! inspector behind `eth_createAccessList`.

use alloy::{
    consensus::transaction::TransactionInfo,
    eips::{BlockId, BlockNumberOrTag},
    rpc::types::{
        AccessListResult, TransactionRequest,
        trace::geth::{
            CallConfig, CallFrame, GethDebugBuiltInTracerType, GethDebugTracerType,
            GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace, NoopFrame,
            TraceResult,
        },
    },
};
use alloy_primitives::{B256, U256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use revm::{
    Context, DatabaseCommit, ExecuteCommitEvm, InspectCommitEvm, InspectEvm, MainBuilder,
    MainContext,
    context::TxEnv,
    context_interface::result::{EVMError, ExecutionResult},
};
use revm_inspectors::{
    access_list::AccessListInspector,
    tracing::{TracingInspector, TracingInspectorConfig},
};

use super::{
    convert,
    error::{RpcError, RpcResult},
    eth::{Args, EthApi, Reply, finish, to_raw},
};
use crate::{
    executor::{self, BlockInput, cfg, halt_message, tx_env},
    state::{Overlay, StateReader},
};

fn evm_error<E: std::fmt::Display>(e: EVMError<crate::state::StateReadError, E>) -> RpcError {
    match e {
        EVMError::Database(e) => RpcError::Internal(e.to_string()),
        other => RpcError::Server(other.to_string()),
    }
}

/// Runs `tx` with the tracer `opts` asks for, committing its writes to `overlay`.
fn trace_one<R: StateReader>(
    overlay: &mut Overlay<R>,
    chain_id: u64,
    block: &BlockInput,
    tx: TxEnv,
    opts: &GethDebugTracingOptions,
    call_mode: bool,
    info: TransactionInfo,
) -> RpcResult<GethTrace> {
    let mut config = executor::tx_cfg(chain_id, &tx, block);
    if call_mode {
        config.disable_nonce_check = true;
        config.disable_base_fee = tx.gas_price == 0;
        config.disable_block_gas_limit = true;
    }
    let gas_limit = tx.gas_limit;
    match &opts.tracer {
        None => {
            let mut insp =
                TracingInspector::new(TracingInspectorConfig::from_geth_config(&opts.config));
            let result = {
                let mut evm = Context::mainnet()
                    .with_db(&mut *overlay)
                    .with_cfg(config)
                    .with_block(block.env())
                    .build_mainnet_with_inspector(&mut insp);
                evm.inspect_tx_commit(tx).map_err(evm_error)?
            };
            let output = match &result {
                ExecutionResult::Success { output, .. } => output.data().clone(),
                ExecutionResult::Revert { output, .. } => output.clone(),
                ExecutionResult::Halt { .. } => Default::default(),
            };
            Ok(insp.geth_builder().geth_traces(result.tx_gas_used(), output, opts.config).into())
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {
            let call_config = call_config(opts)?;
            let mut insp =
                TracingInspector::new(TracingInspectorConfig::from_geth_call_config(&call_config));
            let result = {
                let mut evm = Context::mainnet()
                    .with_db(&mut *overlay)
                    .with_cfg(config)
                    .with_block(block.env())
                    .build_mainnet_with_inspector(&mut insp);
                evm.inspect_tx_commit(tx).map_err(evm_error)?
            };
            Ok(call_frame(&mut insp, call_config, &result, gas_limit).into())
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::NoopTracer)) => {
            let mut evm = Context::mainnet()
                .with_db(&mut *overlay)
                .with_cfg(config)
                .with_block(block.env())
                .build_mainnet();
            evm.transact_commit(tx).map_err(evm_error)?;
            Ok(NoopFrame::default().into())
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::PreStateTracer)) => {
            let prestate = opts
                .tracer_config
                .clone()
                .into_pre_state_config()
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let mut insp =
                TracingInspector::new(TracingInspectorConfig::from_geth_prestate_config(&prestate));
            let outcome = {
                let mut evm = Context::mainnet()
                    .with_db(&mut *overlay)
                    .with_cfg(config)
                    .with_block(block.env())
                    .build_mainnet_with_inspector(&mut insp);
                evm.inspect_tx(tx).map_err(evm_error)?
            };
            // The state before the transaction is the overlay before its writes are applied.
            let frame = insp
                .geth_builder()
                .geth_prestate_traces(&outcome, &prestate, &*overlay)
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            overlay.commit(outcome.state);
            Ok(frame.into())
        }
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::FlatCallTracer)) => {
            let flat = opts
                .tracer_config
                .clone()
                .into_flat_call_config()
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let mut insp =
                TracingInspector::new(TracingInspectorConfig::from_flat_call_config(&flat));
            let result = {
                let mut evm = Context::mainnet()
                    .with_db(&mut *overlay)
                    .with_cfg(config)
                    .with_block(block.env())
                    .build_mainnet_with_inspector(&mut insp);
                evm.inspect_tx_commit(tx).map_err(evm_error)?
            };
            let traces = insp
                .into_parity_builder()
                .with_transaction_gas_used(result.tx_gas_used())
                .into_localized_transaction_traces(info);
            Ok(GethTrace::FlatCallTracer(traces))
        }
        Some(other) => Err(RpcError::InvalidParams(format!("tracer not supported: {other:?}"))),
    }
}

/// The call tracer's settings (`onlyTopCall`, `withLog`) from `opts`.
fn call_config(opts: &GethDebugTracingOptions) -> RpcResult<CallConfig> {
    opts.tracer_config
        .clone()
        .into_call_config()
        .map_err(|e| RpcError::InvalidParams(e.to_string()))
}

/// The call tree `insp` recorded for a transaction that ended in `result`.
fn call_frame(
    insp: &mut TracingInspector,
    config: CallConfig,
    result: &ExecutionResult,
    gas_limit: u64,
) -> CallFrame {
    insp.set_transaction_gas_limit(gas_limit);
    let mut frame = insp.geth_builder().geth_call_traces(config, result.tx_gas_used());
    if let ExecutionResult::Halt { reason, .. } = result {
        frame.error = Some(halt_message(reason));
    }
    frame
}

/// The call trees of every transaction of a block: one EVM and one inspector for the whole
/// block, reset between transactions, instead of building both for every transaction.
fn call_traces<R: StateReader>(
    overlay: &mut Overlay<R>,
    chain_id: u64,
    block: &BlockInput,
    txs: impl Iterator<Item = (TxEnv, B256)>,
    config: CallConfig,
) -> RpcResult<Vec<TraceResult>> {
    let mut insp = TracingInspector::new(TracingInspectorConfig::from_geth_call_config(&config));
    let mut evm = Context::mainnet()
        .with_db(overlay)
        .with_cfg(cfg(chain_id))
        .with_block(block.env())
        .build_mainnet_with_inspector(&mut insp);
    let mut out = Vec::new();
    for (tx, hash) in txs {
        let gas_limit = tx.gas_limit;
        evm.ctx.cfg.disable_base_fee = executor::is_system(&tx, block);
        let result = evm.inspect_tx_commit(tx).map_err(evm_error)?;
        let frame = call_frame(evm.inspector, config, &result, gas_limit);
        evm.inspector.fuse();
        out.push(TraceResult::Success { result: frame.into(), tx_hash: Some(hash) });
    }
    Ok(out)
}

/// A block to replay on its parent state: its record, EVM inputs and decoded transactions.
pub(super) struct Replay {
    pub block: std::sync::Arc<crate::storage::BlockRecord>,
    pub input: BlockInput,
    pub txs: Vec<alloy::consensus::TxEnvelope>,
}

impl Replay {
    /// Block `number` (not genesis, which has no parent to replay on).
    pub(super) fn load(api: &EthApi, number: u64) -> RpcResult<Self> {
        let block = api
            .domain
            .block(number)?
            .ok_or_else(|| RpcError::Server(format!("block #{number} not found")))?;
        let input = BlockInput::from_header(&block.header);
        let txs = block.txs.iter().map(convert::decode_tx).collect::<RpcResult<_>>()?;
        Ok(Self { block, input, txs })
    }
}

/// Where transaction `i` of `block` sits, for traces that carry it.
pub(super) fn tx_info(block: &crate::storage::BlockRecord, i: usize) -> TransactionInfo {
    TransactionInfo {
        hash: block.tx_hashes.get(i).copied(),
        index: Some(i as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        base_fee: block.header.base_fee_per_gas,
        block_timestamp: Some(block.header.timestamp),
    }
}

/// Replays block `number` on its parent state; traces transaction `only` or all of them.
pub(super) fn trace_block(
    api: &EthApi,
    number: u64,
    only: Option<usize>,
    opts: &GethDebugTracingOptions,
) -> RpcResult<Vec<TraceResult>> {
    if number == 0 {
        return Ok(vec![]);
    }
    let Replay { block, input, txs } = Replay::load(api, number)?;
    let chain_id = api.domain.chain_id();
    let call_config = match &opts.tracer {
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {
            Some(call_config(opts)?)
        }
        _ => None,
    };
    api.domain
        .with_state(Some(number - 1), |reader, _| -> RpcResult<Vec<TraceResult>> {
            let mut overlay = Overlay::new(reader);
            if let (None, Some(config)) = (only, call_config) {
                let envs = txs.iter().zip(&block.txs).map(|(tx, stored)| tx_env(tx, stored.sender));
                let envs = envs.zip(block.tx_hashes.iter().copied());
                return call_traces(&mut overlay, chain_id, &input, envs, config);
            }
            let mut out = Vec::new();
            for (i, (tx, stored)) in txs.iter().zip(&block.txs).enumerate() {
                let env = tx_env(tx, stored.sender);
                let hash = block.tx_hashes[i];
                let info = tx_info(&block, i);
                match only {
                    Some(j) if j == i => {
                        let trace =
                            trace_one(&mut overlay, chain_id, &input, env, opts, false, info)?;
                        return Ok(vec![TraceResult::Success {
                            result: trace,
                            tx_hash: Some(hash),
                        }]);
                    }
                    Some(_) => {
                        let mut evm = Context::mainnet()
                            .with_db(&mut overlay)
                            .with_cfg(executor::tx_cfg(chain_id, &env, &input))
                            .with_block(input.env())
                            .build_mainnet();
                        evm.transact_commit(env).map_err(evm_error)?;
                    }
                    None => {
                        let trace =
                            trace_one(&mut overlay, chain_id, &input, env, opts, false, info)?;
                        out.push(TraceResult::Success { result: trace, tx_hash: Some(hash) });
                    }
                }
            }
            Ok(out)
        })?
        .ok_or_else(RpcError::header_not_found)?
}

/// The access list a call touches and the gas it uses with that list.
pub fn access_list<R: StateReader>(
    overlay: &mut Overlay<R>,
    chain_id: u64,
    block: &BlockInput,
    mut tx: TxEnv,
    no_base_fee: bool,
    deadline: executor::Deadline,
) -> RpcResult<AccessListResult> {
    let mut config = cfg(chain_id);
    config.disable_nonce_check = true;
    config.disable_base_fee = no_base_fee;
    config.disable_block_gas_limit = true;
    let mut insp = AccessListInspector::new(tx.access_list.clone());
    let mut guard = executor::DeadlineGuard::new(deadline);
    let result = {
        let mut evm = Context::mainnet()
            .with_db(&mut *overlay)
            .with_cfg(config)
            .with_block(block.env())
            .build_mainnet_with_inspector((&mut insp, &mut guard));
        evm.inspect_tx(tx.clone()).map_err(evm_error)?.result
    };
    if guard.expired() {
        return Err(executor::CallError::Timeout(deadline.budget).into());
    }
    let access_list = insp.into_access_list();
    tx.access_list = access_list.clone();
    if tx.tx_type == 0 {
        tx.tx_type = 1;
    }
    let with_list = executor::call(overlay, chain_id, block, tx, no_base_fee, deadline)?;
    let error = match (&result, &with_list) {
        (ExecutionResult::Revert { output, .. }, _) => {
            Some(match executor::revert_reason(output) {
                Some(r) => format!("execution reverted: {r}"),
                None => "execution reverted".to_string(),
            })
        }
        (ExecutionResult::Halt { reason, .. }, _) => Some(halt_message(reason)),
        _ => None,
    };
    Ok(AccessListResult { access_list, gas_used: U256::from(with_list.tx_gas_used()), error })
}

fn opts_from(v: Option<GethDebugTracingOptions>) -> GethDebugTracingOptions {
    v.unwrap_or_default()
}

/// Registers the `debug_` namespace.
pub fn register(m: &mut RpcModule<EthApi>) {
    let reg = |m: &mut RpcModule<EthApi>,
               name: &'static str,
               f: fn(&EthApi, jsonrpsee::types::Params) -> RpcResult<Reply>| {
        m.register_blocking_method(name, move |p, api, _| -> Result<Reply, ErrorObjectOwned> {
            finish(f(&api, p))
        })
        .expect("unique method");
    };
    reg(m, "debug_traceTransaction", |api, p| {
        let mut a = Args::new(&p);
        let hash: B256 = a.next()?;
        let opts = opts_from(a.opt()?);
        let (number, index) = api
            .domain
            .tx_location(&hash)?
            .ok_or_else(|| RpcError::Server(format!("transaction {hash} not found")))?;
        let mut traces = trace_block(api, number, Some(index as usize), &opts)?;
        match traces.pop() {
            Some(TraceResult::Success { result, .. }) => to_value(result),
            _ => Err(RpcError::Internal("trace missing".into())),
        }
    });
    reg(m, "debug_traceBlockByNumber", |api, p| {
        let mut a = Args::new(&p);
        let tag: BlockNumberOrTag = a.next()?;
        let opts = opts_from(a.opt()?);
        let number = api
            .resolve(BlockId::Number(tag))?
            .ok_or_else(|| RpcError::Server(format!("block #{tag} not found")))?;
        to_value(trace_block(api, number, None, &opts)?)
    });
    reg(m, "debug_traceBlockByHash", |api, p| {
        let mut a = Args::new(&p);
        let hash: B256 = a.next()?;
        let opts = opts_from(a.opt()?);
        let number = api
            .domain
            .block_number(&hash)?
            .ok_or_else(|| RpcError::Server(format!("block {hash} not found")))?;
        to_value(trace_block(api, number, None, &opts)?)
    });
    reg(m, "debug_traceCall", |api, p| {
        let mut a = Args::new(&p);
        let req: TransactionRequest = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        let opts: GethDebugTracingCallOptions = a.opt()?.unwrap_or_default();
        let number = api
            .resolve(block.unwrap_or(BlockId::latest()))?
            .ok_or_else(RpcError::header_not_found)?;
        let chain_id = api.domain.chain_id();
        let trace = api
            .domain
            .with_state(Some(number), |reader, header| -> RpcResult<GethTrace> {
                // Every block override a call takes (number, time, gas limit, coinbase,
                // randomness, base fee), as for `eth_call`.
                let input = api.call_block(header, opts.block_overrides.as_ref());
                let (tx, _) = api.call_tx(&req, api.config.gas_cap)?;
                let mut overlay = Overlay::new(reader);
                EthApi::apply_overrides(&mut overlay, opts.state_overrides.as_ref())?;
                let info = TransactionInfo::default();
                trace_one(&mut overlay, chain_id, &input, tx, &opts.tracing_options, true, info)
            })?
            .ok_or_else(RpcError::header_not_found)??;
        to_value(trace)
    });
}

fn to_value<T: serde::Serialize>(v: T) -> RpcResult<Reply> {
    Ok(Reply::Raw(to_raw(&v)?))
}
