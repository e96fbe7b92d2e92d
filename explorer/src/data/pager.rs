//! Paging by page number (`?page=`), the one pager the views that have not moved to cursors share.

use serde::Serialize;

/// Rows per page everywhere.
pub const PAGE: i64 = 25;

/// Where a paged list is.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Paging {
    pub page: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

impl Paging {
    pub(super) fn new(page: i64, rows: usize) -> Self {
        Self {
            page,
            prev: (page > 1).then_some(page - 1),
            next: (rows as i64 > PAGE).then_some(page + 1),
        }
    }
}

pub(super) fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PAGE
}
