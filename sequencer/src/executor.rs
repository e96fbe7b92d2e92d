//! Transaction execution with revm under Prague rules: blocks, calls, gas estimation.

use alloy::consensus::{Eip658Value, Receipt, ReceiptEnvelope, Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use std::time::Instant;

use revm::{
    Context, ExecuteCommitEvm, InspectEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    context_interface::{
        cfg::gas::calculate_initial_tx_gas_for_tx,
        result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction, Output},
    },
    primitives::hardfork::SpecId,
};

use crate::state::{Overlay, StateChanges, StateReadError, StateReader};

/// The hardfork every domain runs.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// The block-level inputs of execution.
#[derive(Debug, Clone)]
pub struct BlockInput {
    /// Block number.
    pub number: u64,
    /// Timestamp (seconds).
    pub timestamp: u64,
    /// Fee recipient (the producer).
    pub beneficiary: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// EIP-1559 base fee.
    pub base_fee: u64,
    /// `mixHash` / PREVRANDAO.
    pub prevrandao: B256,
}

impl BlockInput {
    /// The inputs a mined block was executed with (for replays and calls at that block).
    pub fn from_header(header: &alloy::consensus::Header) -> Self {
        Self {
            number: header.number,
            timestamp: header.timestamp,
            beneficiary: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            prevrandao: header.mix_hash,
        }
    }

    /// revm's block environment.
    pub fn env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
            ..Default::default()
        }
    }
}

/// The configuration of a domain's EVM.
pub fn cfg(chain_id: u64) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain_id;
    cfg
}

/// Whether `tx` is a system transaction of `block`: sent by the block's producer (its
/// beneficiary) at gas price zero. System transactions credit what L1 locked (see
/// [`crate::system`]); they pay no fee, so they run without the base-fee rule. The producer's
/// account sends nothing else (the block builder leaves its pool transactions out).
pub fn is_system(tx: &TxEnv, block: &BlockInput) -> bool {
    tx.caller == block.beneficiary && tx.gas_price == 0
}

/// The configuration `tx` runs with in `block`: [`cfg`], without the base-fee rule for a
/// system transaction. Block execution and every replay (traces) use it, so both agree.
pub fn tx_cfg(chain_id: u64, tx: &TxEnv, block: &BlockInput) -> CfgEnv {
    let mut cfg = cfg(chain_id);
    cfg.disable_base_fee = is_system(tx, block);
    cfg
}

/// revm's view of a signed transaction.
pub fn tx_env(tx: &TxEnvelope, sender: Address) -> TxEnv {
    let (gas_price, priority) = match tx {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) => (tx.max_fee_per_gas(), None),
        _ => (tx.max_fee_per_gas(), tx.max_priority_fee_per_gas()),
    };
    TxEnv {
        tx_type: tx.tx_type() as u8,
        caller: sender,
        gas_limit: tx.gas_limit(),
        gas_price,
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: priority,
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list: tx
            .authorization_list()
            .map(|l| l.iter().cloned().map(revm::context::either::Either::Left).collect::<Vec<_>>())
            .unwrap_or_default(),
    }
}

/// The intrinsic gas a transaction needs (including the EIP-7623 calldata floor).
pub fn intrinsic_gas(tx: &TxEnv) -> u64 {
    let g = calculate_initial_tx_gas_for_tx(tx, SPEC, None);
    (g.initial_regular_gas + g.initial_state_gas).max(g.floor_gas)
}

/// A transaction executed in a block.
#[derive(Debug, Clone)]
pub struct ExecutedTx {
    /// Its consensus receipt.
    pub receipt: ReceiptEnvelope,
    /// Gas it used.
    pub gas_used: u64,
}

/// A block's execution: receipts of the included transactions, the rejected ones, the writes.
#[derive(Debug, Default)]
pub struct BlockExecution {
    /// Indices (into the input) of the included transactions, with their results.
    pub included: Vec<(usize, ExecutedTx)>,
    /// Indices of transactions that were invalid against the state (dropped from the pool).
    pub invalid: Vec<(usize, String)>,
    /// All state writes.
    pub changes: StateChanges,
    /// Total gas used.
    pub gas_used: u64,
}

