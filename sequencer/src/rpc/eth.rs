//! The `eth_`, `net_`, `web3_`, `txpool_` and `sec_` namespaces of one domain.

use std::sync::Arc;

use alloy::serde::JsonStorageKey;
use alloy::{
    consensus::Transaction as _,
    eips::{BlockId, BlockNumberOrTag},
    rpc::types::{
        AccessListResult, BlockOverrides, EIP1186AccountProofResponse, EIP1186StorageProof,
        FeeHistory, Filter, FilterBlockOption, Log as RpcLog, TransactionRequest,
        state::StateOverride,
    },
};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use jsonrpsee::{
    RpcModule,
    server::Methods,
    types::{ErrorObjectOwned, Params},
};
use revm::context::TxEnv;
use serde::Serialize;
use serde_json::{Value, json, value::RawValue};

use super::{
    RpcConfig, convert,
    error::{RpcError, RpcResult},
    filters::Filters,
};
use crate::{
    domain::Domain,
    executor::{self, BlockInput, CallOutcome},
    state::{Account, Overlay, StateReader},
};

/// Most slots one `eth_getStorageValues` reads.
const MAX_STORAGE_VALUES: usize = 1024;

/// Suggested priority fee: 1 gwei, or the pool's floor if higher.
const SUGGESTED_TIP: u128 = 1_000_000_000;

/// Everything a method of one domain needs.
pub struct EthApi {
    pub domain: Arc<Domain>,
    /// `eth_sendRawTransaction`'s grouped admission into `domain`'s pool.
    admission: super::admission::Admission,
    pub all: Arc<Vec<Arc<Domain>>>,
    pub config: RpcConfig,
    pub filters: Arc<Filters>,
}

fn params_error(e: impl std::fmt::Display) -> RpcError {
    RpcError::InvalidParams(e.to_string())
}

/// Positional parameters, decoded one at a time with -32602 on failure.
pub(super) struct Args<'a>(jsonrpsee::types::params::ParamsSequence<'a>);

impl<'a> Args<'a> {
    pub(super) fn new(p: &'a Params<'a>) -> Self {
        Self(p.sequence())
    }
    pub(super) fn next<T: serde::de::DeserializeOwned>(&mut self) -> RpcResult<T> {
        self.0.next::<T>().map_err(|e| RpcError::InvalidParams(e.message().to_string()))
    }
    pub(super) fn opt<T: serde::de::DeserializeOwned>(&mut self) -> RpcResult<Option<T>> {
        self.0.optional_next::<T>().map_err(|e| RpcError::InvalidParams(e.message().to_string()))
    }
}

fn to_json<T: Serialize>(v: T) -> RpcResult<Value> {
    serde_json::to_value(v).map_err(|e| RpcError::Internal(e.to_string()))
}

/// Serializes `v` once, straight to its JSON text: for the large answers (blocks, receipts,
/// traces), which would otherwise be built as a `Value` tree and then written out.
pub(super) fn to_raw<T: Serialize>(v: &T) -> RpcResult<Box<RawValue>> {
    serde_json::value::to_raw_value(v).map_err(|e| RpcError::Internal(e.to_string()))
}

/// A handler's answer: a JSON value, or JSON text already written.
#[derive(Clone)]
pub(super) enum Reply {
    /// Built as a value.
    Value(Value),
    /// Written once by [`to_raw`].
    Raw(Box<RawValue>),
}

impl Serialize for Reply {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Value(v) => v.serialize(s),
            Reply::Raw(r) => r.serialize(s),
        }
    }
}

impl From<Value> for Reply {
    fn from(v: Value) -> Self {
        Reply::Value(v)
    }
}

impl From<Box<RawValue>> for Reply {
    fn from(r: Box<RawValue>) -> Self {
        Reply::Raw(r)
    }
}

/// Turns a handler's result into what jsonrpsee sends.
pub(super) fn finish<T: Into<Reply>>(r: RpcResult<T>) -> Result<Reply, ErrorObjectOwned> {
    r.map(Into::into).map_err(Into::into)
}

impl EthApi {
    /// When a call started now must stop executing.
    pub(super) fn deadline(&self) -> executor::Deadline {
        executor::Deadline::after(std::time::Duration::from_millis(self.config.evm_timeout_ms))
    }

