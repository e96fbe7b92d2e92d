//! Verified contracts: source, ABI and compiler settings of contracts whose code was matched
//! against the chain (table `verified_contracts`). The chain's own contracts (the predeploys of
//! every domain and the contracts on Ethereum) are recorded here from the committed artifacts
//! at every start of the indexer, without a compiler; the explorer records what users submit.

use std::ops::Range;

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, Bytes, keccak256};
use sec_contracts::{artifacts, bindings::L1Bridge, predeploy, verify::matches_artifact};
use serde_json::{Value, json};
use sqlx::Row;
use tracing::{info, warn};

use crate::{IndexerError, db::Database, ethereum::EthereumConfig, source::NodeClient};

/// The domain id under which Ethereum's contracts are recorded (`Messages.L1_DOMAIN`).
pub const L1_DOMAIN: i64 = u32::MAX as i64;

/// How far compiled code matches the code on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMatch {
    /// Byte for byte, the compiler's metadata hash included.
    Full,
    /// Everything but the metadata tail (Sourcify's "partial match"): the same program, from
    /// sources that differ in what does not change it (comments, file names, whitespace).
    Partial,
}

/// Length of solc's CBOR metadata tail (its last two bytes say how long the CBOR map before
/// them is), if `code` ends with one.
pub fn metadata_len(code: &[u8]) -> Option<usize> {
    let n = code.len();
    if n < 2 {
        return None;
    }
    let cbor = usize::from(u16::from_be_bytes([code[n - 2], code[n - 1]]));
    let total = cbor + 2;
    // A CBOR map of one to five entries opens it.
    (cbor > 0 && total <= n && (0xa1..=0xa5).contains(&code[n - total])).then_some(total)
}

/// Compares runtime code on chain with compiled runtime code, taking the chain's bytes at
/// `wildcards` (immutables, which the constructor fills in, and library addresses).
pub fn compare(onchain: &[u8], compiled: &[u8], wildcards: &[Range<usize>]) -> Option<CodeMatch> {
    if onchain.is_empty() || onchain.len() != compiled.len() {
        return None;
    }
    let mut expected = compiled.to_vec();
    for range in wildcards {
        let range = range.start.min(onchain.len())..range.end.min(onchain.len());
        expected[range.clone()].copy_from_slice(&onchain[range]);
    }
    if expected == onchain {
        return Some(CodeMatch::Full);
    }
    let tail = metadata_len(&expected)?;
    if metadata_len(onchain) != Some(tail) {
        return None;
    }
    let end = expected.len() - tail;
    (expected[..end] == onchain[..end]).then_some(CodeMatch::Partial)
}

/// Etherscan's name of a compiler version: `v0.8.37+commit.f401782d` for solc-js's
/// `0.8.37+commit.f401782d.Emscripten.clang`.
pub fn compiler_tag(version: &str) -> String {
    let v = version.trim_start_matches('v');
    let v = v.split(".Emscripten").next().unwrap_or(v);
    format!("v{v}")
}

/// The SPDX licence a source declares, or "None" (Etherscan's word for none).
pub fn license_of(source: &str) -> String {
    source
        .lines()
        .find_map(|l| l.split("SPDX-License-Identifier:").nth(1))
        .map(|l| l.split("*/").next().unwrap_or(l).trim().to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "None".into())
}

/// One verified contract, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedContract {
    /// Domain (or [`L1_DOMAIN`]).
    pub domain: i64,
    /// Where it is.
    pub address: Address,
    /// Contract name.
    pub name: String,
    /// The source unit that declares it.
    pub file: String,
    /// Whether the metadata matched too.
    pub full_match: bool,
    /// Etherscan-style compiler version (`v0.8.37+commit.f401782d`).
    pub compiler_version: String,
    /// `solidity-standard-json-input` or `solidity-single-file`.
    pub code_format: String,
    /// The compiler's standard-JSON input (sources and settings).
    pub source: String,
    /// The settings, JSON.
    pub settings: String,
    /// The ABI, JSON.
    pub abi: String,
    /// ABI-encoded constructor arguments, when known.
    pub constructor_args: Vec<u8>,
    /// SPDX licence of the contract's file.
    pub license: String,
    /// keccak256 of the runtime code that was matched.
    pub code_hash: Vec<u8>,
    /// `system` (the chain's own contracts) or `user`.
    pub origin: String,
}