/// Executes `txs` in order on top of `reader`; invalid ones are skipped, not fatal, and so are
/// those that no longer fit the block (by the gas actually used so far, as geth counts). System
/// transactions ([`is_system`]) come first and are never held back for gas.
pub fn execute_block<R: StateReader>(
    reader: R,
    chain_id: u64,
    block: &BlockInput,
    txs: &[(&TxEnvelope, Address)],
) -> Result<BlockExecution, StateReadError> {
    let mut overlay = Overlay::new(reader);
    let mut out = BlockExecution::default();
    {
        let mut evm = Context::mainnet()
            .with_db(&mut overlay)
            .with_cfg(cfg(chain_id))
            .with_block(block.env())
            .build_mainnet();
        // A sender whose transaction was skipped or invalid has its later nonces skipped too:
        // they wait for the next block instead of failing on a nonce gap.
        let mut held_back = std::collections::HashSet::new();
        for (i, &(tx, sender)) in txs.iter().enumerate() {
            if held_back.contains(&sender) {
                continue;
            }
            let env = tx_env(tx, sender);
            let system = is_system(&env, block);
            if !system && out.gas_used + Transaction::gas_limit(tx) > block.gas_limit {
                held_back.insert(sender);
                continue;
            }
            evm.ctx.cfg.disable_base_fee = system;
            match evm.transact_commit(env) {
                Ok(result) => {
                    let gas_used = result.tx_gas_used();
                    out.gas_used += gas_used;
                    let success = result.is_success();
                    let logs: Vec<Log> = result.into_logs();
                    let receipt = Receipt {
                        status: Eip658Value::Eip658(success),
                        cumulative_gas_used: out.gas_used,
                        logs,
                    };
                    let receipt = ReceiptEnvelope::from_typed(tx.tx_type(), receipt.with_bloom());
                    out.included.push((i, ExecutedTx { receipt, gas_used }));
                }
                Err(EVMError::Database(e)) => return Err(e),
                Err(e) => {
                    held_back.insert(sender);
                    out.invalid.push((i, e.to_string()));
                }
            }
        }
    }
    out.changes = overlay.into_changes();
    Ok(out)
}

/// Why a call could not run (as opposed to running and reverting).
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The transaction is invalid against the state (nonce, funds, gas).
    #[error("{0}")]
    Invalid(String),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateReadError),
    /// The call ran past the RPC's execution deadline (geth's wording).
    #[error("execution aborted (timeout = {}s)", .0.as_secs_f64())]
    Timeout(std::time::Duration),
}

/// When an RPC call must stop executing, and the budget it was given (for the message).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// The instant past which execution halts.
    pub at: Instant,
    /// The budget, as configured.
    pub budget: std::time::Duration,
}

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: std::time::Duration) -> Self {
        Self { at: Instant::now() + budget, budget }
    }
}

/// Halts every frame of an execution once its deadline has passed: `eth_call` and friends run
/// arbitrary code up to the gas cap, and a slow one must not hold a thread (and a snapshot)
/// indefinitely. The clock is read only every 1,024 instructions.
pub struct DeadlineGuard {
    at: Instant,
    steps: u32,
    expired: bool,
}

impl DeadlineGuard {
    /// A guard for `deadline`.
    pub fn new(deadline: Deadline) -> Self {
        Self { at: deadline.at, steps: 0, expired: Instant::now() >= deadline.at }
    }

    /// Whether it halted the execution.
    pub fn expired(&self) -> bool {
        self.expired
    }
}

impl<CTX, INTR: revm::interpreter::InterpreterTypes> revm::Inspector<CTX, INTR> for DeadlineGuard {
    fn step(&mut self, interp: &mut revm::interpreter::Interpreter<INTR>, _: &mut CTX) {
        self.steps = self.steps.wrapping_add(1);
        if self.expired || (self.steps.is_multiple_of(1024) && Instant::now() >= self.at) {
            self.expired = true;
            interp.halt(revm::interpreter::InstructionResult::OutOfGas);
        }
    }
}

/// geth's wording for a transaction revm refused.
pub fn invalid_message(e: &InvalidTransaction) -> String {
    match e {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: gas {gas_limit}, minimum needed {initial_gas}")
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".into()
        }
        InvalidTransaction::CallerGasLimitMoreThanBlock => "exceeds block gas limit".into(),
        other => other.to_string(),
    }
}

/// Runs one transaction on `overlay` without committing it; the overlay is left unchanged.
/// Execution stops with [`CallError::Timeout`] once `deadline` has passed.
pub fn call<R: StateReader>(
    overlay: &mut Overlay<R>,
    chain_id: u64,
    block: &BlockInput,
    tx: TxEnv,
    no_base_fee: bool,
    deadline: Deadline,
) -> Result<ExecutionResult<HaltReason>, CallError> {
    let mut cfg = cfg(chain_id);
    cfg.disable_nonce_check = true;
    cfg.disable_base_fee = no_base_fee;
    cfg.disable_block_gas_limit = true;
    cfg.tx_chain_id_check = false;
    let mut guard = DeadlineGuard::new(deadline);
    if guard.expired() {
        return Err(CallError::Timeout(deadline.budget));
    }
    let mut evm = Context::mainnet()
        .with_db(overlay)
        .with_cfg(cfg)
        .with_block(block.env())
        .build_mainnet_with_inspector(&mut guard);
    let result = evm.inspect_tx(tx);
    drop(evm);
    if guard.expired {
        return Err(CallError::Timeout(deadline.budget));
    }
    match result {
        Ok(r) => Ok(r.result),
        Err(EVMError::Database(e)) => Err(CallError::State(e)),
        Err(EVMError::Transaction(e)) => Err(CallError::Invalid(invalid_message(&e))),
        Err(e) => Err(CallError::Invalid(e.to_string())),
    }
}

