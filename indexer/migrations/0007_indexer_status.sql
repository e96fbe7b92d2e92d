-- What the indexer last saw of each domain's node, and when (unix seconds): the explorer tells
-- its visitors the index is stale when the indexer stops reporting or falls behind. Liveness,
-- not index content: two indexes of the same chain differ here only in time.
CREATE TABLE indexer_status (
    domain BIGINT NOT NULL PRIMARY KEY,
    node_head BIGINT NOT NULL,
    checked_at BIGINT NOT NULL
);
