//! sec-explorer
