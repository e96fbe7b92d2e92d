//! The JSON-RPC objects the indexer reads, with only the fields it stores.
//!
//! alloy's RPC types decode every field, through internally tagged enums and flattened structs
//! that serde buffers before it can decode them; a backfill decodes millions of these, so the
//! indexer reads plain structs instead and lets serde skip what it does not keep. Field names
//! are those of the JSON-RPC specification.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Deserialize;

/// A block with its transactions in full.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    /// Number.
    #[serde(with = "alloy::serde::quantity")]
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Unix time in seconds.
    #[serde(with = "alloy::serde::quantity")]
    pub timestamp: u64,
    /// Fee recipient (the producer).
    pub miner: Address,
    /// Gas used.
    #[serde(with = "alloy::serde::quantity")]
    pub gas_used: u64,
    /// Gas limit.
    #[serde(with = "alloy::serde::quantity")]
    pub gas_limit: u64,
    /// EIP-1559 base fee.
    #[serde(default, with = "alloy::serde::quantity::opt")]
    pub base_fee_per_gas: Option<u64>,
    /// RLP size in bytes.
    #[serde(default, with = "alloy::serde::quantity::opt")]
    pub size: Option<u64>,
    /// State root.
    pub state_root: B256,
    /// Extra data (on SEC: the commitment to the header extension).
    pub extra_data: Bytes,
    /// Transaction objects (`eth_getBlockByNumber` with `true`).
    pub transactions: Vec<Transaction>,
}

/// A block read without its transactions: what identifies it.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct BlockRef {
    /// Number.
    #[serde(with = "alloy::serde::quantity")]
    pub number: u64,
    /// Hash.
    pub hash: B256,
}

/// A transaction in a block.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Hash.
    pub hash: B256,
    /// Sender.
    pub from: Address,
    /// Recipient; none for a contract creation.
    #[serde(default)]
    pub to: Option<Address>,
    /// Value sent.
    pub value: U256,
    /// Sender's nonce.
    #[serde(with = "alloy::serde::quantity")]
    pub nonce: u64,
    /// Gas limit.
    #[serde(with = "alloy::serde::quantity")]
    pub gas: u64,
    /// EIP-2718 type.
    #[serde(rename = "type", default, with = "alloy::serde::quantity")]
    pub tx_type: u64,
    /// EIP-1559 fee cap (dynamic-fee transactions only).
    #[serde(default)]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap (dynamic-fee transactions only).
    #[serde(default)]
    pub max_priority_fee_per_gas: Option<U256>,
    /// Call data.
    pub input: Bytes,
}

/// A receipt.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The transaction.
    pub transaction_hash: B256,
    /// 1 success, 0 failure.
    #[serde(default, with = "alloy::serde::quantity::opt")]
    pub status: Option<u64>,
    /// Gas used by this transaction.
    #[serde(with = "alloy::serde::quantity")]
    pub gas_used: u64,
    /// Gas used in the block up to and including this transaction.
    #[serde(with = "alloy::serde::quantity")]
    pub cumulative_gas_used: u64,
    /// Price paid per gas.
    pub effective_gas_price: U256,
    /// The contract created, if any.
    #[serde(default)]
    pub contract_address: Option<Address>,
    /// Logs emitted.
    pub logs: Vec<Log>,
}

impl Receipt {
    /// Whether the transaction succeeded.
    pub fn success(&self) -> bool {
        self.status == Some(1)
    }
}

/// A log of a receipt.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
    /// Position in the block.
    #[serde(default, with = "alloy::serde::quantity::opt")]
    pub log_index: Option<u64>,
}

/// One frame of geth's call tracer.
#[derive(Debug, Clone, Deserialize)]
pub struct CallFrame {
    /// CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2, SELFDESTRUCT.
    #[serde(rename = "type", default)]
    pub typ: String,
    /// Caller.
    pub from: Address,
    /// Callee, or the created contract.
    #[serde(default)]
    pub to: Option<Address>,
    /// Value moved.
    #[serde(default)]
    pub value: Option<U256>,
    /// Why the frame failed, if it did.
    #[serde(default)]
    pub error: Option<String>,
    /// Calls made by this frame.
    #[serde(default)]
    pub calls: Vec<CallFrame>,
}

/// One transaction's call tree from `debug_traceBlockByNumber` with the call tracer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxTrace {
    /// The transaction.
    #[serde(default)]
    pub tx_hash: Option<B256>,
    /// Its call tree, when tracing succeeded.
    #[serde(default)]
    pub result: Option<CallFrame>,
}

/// What the indexer keeps of a block's finality certificate (`sec_getFinalityCertificate`):
/// the round it was decided in and who signed its precommits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// Round the block was decided in.
    pub round: u32,
    /// The block it finalizes.
    pub block_hash: B256,
    /// Precommit signatures, sorted by signer.
    pub signatures: Vec<CertificateSignature>,
}