    /// The block number a tag or id refers to; `None` if there is no such block.
    pub fn resolve(&self, id: BlockId) -> RpcResult<Option<u64>> {
        let head = self.domain.head().0;
        match id {
            BlockId::Hash(h) => Ok(self.domain.block_number(&h.block_hash)?),
            BlockId::Number(n) => Ok(match n {
                // One producer, no reorgs: a committed block is final (DPoS finality replaces this).
                BlockNumberOrTag::Latest
                | BlockNumberOrTag::Pending
                | BlockNumberOrTag::Safe
                | BlockNumberOrTag::Finalized => Some(head),
                BlockNumberOrTag::Earliest => Some(0),
                BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
            }),
        }
    }

    /// Like [`EthApi::resolve`], but an unknown block is geth's "header not found".
    fn resolve_state_block(&self, id: Option<BlockId>) -> RpcResult<u64> {
        self.resolve(id.unwrap_or(BlockId::latest()))?.ok_or_else(RpcError::header_not_found)
    }

    fn with_state<T>(
        &self,
        id: Option<BlockId>,
        f: impl FnOnce(&dyn StateReader, &alloy::consensus::Header) -> T,
    ) -> RpcResult<T> {
        let number = self.resolve_state_block(id)?;
        self.domain.with_state(Some(number), f)?.ok_or_else(RpcError::header_not_found)
    }

    fn account(&self, address: Address, id: Option<BlockId>) -> RpcResult<Option<Account>> {
        Ok(self.with_state(id, |s, _| s.account(&address))??)
    }

    fn block_json(&self, number: Option<u64>, full: bool) -> RpcResult<Reply> {
        let Some(number) = number else { return Ok(Value::Null.into()) };
        match self.domain.block(number)? {
            Some(b) => Ok(to_raw(&convert::rpc_block(&b, full)?)?.into()),
            None => Ok(Value::Null.into()),
        }
    }

    fn tx_by_block_index(&self, number: Option<u64>, index: U64) -> RpcResult<Value> {
        let Some(number) = number else { return Ok(Value::Null) };
        // No block holds 2^32 transactions: an index beyond that finds nothing, as geth says.
        let Ok(i) = u32::try_from(index) else { return Ok(Value::Null) };
        if let Some(b) = self.domain.recent_block(number) {
            let Some(stored) = b.txs.get(i as usize) else { return Ok(Value::Null) };
            let pos = convert::position(&b, i as usize);
            return to_json(convert::rpc_tx(convert::decode_tx(stored)?, stored.sender, Some(pos)));
        }
        // Older blocks: read the one transaction, not the block.
        let store = self.domain.store()?;
        let (Some(header), Some(stored)) = (store.header(number)?, store.transaction(number, i)?)
        else {
            return Ok(Value::Null);
        };
        let pos = convert::TxPosition {
            block_hash: store.block_hash(number)?.unwrap_or_else(|| header.hash_slow()),
            block_number: number,
            timestamp: header.timestamp,
            index: i as u64,
            base_fee: header.base_fee_per_gas,
        };
        to_json(convert::rpc_tx(convert::decode_tx(&stored)?, stored.sender, Some(pos)))
    }

    fn tx_by_hash(&self, hash: B256) -> RpcResult<Value> {
        if let Some((number, index)) = self.domain.tx_location(&hash)? {
            return self.tx_by_block_index(Some(number), U64::from(index));
        }
        match self.domain.pool().get(&hash) {
            Some(p) => to_json(convert::rpc_tx(p.tx.clone(), p.sender, None)),
            None => Ok(Value::Null),
        }
    }

    fn receipt(&self, hash: B256) -> RpcResult<Value> {
        let Some((number, index)) = self.domain.tx_location(&hash)? else { return Ok(Value::Null) };
        if let Some(b) = self.domain.recent_block(number) {
            return to_json(convert::rpc_receipt(&b, index as usize)?);
        }
        // Older blocks: three point reads instead of decoding the block.
        let store = self.domain.store()?;
        let (Some(header), Some(stored), Some((first_log, receipt))) = (
            store.header(number)?,
            store.transaction(number, index)?,
            store.receipt(number, index)?,
        ) else {
            return Ok(Value::Null);
        };
        let prev_cumulative = match index {
            0 => 0,
            i => store
                .receipt(number, i - 1)?
                .map(|(_, r)| r.cumulative_gas_used())
                .unwrap_or_default(),
        };
        let context = convert::ReceiptContext {
            block_hash: store.block_hash(number)?.unwrap_or_else(|| header.hash_slow()),
            number,
            timestamp: header.timestamp,
            base_fee: header.base_fee_per_gas,
            index: index as usize,
            tx: &stored,
            tx_hash: hash,
            prev_cumulative,
            first_log: first_log as u64,
        };
        to_json(convert::build_receipt(receipt, context)?)
    }

