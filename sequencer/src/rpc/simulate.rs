//! `eth_simulateV1`: calls run in a chain of simulated blocks on top of a past block, as geth's
//! `internal/ethapi/simulate.go` does. Each block may override its header fields and the state;
//! every call sees the writes of the calls before it. Nothing is kept: the blocks live in an
//! overlay on a store snapshot, so the chain lock is never held while they execute.

use std::cell::RefCell;

use alloy::{
    consensus::{
        Eip658Value, Header, Receipt, ReceiptEnvelope, SignableTransaction, TxEip1559, TxEip7702,
        TxEnvelope,
        proofs::{calculate_receipt_root, calculate_transaction_root},
    },
    eips::BlockId,
    rpc::types::{
        Block, BlockOverrides, BlockTransactions, Log as RpcLog, TransactionRequest,
        simulate::{SimBlock, SimCallResult, SimulateError, SimulatePayload, SimulatedBlock},
        state::StateOverride,
    },
};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, LogData, Signature, TxKind, U256, b256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use revm::{
    Context, InspectCommitEvm, Inspector, MainContext,
    context::{Cfg, ContextTr, Evm, TxEnv},
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction},
    handler::{EthFrame, EthPrecompiles, PrecompileProvider, instructions::EthInstructions},
    interpreter::{
        CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, InterpreterResult,
        InterpreterTypes,
    },
    primitives::AddressSet,
};
use tracing::debug;

use super::{
    convert,
    error::RpcError,
    eth::{Args, EthApi, Reply, to_raw},
};
use crate::{
    domain::{next_base_fee, post_merge_header},
    executor::{self, BlockInput, Deadline, DeadlineGuard, halt_message, revert_reason},
    state::{Account, Overlay, StateReadError, StateReader},
};

/// Most blocks one request may simulate, gaps included (the reach of BLOCKHASH, as geth).
pub const MAX_SIMULATE_BLOCKS: u64 = 256;

/// Seconds between simulated blocks whose time is not given. The spec says one; geth uses
/// 12, Ethereum's slot. One is also this chain's default block time.
const TIMESTAMP_INCREMENT: u64 = 1;

/// ERC-7528's address for the native currency: the emitter of `traceTransfers` logs.
pub const TRANSFER_ADDRESS: Address = Address::new([0xee; 20]);

/// `keccak256("Transfer(address,address,uint256)")`, the ERC-20 event ETH transfers mimic.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// Why a simulation was refused as a whole, with geth's error codes.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A failure shared with the other methods (unknown block, bad parameters, state reads).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// -32602: no blocks to simulate.
    #[error("empty input")]
    EmptyInput,
    /// -38026: more blocks than [`MAX_SIMULATE_BLOCKS`].
    #[error("too many blocks")]
    TooManyBlocks,
    /// -38020: block numbers must increase.
    #[error("block numbers must be in order: {number} <= {previous}")]
    BlockNumberOrder { number: u64, previous: u64 },
    /// -38021: timestamps must increase.
    #[error("block timestamps must be in order: {time} <= {previous}")]
    BlockTimestampOrder { time: u64, previous: u64 },
    /// -38015: the calls of a block ask for more gas than its limit.
    #[error("block gas limit reached: {used} + {wanted} > {limit}")]
    BlockGasLimit { used: u64, wanted: u64, limit: u64 },
    /// -38022: `movePrecompileToAddress` names the precompile's own address.
    #[error("account {0} is moved to itself")]
    MovedToItself(Address),
    /// -38023: two precompiles moved to one address.
    #[error("multiple precompiles moved to {0}")]
    MovedToSameAddress(Address),
    /// A call that could not be included: geth's transaction-validation codes.
    #[error("{message}")]
    InvalidCall { code: i32, message: String },
    /// -32016: the simulation ran past the node's EVM timeout.
    #[error("execution aborted (timeout = {}s)", .0.as_secs_f64())]
    Timeout(std::time::Duration),
}

impl From<StateReadError> for SimError {
    fn from(e: StateReadError) -> Self {
        Self::Rpc(e.into())
    }
}

