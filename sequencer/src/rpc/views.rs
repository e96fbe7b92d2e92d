//! Predeploy views run through the node's own EVM, several on one state snapshot: what the
//! `sec_` methods that read contracts (`sec_trustIndex`, `sec_trades`, `sec_homeDomain`) share.

use alloy::{eips::BlockId, sol_types::SolCall};
use alloy_primitives::{Address, Bytes, TxKind};
use revm::context::TxEnv;

use super::{
    error::{RpcError, RpcResult},
    eth::EthApi,
};
use crate::{
    domain::Domain,
    executor::{self, BlockInput, CallOutcome, Deadline},
    state::{Overlay, StateReader},
};

/// Gas for one view (they are all small; the cap guards against a broken predeploy).
const VIEW_GAS: u64 = 1_000_000;

/// Runs views against one state snapshot at one block.
pub(super) struct Views<'a> {
    reader: &'a dyn StateReader,
    chain_id: u64,
    block: BlockInput,
    pub(super) deadline: Deadline,
}

impl Views<'_> {
    /// Runs `call` on `to`; a revert is [`RpcError::Reverted`].
    pub(super) fn call<C: SolCall>(&self, to: Address, call: C) -> RpcResult<C::Return> {
        let tx = TxEnv {
            caller: Address::ZERO,
            gas_limit: VIEW_GAS,
            kind: TxKind::Call(to),
            data: Bytes::from(call.abi_encode()),
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let mut overlay = Overlay::new(self.reader);
        let result =
            executor::call(&mut overlay, self.chain_id, &self.block, tx, true, self.deadline)?;
        match CallOutcome::from_result(&result) {
            CallOutcome::Success(out) => C::abi_decode_returns(&out).map_err(|e| {
                RpcError::Internal(format!("{} returned undecodable data: {e}", C::SIGNATURE))
            }),
            CallOutcome::Revert(data) => Err(RpcError::Reverted(data)),
            CallOutcome::Halt(m) => Err(RpcError::Internal(format!("{}: {m}", C::SIGNATURE))),
        }
    }
}

impl Views<'_> {
    /// An account's native balance (zero for none).
    pub(super) fn balance(&self, address: Address) -> RpcResult<alloy_primitives::U256> {
        Ok(self.reader.account(&address)?.map(|a| a.balance).unwrap_or_default())
    }
}

/// Resolves `block` on the path's domain, opens its state and runs `f` with the views on it.
pub(super) fn with_views<T>(
    api: &EthApi,
    block: Option<BlockId>,
    f: impl FnOnce(&Views<'_>) -> RpcResult<T>,
) -> RpcResult<T> {
    let number =
        api.resolve(block.unwrap_or(BlockId::latest()))?.ok_or_else(RpcError::header_not_found)?;
    views_at(&api.domain, number, api.deadline(), f)
}

/// Runs `f` with views on `domain`'s state after block `number`, all under one `deadline`
/// (a request may run thousands of views).
pub(super) fn views_at<T>(
    domain: &Domain,
    number: u64,
    deadline: Deadline,
    f: impl FnOnce(&Views<'_>) -> RpcResult<T>,
) -> RpcResult<T> {
    let chain_id = domain.chain_id();
    domain
        .with_state(Some(number), |reader, header| {
            f(&Views { reader, chain_id, block: BlockInput::from_header(header), deadline })
        })?
        .ok_or_else(RpcError::header_not_found)?
}

/// Runs `f` with views on `domain`'s head as it is in memory, with the head's header and
/// extension and the domain's native total, all of one block (see `Domain::with_head`).
pub(super) fn views_at_head<T>(
    domain: &Domain,
    deadline: Deadline,
    f: impl FnOnce(
        &Views<'_>,
        &alloy::consensus::Header,
        &sec_primitives::SecExtension,
        alloy_primitives::U256,
    ) -> RpcResult<T>,
) -> RpcResult<T> {
    let chain_id = domain.chain_id();
    domain.with_head(|reader, header, extension, native_total| {
        let views = Views { reader, chain_id, block: BlockInput::from_header(header), deadline };
        f(&views, header, extension, native_total)
    })?
}