    /// The EVM context of a call at block `header`, with overrides.
    pub(super) fn call_block(
        &self,
        header: &alloy::consensus::Header,
        overrides: Option<&BlockOverrides>,
    ) -> BlockInput {
        let mut b = BlockInput::from_header(header);
        if let Some(o) = overrides {
            if let Some(n) = o.number {
                b.number = n.saturating_to();
            }
            if let Some(t) = o.time {
                b.timestamp = t;
            }
            if let Some(g) = o.gas_limit {
                b.gas_limit = g;
            }
            if let Some(c) = o.coinbase {
                b.beneficiary = c;
            }
            if let Some(r) = o.random {
                b.prevrandao = r;
            }
            if let Some(f) = o.base_fee {
                b.base_fee = f.saturating_to();
            }
        }
        b
    }

    /// revm's transaction for a call request; also whether no fee was given (base fee ignored).
    pub(super) fn call_tx(
        &self,
        req: &TransactionRequest,
        default_gas: u64,
    ) -> RpcResult<(TxEnv, bool)> {
        let input =
            req.input.clone().try_into_unique_input().map_err(params_error)?.unwrap_or_default();
        let no_fee = req.gas_price.is_none()
            && req.max_fee_per_gas.is_none()
            && req.max_priority_fee_per_gas.is_none();
        let (gas_price, priority, tx_type) = match (req.gas_price, req.max_fee_per_gas) {
            (Some(_), Some(_)) => {
                return Err(RpcError::InvalidParams(
                    "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified".into(),
                ));
            }
            (Some(p), None) => (p, None, if req.access_list.is_some() { 1 } else { 0 }),
            (None, Some(m)) => (m, Some(req.max_priority_fee_per_gas.unwrap_or_default()), 2),
            (None, None) => match req.max_priority_fee_per_gas {
                Some(p) => (p, Some(p), 2),
                None => (0, None, if req.access_list.is_some() { 1 } else { 0 }),
            },
        };
        let tx = TxEnv {
            tx_type,
            caller: req.from.unwrap_or_default(),
            gas_limit: req.gas.unwrap_or(default_gas).min(self.config.gas_cap),
            gas_price,
            kind: req.to.unwrap_or_default(),
            value: req.value.unwrap_or_default(),
            data: input,
            nonce: req.nonce.unwrap_or_default(),
            chain_id: Some(self.domain.chain_id()),
            access_list: req.access_list.clone().unwrap_or_default(),
            gas_priority_fee: priority,
            blob_hashes: vec![],
            max_fee_per_blob_gas: 0,
            authorization_list: req
                .authorization_list
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(revm::context::either::Either::Left)
                .collect(),
        };
        Ok((tx, no_fee))
    }

