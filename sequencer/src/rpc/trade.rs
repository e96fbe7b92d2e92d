//! `sec_trustIndex` and `sec_trades`: the trade-and-trust predeploys (`TrustIndex`,
//! `TradeEscrow`) read through the node's own EVM, so that a wallet or the explorer gets an
//! account's standing and its trades in one request instead of many `eth_call`s.
//!
//! Both run the contracts' public views (never their storage layout), at the block asked for
//! (default latest), all views of one request on one state snapshot.

use std::time::Instant;

use alloy::eips::BlockId;
use alloy_primitives::{Address, U256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use sec_contracts::{
    bindings::{TradeEscrow, TrustIndex},
    predeploy::{TRADE_ESCROW, TRUST_INDEX},
};
use serde_json::{Value, json};

use super::{
    error::RpcResult,
    eth::{Args, EthApi},
    views::{Views, with_views},
};

/// Most offers one `sec_trades` examines, newest first. `TradeEscrow` keeps no per-account
/// list, so the method walks offer ids down from `lastOfferId` (one view per offer); the answer
/// says whether it reached offer 1 (`complete`) and where to continue (`before`). It also stops
/// early after half the node's EVM time budget.
pub const MAX_OFFERS_SCANNED: u64 = 5_000;

impl Views<'_> {
    fn trust_index(&self, account: Address) -> RpcResult<Value> {
        let a = self.call(TRUST_INDEX, TrustIndex::accountOfCall { account })?;
        let bond_bps = self.call(TRADE_ESCROW, TradeEscrow::bondBpsCall { index: a.index })?;
        Ok(json!({
            "address": account,
            "index": a.index,
            "banned": a.banned,
            "completedTrades": a.completed,
            "disputesLost": a.penalties,
            "bondBps": bond_bps.saturating_to::<u64>(),
        }))
    }

    fn trades(&self, account: Address, before: Option<u64>) -> RpcResult<Value> {
        let last = self.call(TRADE_ESCROW, TradeEscrow::lastOfferIdCall {})?;
        let top = before.map_or(last, |b| b.saturating_sub(1).min(last));
        let mut bottom = top.saturating_sub(MAX_OFFERS_SCANNED);
        // a slow node answers with what it read in half its execution budget rather than
        // with a timeout: the caller continues from `before`
        let soft_deadline = self.deadline.at.checked_sub(self.deadline.budget / 2);
        let mut offers = Vec::new();
        for id in (bottom + 1..=top).rev() {
            // at least one offer per call, so that paging always moves on
            if id < top && soft_deadline.is_some_and(|d| Instant::now() >= d) {
                bottom = id;
                break;
            }
            let o = self.call(TRADE_ESCROW, TradeEscrow::offerCall { offerId: id })?;
            let role = if o.seller == account {
                "seller"
            } else if o.buyer == account {
                // before payment `buyer` is the designated buyer, afterwards the payer
                if o.state == 1 || o.state == 6 { "designatedBuyer" } else { "buyer" }
            } else {
                continue;
            };
            offers.push(offer_json(id, role, &o));
        }
        Ok(json!({
            "address": account,
            "lastOfferId": last,
            "complete": bottom == 0,
            "before": if bottom == 0 { Value::Null } else { json!(bottom + 1) },
            "offers": offers,
        }))
    }
}

/// One offer as `sec_trades` reports it: stage, parties, amounts and the times that matter.
fn offer_json(id: u64, role: &str, o: &TradeEscrow::Offer) -> Value {
    let paid_at = o.paidAt.to::<u64>();
    let shipped_at = o.shippedAt.to::<u64>();
    let period = u64::from(o.autoConfirmPeriod) * if o.extended { 2 } else { 1 };
    json!({
        "offerId": id,
        "role": role,
        "stage": sec_contracts::trade::offer_stage(o.state),
        "seller": o.seller,
        "buyer": (o.buyer != Address::ZERO).then_some(o.buyer),
        "token": o.token,
        "price": U256::from(o.price),
        "bond": U256::from(o.bond),
        "descriptionHash": o.descriptionHash,
        "autoConfirmPeriod": o.autoConfirmPeriod,
        "shipPeriod": o.shipPeriod,
        "extended": o.extended,
        "paidAt": (paid_at != 0).then_some(paid_at),
        "shipBy": (paid_at != 0).then_some(paid_at + u64::from(o.shipPeriod)),
        "shippedAt": (shipped_at != 0).then_some(shipped_at),
        "settlesAt": (shipped_at != 0).then_some(shipped_at + period),
        "disputeId": (o.disputeId != 0).then_some(o.disputeId),
    })
}

/// Registers `sec_trustIndex` and `sec_trades`.
pub fn register(m: &mut RpcModule<EthApi>) {
    type Handler = fn(&EthApi, &mut Args<'_>) -> RpcResult<Value>;
    let handlers: [(&'static str, Handler); 2] = [
        // sec_trustIndex(address, block?)
        ("sec_trustIndex", |api, a| {
            let account: Address = a.next()?;
            let block: Option<BlockId> = a.opt()?;
            with_views(api, block, |v| v.trust_index(account))
        }),
        // sec_trades(address, block?, before?): offers with id < before (default: all)
        ("sec_trades", |api, a| {
            let account: Address = a.next()?;
            let block: Option<BlockId> = a.opt()?;
            let before: Option<u64> = a.opt()?;
            with_views(api, block, |v| v.trades(account, before))
        }),
    ];
    for (name, f) in handlers {
        m.register_blocking_method(name, move |p, api, _| -> Result<Value, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            f(&api, &mut args).map_err(Into::into)
        })
        .expect("unique method");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_times_follow_the_rules() {
        let o = TradeEscrow::Offer {
            seller: Address::repeat_byte(1),
            state: 3,
            autoConfirmPeriod: 3600,
            shipPeriod: 7200,
            bondBps: 5000,
            extended: true,
            buyer: Address::repeat_byte(2),
            paidAt: alloy_primitives::aliases::U40::from(1000u64),
            shippedAt: alloy_primitives::aliases::U40::from(2000u64),
            token: Address::ZERO,
            disputeId: 0,
            price: 10,
            bond: 5,
            descriptionHash: Default::default(),
        };
        let j = offer_json(7, "buyer", &o);
        assert_eq!(j["stage"], "Shipped");
        assert_eq!(j["shipBy"], 8200);
        // extended: twice the auto-confirm period
        assert_eq!(j["settlesAt"], 2000 + 7200);
        assert_eq!(j["disputeId"], Value::Null);
    }
}
