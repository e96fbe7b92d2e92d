//! Integration tests of the indexer against a real node, into SQLite and PostgreSQL.

mod activity;
mod common;
mod height;
mod index;
mod limits;
mod resilience;
mod trade;
