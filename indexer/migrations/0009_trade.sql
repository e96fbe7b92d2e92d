-- The trade-and-trust predeploys' events (TradeEscrow, Disputes, TrustIndex; contracts/TRADE.md),
-- one row per event, as each domain's contracts emitted them. Every row carries its domain and
-- block, which a reorg rollback deletes by; nothing here is updated in place: an offer's stage
-- is its latest stage event, an account's trust index its latest change, an edge's weight the
-- count of its renewals.

-- TradeEscrow.OfferOpened: what the offer is.
CREATE TABLE trade_offers (
    domain BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    seller BYTEA NOT NULL,
    token BYTEA NOT NULL,
    price BYTEA NOT NULL,
    bond BYTEA NOT NULL,
    description_hash BYTEA NOT NULL,
    designated_buyer BYTEA,
    auto_confirm_period BIGINT NOT NULL,
    ship_period BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, offer_id)
);
CREATE INDEX trade_offers_by_seller ON trade_offers (seller, timestamp);
CREATE INDEX trade_offers_by_block ON trade_offers (domain, block_number);
CREATE INDEX trade_offers_by_time ON trade_offers (timestamp);

-- An offer's events: `kind` is the stage it entered (Open, Paid, Shipped, Disputed, Completed,
-- Cancelled, Refunded, Upheld, Rejected, Defaulted; `stage` = 1) or Extended / Evidence
-- (`stage` = 0). `account`: the buyer (Paid, Completed, Refunded), the party (Evidence), the
-- payee (Upheld, Rejected, Defaulted). `seller`: Completed only. `amount`: the price paid, or
-- what a decision paid out. `flag`: Completed by settlement, Refunded by the seller.
CREATE TABLE trade_events (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    stage BIGINT NOT NULL,
    account BYTEA,
    seller BYTEA,
    amount BYTEA,
    dispute_id BIGINT,
    detail BYTEA,
    flag BIGINT NOT NULL,
    settles_at BIGINT,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX trade_events_by_offer ON trade_events (domain, offer_id, block_number, log_index);
CREATE INDEX trade_events_by_account ON trade_events (account, kind, timestamp);
CREATE INDEX trade_events_by_kind ON trade_events (kind, timestamp);

-- Disputes.DisputeCreated: the panel is the five judges' addresses, concatenated.
CREATE TABLE trade_disputes (
    domain BIGINT NOT NULL,
    dispute_id BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    buyer BYTEA NOT NULL,
    seller BYTEA NOT NULL,
    panel BYTEA NOT NULL,
    deadline BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, dispute_id)
);
CREATE INDEX trade_disputes_by_offer ON trade_disputes (domain, offer_id);
CREATE INDEX trade_disputes_by_seller ON trade_disputes (seller, timestamp);
CREATE INDEX trade_disputes_by_buyer ON trade_disputes (buyer, timestamp);
CREATE INDEX trade_disputes_by_block ON trade_disputes (domain, block_number);

-- Disputes.Voted, and Disputes.Decided as a row with `judge` NULL, `uphold` the outcome
-- (1 upheld, 2 rejected, 3 defaulted) and the two tallies.
CREATE TABLE trade_votes (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    dispute_id BIGINT NOT NULL,
    judge BYTEA,
    uphold BIGINT NOT NULL,
    uphold_votes BIGINT,
    reject_votes BIGINT,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX trade_votes_by_dispute ON trade_votes (domain, dispute_id, block_number, log_index);

-- TrustIndex.IndexChanged (reason 1 completed trade, 2 fake goods upheld, 3 malicious
-- complaint) and TrustIndex.AccountBanned (reason 4, both indexes 0).
CREATE TABLE trust_changes (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    account BYTEA NOT NULL,
    old_index BIGINT NOT NULL,
    new_index BIGINT NOT NULL,
    reason BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX trust_changes_by_account ON trust_changes (account, timestamp);

-- TrustIndex.EdgeRenewed: one completed trade over the relationship (buyer, seller).
CREATE TABLE trade_edges (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    buyer BYTEA NOT NULL,
    seller BYTEA NOT NULL,
    trades BIGINT NOT NULL,
    was_live BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX trade_edges_by_buyer ON trade_edges (buyer, seller);
CREATE INDEX trade_edges_by_seller ON trade_edges (seller, buyer);