    pub(super) fn apply_overrides<R: StateReader>(
        overlay: &mut Overlay<R>,
        overrides: Option<&StateOverride>,
    ) -> RpcResult<()> {
        let Some(overrides) = overrides else { return Ok(()) };
        for (address, o) in overrides {
            if o.state.is_some() && o.state_diff.is_some() {
                return Err(RpcError::InvalidParams(format!(
                    "account {address} has both 'state' and 'stateDiff'"
                )));
            }
            if let Some(code) = &o.code {
                overlay.set_code(*address, code.clone())?;
            }
            let mut account = overlay.account(address)?.unwrap_or(Account {
                code_hash: alloy_primitives::KECCAK256_EMPTY,
                ..Default::default()
            });
            if let Some(b) = o.balance {
                account.balance = b;
            }
            if let Some(n) = o.nonce {
                account.nonce = n;
            }
            overlay.set_account(*address, account)?;
            if let Some(state) = &o.state {
                overlay.replace_storage(
                    *address,
                    state.iter().map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0))),
                )?;
            }
            if let Some(diff) = &o.state_diff {
                for (k, v) in diff {
                    overlay.set_storage(
                        *address,
                        U256::from_be_bytes(k.0),
                        U256::from_be_bytes(v.0),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn eth_call(
        &self,
        req: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
        block_overrides: Option<BlockOverrides>,
    ) -> RpcResult<Bytes> {
        let deadline = self.deadline();
        let (tx, no_fee) = self.call_tx(&req, self.config.gas_cap)?;
        let chain_id = self.domain.chain_id();
        self.with_state(block, |reader, header| {
            let input = self.call_block(header, block_overrides.as_ref());
            let mut overlay = Overlay::new(reader);
            Self::apply_overrides(&mut overlay, state.as_ref())?;
            let result = executor::call(&mut overlay, chain_id, &input, tx, no_fee, deadline)?;
            match CallOutcome::from_result(&result) {
                CallOutcome::Success(b) => Ok(b),
                CallOutcome::Revert(data) => Err(RpcError::Reverted(data)),
                CallOutcome::Halt(m) => Err(RpcError::Server(m)),
            }
        })?
    }

    fn estimate_gas(
        &self,
        req: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let deadline = self.deadline();
        let cap = self.domain.config().gas_limit.min(self.config.gas_cap);
        let (tx, no_fee) = self.call_tx(&req, cap)?;
        let chain_id = self.domain.chain_id();
        self.with_state(block, |reader, header| {
            let input = self.call_block(header, None);
            let mut overlay = Overlay::new(reader);
            Self::apply_overrides(&mut overlay, state.as_ref())?;
            match executor::estimate_gas(
                &mut overlay,
                chain_id,
                &input,
                tx.clone(),
                cap,
                no_fee,
                deadline,
            )? {
                Ok(gas) => Ok(U64::from(gas)),
                Err(CallOutcome::Revert(data)) => Err(RpcError::Reverted(data)),
                Err(CallOutcome::Halt(m)) if m == "out of gas" => Err(RpcError::Server(format!(
                    "gas required exceeds allowance ({})",
                    tx.gas_limit.min(cap)
                ))),
                Err(CallOutcome::Halt(m)) => Err(RpcError::Server(m)),
                Err(CallOutcome::Success(_)) => Err(RpcError::Internal("estimate failed".into())),
            }
        })?
    }

    fn create_access_list(
        &self,
        req: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult> {
        let deadline = self.deadline();
        let (tx, no_fee) = self.call_tx(&req, self.config.gas_cap)?;
        let chain_id = self.domain.chain_id();
        self.with_state(block, |reader, header| {
            let input = self.call_block(header, None);
            let mut overlay = Overlay::new(reader);
            super::debug::access_list(&mut overlay, chain_id, &input, tx, no_fee, deadline)
        })?
    }

    fn get_proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        let number = self.resolve_state_block(block)?;
        let slots: Vec<B256> = keys.iter().map(JsonStorageKey::as_b256).collect();
        let proof = self
            .domain
            .proof_at(number, &address, &slots)
            .map_err(|e| RpcError::Server(e.to_string()))?;
        Ok(EIP1186AccountProofResponse {
            address,
            balance: proof.account.balance,
            code_hash: proof.account.code_hash,
            nonce: proof.account.nonce,
            storage_hash: proof.storage_root,
            account_proof: proof.account_proof,
            storage_proof: proof
                .storage_proofs
                .into_iter()
                .zip(keys)
                // Each key answered in the form it was asked (geth: a short key stays short).
                .map(|((_, value, proof), key)| EIP1186StorageProof { key, value, proof })
                .collect(),
        })
    }

    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let count = count.to::<u64>().min(1024);
        let newest =
            self.resolve(BlockId::Number(newest))?.ok_or_else(RpcError::header_not_found)?;
        if let Some(p) = &percentiles
            && (p.iter().any(|x| !(0.0..=100.0).contains(x)) || p.windows(2).any(|w| w[0] > w[1]))
        {
            return Err(RpcError::InvalidParams("invalid reward percentile".into()));
        }
        let oldest = (newest + 1).saturating_sub(count);
        let mut history = FeeHistory { oldest_block: oldest, ..Default::default() };
        let mut rewards = Vec::new();
        let mut last = None;
        for n in oldest..=newest {
            if count == 0 {
                break;
            }
            let Some(b) = self.domain.block(n)? else { break };
            let h = &b.header;
            history.base_fee_per_gas.push(h.base_fee_per_gas.unwrap_or_default() as u128);
            history.gas_used_ratio.push(h.gas_used as f64 / h.gas_limit.max(1) as f64);
            history.base_fee_per_blob_gas.push(1);
            history.blob_gas_used_ratio.push(0.0);
            if let Some(p) = &percentiles {
                rewards.push(block_rewards(&b, p)?);
            }
            last = Some(h.clone());
        }
        if let Some(h) = last {
            history.base_fee_per_gas.push(crate::domain::next_base_fee(&h) as u128);
            history.base_fee_per_blob_gas.push(1);
        }
        if percentiles.is_some() {
            history.reward = Some(rewards);
        }
        Ok(history)
    }

    pub(super) fn logs(&self, filter: &Filter) -> RpcResult<Vec<RpcLog>> {
        let head = self.domain.head().0;
        // The range as asked (for the limit and validity checks), then clamped to the head.
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let n = self
                    .domain
                    .block_number(&hash)?
                    .ok_or_else(|| RpcError::Server("unknown block".into()))?;
                (n, n)
            }
            FilterBlockOption::Range { from_block, to_block } => {
                let resolve = |b: Option<BlockNumberOrTag>| -> RpcResult<u64> {
                    match b {
                        None => Ok(head),
                        Some(BlockNumberOrTag::Number(n)) => Ok(n),
                        Some(t) => Ok(self.resolve(BlockId::Number(t))?.unwrap_or(head)),
                    }
                };
                (resolve(from_block)?, resolve(to_block)?)
            }
        };
        if from > to {
            return Err(RpcError::InvalidParams("invalid block range params".into()));
        }
        if to - from >= self.config.max_logs_range {
            return Err(RpcError::LimitExceeded(format!(
                "query exceeds max block range {}",
                self.config.max_logs_range
            )));
        }
        let to = to.min(head);
        let mut out = Vec::new();
        // Blooms first, from the header alone: most blocks of a range have no matching log,
        // and decoding their transactions and receipts would be most of the cost.
        let store = self.domain.store()?;
        for n in from..=to {
            let bloom = match self.domain.recent_block(n) {
                Some(b) => b.header.logs_bloom,
                None => match store.header(n)? {
                    Some(h) => h.logs_bloom,
                    None => break,
                },
            };
            if !filter.matches_bloom(bloom) {
                continue;
            }
            let Some(b) = self.domain.block(n)? else { break };
            for log in convert::block_logs(&b)? {
                if filter.matches(&log.inner) {
                    out.push(log);
                    if out.len() > self.config.max_logs {
                        return Err(RpcError::LimitExceeded(format!(
                            "query returned more than {} results",
                            self.config.max_logs
                        )));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Effective tips at the given gas-weighted percentiles of a block, as geth computes them.
fn block_rewards(b: &crate::storage::BlockRecord, percentiles: &[f64]) -> RpcResult<Vec<u128>> {
    let base_fee = b.header.base_fee_per_gas.unwrap_or_default();
    if b.txs.is_empty() {
        return Ok(vec![0; percentiles.len()]);
    }
    let mut tips: Vec<(u128, u64)> = Vec::with_capacity(b.txs.len());
    let mut prev = 0;
    for (stored, receipt) in b.txs.iter().zip(&b.receipts) {
        let tx = convert::decode_tx(stored)?;
        let used = receipt.cumulative_gas_used() - prev;
        prev = receipt.cumulative_gas_used();
        tips.push((tx.effective_tip_per_gas(base_fee).unwrap_or_default(), used));
    }
    tips.sort_unstable();
    let total: u64 = tips.iter().map(|t| t.1).sum();
    let mut out = Vec::with_capacity(percentiles.len());
    let (mut i, mut sum) = (0usize, tips[0].1);
    for p in percentiles {
        let threshold = (total as f64 * p / 100.0) as u64;
        while sum < threshold && i < tips.len() - 1 {
            i += 1;
            sum += tips[i].1;
        }
        out.push(tips[i].0);
    }
    Ok(out)
}

macro_rules! method {
    ($m:expr, $name:literal, |$api:ident, $args:ident| $body:expr) => {
        $m.register_method($name, |params, $api, _| -> Result<Reply, ErrorObjectOwned> {
            #[allow(unused_mut, unused_variables)]
            let mut $args = Args::new(&params);
            // A closure so that `?` works in the handler bodies.
            #[allow(clippy::redundant_closure_call)]
            finish((|| $body)())
        })
        .expect("method names are unique");
    };
}

/// Like `method!`, for handlers that execute EVM code or recover signatures: they run on the
/// blocking pool so that they never stall the async runtime.
macro_rules! blocking {
    ($m:expr, $name:literal, |$api:ident, $args:ident| $body:expr) => {
        $m.register_blocking_method($name, |params, $api, _| -> Result<Reply, ErrorObjectOwned> {
            #[allow(unused_mut, unused_variables)]
            let mut $args = Args::new(&params);
            let $api = &*$api;
            // A closure so that `?` works in the handler bodies.
            #[allow(clippy::redundant_closure_call)]
            finish((|| $body)())
        })
        .expect("method names are unique");
    };
}

fn quantity(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

/// All methods of `domain`.
pub fn module(
    domain: Arc<Domain>,
    all: Arc<Vec<Arc<Domain>>>,
    config: RpcConfig,
) -> std::io::Result<Methods> {
    let filters = Filters::new();
    filters.purge_periodically();
    let admission = super::admission::Admission::start(&domain)?;
    let api = EthApi { domain, admission, all, config, filters };
    let mut m = RpcModule::new(api);

    method!(m, "web3_clientVersion", |_api, a| Ok(json!(format!(
        "sec/v{}/{}-{}/rust",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    ))));
    method!(m, "web3_sha3", |_api, a| {
        let data: Bytes = a.next()?;
        to_json(keccak256(&data))
    });
    method!(m, "net_version", |api, a| Ok(json!(api.domain.chain_id().to_string())));
    method!(m, "net_listening", |_api, a| Ok(json!(true)));
    method!(m, "net_peerCount", |_api, a| Ok(quantity(0)));
    method!(m, "eth_chainId", |api, a| Ok(quantity(api.domain.chain_id())));
    method!(m, "eth_syncing", |_api, a| Ok(json!(false)));
    method!(m, "eth_accounts", |_api, a| Ok(json!([])));
    method!(m, "eth_blockNumber", |api, a| Ok(quantity(api.domain.head().0)));
    method!(m, "eth_gasPrice", |api, a| {
        let tip = SUGGESTED_TIP.max(api.domain.config().pool.min_tip);
        to_json(U256::from(api.domain.next_base_fee() as u128 + tip))
    });
    method!(m, "eth_maxPriorityFeePerGas", |api, a| {
        to_json(U256::from(SUGGESTED_TIP.max(api.domain.config().pool.min_tip)))
    });
    method!(m, "eth_blobBaseFee", |_api, a| Ok(quantity(1)));
    method!(m, "eth_feeHistory", |api, a| {
        let count: U64 = a.next()?;
        let newest: BlockNumberOrTag = a.next()?;
        let percentiles: Option<Vec<f64>> = a.opt()?;
        to_json(api.fee_history(count, newest, percentiles)?)
    });
    method!(m, "eth_getBalance", |api, a| {
        let address: Address = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        to_json(api.account(address, block)?.map(|a| a.balance).unwrap_or_default())
    });
    method!(m, "eth_getTransactionCount", |api, a| {
        let address: Address = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        if block == Some(BlockId::pending()) {
            return Ok(quantity(api.domain.pending_nonce(&address)));
        }
        Ok(quantity(api.account(address, block)?.map(|a| a.nonce).unwrap_or_default()))
    });
    method!(m, "eth_getCode", |api, a| {
        let address: Address = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        let code = api.with_state(block, |s, _| match s.account(&address)? {
            Some(acc) => s.code(&acc.code_hash),
            None => Ok(None),
        })??;
        to_json(code.map(|c| c.original_bytes()).unwrap_or_default())
    });
    method!(m, "eth_getStorageAt", |api, a| {
        let address: Address = a.next()?;
        let slot: U256 = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        to_json(B256::from(api.with_state(block, |s, _| s.storage(&address, &slot))??))
    });
    blocking!(m, "eth_call", |api, a| {
        let req: TransactionRequest = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        let state: Option<StateOverride> = a.opt()?;
        let overrides: Option<BlockOverrides> = a.opt()?;
        to_json(api.eth_call(req, block, state, overrides)?)
    });
    blocking!(m, "eth_estimateGas", |api, a| {
        let req: TransactionRequest = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        let state: Option<StateOverride> = a.opt()?;
        to_json(api.estimate_gas(req, block, state)?)
    });
    blocking!(m, "eth_createAccessList", |api, a| {
        let req: TransactionRequest = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        to_json(api.create_access_list(req, block)?)
    });
    m.register_async_method("eth_sendRawTransaction", |params, api, _| async move {
        let raw: Bytes =
            params.one().map_err(|e| RpcError::InvalidParams(e.message().to_string()))?;
        // Decoding and signature recovery are CPU work: done off the async runtime, in groups.
        let submitted = api.admission.submit(raw).await?;
        submitted
            .durable
            .await
            .map_err(|_| RpcError::Internal("transaction journal unavailable".into()))?;
        Ok::<_, ErrorObjectOwned>(submitted.hash)
    })
    .expect("method names are unique");
    method!(m, "eth_getTransactionByHash", |api, a| {
        let hash: B256 = a.next()?;
        api.tx_by_hash(hash)
    });
    method!(m, "eth_getTransactionReceipt", |api, a| {
        let hash: B256 = a.next()?;
        api.receipt(hash)
    });
    method!(m, "eth_getBlockByNumber", |api, a| {
        let tag: BlockNumberOrTag = a.next()?;
        let full: bool = a.opt()?.unwrap_or(false);
        api.block_json(api.resolve(BlockId::Number(tag))?, full)
    });
    method!(m, "eth_getBlockByHash", |api, a| {
        let hash: B256 = a.next()?;
        let full: bool = a.opt()?.unwrap_or(false);
        api.block_json(api.domain.block_number(&hash)?, full)
    });
    method!(m, "eth_getBlockReceipts", |api, a| {
        let id: BlockId = a.next()?;
        match api.resolve(id)?.map(|n| api.domain.block(n)).transpose()?.flatten() {
            Some(b) => Ok(Reply::Raw(to_raw(&convert::rpc_receipts(&b)?)?)),
            None => Ok(Reply::Value(Value::Null)),
        }
    });
    method!(m, "eth_getBlockTransactionCountByNumber", |api, a| {
        let tag: BlockNumberOrTag = a.next()?;
        match api
            .resolve(BlockId::Number(tag))?
            .map(|n| api.domain.tx_count(n))
            .transpose()?
            .flatten()
        {
            Some(count) => Ok(quantity(count)),
            None => Ok(Value::Null),
        }
    });
    method!(m, "eth_getBlockTransactionCountByHash", |api, a| {
        let hash: B256 = a.next()?;
        match api.domain.block_number(&hash)?.map(|n| api.domain.tx_count(n)).transpose()?.flatten()
        {
            Some(count) => Ok(quantity(count)),
            None => Ok(Value::Null),
        }
    });
    method!(m, "eth_getTransactionByBlockNumberAndIndex", |api, a| {
        let tag: BlockNumberOrTag = a.next()?;
        let index: U64 = a.next()?;
        api.tx_by_block_index(api.resolve(BlockId::Number(tag))?, index)
    });
    method!(m, "eth_getTransactionByBlockHashAndIndex", |api, a| {
        let hash: B256 = a.next()?;
        let index: U64 = a.next()?;
        api.tx_by_block_index(api.domain.block_number(&hash)?, index)
    });
    method!(m, "eth_getUncleCountByBlockNumber", |api, a| {
        let tag: BlockNumberOrTag = a.next()?;
        Ok(api.resolve(BlockId::Number(tag))?.map(|_| quantity(0)).unwrap_or(Value::Null))
    });
    method!(m, "eth_getUncleCountByBlockHash", |api, a| {
        let hash: B256 = a.next()?;
        Ok(api.domain.block_number(&hash)?.map(|_| quantity(0)).unwrap_or(Value::Null))
    });
    method!(m, "eth_getUncleByBlockNumberAndIndex", |_api, a| Ok(Value::Null));
    method!(m, "eth_getUncleByBlockHashAndIndex", |_api, a| Ok(Value::Null));
    blocking!(m, "eth_getLogs", |api, a| {
        let filter: Filter = a.next()?;
        to_json(api.logs(&filter)?)
    });
    blocking!(m, "eth_getProof", |api, a| {
        let address: Address = a.next()?;
        let keys: Vec<JsonStorageKey> = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        to_json(api.get_proof(address, keys, block)?)
    });
    method!(m, "eth_baseFee", |api, a| to_json(U256::from(api.domain.next_base_fee())));
    method!(m, "eth_getStorageValues", |api, a| {
        let requests: std::collections::BTreeMap<Address, Vec<JsonStorageKey>> = a.next()?;
        let block: Option<BlockId> = a.opt()?;
        let slots: usize = requests.values().map(Vec::len).sum();
        if slots > MAX_STORAGE_VALUES {
            return Err(RpcError::InvalidParams(format!(
                "too many slots: {slots}, at most {MAX_STORAGE_VALUES}"
            )));
        }
        let values = api.with_state(block, |s, _| {
            let mut out = serde_json::Map::new();
            for (address, keys) in &requests {
                let mut values = Vec::with_capacity(keys.len());
                for k in keys {
                    let v = s.storage(address, &U256::from_be_bytes(k.as_b256().0))?;
                    values.push(json!(B256::from(v)));
                }
                out.insert(address.to_checksum(None), Value::Array(values));
            }
            Ok::<_, crate::state::StateReadError>(Value::Object(out))
        })??;
        Ok(values)
    });
    method!(m, "txpool_contentFrom", |api, a| {
        let from: Address = a.next()?;
        let (pending, queued) = api.domain.pool().content();
        let view = |v: &crate::mempool::PoolView| -> RpcResult<Value> {
            let mut by_nonce = serde_json::Map::new();
            for (nonce, t) in v.get(&from).into_iter().flatten() {
                by_nonce.insert(
                    nonce.to_string(),
                    to_json(convert::rpc_tx(t.tx.clone(), t.sender, None))?,
                );
            }
            Ok(Value::Object(by_nonce))
        };
        Ok(json!({ "pending": view(&pending)?, "queued": view(&queued)? }))
    });
    method!(m, "txpool_inspect", |api, a| {
        let (pending, queued) = api.domain.pool().content();
        // geth's one-line summaries.
        let view = |v: crate::mempool::PoolView| -> Value {
            let mut out = serde_json::Map::new();
            for (sender, txs) in v {
                let mut by_nonce = serde_json::Map::new();
                for (nonce, t) in txs {
                    let to = match t.tx.to() {
                        Some(to) => to.to_checksum(None),
                        None => "contract creation".to_string(),
                    };
                    let line = format!(
                        "{to}: {} wei + {} gas × {} wei",
                        t.tx.value(),
                        t.tx.gas_limit(),
                        t.tx.max_fee_per_gas()
                    );
                    by_nonce.insert(nonce.to_string(), Value::String(line));
                }
                out.insert(sender.to_checksum(None), Value::Object(by_nonce));
            }
            Value::Object(out)
        };
        Ok(json!({ "pending": view(pending), "queued": view(queued) }))
    });
    method!(m, "txpool_status", |api, a| {
        let (pending, queued) = api.domain.pool().status();
        Ok(json!({ "pending": quantity(pending as u64), "queued": quantity(queued as u64) }))
    });
    method!(m, "txpool_content", |api, a| {
        let (pending, queued) = api.domain.pool().content();
        let view = |v: crate::mempool::PoolView| -> RpcResult<Value> {
            let mut out = serde_json::Map::new();
            for (sender, txs) in v {
                let mut by_nonce = serde_json::Map::new();
                for (nonce, t) in txs {
                    by_nonce.insert(
                        nonce.to_string(),
                        to_json(convert::rpc_tx(t.tx.clone(), t.sender, None))?,
                    );
                }
                out.insert(sender.to_checksum(None), Value::Object(by_nonce));
            }
            Ok(Value::Object(out))
        };
        Ok(json!({ "pending": view(pending)?, "queued": view(queued)? }))
    });
    method!(m, "sec_domains", |api, a| {
        let domains: Vec<Value> = api
            .all
            .iter()
            .map(|d| {
                let (number, hash) = d.head();
                json!({
                    "id": d.id(),
                    "chainId": quantity(d.chain_id()),
                    "path": if d.id() == 0 { "/".to_string() } else { format!("/domain/{}", d.id()) },
                    "head": { "number": quantity(number), "hash": hash },
                })
            })
            .collect();
        Ok(json!(domains))
    });
    method!(m, "sec_getBlockExtension", |api, a| {
        let id: BlockId = a.next()?;
        match api.resolve(id)?.map(|n| api.domain.block(n)).transpose()?.flatten() {
            Some(b) => to_json(&b.extension),
            None => Ok(Value::Null),
        }
    });
    super::filters::register(&mut m);
    super::debug::register(&mut m);
    super::raw::register(&mut m);
    super::trade::register(&mut m);
    super::bridge::register(&mut m);
    super::audit::register(&mut m);
    super::config::register(&mut m);
    super::validators::register(&mut m);
    super::parity::register(&mut m);
    super::simulate::register(&mut m);
    super::ots::register(&mut m);
    Ok(m.into())
}
