//! sec-bridge
