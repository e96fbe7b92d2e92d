//! sec-contracts
