//! Serde for `u64` as a 0x-prefixed hex quantity, the way Ethereum JSON-RPC writes numbers.

use serde::{Deserialize, Deserializer, Serializer};

/// Writes `v` as `0x..` hex.
pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// Reads a `0x..` hex quantity.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| serde::de::Error::custom("quantity must start with 0x"))?;
    u64::from_str_radix(digits, 16).map_err(serde::de::Error::custom)
}