/// The outcome of a call as JSON-RPC reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Returned data.
    Success(Bytes),
    /// Reverted with data.
    Revert(Bytes),
    /// Halted (out of gas, invalid opcode, ...).
    Halt(String),
}

impl CallOutcome {
    /// From revm's result.
    pub fn from_result(r: &ExecutionResult<HaltReason>) -> Self {
        match r {
            ExecutionResult::Success { output, .. } => match output {
                Output::Call(b) => Self::Success(b.clone()),
                Output::Create(b, _) => Self::Success(b.clone()),
            },
            ExecutionResult::Revert { output, .. } => Self::Revert(output.clone()),
            ExecutionResult::Halt { reason, .. } => Self::Halt(halt_message(reason)),
        }
    }
}

/// geth's wording for halts.
pub fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack overflow".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::StateChangeDuringStaticCall => "write protection".into(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".into(),
        HaltReason::CreateCollision => "contract address collision".into(),
        HaltReason::OutOfFunds => "insufficient balance for transfer".into(),
        HaltReason::CallTooDeep => "max call depth exceeded".into(),
        other => format!("{other:?}"),
    }
}

/// Smallest gas limit with which `tx` succeeds, by binary search as geth does.
pub fn estimate_gas<R: StateReader>(
    overlay: &mut Overlay<R>,
    chain_id: u64,
    block: &BlockInput,
    mut tx: TxEnv,
    cap: u64,
    no_base_fee: bool,
    deadline: Deadline,
) -> Result<Result<u64, CallOutcome>, CallError> {
    // A plain value transfer to an account without code costs exactly the intrinsic gas.
    if tx.data.is_empty()
        && let TxKind::Call(to) = tx.kind
        && overlay.account(&to)?.is_none_or(|a| a.code_hash == alloy_primitives::KECCAK256_EMPTY)
    {
        let intrinsic = intrinsic_gas(&tx);
        tx.gas_limit = intrinsic;
        let r = call(overlay, chain_id, block, tx, no_base_fee, deadline)?;
        return Ok(if r.is_success() { Ok(intrinsic) } else { Err(CallOutcome::from_result(&r)) });
    }
    let mut hi = tx.gas_limit.min(cap);
    // Limit by what the sender can pay for.
    if tx.gas_price > 0 {
        let balance = overlay.account(&tx.caller)?.map(|a| a.balance).unwrap_or_default();
        let available = balance.saturating_sub(tx.value) / U256::from(tx.gas_price);
        hi = hi.min(available.try_into().unwrap_or(u64::MAX));
    }
    tx.gas_limit = hi;
    let first = call(overlay, chain_id, block, tx.clone(), no_base_fee, deadline)?;
    if !first.is_success() {
        return Ok(Err(CallOutcome::from_result(&first)));
    }
    let used = first.tx_gas_used();
    // Most calls succeed with used * 64/63 (all-but-one-64th rule); try that first.
    let mut lo = intrinsic_gas(&tx).saturating_sub(1).max(used.saturating_sub(1));
    let optimistic = (used + 2300) * 64 / 63;
    if optimistic < hi {
        tx.gas_limit = optimistic;
        if call(overlay, chain_id, block, tx.clone(), no_base_fee, deadline)?.is_success() {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        tx.gas_limit = mid;
        match call(overlay, chain_id, block, tx.clone(), no_base_fee, deadline) {
            Ok(r) if r.is_success() => hi = mid,
            Ok(_) | Err(CallError::Invalid(_)) => lo = mid,
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(hi))
}

/// Decodes `Error(string)` revert data into its reason.
pub fn revert_reason(data: &[u8]) -> Option<String> {
    use alloy::sol_types::{GenericRevertReason, SolError};
    if data.is_empty() {
        return None;
    }
    if data.len() >= 4 && data[..4] == alloy::sol_types::Revert::SELECTOR {
        return alloy::sol_types::Revert::abi_decode(data).ok().map(|r| r.reason);
    }
    GenericRevertReason::decode(data).map(|r| r.to_string())
}

/// The contract address a creation from `sender` at `nonce` gets.
pub fn create_address(tx: &TxEnvelope, sender: Address) -> Option<Address> {
    matches!(tx.kind(), TxKind::Create).then(|| sender.create(tx.nonce()))
}
