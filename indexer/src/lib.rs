//! sec-indexer
