//! Reading the index for the pages and the JSON API: one function per view, bound parameters
//! only, every query served by an index (paging is by `LIMIT`/`OFFSET` over indexed order, or
//! by keyset cursor on the address and block pages).
//!
//! One module per view or group of views (`blocks`, `transactions`, `home`, `address`,
//! `tokens`, `bridge`, `validators`, `sec_token`, `search`), sharing one row reader (`rows`) and
//! one pager (`pager`); everything is re-exported here, so `data::X` names what it always did.

mod address;
mod blocks;
mod bridge;
mod home;
mod pager;
mod rows;
mod search;
mod sec_token;
mod tokens;
mod transactions;
mod validators;

pub use address::*;
pub use blocks::*;
pub use bridge::*;
pub use home::*;
pub use pager::*;
pub(crate) use rows::*;
pub use search::*;
pub use sec_token::*;
pub use tokens::*;
pub use transactions::*;
pub use validators::*;

use alloy_primitives::B256;

/// The statements of the views paged by cursor with their parameters' kinds (`i` an integer,
/// `a` an address), for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    address::address_statements()
        .into_iter()
        .chain(blocks::block_statements())
        .chain(bridge::bridge_statements())
        .chain(tokens::token_statements())
        .chain(search::search_statements())
        .collect()
}

/// Parses a 32-byte hash.
pub fn parse_hash(s: &str) -> Option<B256> {
    s.parse().ok()
}

/// Parses an address.
pub fn parse_address(s: &str) -> Option<alloy_primitives::Address> {
    s.parse().ok()
}
