//! What the node is and what it serves, for clients and RPC routers: `eth_config` (EIP-7910:
//! the fork in force, its precompiles and system contracts), `eth_capabilities` (the block
//! range each kind of data is served for) and `eth_coinbase` (the producer).

use alloy_primitives::{Address, B256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use revm::precompile::Precompiles;
use sec_contracts::predeploy::{
    CROSS_DOMAIN, DISPUTES, HOME_DIRECTORY, L2_BRIDGE, L2_TOKEN_FACTORY, TRADE_ESCROW, TRUST_INDEX,
};
use serde_json::{Value, json};

use super::{
    error::{RpcError, RpcResult},
    eth::EthApi,
};

/// EIP-7910's names of the Prague precompiles, by address byte.
const PRECOMPILE_NAMES: [(u8, &str); 17] = [
    (0x01, "ECREC"),
    (0x02, "SHA256"),
    (0x03, "RIPEMD160"),
    (0x04, "ID"),
    (0x05, "MODEXP"),
    (0x06, "BN254_ADD"),
    (0x07, "BN254_MUL"),
    (0x08, "BN254_PAIRING"),
    (0x09, "BLAKE2F"),
    (0x0a, "KZG_POINT_EVALUATION"),
    (0x0b, "BLS12_G1ADD"),
    (0x0c, "BLS12_G1MSM"),
    (0x0d, "BLS12_G2ADD"),
    (0x0e, "BLS12_G2MSM"),
    (0x0f, "BLS12_PAIRING_CHECK"),
    (0x10, "BLS12_MAP_FP_TO_G1"),
    (0x11, "BLS12_MAP_FP2_TO_G2"),
];

/// The chain's own system contracts (the predeploys of every domain), by name. The EIP-4788,
/// EIP-2935, EIP-6110, EIP-7002 and EIP-7251 contracts of Ethereum's Prague do not exist here:
/// the SEC chain has no beacon chain, deposits or validator requests of Ethereum's kind.
const SYSTEM_CONTRACTS: [(&str, Address); 7] = [
    ("SEC_CROSS_DOMAIN", CROSS_DOMAIN),
    ("SEC_DISPUTES", DISPUTES),
    ("SEC_HOME_DIRECTORY", HOME_DIRECTORY),
    ("SEC_L2_BRIDGE", L2_BRIDGE),
    ("SEC_L2_TOKEN_FACTORY", L2_TOKEN_FACTORY),
    ("SEC_TRADE_ESCROW", TRADE_ESCROW),
    ("SEC_TRUST_INDEX", TRUST_INDEX),
];

/// Blob transactions are refused, so the schedule is zero blobs (Prague's update fraction).
const BLOB_BASE_FEE_UPDATE_FRACTION: u64 = 5_007_716;

/// CRC-32 (IEEE 802.3, reflected, as `crc32` in zlib and Go's `hash/crc32`).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// EIP-2124's fork hash of a chain whose every fork is active from genesis: the CRC-32 of the
/// genesis hash alone (forks at block or time zero are not folded in).
fn fork_hash(genesis: B256) -> [u8; 4] {
    crc32(genesis.as_slice()).to_be_bytes()
}

fn config(api: &EthApi) -> RpcResult<Value> {
    let genesis = api
        .domain
        .store()?
        .block_hash(0)?
        .ok_or_else(|| RpcError::Internal("no genesis block".into()))?;
    let mut precompiles = serde_json::Map::new();
    for address in Precompiles::prague().addresses() {
        let name = PRECOMPILE_NAMES
            .iter()
            .find(|(byte, _)| Address::with_last_byte(*byte) == *address)
            .map(|(_, name)| (*name).to_string())
            .unwrap_or_else(|| address.to_string());
        precompiles.insert(name, json!(address));
    }
    let system: serde_json::Map<String, Value> =
        SYSTEM_CONTRACTS.iter().map(|(name, a)| ((*name).to_string(), json!(a))).collect();
    Ok(json!({
        "current": {
            "activationTime": 0,
            "blobSchedule": {
                "baseFeeUpdateFraction": BLOB_BASE_FEE_UPDATE_FRACTION,
                "max": 0,
                "target": 0,
            },
            "chainId": format!("{:#x}", api.domain.chain_id()),
            "forkId": format!("0x{}", alloy_primitives::hex::encode(fork_hash(genesis))),
            "precompiles": precompiles,
            "systemContracts": system,
        },
        "next": Value::Null,
        "last": Value::Null,
    }))
}

fn capabilities(api: &EthApi) -> Value {
    let (number, hash) = api.domain.head();
    // everything from genesis on is kept (no pruning), except Merkle proofs: the trie is
    // kept for the head only
    let from_genesis = json!({ "disabled": false, "oldestBlock": "0x0" });
    json!({
        "head": { "number": format!("{number:#x}"), "hash": hash },
        "state": from_genesis,
        "tx": from_genesis,
        "logs": from_genesis,
        "receipts": from_genesis,
        "blocks": from_genesis,
        "stateproofs": { "disabled": false, "oldestBlock": format!("{number:#x}") },
    })
}

/// Registers `eth_config`, `eth_capabilities` and `eth_coinbase`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_method("eth_config", |_, api, _| -> Result<Value, ErrorObjectOwned> {
        config(api).map_err(Into::into)
    })
    .expect("unique method");
    m.register_method("eth_capabilities", |_, api, _| -> Result<Value, ErrorObjectOwned> {
        Ok(capabilities(api))
    })
    .expect("unique method");
    m.register_method("eth_coinbase", |_, api, _| -> Result<Value, ErrorObjectOwned> {
        Ok(json!(api.domain.producer_address()))
    })
    .expect("unique method");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_and_fork_hash_match_their_references() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        // EIP-2124's mainnet example: the genesis hash alone gives 0xfc64ec04
        let mainnet: B256 =
            "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3".parse().unwrap();
        assert_eq!(fork_hash(mainnet), [0xfc, 0x64, 0xec, 0x04]);
    }

    #[test]
    fn every_prague_precompile_has_its_name() {
        let addresses: Vec<&Address> = Precompiles::prague().addresses().collect();
        assert_eq!(addresses.len(), PRECOMPILE_NAMES.len(), "KZG included (c-kzg)");
        for a in addresses {
            assert!(PRECOMPILE_NAMES.iter().any(|(b, _)| Address::with_last_byte(*b) == *a), "{a}");
        }
    }
}
