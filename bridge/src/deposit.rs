//! Deposits: locking ETH, SEC or any ERC-20 in `L1Bridge` for an account on an SEC domain,
//! and reading the `Deposit` events the nodes credit.

use alloy::{rpc::types::Filter, sol_types::SolEvent};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::bindings::L1Bridge;

use crate::{
    client::{L1Client, Receipt},
    error::{BridgeError, Result},
};

alloy::sol! {
    /// The ERC-20 calls a depositor needs.
    interface IERC20 {
        function approve(address spender, uint256 value) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
    }
}

pub use sec_primitives::deposit::{Deposit, KIND_ERC20, KIND_ETH, KIND_SEC};

fn from_event(e: L1Bridge::Deposit, block: u64) -> Deposit {
    Deposit {
        nonce: e.nonce,
        domain: e.domain,
        token: e.token,
        kind: e.kind,
        from: e.from,
        to: e.to,
        amount: e.amount,
        data: e.data,
        token_metadata: e.tokenMetadata,
        block,
    }
}

fn deposit_of(bridge: Address, receipt: &Receipt) -> Result<Deposit> {
    receipt
        .logs
        .iter()
        .filter(|l| l.address() == bridge)
        .find_map(|l| L1Bridge::Deposit::decode_log(&l.inner).ok())
        .map(|e| from_event(e.data, receipt.block()))
        .ok_or(BridgeError::MissingEvent { tx_hash: receipt.transaction_hash, event: "Deposit" })
}

/// Deposits `amount` wei of ETH for `to` on `domain`.
pub async fn deposit_eth(
    client: &L1Client,
    bridge: Address,
    domain: u32,
    to: Address,
    amount: U256,
) -> Result<Deposit> {
    let call = L1Bridge::depositETHCall { domain, to, data: Bytes::new() };
    let receipt = client.send_call(bridge, call, amount).await?;
    deposit_of(bridge, &receipt)
}

/// Approves `spender` for at least `amount` of `token` (only when the allowance is short, so
/// repeated deposits cost one transaction each).
pub async fn ensure_allowance(
    client: &L1Client,
    token: Address,
    spender: Address,
    amount: U256,
) -> Result<()> {
    let allowance =
        client.view(token, IERC20::allowanceCall { owner: client.address(), spender }).await?;
    if allowance < amount {
        client.send_call(token, IERC20::approveCall { spender, value: amount }, U256::ZERO).await?;
    }
    Ok(())
}

/// Deposits `amount` SEC (wei) for `to` on `domain`, where it becomes native balance.
pub async fn deposit_sec(
    client: &L1Client,
    bridge: Address,
    sec_token: Address,
    domain: u32,
    to: Address,
    amount: U256,
) -> Result<Deposit> {
    ensure_allowance(client, sec_token, bridge, amount).await?;
    let call = L1Bridge::depositSECCall { domain, to, amount, data: Bytes::new() };
    let receipt = client.send_call(bridge, call, U256::ZERO).await?;
    deposit_of(bridge, &receipt)
}

/// Deposits `amount` of ERC-20 `token` for `to` on `domain` (approving the bridge first).
pub async fn deposit_erc20(
    client: &L1Client,
    bridge: Address,
    token: Address,
    domain: u32,
    to: Address,
    amount: U256,
) -> Result<Deposit> {
    ensure_allowance(client, token, bridge, amount).await?;
    let call = L1Bridge::depositERC20Call { token, domain, to, amount, data: Bytes::new() };
    let receipt = client.send_call(bridge, call, U256::ZERO).await?;
    deposit_of(bridge, &receipt)
}

/// Every deposit `bridge` recorded in blocks `from..=to` (for `domain` only, if given), in
/// nonce order.
pub async fn deposits(
    client: &L1Client,
    bridge: Address,
    domain: Option<u32>,
    from: u64,
    to: u64,
) -> Result<Vec<Deposit>> {
    let mut filter = Filter::new()
        .address(bridge)
        .event_signature(L1Bridge::Deposit::SIGNATURE_HASH)
        .from_block(from)
        .to_block(to);
    if let Some(domain) = domain {
        // `domain` is the event's second indexed argument
        filter = filter.topic2(B256::from(U256::from(domain)));
    }
    let mut out = Vec::new();
    for log in client.logs(&filter).await? {
        let block = log.block_number.ok_or(BridgeError::BadResponse {
            method: "eth_getLogs",
            reason: "log without block number".into(),
        })?;
        let event = L1Bridge::Deposit::decode_log(&log.inner)?;
        out.push(from_event(event.data, block));
    }
    out.sort_by_key(|d| d.nonce);
    Ok(out)
}