/// One precommit signature of a [`Certificate`]: only its signer is kept.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateSignature {
    /// The validator's signing key's address.
    pub signer: Address,
}

/// An epoch's validators with what they produced (`sec_validators`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochProduction {
    /// The epoch.
    #[serde(with = "alloy::serde::quantity")]
    pub epoch: u64,
    /// The epoch domain 0's head is in.
    #[serde(with = "alloy::serde::quantity")]
    pub current_epoch: u64,
    /// The members.
    pub validators: Vec<MemberProduction>,
}

/// One member of an [`EpochProduction`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberProduction {
    /// The signing key's address.
    pub signer: Address,
    /// Blocks it produced in the epoch, over every domain.
    #[serde(with = "alloy::serde::quantity")]
    pub blocks_produced: u64,
    /// Its slots in the epoch that another validator filled after a timeout.
    #[serde(with = "alloy::serde::quantity")]
    pub slots_missed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_block_and_a_block_of_hashes() {
        let tx = r#"{"hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
            "from":"0x2222222222222222222222222222222222222222","to":null,"value":"0x5",
            "nonce":"0x1","gas":"0x5208","type":"0x2","maxFeePerGas":"0x10",
            "maxPriorityFeePerGas":"0x1","input":"0xabcd","gasPrice":"0x10","chainId":"0x1",
            "accessList":[],"v":"0x0","r":"0x1","s":"0x2","yParity":"0x0"}"#;
        let header = r#""number":"0x7","hash":"0x3333333333333333333333333333333333333333333333333333333333333333",
            "parentHash":"0x4444444444444444444444444444444444444444444444444444444444444444",
            "timestamp":"0x64","miner":"0x5555555555555555555555555555555555555555",
            "gasUsed":"0x5208","gasLimit":"0x1c9c380","baseFeePerGas":"0x7","size":"0x200",
            "stateRoot":"0x6666666666666666666666666666666666666666666666666666666666666666",
            "extraData":"0x","uncles":[]"#;
        let full: Block =
            serde_json::from_str(&format!("{{{header},\"transactions\":[{tx}]}}")).unwrap();
        assert_eq!(full.number, 7);
        assert_eq!(full.transactions.len(), 1);
        let t = &full.transactions[0];
        assert_eq!((t.to, t.tx_type, t.max_fee_per_gas), (None, 2, Some(U256::from(16))));
        assert_eq!(t.input, Bytes::from(vec![0xab, 0xcd]));
        assert_eq!(full.base_fee_per_gas, Some(7));
        let hashes: BlockRef = serde_json::from_str(&format!(
            "{{{header},\"transactions\":[\"0x1111111111111111111111111111111111111111111111111111111111111111\"]}}"
        ))
        .unwrap();
        assert_eq!(hashes.number, 7);
    }

    #[test]
    fn reads_receipt_status() {
        let receipt = |status: &str| {
            serde_json::from_str::<Receipt>(&format!(
                r#"{{"transactionHash":"0x1111111111111111111111111111111111111111111111111111111111111111",
                "status":"{status}","gasUsed":"0x1","cumulativeGasUsed":"0x1",
                "effectiveGasPrice":"0x1","contractAddress":null,"logs":[],"logsBloom":"0x00"}}"#
            ))
            .unwrap()
        };
        assert!(receipt("0x1").success());
        assert!(!receipt("0x0").success());
    }

    #[test]
    fn reads_certificates_and_production() {
        let c: Option<Certificate> = serde_json::from_str(
            r#"{"domain":2,"height":41,"round":1,"blockHash":"0x3333333333333333333333333333333333333333333333333333333333333333",
            "timestamp":5,"epoch":0,"signatures":[{"signer":"0x5555555555555555555555555555555555555555","signature":"0x01"}]}"#,
        )
        .unwrap();
        let c = c.unwrap();
        assert_eq!((c.round, c.signatures.len()), (1, 1));
        assert!(serde_json::from_str::<Option<Certificate>>("null").unwrap().is_none());
        let p: EpochProduction = serde_json::from_str(
            r#"{"epoch":"0x2","currentEpoch":"0x3","validators":[{"validator":"0x1111111111111111111111111111111111111111",
            "signer":"0x5555555555555555555555555555555555555555","stake":"0x1","blsKey":"0x",
            "blocksProduced":"0x9","slotsMissed":"0x1"}]}"#,
        )
        .unwrap();
        assert_eq!((p.epoch, p.current_epoch), (2, 3));
        assert_eq!((p.validators[0].blocks_produced, p.validators[0].slots_missed), (9, 1));
    }
}