impl From<SimError> for ErrorObjectOwned {
    fn from(e: SimError) -> Self {
        if let SimError::Rpc(inner) = e {
            return inner.into();
        }
        let code = match &e {
            SimError::Rpc(_) | SimError::EmptyInput => -32602,
            SimError::MovedToItself(_) => -38022,
            SimError::MovedToSameAddress(_) => -38023,
            SimError::TooManyBlocks => -38026,
            SimError::BlockNumberOrder { .. } => -38020,
            SimError::BlockTimestampOrder { .. } => -38021,
            SimError::BlockGasLimit { .. } => -38015,
            SimError::InvalidCall { code, .. } => *code,
            SimError::Timeout(_) => -32016,
        };
        ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
    }
}

/// A transaction revm refused, as geth's `txValidationError` reports it.
fn invalid_call(e: &InvalidTransaction, caller: Address) -> SimError {
    let (code, message) = match e {
        InvalidTransaction::NonceTooLow { tx, state } => {
            (-38010, format!("nonce too low: address {caller}, tx: {tx} state: {state}"))
        }
        InvalidTransaction::NonceTooHigh { tx, state } => {
            (-38011, format!("nonce too high: address {caller}, tx: {tx} state: {state}"))
        }
        // The spec's code; geth answers -32602 here.
        InvalidTransaction::GasPriceLessThanBasefee => (-38012, executor::invalid_message(e)),
        InvalidTransaction::CallGasCostMoreThanGasLimit { .. }
        | InvalidTransaction::GasFloorMoreThanGasLimit { .. } => {
            (-38013, executor::invalid_message(e))
        }
        InvalidTransaction::LackOfFundForMaxFee { .. } => (-38014, executor::invalid_message(e)),
        InvalidTransaction::CallerGasLimitMoreThanBlock => (-38015, executor::invalid_message(e)),
        InvalidTransaction::RejectCallerWithCode => (-38024, "sender not an eoa".to_string()),
        InvalidTransaction::CreateInitCodeSizeLimit => {
            (-38025, "max initcode size exceeded".to_string())
        }
        other => (-32602, executor::invalid_message(other)),
    };
    SimError::InvalidCall { code, message }
}

/// The base state with the simulated blocks' hashes on top, for BLOCKHASH: numbers above the
/// base block are the simulated ones, not whatever the chain has there now.
struct SimReader<'a> {
    base: &'a dyn StateReader,
    base_number: u64,
    /// Hash of block `base_number + 1 + i` at index `i`.
    simulated: RefCell<Vec<B256>>,
}

impl StateReader for SimReader<'_> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        self.base.account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError> {
        self.base.storage(address, slot)
    }
    fn code(&self, hash: &B256) -> Result<Option<revm::bytecode::Bytecode>, StateReadError> {
        self.base.code(hash)
    }
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        match number.checked_sub(self.base_number + 1) {
            Some(i) => Ok(usize::try_from(i)
                .ok()
                .and_then(|i| self.simulated.borrow().get(i).copied())
                .unwrap_or_default()),
            None => self.base.block_hash(number),
        }
    }
}

/// The precompiles of one simulated block with `movePrecompileToAddress` applied: the
/// destination runs the precompile and the source becomes an ordinary account (with the code
/// a `code` override gives it). Moves hold for their block only, as in geth.
#[derive(Debug, Clone)]
struct MovedPrecompiles {
    inner: EthPrecompiles,
    /// (source, destination) pairs.
    moves: Vec<(Address, Address)>,
    /// The warm set of EIP-2929: the precompiles at their new addresses.
    warm: AddressSet,
}

impl MovedPrecompiles {
    fn new(moves: Vec<(Address, Address)>) -> Self {
        let inner = EthPrecompiles::new(executor::SPEC);
        let warm = Self::warm_set(&inner, &moves);
        Self { inner, moves, warm }
    }

    fn warm_set(inner: &EthPrecompiles, moves: &[(Address, Address)]) -> AddressSet {
        let mut warm = inner.warm_addresses().clone();
        for (from, _) in moves {
            warm.remove(from);
        }
        warm.extend(moves.iter().map(|(_, to)| *to));
        warm
    }

