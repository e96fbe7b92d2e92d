-- Trade steps that arrived as cross-domain messages, and the hub's directory of home domains
-- (contracts/TRADE.md, "Steps from another domain" and "Domain convergence"). Like the other
-- trade tables: one row per event, carrying its domain and block, which a reorg rollback
-- deletes by; never updated in place.

-- A TradeEscrow event emitted inside a CrossDomain.deliver: the step was taken by message
-- `message_hash`, sent from `source_domain` (its sender is the account that acted; the message
-- itself is in `messages` once the source domain is indexed). Same key as its `trade_events`
-- row; `offer_id` and `kind` copied from it so that "was this offer paid by a message" is one
-- index probe.
CREATE TABLE trade_step_messages (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    message_hash BYTEA NOT NULL,
    source_domain BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX trade_step_messages_by_offer ON trade_step_messages (domain, offer_id, kind);

-- HomeDirectory.HomeSet of domain 0, the hub (the predeploy of the other domains routes
-- nothing): `account`'s home became domain `home`, set on the hub (`by_message` 0) or by a
-- message from that domain (1). An account's home at a time is its latest row by then.
CREATE TABLE home_sets (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    account BYTEA NOT NULL,
    home BIGINT NOT NULL,
    by_message BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX home_sets_by_account ON home_sets (account, timestamp, block_number, log_index);
