//! The trade-and-trust predeploys' events (`TradeEscrow`, `Disputes`, `TrustIndex`, at the same
//! addresses in every domain; rules in contracts/TRADE.md) as rows of the `trade_*` and
//! `trust_changes` tables; the escrow steps a `CrossDomain` delivery took, in
//! `trade_step_messages`; and the hub's directory of home domains (`HomeDirectory` of domain 0)
//! in `home_sets`. Only logs of those addresses count: any other contract may emit events of the
//! same shape.

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256};

use sec_contracts::{
    bindings::{CrossDomain, Disputes, HomeDirectory, TradeEscrow, TrustIndex},
    predeploy::{CROSS_DOMAIN, DISPUTES, HOME_DIRECTORY, TRADE_ESCROW, TRUST_INDEX},
    trade::offer_stage,
};

use crate::{
    db::{Insert, Value},
    schema::{address, hash, int, text, u256},
    wire::Log,
};

/// Rows of the trade tables from a run of blocks.
#[derive(Debug, Default)]
pub struct TradeRows {
    /// `trade_offers` rows.
    pub offers: Vec<Vec<Value>>,
    /// `trade_events` rows.
    pub events: Vec<Vec<Value>>,
    /// `trade_disputes` rows.
    pub disputes: Vec<Vec<Value>>,
    /// `trade_votes` rows.
    pub votes: Vec<Vec<Value>>,
    /// `trust_changes` rows.
    pub trust: Vec<Vec<Value>>,
    /// `trade_edges` rows.
    pub edges: Vec<Vec<Value>>,
    /// `trade_step_messages` rows.
    pub step_messages: Vec<Vec<Value>>,
    /// `home_sets` rows.
    pub homes: Vec<Vec<Value>>,
    /// The escrow steps of the transaction being read that no `MessageDelivered` has followed
    /// yet: a delivery emits its event after the call it made, so the steps before it are its.
    pending: Vec<Pending>,
}

/// An escrow step waiting to learn whether a message delivery took it.
#[derive(Debug)]
struct Pending {
    at: At,
    offer: u64,
    kind: &'static str,
}