/// Writes `contract`, replacing an earlier verification of the same address.
pub async fn store(db: &Database, c: &VerifiedContract, now: u64) -> Result<(), IndexerError> {
    sqlx::query(
        "INSERT INTO verified_contracts (domain, address, name, file, full_match, \
           compiler_version, code_format, source, settings, abi, constructor_args, license, \
           code_hash, origin, verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (domain, address) DO UPDATE SET name = excluded.name, file = excluded.file, \
           full_match = excluded.full_match, compiler_version = excluded.compiler_version, \
           code_format = excluded.code_format, source = excluded.source, \
           settings = excluded.settings, abi = excluded.abi, \
           constructor_args = excluded.constructor_args, license = excluded.license, \
           code_hash = excluded.code_hash, origin = excluded.origin, \
           verified_at = excluded.verified_at",
    )
    .bind(c.domain)
    .bind(c.address.to_vec())
    .bind(c.name.clone())
    .bind(c.file.clone())
    .bind(i64::from(c.full_match))
    .bind(c.compiler_version.clone())
    .bind(c.code_format.clone())
    .bind(c.source.clone())
    .bind(c.settings.clone())
    .bind(c.abi.clone())
    .bind(c.constructor_args.clone())
    .bind(c.license.clone())
    .bind(c.code_hash.clone())
    .bind(c.origin.clone())
    .bind(now as i64)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The code hash a verified row of (`domain`, `address`) was matched against, if any.
pub async fn verified_code_hash(
    db: &Database,
    domain: i64,
    address: Address,
) -> Result<Option<Vec<u8>>, IndexerError> {
    let row =
        sqlx::query("SELECT code_hash FROM verified_contracts WHERE domain = $1 AND address = $2")
            .bind(domain)
            .bind(address.to_vec())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| r.try_get::<Vec<u8>, _>("code_hash")).transpose()?)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The predeploys every domain has, by artifact name.
const PREDEPLOYS: &[(&str, Address)] = &[
    ("CrossDomain", predeploy::CROSS_DOMAIN),
    ("L2Bridge", predeploy::L2_BRIDGE),
    ("L2TokenFactory", predeploy::L2_TOKEN_FACTORY),
    ("TrustIndex", predeploy::TRUST_INDEX),
    ("TradeEscrow", predeploy::TRADE_ESCROW),
    ("Disputes", predeploy::DISPUTES),
    ("HomeDirectory", predeploy::HOME_DIRECTORY),
];

/// The contracts the project deploys on Ethereum, by artifact name.
const L1_CONTRACTS: &[&str] = &[
    "SECToken",
    "VestingVault",
    "Presale",
    "TimelockedReserve",
    "MerchantIssuance",
    "StakeManager",
    "CheckpointManager",
    "L1Bridge",
];

/// A system contract's row, if `code` is its artifact's runtime code with immutables filled in.
fn system_row(
    domain: i64,
    address: Address,
    name: &str,
    code: &[u8],
) -> Result<Option<VerifiedContract>, IndexerError> {
    let corrupt = |message: String| IndexerError::Config(format!("artifact {name}: {message}"));
    let Some(json) = artifacts::artifact(name) else { return Ok(None) };
    let artifact: Value = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
    let deployed = artifact["deployedBytecode"].as_str().unwrap_or_default();
    let deployed = alloy_primitives::hex::decode(deployed).map_err(|e| corrupt(e.to_string()))?;
    if code.is_empty() || !matches_artifact(code, &deployed) {
        return Ok(None);
    }
    let file = artifact["sourceName"].as_str().unwrap_or_default().to_string();
    let settings = artifact["compiler"]["settings"].clone();
    let sources: serde_json::Map<String, Value> = artifacts::sources_of(&file)
        .into_iter()
        .map(|(unit, text)| (unit.to_string(), json!({ "content": text })))
        .collect();
    let main = artifacts::SOURCES.iter().find(|(unit, _)| *unit == file).map(|(_, t)| *t);
    let input = json!({ "language": "Solidity", "sources": sources, "settings": settings });
    Ok(Some(VerifiedContract {
        domain,
        address,
        name: name.to_string(),
        file,
        // The artifact is the very compiler output the chain's code came from.
        full_match: true,
        compiler_version: compiler_tag(artifact["compiler"]["version"].as_str().unwrap_or("")),
        code_format: "solidity-standard-json-input".into(),
        source: input.to_string(),
        settings: settings.to_string(),
        abi: artifact["abi"].to_string(),
        constructor_args: Vec::new(),
        license: license_of(main.unwrap_or("")),
        code_hash: keccak256(code).to_vec(),
        origin: "system".into(),
    }))
}

