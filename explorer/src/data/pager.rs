//! Paging by keyset cursor, as the lists that are not the `/blocks` and `/txs` lists share it:
//! a page is read from below (or above) where the page before ended, through an index in list
//! order, so a deep page costs what the first does where an OFFSET would read every row above it.

use serde::Serialize;

use crate::ExplorerError;

/// Rows per page everywhere.
pub const PAGE: i64 = 25;

/// Where a list paged by cursor is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CursorPage {
    /// Whether this page starts at the list's start (no cursor was given).
    pub first: bool,
    /// The cursor of the next page, to pass back as the list's cursor parameter; absent on the
    /// last page.
    pub next: Option<String>,
}

impl CursorPage {
    /// The page of `rows` read (one more than [`PAGE`] if there are more), whose last shown row
    /// has cursor `last`.
    pub(super) fn new<T>(
        first: bool,
        rows: &[T],
        last: impl FnOnce(&T) -> Result<String, ExplorerError>,
    ) -> Result<Self, ExplorerError> {
        let next = match rows.get(PAGE as usize - 1) {
            Some(row) if rows.len() as i64 > PAGE => Some(last(row)?),
            _ => None,
        };
        Ok(Self { first, next })
    }
}