/// `trade_offers`.
pub const TRADE_OFFERS: Insert = Insert {
    table: "trade_offers",
    columns: &[
        "domain",
        "offer_id",
        "seller",
        "token",
        "price",
        "bond",
        "description_hash",
        "designated_buyer",
        "auto_confirm_period",
        "ship_period",
        "block_number",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trade_events`.
pub const TRADE_EVENTS: Insert = Insert {
    table: "trade_events",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "offer_id",
        "kind",
        "stage",
        "account",
        "seller",
        "amount",
        "dispute_id",
        "detail",
        "flag",
        "settles_at",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trade_disputes`.
pub const TRADE_DISPUTES: Insert = Insert {
    table: "trade_disputes",
    columns: &[
        "domain",
        "dispute_id",
        "offer_id",
        "buyer",
        "seller",
        "panel",
        "deadline",
        "block_number",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trade_votes`.
pub const TRADE_VOTES: Insert = Insert {
    table: "trade_votes",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "dispute_id",
        "judge",
        "uphold",
        "uphold_votes",
        "reject_votes",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trust_changes`.
pub const TRUST_CHANGES: Insert = Insert {
    table: "trust_changes",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "account",
        "old_index",
        "new_index",
        "reason",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trade_edges`.
pub const TRADE_EDGES: Insert = Insert {
    table: "trade_edges",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "buyer",
        "seller",
        "trades",
        "was_live",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// `trade_step_messages`.
pub const TRADE_STEP_MESSAGES: Insert = Insert {
    table: "trade_step_messages",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "offer_id",
        "kind",
        "message_hash",
        "source_domain",
    ],
    tail: "",
};

/// `home_sets`.
pub const HOME_SETS: Insert = Insert {
    table: "home_sets",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "account",
        "home",
        "by_message",
        "tx_hash",
        "timestamp",
    ],
    tail: "",
};

/// The domain whose `HomeDirectory` is the directory (the hub).
pub const HUB_DOMAIN: u64 = 0;

/// `trust_changes.reason` of `TrustIndex.AccountBanned` (1-3 are `IndexChanged`'s own).
pub const REASON_BANNED: u64 = 4;

/// The tables a rollback empties above the fork, with the statement that does it.
pub const ROLLBACK: &[&str] = &[
    "DELETE FROM trade_offers WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trade_events WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trade_disputes WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trade_votes WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trust_changes WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trade_edges WHERE domain = $1 AND block_number > $2",
    "DELETE FROM trade_step_messages WHERE domain = $1 AND block_number > $2",
    "DELETE FROM home_sets WHERE domain = $1 AND block_number > $2",
];

/// Where one log sits: domain, block, time, transaction, index in the block.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// Domain.
    pub domain: u64,
    /// Block number.
    pub block: u64,
    /// Block time.
    pub timestamp: u64,
    /// Transaction.
    pub tx_hash: B256,
    /// Log index in the block.
    pub log_index: u64,
}

fn opt_address(a: Address) -> Value {
    Value::Bytes((!a.is_zero()).then(|| a.to_vec()))
}

fn none_bytes() -> Value {
    Value::Bytes(None)
}

fn none_int() -> Value {
    Value::Int(None)
}

/// One `trade_events` row.
struct Event {
    offer: u64,
    kind: &'static str,
    stage: bool,
    account: Value,
    seller: Value,
    amount: Value,
    dispute: Value,
    detail: Value,
    flag: bool,
    settles_at: Value,
}

impl Event {
    fn new(offer: u64, kind: &'static str, stage: bool) -> Self {
        Self {
            offer,
            kind,
            stage,
            account: none_bytes(),
            seller: none_bytes(),
            amount: none_bytes(),
            dispute: none_int(),
            detail: none_bytes(),
            flag: false,
            settles_at: none_int(),
        }
    }

    fn row(self, at: At) -> Vec<Value> {
        vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            int(self.offer),
            text(self.kind),
            int(u64::from(self.stage)),
            self.account,
            self.seller,
            self.amount,
            self.dispute,
            self.detail,
            int(u64::from(self.flag)),
            self.settles_at,
            hash(at.tx_hash),
            int(at.timestamp),
        ]
    }
}

/// The name `trade_events.kind` gives an offer stage (`TradeEscrow.State`).
fn stage(state: u8) -> &'static str {
    offer_stage(state)
}

/// Adds the rows one log makes, if it is a trade contract's event, a message delivery that took
/// escrow steps, or a home set in the hub's directory. A transaction's logs come in order, one
/// transaction after another.
pub fn extract(out: &mut TradeRows, at: At, log: &Log) {
    if out.pending.first().is_some_and(|p| (p.at.domain, p.at.tx_hash) != (at.domain, at.tx_hash)) {
        // Steps of an earlier transaction that no delivery took.
        out.pending.clear();
    }
    let Some(topic0) = log.topics.first().copied() else { return };
    let topics = || log.topics.iter().copied();
    let data = &log.data;
    if log.address == TRADE_ESCROW {
        escrow(out, at, topic0, topics, data);
    } else if log.address == DISPUTES {
        disputes(out, at, topic0, topics, data);
    } else if log.address == TRUST_INDEX {
        trust(out, at, topic0, topics, data);
    } else if log.address == CROSS_DOMAIN && topic0 == CrossDomain::MessageDelivered::SIGNATURE_HASH
    {
        let Ok(e) = CrossDomain::MessageDelivered::decode_raw_log(topics(), data) else { return };
        for p in out.pending.drain(..) {
            out.step_messages.push(vec![
                int(p.at.domain),
                int(p.at.block),
                int(p.at.log_index),
                int(p.offer),
                text(p.kind),
                hash(e.messageHash),
                int(u64::from(e.srcDomain)),
            ]);
        }
    } else if log.address == HOME_DIRECTORY
        && at.domain == HUB_DOMAIN
        && topic0 == HomeDirectory::HomeSet::SIGNATURE_HASH
    {
        let Ok(e) = HomeDirectory::HomeSet::decode_raw_log(topics(), data) else { return };
        out.homes.push(vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            address(e.account),
            int(u64::from(e.domain)),
            int(u64::from(e.byMessage)),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
    }
}

fn escrow<I: Iterator<Item = B256>>(
    out: &mut TradeRows,
    at: At,
    topic0: B256,
    topics: impl Fn() -> I,
    data: &[u8],
) {
    use TradeEscrow as E;
    let event = if topic0 == E::OfferOpened::SIGNATURE_HASH {
        let Ok(e) = E::OfferOpened::decode_raw_log(topics(), data) else { return };
        out.offers.push(vec![
            int(at.domain),
            int(e.offerId),
            address(e.seller),
            address(e.token),
            u256(e.price),
            u256(e.bond),
            hash(e.descriptionHash),
            opt_address(e.designatedBuyer),
            int(u64::from(e.autoConfirmPeriod)),
            int(u64::from(e.shipPeriod)),
            int(at.block),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
        let mut ev = Event::new(e.offerId, stage(1), true);
        ev.seller = address(e.seller);
        ev
    } else if topic0 == E::OfferCancelled::SIGNATURE_HASH {
        let Ok(e) = E::OfferCancelled::decode_raw_log(topics(), data) else { return };
        Event::new(e.offerId, stage(6), true)
    } else if topic0 == E::OfferPaid::SIGNATURE_HASH {
        let Ok(e) = E::OfferPaid::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, stage(2), true);
        ev.account = address(e.buyer);
        ev.amount = u256(e.price);
        ev
    } else if topic0 == E::OfferShipped::SIGNATURE_HASH {
        let Ok(e) = E::OfferShipped::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, stage(3), true);
        ev.detail = hash(e.trackingHash);
        ev
    } else if topic0 == E::ConfirmationExtended::SIGNATURE_HASH {
        let Ok(e) = E::ConfirmationExtended::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, "Extended", false);
        ev.settles_at = Value::Int(Some(i64::try_from(e.settlesAt).unwrap_or(i64::MAX)));
        ev
    } else if topic0 == E::TradeCompleted::SIGNATURE_HASH {
        let Ok(e) = E::TradeCompleted::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, stage(5), true);
        ev.account = address(e.buyer);
        ev.seller = address(e.seller);
        ev.flag = e.bySettle;
        ev
    } else if topic0 == E::TradeRefunded::SIGNATURE_HASH {
        let Ok(e) = E::TradeRefunded::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, stage(7), true);
        ev.account = address(e.buyer);
        ev.flag = e.bySeller;
        ev
    } else if topic0 == E::DisputeOpened::SIGNATURE_HASH {
        let Ok(e) = E::DisputeOpened::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, stage(4), true);
        ev.dispute = int(e.disputeId);
        ev.detail = hash(e.evidenceHash);
        ev
    } else if topic0 == E::Evidence::SIGNATURE_HASH {
        let Ok(e) = E::Evidence::decode_raw_log(topics(), data) else { return };
        let mut ev = Event::new(e.offerId, "Evidence", false);
        ev.account = address(e.party);
        ev.detail = hash(e.evidenceHash);
        ev
    } else if topic0 == E::DisputeResolved::SIGNATURE_HASH {
        let Ok(e) = E::DisputeResolved::decode_raw_log(topics(), data) else { return };
        // Outcomes 1, 2, 3 are the stages Upheld, Rejected, Defaulted (7 + outcome).
        let mut ev = Event::new(e.offerId, stage(7u8.saturating_add(e.outcome)), true);
        ev.account = address(e.paidTo);
        ev.amount = u256(e.amount);
        ev
    } else {
        return;
    };
    out.pending.push(Pending { at, offer: event.offer, kind: event.kind });
    out.events.push(event.row(at));
}

fn disputes<I: Iterator<Item = B256>>(
    out: &mut TradeRows,
    at: At,
    topic0: B256,
    topics: impl Fn() -> I,
    data: &[u8],
) {
    use Disputes as D;
    if topic0 == D::DisputeCreated::SIGNATURE_HASH {
        let Ok(e) = D::DisputeCreated::decode_raw_log(topics(), data) else { return };
        let panel: Vec<u8> = e.panel.iter().flat_map(|a| a.to_vec()).collect();
        out.disputes.push(vec![
            int(at.domain),
            int(e.disputeId),
            int(e.offerId),
            address(e.buyer),
            address(e.seller),
            Value::Bytes(Some(panel)),
            int(u64::try_from(e.deadline).unwrap_or(u64::MAX >> 1)),
            int(at.block),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
    } else if topic0 == D::Voted::SIGNATURE_HASH {
        let Ok(e) = D::Voted::decode_raw_log(topics(), data) else { return };
        out.votes.push(vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            int(e.disputeId),
            address(e.judge),
            int(u64::from(e.uphold)),
            none_int(),
            none_int(),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
    } else if topic0 == D::Decided::SIGNATURE_HASH {
        let Ok(e) = D::Decided::decode_raw_log(topics(), data) else { return };
        out.votes.push(vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            int(e.disputeId),
            none_bytes(),
            int(u64::from(e.outcome)),
            int(u64::from(e.upholdVotes)),
            int(u64::from(e.rejectVotes)),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
    }
}

fn trust<I: Iterator<Item = B256>>(
    out: &mut TradeRows,
    at: At,
    topic0: B256,
    topics: impl Fn() -> I,
    data: &[u8],
) {
    use TrustIndex as T;
    let change = |account: Address, old: u8, new: u8, reason: u64| {
        vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            address(account),
            int(u64::from(old)),
            int(u64::from(new)),
            int(reason),
            hash(at.tx_hash),
            int(at.timestamp),
        ]
    };
    if topic0 == T::IndexChanged::SIGNATURE_HASH {
        let Ok(e) = T::IndexChanged::decode_raw_log(topics(), data) else { return };
        out.trust.push(change(e.account, e.oldIndex, e.newIndex, u64::from(e.reason)));
    } else if topic0 == T::AccountBanned::SIGNATURE_HASH {
        let Ok(e) = T::AccountBanned::decode_raw_log(topics(), data) else { return };
        out.trust.push(change(e.account, 0, 0, REASON_BANNED));
    } else if topic0 == T::EdgeRenewed::SIGNATURE_HASH {
        let Ok(e) = T::EdgeRenewed::decode_raw_log(topics(), data) else { return };
        out.edges.push(vec![
            int(at.domain),
            int(at.block),
            int(at.log_index),
            address(e.buyer),
            address(e.seller),
            int(u64::from(e.count)),
            int(u64::from(e.wasLive)),
            hash(at.tx_hash),
            int(at.timestamp),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    fn log(address: Address, event: &impl SolEvent) -> Log {
        let d = event.encode_log_data();
        Log { address, topics: d.topics().to_vec(), data: d.data, log_index: None }
    }

    fn at(domain: u64, tx: u8, log_index: u64) -> At {
        At { domain, block: 7, timestamp: 1_700_000_000, tx_hash: B256::repeat_byte(tx), log_index }
    }

    fn paid(offer: u64) -> TradeEscrow::OfferPaid {
        TradeEscrow::OfferPaid { offerId: offer, buyer: Address::repeat_byte(9), price: U256::ONE }
    }

    fn delivered(h: u8, src: u32) -> CrossDomain::MessageDelivered {
        CrossDomain::MessageDelivered {
            messageHash: B256::repeat_byte(h),
            srcDomain: src,
            nonce: 1,
            success: true,
        }
    }

    /// (log index, offer, kind, message hash byte, source domain) of each row.
    fn linked(out: &TradeRows) -> Vec<(i64, i64, String, u8, i64)> {
        out.step_messages
            .iter()
            .map(|r| match &r[..] {
                [
                    _,
                    _,
                    Value::Int(Some(i)),
                    Value::Int(Some(o)),
                    Value::Text(Some(k)),
                    Value::Bytes(Some(h)),
                    Value::Int(Some(s)),
                ] => (*i, *o, k.clone(), h[0], *s),
                other => panic!("unexpected row {other:?}"),
            })
            .collect()
    }

    #[test]
    fn steps_taken_by_a_delivery_name_its_message() {
        let mut out = TradeRows::default();
        // A delivery from domain 2 that paid offer 1.
        extract(&mut out, at(0, 1, 0), &log(TRADE_ESCROW, &paid(1)));
        extract(&mut out, at(0, 1, 1), &log(CROSS_DOMAIN, &delivered(0xa1, 2)));
        // An ordinary payment, then a delivery in another transaction: not the payment's.
        extract(&mut out, at(0, 2, 2), &log(TRADE_ESCROW, &paid(2)));
        extract(&mut out, at(0, 3, 3), &log(CROSS_DOMAIN, &delivered(0xa2, 1)));
        // Two deliveries in one transaction: each step is the delivery's that follows it.
        let confirm = TradeEscrow::TradeCompleted {
            offerId: 1,
            buyer: Address::repeat_byte(9),
            seller: Address::repeat_byte(8),
            bySettle: false,
        };
        extract(&mut out, at(0, 4, 4), &log(TRADE_ESCROW, &paid(3)));
        extract(&mut out, at(0, 4, 5), &log(CROSS_DOMAIN, &delivered(0xa3, 1)));
        extract(&mut out, at(0, 4, 6), &log(TRADE_ESCROW, &confirm));
        extract(&mut out, at(0, 4, 7), &log(CROSS_DOMAIN, &delivered(0xa4, 2)));
        // A delivery event from another address proves nothing.
        extract(&mut out, at(0, 5, 8), &log(TRADE_ESCROW, &paid(4)));
        extract(&mut out, at(0, 5, 9), &log(Address::repeat_byte(1), &delivered(0xa5, 1)));
        assert_eq!(out.events.len(), 5);
        assert_eq!(
            linked(&out),
            [
                (0, 1, "Paid".into(), 0xa1, 2),
                (4, 3, "Paid".into(), 0xa3, 1),
                (6, 1, "Completed".into(), 0xa4, 2),
            ]
        );
    }

    #[test]
    fn homes_are_the_hubs_directory_only() {
        let mut out = TradeRows::default();
        let set = |domain: u32, by_message: bool| HomeDirectory::HomeSet {
            account: Address::repeat_byte(5),
            domain,
            byMessage: by_message,
        };
        extract(&mut out, at(0, 1, 0), &log(HOME_DIRECTORY, &set(2, true)));
        // Another domain's predeploy routes nothing; another contract is not the directory.
        extract(&mut out, at(1, 2, 0), &log(HOME_DIRECTORY, &set(1, false)));
        extract(&mut out, at(0, 3, 1), &log(Address::repeat_byte(1), &set(3, false)));
        assert_eq!(out.homes.len(), 1);
        let row = &out.homes[0];
        assert_eq!(row[3], Value::Bytes(Some(vec![5; 20])));
        assert_eq!((&row[4], &row[5]), (&Value::Int(Some(2)), &Value::Int(Some(1))));
    }
}