    /// Checks the moves a block's state overrides ask for, as geth does: each source must be
    /// a precompile, not moved to itself, and each destination used once and not overridden.
    fn from_overrides(state: Option<&StateOverride>) -> Result<Self, SimError> {
        let mut moves: Vec<(Address, Address)> = Vec::new();
        let precompiles = EthPrecompiles::new(executor::SPEC);
        for (from, o) in state.into_iter().flatten() {
            let Some(to) = o.move_precompile_to else { continue };
            if !precompiles.contains(from) {
                return Err(RpcError::Server(format!("account {from} is not a precompile")).into());
            }
            if to == *from {
                return Err(SimError::MovedToItself(to));
            }
            if moves.iter().any(|(_, t)| *t == to) {
                return Err(SimError::MovedToSameAddress(to));
            }
            if state.is_some_and(|s| s.contains_key(&to)) {
                return Err(RpcError::Server(format!("account {to} is already overridden")).into());
            }
            moves.push((*from, to));
        }
        Ok(Self::new(moves))
    }
}

impl<CTX: ContextTr> PrecompileProvider<CTX> for MovedPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.inner, spec);
        if changed {
            self.warm = Self::warm_set(&self.inner, &self.moves);
        }
        changed
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        let at = inputs.bytecode_address;
        if self.moves.iter().any(|(from, _)| *from == at) {
            return Ok(None);
        }
        match self.moves.iter().find(|(_, to)| *to == at) {
            Some((from, _)) => {
                let mut moved = inputs.clone();
                moved.bytecode_address = *from;
                self.inner.run(context, &moved)
            }
            None => self.inner.run(context, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

/// Open call frame of [`LogCollector`].
#[derive(Default)]
struct Frame {
    logs: Vec<Log>,
    /// A creation's value transfer, logged once its address is known.
    create_transfer: Option<(Address, U256)>,
}

/// geth's simulate tracer: the logs a call emits, dropping those of frames that failed, and
/// with `traceTransfers` every value transfer as an ERC-20 `Transfer` log from
/// [`TRANSFER_ADDRESS`] in execution order (CALL and CREATE values and self-destruct balances;
/// not DELEGATECALL and CALLCODE, which move nothing).
#[derive(Default)]
struct LogCollector {
    trace_transfers: bool,
    frames: Vec<Frame>,
    /// Logs of the finished transaction.
    logs: Vec<Log>,
}

impl LogCollector {
    fn transfer(from: Address, to: Address, value: U256) -> Log {
        Log {
            address: TRANSFER_ADDRESS,
            data: LogData::new_unchecked(
                vec![TRANSFER_TOPIC, from.into_word(), to.into_word()],
                Bytes::copy_from_slice(&value.to_be_bytes::<32>()),
            ),
        }
    }

    fn enter(&mut self, first: Option<Log>) {
        self.frames.push(Frame { logs: first.into_iter().collect(), create_transfer: None });
    }

    fn exit(&mut self, ok: bool, created: Option<Address>) {
        let Some(mut frame) = self.frames.pop() else { return };
        if let (Some((from, value)), Some(to)) = (frame.create_transfer, created) {
            frame.logs.insert(0, Self::transfer(from, to, value));
        }
        if !ok {
            return;
        }
        match self.frames.last_mut() {
            Some(parent) => parent.logs.append(&mut frame.logs),
            None => self.logs = frame.logs,
        }
    }

    /// Takes the finished transaction's logs and resets for the next one.
    fn take(&mut self) -> Vec<Log> {
        self.frames.clear();
        std::mem::take(&mut self.logs)
    }
}

impl<CTX, INTR: InterpreterTypes> Inspector<CTX, INTR> for LogCollector {
    fn log(&mut self, _: &mut CTX, log: Log) {
        match self.frames.last_mut() {
            Some(frame) => frame.logs.push(log),
            None => self.logs.push(log),
        }
    }

    fn call(&mut self, _: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let moves = matches!(inputs.scheme, CallScheme::Call) && inputs.transfers_value();
        let first = (self.trace_transfers && moves)
            .then(|| Self::transfer(inputs.caller, inputs.target_address, inputs.call_value()));
        self.enter(first);
        None
    }

    fn call_end(&mut self, _: &mut CTX, _: &CallInputs, outcome: &mut CallOutcome) {
        self.exit(outcome.result.is_ok(), None);
    }

    fn create(&mut self, _: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.enter(None);
        if self.trace_transfers
            && !inputs.value().is_zero()
            && let Some(frame) = self.frames.last_mut()
        {
            frame.create_transfer = Some((inputs.caller(), inputs.value()));
        }
        None
    }

    fn create_end(&mut self, _: &mut CTX, _: &CreateInputs, outcome: &mut CreateOutcome) {
        self.exit(outcome.result.is_ok(), outcome.address);
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        if self.trace_transfers && !value.is_zero() {
            let log = Self::transfer(contract, target, value);
            match self.frames.last_mut() {
                Some(frame) => frame.logs.push(log),
                None => self.logs.push(log),
            }
        }
    }
}

/// A block to simulate after [`sanitize`]: number and time settled, gaps filled.
struct Planned {
    overrides: BlockOverrides,
    number: u64,
    time: u64,
    state: Option<StateOverride>,
    calls: Vec<TransactionRequest>,
}

/// geth's `sanitizeChain`: numbers default to the previous plus one and must increase, a
/// skipped range is filled with empty blocks, times default to the previous plus
/// [`TIMESTAMP_INCREMENT`] and must increase; at most [`MAX_SIMULATE_BLOCKS`] past the base.
fn sanitize(blocks: Vec<SimBlock>, base: &Header) -> Result<Vec<Planned>, SimError> {
    let (mut previous, mut previous_time) = (base.number, base.timestamp);
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let overrides = block.block_overrides.unwrap_or_default();
        let number = match overrides.number {
            Some(n) => u64::try_from(n).map_err(|_| SimError::TooManyBlocks)?,
            None => previous.saturating_add(1),
        };
        if number <= previous {
            return Err(SimError::BlockNumberOrder { number, previous });
        }
        if number - base.number > MAX_SIMULATE_BLOCKS {
            return Err(SimError::TooManyBlocks);
        }
        for gap in previous + 1..number {
            previous_time = previous_time.saturating_add(TIMESTAMP_INCREMENT);
            out.push(Planned {
                overrides: BlockOverrides::default(),
                number: gap,
                time: previous_time,
                state: None,
                calls: vec![],
            });
        }
        let time = match overrides.time {
            Some(t) if t <= previous_time => {
                return Err(SimError::BlockTimestampOrder { time: t, previous: previous_time });
            }
            Some(t) => t,
            None => previous_time.saturating_add(TIMESTAMP_INCREMENT),
        };
        (previous, previous_time) = (number, time);
        out.push(Planned {
            overrides,
            number,
            time,
            state: block.state_overrides,
            calls: block.calls,
        });
    }
    Ok(out)
}

/// The request's options that hold for every block.
struct Options {
    validation: bool,
    trace_transfers: bool,
    full_transactions: bool,
    deadline: Deadline,
}

/// One executed call, before its block's hash is known.
struct Executed {
    result: ExecutionResult,
    logs: Vec<Log>,
    tx: TxEnvelope,
    sender: Address,
}

/// The simulation's running state: the overlay every block writes to and the gas the RPC
/// gas cap still allows (geth's gas pool: the cap holds for the whole request).
struct Simulator<'a, 'r> {
    api: &'a EthApi,
    overlay: Overlay<&'r SimReader<'r>>,
    options: Options,
    gas_pool: u64,
}

impl Simulator<'_, '_> {
    /// Runs one block on `parent`; returns its header and executed calls.
    fn block(
        &mut self,
        planned: Planned,
        parent: &Header,
        parent_hash: B256,
    ) -> Result<(Header, Vec<Executed>), SimError> {
        let o = &planned.overrides;
        let base_fee = match o.base_fee {
            Some(f) => u64::try_from(f)
                .map_err(|_| RpcError::InvalidParams("baseFeePerGas too large".into()))?,
            // Without validation the base fee is zero unless given (geth: a call without a
            // fee would otherwise fail on it).
            None if self.options.validation => next_base_fee(parent),
            None => 0,
        };
        let input = BlockInput {
            number: planned.number,
            timestamp: planned.time,
            beneficiary: o.coinbase.unwrap_or(parent.beneficiary),
            gas_limit: o.gas_limit.unwrap_or(parent.gas_limit),
            base_fee,
            prevrandao: o.random.unwrap_or_default(),
        };
        // Moves first, then the overrides, which may give a moved precompile's old address
        // code of its own.
        let precompiles = MovedPrecompiles::from_overrides(planned.state.as_ref())?;
        EthApi::apply_overrides(&mut self.overlay, planned.state.as_ref())?;
        let mut gas_used = 0u64;
        let mut executed = Vec::with_capacity(planned.calls.len());
        for mut req in planned.calls {
            let from = req.from.unwrap_or_default();
            req.from = Some(from);
            if req.nonce.is_none() {
                req.nonce = Some(self.overlay.account(&from)?.map(|a| a.nonce).unwrap_or(0));
            }
            let remaining = input.gas_limit.saturating_sub(gas_used);
            let wanted = req.gas.unwrap_or(remaining);
            if wanted > remaining {
                return Err(SimError::BlockGasLimit {
                    used: gas_used,
                    wanted,
                    limit: input.gas_limit,
                });
            }
            let (mut tx, _) = self.api.call_tx(&req, remaining)?;
            tx.gas_limit = tx.gas_limit.min(self.gas_pool);
            let e = self.call(&input, &precompiles, tx, from)?;
            let used = e.result.tx_gas_used();
            self.gas_pool = self.gas_pool.saturating_sub(used);
            gas_used += used;
            executed.push(e);
        }
        let mut receipts = Vec::with_capacity(executed.len());
        let mut cumulative = 0;
        for e in &executed {
            cumulative += e.result.tx_gas_used();
            let receipt = Receipt {
                status: Eip658Value::Eip658(e.result.is_success()),
                cumulative_gas_used: cumulative,
                logs: e.result.logs().to_vec(),
            };
            receipts.push(ReceiptEnvelope::from_typed(e.tx.tx_type(), receipt.with_bloom()));
        }
        let mut logs_bloom = Bloom::ZERO;
        for r in &receipts {
            logs_bloom.accrue_bloom(r.logs_bloom());
        }
        let envelopes: Vec<TxEnvelope> = executed.iter().map(|e| e.tx.clone()).collect();
        let header = Header {
            parent_hash,
            beneficiary: input.beneficiary,
            // The simulated state is not merkleized (the trie is kept for the head only): the
            // root is the base block's, as if nothing had changed.
            state_root: parent.state_root,
            transactions_root: calculate_transaction_root(&envelopes),
            receipts_root: calculate_receipt_root(&receipts),
            logs_bloom,
            number: input.number,
            gas_limit: input.gas_limit,
            gas_used,
            timestamp: input.timestamp,
            mix_hash: input.prevrandao,
            base_fee_per_gas: Some(input.base_fee),
            // The post-merge fields every block of the chain has.
            ..post_merge_header()
        };
        Ok((header, executed))
    }

    /// Executes one call and commits its writes to the overlay.
    fn call(
        &mut self,
        input: &BlockInput,
        precompiles: &MovedPrecompiles,
        tx: TxEnv,
        sender: Address,
    ) -> Result<Executed, SimError> {
        let chain_id = self.api.domain.chain_id();
        let mut cfg = executor::cfg(chain_id);
        // Without validation, a call is checked as `eth_call` checks it; geth skips the
        // sender-has-code rule in both modes.
        cfg.disable_nonce_check = !self.options.validation;
        cfg.disable_base_fee = !self.options.validation;
        cfg.disable_eip3607 = true;
        cfg.tx_chain_id_check = false;
        // The block's gas is counted here, against the simulated block's limit.
        cfg.disable_block_gas_limit = true;
        let deadline = self.options.deadline;
        let mut guard = DeadlineGuard::new(deadline);
        if guard.expired() {
            return Err(SimError::Timeout(deadline.budget));
        }
        let mut collector =
            LogCollector { trace_transfers: self.options.trace_transfers, ..Default::default() };
        let envelope = simulated_tx(&tx);
        let caller = tx.caller;
        let result = {
            let context =
                Context::mainnet().with_db(&mut self.overlay).with_cfg(cfg).with_block(input.env());
            let mut evm: Evm<_, _, _, _, EthFrame> = Evm::new_with_inspector(
                context,
                (&mut collector, &mut guard),
                EthInstructions::new_mainnet_with_spec(executor::SPEC),
                precompiles.clone(),
            );
            evm.inspect_tx_commit(tx)
        };
        if guard.expired() {
            return Err(SimError::Timeout(deadline.budget));
        }
        let result = match result {
            Ok(r) => r,
            Err(EVMError::Transaction(e)) => return Err(invalid_call(&e, caller)),
            Err(EVMError::Database(e)) => return Err(e.into()),
            Err(e) => return Err(RpcError::Internal(e.to_string()).into()),
        };
        Ok(Executed { logs: collector.take(), result, tx: envelope, sender })
    }
}

/// The transaction a call stands for in its simulated block: EIP-1559 (EIP-7702 with an
/// authorization list) with an empty signature, as geth builds them.
fn simulated_tx(tx: &TxEnv) -> TxEnvelope {
    let signature = Signature::new(U256::ZERO, U256::ZERO, false);
    let authorizations: Vec<_> =
        tx.authorization_list.iter().filter_map(|a| a.as_ref().left().cloned()).collect();
    match (tx.kind, authorizations.is_empty()) {
        (TxKind::Call(to), false) => TxEip7702 {
            chain_id: tx.chain_id.unwrap_or_default(),
            nonce: tx.nonce,
            gas_limit: tx.gas_limit,
            max_fee_per_gas: tx.gas_price,
            max_priority_fee_per_gas: tx.gas_priority_fee.unwrap_or(tx.gas_price),
            to,
            value: tx.value,
            access_list: tx.access_list.clone(),
            authorization_list: authorizations,
            input: tx.data.clone(),
        }
        .into_signed(signature)
        .into(),
        _ => TxEip1559 {
            chain_id: tx.chain_id.unwrap_or_default(),
            nonce: tx.nonce,
            gas_limit: tx.gas_limit,
            max_fee_per_gas: tx.gas_price,
            max_priority_fee_per_gas: tx.gas_priority_fee.unwrap_or(tx.gas_price),
            to: tx.kind,
            value: tx.value,
            access_list: tx.access_list.clone(),
            input: tx.data.clone(),
        }
        .into_signed(signature)
        .into(),
    }
}

/// The call's result object: logs placed in the block, geth's error codes on failure (3 with
/// the revert data for a revert, -32015 for any other halt).
fn call_result(e: Executed, position: convert::TxPosition, log_index: &mut u64) -> SimCallResult {
    let logs = e
        .logs
        .into_iter()
        .map(|inner| {
            let log = RpcLog {
                inner,
                block_hash: Some(position.block_hash),
                block_number: Some(position.block_number),
                block_timestamp: Some(position.timestamp),
                transaction_hash: Some(*e.tx.tx_hash()),
                transaction_index: Some(position.index),
                log_index: Some(*log_index),
                removed: false,
            };
            *log_index += 1;
            log
        })
        .collect();
    let error = match &e.result {
        ExecutionResult::Success { .. } => None,
        ExecutionResult::Revert { output, .. } => Some(SimulateError {
            code: 3,
            message: match revert_reason(output) {
                Some(reason) => format!("execution reverted: {reason}"),
                None => "execution reverted".to_string(),
            },
            data: Some(output.clone()),
        }),
        ExecutionResult::Halt { reason, .. } => {
            Some(SimulateError { code: -32015, message: halt_message(reason), data: None })
        }
    };
    let return_data = match &e.result {
        ExecutionResult::Success { output, .. } => output.data().clone(),
        _ => Bytes::new(),
    };
    SimCallResult {
        return_data,
        logs,
        gas_used: e.result.tx_gas_used(),
        max_used_gas: Some(e.result.gas().total_gas_spent()),
        status: e.result.is_success(),
        error,
    }
}

/// The simulated block in `eth_getBlockByNumber`'s shape, with its call results.
fn simulated_block(
    header: Header,
    executed: Vec<Executed>,
    full: bool,
) -> (B256, SimulatedBlock<Block>) {
    let hash = header.hash_slow();
    let envelopes: Vec<TxEnvelope> = executed.iter().map(|e| e.tx.clone()).collect();
    let size = convert::block_size(&header, &envelopes);
    let position = |i: usize| convert::TxPosition {
        block_hash: hash,
        block_number: header.number,
        timestamp: header.timestamp,
        index: i as u64,
        base_fee: header.base_fee_per_gas,
    };
    let transactions = if full {
        BlockTransactions::Full(
            envelopes
                .into_iter()
                .zip(&executed)
                .enumerate()
                .map(|(i, (tx, e))| convert::rpc_tx(tx, e.sender, Some(position(i))))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(envelopes.iter().map(|t| *t.tx_hash()).collect())
    };
    let mut log_index = 0;
    let calls = executed
        .into_iter()
        .enumerate()
        .map(|(i, e)| call_result(e, position(i), &mut log_index))
        .collect();
    let inner = Block {
        header: convert::rpc_header(&header, hash, Some(size)),
        uncles: vec![],
        transactions,
        withdrawals: Some(Default::default()),
    };
    (hash, SimulatedBlock { inner, calls })
}

/// `eth_simulateV1` on `api`'s domain.
pub(super) fn simulate(
    api: &EthApi,
    payload: SimulatePayload,
    block: Option<BlockId>,
) -> Result<Vec<SimulatedBlock<Block>>, SimError> {
    if payload.block_state_calls.is_empty() {
        return Err(SimError::EmptyInput);
    }
    if payload.block_state_calls.len() as u64 > MAX_SIMULATE_BLOCKS {
        return Err(SimError::TooManyBlocks);
    }
    let started = std::time::Instant::now();
    let options = Options {
        validation: payload.validation,
        trace_transfers: payload.trace_transfers,
        full_transactions: payload.return_full_transactions,
        deadline: api.deadline(),
    };
    let number =
        api.resolve(block.unwrap_or(BlockId::latest()))?.ok_or_else(RpcError::header_not_found)?;
    let out = api
        .domain
        .with_state(Some(number), |reader, base| -> Result<_, SimError> {
            let planned = sanitize(payload.block_state_calls, base)?;
            let reader =
                SimReader { base: reader, base_number: base.number, simulated: RefCell::default() };
            let full = options.full_transactions;
            let mut sim = Simulator {
                api,
                overlay: Overlay::new(&reader),
                options,
                gas_pool: api.config.gas_cap,
            };
            let (mut parent, mut parent_hash) = (base.clone(), base.hash_slow());
            let mut out = Vec::with_capacity(planned.len());
            for p in planned {
                let (header, executed) = sim.block(p, &parent, parent_hash)?;
                let (hash, block) = simulated_block(header.clone(), executed, full);
                reader.simulated.borrow_mut().push(hash);
                (parent, parent_hash) = (header, hash);
                out.push(block);
            }
            Ok(out)
        })
        .map_err(RpcError::from)?
        .ok_or_else(RpcError::header_not_found)??;
    debug!(
        base = number,
        blocks = out.len(),
        calls = out.iter().map(|b| b.calls.len()).sum::<usize>(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "simulated"
    );
    Ok(out)
}

/// Registers `eth_simulateV1` (on the blocking pool: it executes EVM code).
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_blocking_method(
        "eth_simulateV1",
        |params, api, _| -> Result<Reply, ErrorObjectOwned> {
            let mut a = Args::new(&params);
            let payload: SimulatePayload = a.next()?;
            let block: Option<BlockId> = a.opt()?;
            let blocks = simulate(&api, payload, block)?;
            Ok(Reply::Raw(to_raw(&blocks)?))
        },
    )
    .expect("unique method");
}
