//! Column lists of the tables the indexer writes, in the order extraction produces values, and
//! how chain values become SQL values.

use alloy_primitives::{Address, B256, U256};

use crate::db::{Insert, Value};

/// `blocks`.
pub const BLOCKS: Insert = Insert {
    table: "blocks",
    columns: &[
        "domain",
        "number",
        "hash",
        "parent_hash",
        "timestamp",
        "miner",
        "gas_used",
        "gas_limit",
        "base_fee",
        "tx_count",
        "size",
        "state_root",
        "extra_data",
        "final",
        "finality_round",
        "finality_signers",
    ],
    tail: "",
};

/// `validator_production`: a row per epoch and signer, replaced by each newer reading.
pub const VALIDATOR_PRODUCTION: Insert = Insert {
    table: "validator_production",
    columns: &["epoch", "signer", "produced", "missed"],
    tail: "ON CONFLICT (epoch, signer) DO UPDATE SET produced = excluded.produced, \
           missed = excluded.missed",
};

/// `transactions` (with their receipt fields).
pub const TRANSACTIONS: Insert = Insert {
    table: "transactions",
    columns: &[
        "domain",
        "block_number",
        "tx_index",
        "hash",
        "from_address",
        "to_address",
        "value",
        "nonce",
        "gas",
        "tx_type",
        "max_fee_per_gas",
        "max_priority_fee_per_gas",
        "input",
        "timestamp",
        "status",
        "gas_used",
        "cumulative_gas_used",
        "effective_gas_price",
        "contract_address",
        "first_log_index",
        "log_count",
    ],
    tail: "",
};

/// `logs`.
pub const LOGS: Insert = Insert {
    table: "logs",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "tx_index",
        "tx_hash",
        "address",
        "topic0",
        "topic1",
        "topic2",
        "topic3",
        "data",
    ],
    tail: "",
};

/// `token_transfers`.
pub const TOKEN_TRANSFERS: Insert = Insert {
    table: "token_transfers",
    columns: &[
        "domain",
        "block_number",
        "log_index",
        "batch_index",
        "tx_hash",
        "timestamp",
        "token",
        "from_address",
        "to_address",
        "amount",
        "token_id",
    ],
    tail: "",
};

/// `internal_transfers`.
pub const INTERNAL_TRANSFERS: Insert = Insert {
    table: "internal_transfers",
    columns: &[
        "domain",
        "block_number",
        "tx_index",
        "trace_index",
        "tx_hash",
        "timestamp",
        "call_type",
        "from_address",
        "to_address",
        "value",
    ],
    tail: "",
};

/// `contracts`.
pub const CONTRACTS: Insert = Insert {
    table: "contracts",
    columns: &["domain", "address", "creator", "tx_hash", "block_number", "code"],
    tail: "",
};

/// `tokens`; a token seen again keeps its first row.
pub const TOKENS: Insert = Insert {
    table: "tokens",
    columns: &[
        "domain",
        "address",
        "kind",
        "name",
        "symbol",
        "decimals",
        "total_supply",
        "first_block",
    ],
    tail: "ON CONFLICT (domain, address) DO NOTHING",
};

/// `messages`.
pub const MESSAGES: Insert = Insert {
    table: "messages",
    columns: &[
        "message_hash",
        "source_domain",
        "nonce",
        "target_domain",
        "sender",
        "target",
        "value",
        "data",
        "block_number",
        "tx_hash",
        "log_index",
        "status",
    ],
    tail: "",
};

/// `deposit_credits`: the system transaction that credited an L1 deposit.
pub const DEPOSIT_CREDITS: Insert = Insert {
    table: "deposit_credits",
    columns: &["nonce", "domain", "block_number", "tx_hash", "success"],
    tail: "",
};

/// `message_deliveries`: the system transaction that delivered a cross-domain message.
pub const MESSAGE_DELIVERIES: Insert = Insert {
    table: "message_deliveries",
    columns: &["message_hash", "domain", "block_number", "tx_hash", "success"],
    tail: "",
};

/// `withdrawals`.
pub const WITHDRAWALS: Insert = Insert {
    table: "withdrawals",
    columns: &[
        "withdrawal_hash",
        "domain",
        "nonce",
        "sender",
        "l1_recipient",
        "l1_token",
        "amount",
        "block_number",
        "tx_hash",
        "log_index",
        "timestamp",
        "stage",
    ],
    tail: "",
};

/// `balances`, replacing what was there.
pub const BALANCES: Insert = Insert {
    table: "balances",
    columns: &["domain", "token", "holder", "token_id", "balance"],
    tail: "ON CONFLICT (domain, token, holder, token_id) DO UPDATE SET balance = excluded.balance",
};

/// A 256-bit amount: 32 bytes big-endian, so byte order is numeric order.
pub fn u256(v: U256) -> Value {
    Value::Bytes(Some(v.to_be_bytes::<32>().to_vec()))
}

/// An optional 256-bit amount.
pub fn opt_u256(v: Option<U256>) -> Value {
    Value::Bytes(v.map(|v| v.to_be_bytes::<32>().to_vec()))
}

/// An address.
pub fn address(a: Address) -> Value {
    Value::Bytes(Some(a.to_vec()))
}

/// An optional address.
pub fn opt_address(a: Option<Address>) -> Value {
    Value::Bytes(a.map(|a| a.to_vec()))
}

/// A hash.
pub fn hash(h: B256) -> Value {
    Value::Bytes(Some(h.to_vec()))
}

/// A number.
pub fn int(n: u64) -> Value {
    Value::Int(Some(n as i64))
}

/// Text.
pub fn text(s: impl Into<String>) -> Value {
    Value::Text(Some(s.into()))
}

/// Reads back a 32-byte big-endian amount.
pub fn read_u256(bytes: &[u8]) -> U256 {
    U256::try_from_be_slice(bytes).unwrap_or_default()
}