/// Records the chain's own contracts as verified: the predeploys of each domain in `domains`
/// (domain, JSON-RPC URL) and, with `ethereum`, the bridge, checkpoint and stake managers, the
/// allocation contracts and the SEC token on Ethereum, wherever their code on chain is the
/// committed artifact's. Returns how many it recorded.
pub async fn record_system_contracts(
    db: &Database,
    domains: &[(u32, String)],
    ethereum: Option<&EthereumConfig>,
) -> Result<usize, IndexerError> {
    let now = unix_now();
    let mut recorded = 0;
    for (domain, url) in domains {
        let client = NodeClient::new(url)?;
        let head = client.block_number().await?;
        let addresses: Vec<Address> = PREDEPLOYS.iter().map(|(_, a)| *a).collect();
        let codes = client.codes(&addresses, head).await?;
        for ((name, address), code) in PREDEPLOYS.iter().zip(codes) {
            match system_row(i64::from(*domain), *address, name, &code)? {
                Some(row) => {
                    store(db, &row, now).await?;
                    recorded += 1;
                }
                None if !code.is_empty() => {
                    warn!(domain, %address, name, "predeploy code is not the committed artifact's")
                }
                None => {}
            }
        }
    }
    if let Some(eth) = ethereum {
        let client = NodeClient::new(&eth.rpc)?;
        let head = client.block_number().await?;
        let mut addresses = vec![eth.bridge, eth.checkpoint_manager, eth.stake_manager];
        addresses.extend(&eth.allocations);
        let sec = client
            .calls(&[(eth.bridge, Bytes::from(L1Bridge::secCall {}.abi_encode()))], head)
            .await?;
        if let Some(Some(answer)) = sec.first()
            && let Ok(token) = L1Bridge::secCall::abi_decode_returns(answer)
        {
            addresses.push(token);
        }
        let codes = client.codes(&addresses, head).await?;
        for (address, code) in addresses.iter().zip(codes) {
            let mut found = false;
            for name in L1_CONTRACTS {
                if let Some(row) = system_row(L1_DOMAIN, *address, name, &code)? {
                    store(db, &row, now).await?;
                    recorded += 1;
                    found = true;
                    break;
                }
            }
            if !found {
                warn!(%address, "Ethereum contract's code is none of the committed artifacts");
            }
        }
    }
    info!(recorded, "system contracts recorded as verified");
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_metadata(body: &[u8], hash_byte: u8) -> Vec<u8> {
        // a2 64 'ipfs' 58 22 <34 bytes> 64 'solc' 43 <3 bytes>, then its length
        let mut cbor = vec![0xa2, 0x64, b'i', b'p', b'f', b's', 0x58, 0x22];
        cbor.extend([hash_byte; 34]);
        cbor.extend([0x64, b's', b'o', b'l', b'c', 0x43, 0, 8, 37]);
        let mut code = body.to_vec();
        code.extend(&cbor);
        code.extend((cbor.len() as u16).to_be_bytes());
        code
    }

    #[test]
    fn metadata_differences_are_a_partial_match() {
        let body = [0x60, 0x80, 0x60, 0x40, 0x52, 0x00];
        let a = with_metadata(&body, 1);
        assert_eq!(metadata_len(&a), Some(a.len() - body.len()));
        assert_eq!(compare(&a, &a, &[]), Some(CodeMatch::Full));
        assert_eq!(compare(&a, &with_metadata(&body, 2), &[]), Some(CodeMatch::Partial));
        let other = with_metadata(&[0x60, 0x80, 0x60, 0x40, 0x52, 0x01], 1);
        assert_eq!(compare(&a, &other, &[]), None);
        assert_eq!(compare(&a, &a[1..], &[]), None);
        assert_eq!(compare(&[], &[], &[]), None);
    }

    #[test]
    fn immutables_are_taken_from_the_chain() {
        let compiled = with_metadata(&[0x73, 0, 0, 0, 0x50], 1);
        let onchain = with_metadata(&[0x73, 9, 9, 9, 0x50], 1);
        assert_eq!(compare(&onchain, &compiled, &[]), None);
        let immutable: Range<usize> = 1..4;
        assert_eq!(compare(&onchain, &compiled, &[immutable]), Some(CodeMatch::Full));
    }

    #[test]
    fn versions_and_licences_read_as_etherscan_writes_them() {
        assert_eq!(
            compiler_tag("0.8.37+commit.f401782d.Emscripten.clang"),
            "v0.8.37+commit.f401782d"
        );
        assert_eq!(compiler_tag("v0.8.37+commit.f401782d"), "v0.8.37+commit.f401782d");
        assert_eq!(license_of("// SPDX-License-Identifier: Apache-2.0\npragma"), "Apache-2.0");
        assert_eq!(license_of("/* SPDX-License-Identifier: MIT */"), "MIT");
        assert_eq!(license_of("pragma solidity"), "None");
    }

    #[test]
    fn predeploy_code_is_recognised_and_other_code_is_not() {
        let json: Value = serde_json::from_str(artifacts::artifact("TrustIndex").unwrap()).unwrap();
        let code =
            alloy_primitives::hex::decode(json["deployedBytecode"].as_str().unwrap()).unwrap();
        let row = system_row(0, predeploy::TRUST_INDEX, "TrustIndex", &code).unwrap().unwrap();
        assert_eq!(row.file, "src/TrustIndex.sol");
        assert_eq!(row.compiler_version, "v0.8.37+commit.f401782d");
        assert!(row.source.contains("src/TrustIndex.sol"));
        assert!(system_row(0, predeploy::TRUST_INDEX, "L2Bridge", &code).unwrap().is_none());
        assert!(system_row(0, predeploy::TRUST_INDEX, "TrustIndex", &[]).unwrap().is_none());
    }
}
