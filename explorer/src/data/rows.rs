//! Reading columns of an index row: the one row reader every view shares.

use sqlx::{Row, any::AnyRow};

use crate::ExplorerError;

/// A byte column; SQLite hands back an empty BLOB from an expression as NULL, so NULL reads as
/// empty.
pub(crate) fn bytes(row: &AnyRow, col: &str) -> Result<Vec<u8>, ExplorerError> {
    Ok(row.try_get::<Option<Vec<u8>>, _>(col)?.unwrap_or_default())
}
pub(crate) fn opt_bytes(row: &AnyRow, col: &str) -> Result<Option<Vec<u8>>, ExplorerError> {
    Ok(row.try_get::<Option<Vec<u8>>, _>(col)?)
}
pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, ExplorerError> {
    Ok(row.try_get::<i64, _>(col)?)
}
pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, ExplorerError> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, ExplorerError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}
