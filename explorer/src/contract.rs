//! Verified contracts on the pages: the Contract tab (source, ABI, compiler settings) and
//! inputs and events decoded with a verified contract's ABI, as Etherscan shows them.

use std::collections::HashMap;

use alloy_dyn_abi::{DynSolValue, EventExt, JsonAbiExt};
use alloy_json_abi::JsonAbi;
use alloy_primitives::B256;
use sec_indexer::{Database, verified::L1_DOMAIN};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    data::{bytes, int},
    format::{address, hex},
};

/// One named argument of a decoded call or event.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub value: String,
    /// Events: whether it is a topic.
    pub indexed: bool,
}

/// A call or an event decoded with the ABI of a verified contract.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decoded {
    /// `transfer` / `Transfer`.
    pub name: String,
    /// `transfer(address,uint256)`.
    pub signature: String,
    pub args: Vec<Arg>,
}

/// A value as Etherscan shows it: numbers in decimal, addresses checksummed, bytes in hex,
/// arrays and tuples bracketed.
pub fn show(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(w, size) => hex(&w[..*size]),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => hex(f.as_slice()),
        DynSolValue::Bytes(b) => hex(b),
        DynSolValue::String(s) => s.clone(),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(items) => {
            format!("({})", items.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// A function as Etherscan's `functionName` gives it: `transfer(address to, uint256 value)`.
pub fn etherscan_function_name(f: &alloy_json_abi::Function) -> String {
    let params: Vec<String> = f
        .inputs
        .iter()
        .map(|p| if p.name.is_empty() { p.ty.clone() } else { format!("{} {}", p.ty, p.name) })
        .collect();
    format!("{}({})", f.name, params.join(", "))
}

/// Decodes a transaction's input (selector and arguments) with `abi`.
pub fn decode_input(abi: &JsonAbi, input: &[u8]) -> Option<Decoded> {
    let selector: [u8; 4] = input.get(..4)?.try_into().ok()?;
    let function = abi.functions().find(|f| f.selector() == selector)?;
    let values = function.abi_decode_input(&input[4..]).ok()?;
    Some(Decoded {
        name: function.name.clone(),
        signature: function.signature(),
        args: function
            .inputs
            .iter()
            .zip(&values)
            .map(|(p, v)| Arg {
                name: p.name.clone(),
                ty: p.ty.clone(),
                value: show(v),
                indexed: false,
            })
            .collect(),
    })
}

/// Decodes a log (topics, data) with `abi`.
pub fn decode_log(abi: &JsonAbi, topics: &[Vec<u8>], data: &[u8]) -> Option<Decoded> {
    let topic0 = B256::try_from(topics.first()?.as_slice()).ok()?;
    let event = abi.events().find(|e| !e.anonymous && e.selector() == topic0)?;
    let topics: Vec<B256> =
        topics.iter().map(|t| B256::try_from(t.as_slice()).ok()).collect::<Option<_>>()?;
    let decoded = event.decode_log_parts(topics, data).ok()?;
    let (mut indexed, mut body) = (decoded.indexed.iter(), decoded.body.iter());
    let args = event
        .inputs
        .iter()
        .map(|p| {
            let value = if p.indexed { indexed.next() } else { body.next() };
            Arg {
                name: p.name.clone(),
                ty: p.ty.clone(),
                value: value.map(show).unwrap_or_default(),
                indexed: p.indexed,
            }
        })
        .collect();
    Some(Decoded { name: event.name.clone(), signature: event.signature(), args })
}

const ABI_SQL: &str = "SELECT abi FROM verified_contracts WHERE domain = $1 AND address = $2";

/// The ABIs of verified contracts, loaded once per page.
#[derive(Debug, Default)]
pub struct Abis(HashMap<(i64, Vec<u8>), Option<JsonAbi>>);

impl Abis {
    /// The ABI of the verified contract at `address` in `domain`, if there is one.
    pub async fn get(
        &mut self,
        db: &Database,
        domain: i64,
        address: &[u8],
    ) -> Result<Option<&JsonAbi>, ExplorerError> {
        let key = (domain, address.to_vec());
        if !self.0.contains_key(&key) {
            let row = sqlx::query(ABI_SQL)
                .bind(domain)
                .bind(address.to_vec())
                .fetch_optional(db.pool())
                .await?;
            let abi = row
                .map(|r| r.try_get::<String, _>("abi"))
                .transpose()?
                .and_then(|text| serde_json::from_str::<JsonAbi>(&text).ok());
            self.0.insert(key.clone(), abi);
        }
        Ok(self.0.get(&key).and_then(Option::as_ref))
    }
}

/// A verified contract, for its Contract tab and the Etherscan API.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedView {
    pub domain: i64,
    /// "domain N" or "Ethereum".
    pub where_: String,
    pub address: String,
    pub name: String,
    pub file: String,
    /// "full" or "partial".
    pub matched: &'static str,
    pub compiler_version: String,
    pub code_format: String,
    pub optimization: bool,
    pub runs: i64,
    pub evm_version: String,
    pub license: String,
    pub constructor_args: String,
    pub origin: String,
    pub verified_at: i64,
    /// Every source file: (unit name, text).
    pub sources: Vec<(String, String)>,
    /// The stored source as Etherscan's `SourceCode` gives it.
    pub source_code: String,
    pub settings: String,
    pub abi: String,
    /// The ABI as a list, for the page.
    pub functions: Vec<String>,
    pub events: Vec<String>,
    /// Its latest events, decoded (Contract tab only).
    pub latest_events: Vec<EventView>,
}

/// An event a verified contract emitted, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub block_number: i64,
    pub log_index: i64,
    pub tx_hash: String,
    pub decoded: Option<Decoded>,
}

/// Events the Contract tab shows per domain.
const LATEST_EVENTS: i64 = 10;

/// The latest events of a contract in a domain: the newest blocks first through
/// `logs_by_address` (a block's own logs are put in order here, not by the database).
pub(crate) const EVENTS_SQL: &str = "SELECT block_number, log_index, tx_hash, topic0, topic1, \
    topic2, topic3, data FROM logs WHERE address = $1 AND domain = $2 \
    ORDER BY block_number DESC LIMIT $3";

const VERIFIED_COLUMNS: &str = "domain, address, name, file, full_match, compiler_version, \
    code_format, source, settings, abi, constructor_args, license, origin, verified_at";

fn verified_view(row: &AnyRow) -> Result<VerifiedView, ExplorerError> {
    let domain = int(row, "domain")?;
    let text = |c: &str| -> Result<String, ExplorerError> { Ok(row.try_get::<String, _>(c)?) };
    let source = text("source")?;
    let code_format = text("code_format")?;
    let settings_text = text("settings")?;
    let settings: Value = serde_json::from_str(&settings_text).unwrap_or(Value::Null);
    let file = text("file")?;
    let (sources, source_code) = if code_format == "solidity-single-file" {
        (vec![(file.clone(), source.clone())], source)
    } else {
        let input: Value = serde_json::from_str(&source).unwrap_or(Value::Null);
        let sources = input["sources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(unit, s)| (unit.clone(), s["content"].as_str().unwrap_or("").to_string()))
            .collect();
        // Etherscan's way of telling standard-JSON input from a single file: double braces.
        (sources, format!("{{{source}}}"))
    };
    let abi_text = text("abi")?;
    let abi: Option<JsonAbi> = serde_json::from_str(&abi_text).ok();
    let functions = abi
        .iter()
        .flat_map(|a| a.functions())
        .map(|f| format!("{} ({})", f.signature(), f.state_mutability.as_json_str()))
        .collect();
    let events = abi.iter().flat_map(|a| a.events()).map(|e| e.signature()).collect();
    Ok(VerifiedView {
        domain,
        where_: if domain == L1_DOMAIN { "Ethereum".into() } else { format!("domain {domain}") },
        address: address(&bytes(row, "address")?),
        name: text("name")?,
        file,
        matched: if int(row, "full_match")? != 0 { "full" } else { "partial" },
        compiler_version: text("compiler_version")?,
        code_format,
        optimization: settings["optimizer"]["enabled"].as_bool().unwrap_or(false),
        runs: settings["optimizer"]["runs"].as_i64().unwrap_or(200),
        evm_version: settings["evmVersion"].as_str().unwrap_or("Default").to_string(),
        license: text("license")?,
        constructor_args: alloy_primitives::hex::encode(bytes(row, "constructor_args")?),
        origin: text("origin")?,
        verified_at: int(row, "verified_at")?,
        sources,
        source_code,
        settings: settings_text,
        abi: abi_text,
        functions,
        events,
        latest_events: Vec::new(),
    })
}

/// The latest events of `a` in `domain`, decoded with `abi`.
async fn latest_events(
    db: &Database,
    domain: i64,
    a: &[u8],
    abi: Option<&JsonAbi>,
) -> Result<Vec<EventView>, ExplorerError> {
    let rows = sqlx::query(EVENTS_SQL)
        .bind(a.to_vec())
        .bind(domain)
        .bind(LATEST_EVENTS)
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let topics: Vec<Vec<u8>> = ["topic0", "topic1", "topic2", "topic3"]
            .iter()
            .filter_map(|c| r.try_get::<Option<Vec<u8>>, _>(*c).transpose())
            .collect::<Result<_, _>>()?;
        let data = bytes(r, "data")?;
        out.push(EventView {
            block_number: int(r, "block_number")?,
            log_index: int(r, "log_index")?,
            tx_hash: hex(&bytes(r, "tx_hash")?),
            decoded: abi.and_then(|abi| decode_log(abi, &topics, &data)),
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse((e.block_number, e.log_index)));
    Ok(out)
}

fn verified_by_address_sql() -> String {
    format!("SELECT {VERIFIED_COLUMNS} FROM verified_contracts WHERE address = $1 ORDER BY domain")
}

fn verified_sql() -> String {
    format!("SELECT {VERIFIED_COLUMNS} FROM verified_contracts WHERE domain = $1 AND address = $2")
}

/// An address's code in every domain.
pub(crate) const CODE_SQL: &str =
    "SELECT domain, code, tx_hash FROM contracts WHERE address = $1 ORDER BY domain";

/// Every statement the Contract tab, the decoding and verification run, with the kinds of their
/// parameters (`a` bytes, `i` integer, `t` text), for the tests that check each uses an index.
pub fn statements() -> Vec<(String, &'static str)> {
    vec![
        (ABI_SQL.into(), "ia"),
        (verified_by_address_sql(), "a"),
        (verified_sql(), "ia"),
        (CODE_SQL.into(), "a"),
        (crate::verify::CREATION_SQL.into(), "ai"),
        (crate::verify::JOB_SQL.into(), "t"),
        (EVENTS_SQL.into(), "aii"),
    ]
}

/// The verified contracts at `a`, every domain (and Ethereum).
pub async fn verified_at(db: &Database, a: &[u8]) -> Result<Vec<VerifiedView>, ExplorerError> {
    sqlx::query(&verified_by_address_sql())
        .bind(a.to_vec())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(verified_view)
        .collect()
}

/// The verified contract at `a` in `domain`.
pub async fn verified(
    db: &Database,
    domain: i64,
    a: &[u8],
) -> Result<Option<VerifiedView>, ExplorerError> {
    sqlx::query(&verified_sql())
        .bind(domain)
        .bind(a.to_vec())
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(verified_view)
        .transpose()
}

/// The Contract tab of an address.
#[derive(Debug, Clone, Serialize)]
pub struct ContractTab {
    pub address: String,
    pub verified: Vec<VerifiedView>,
    /// Domains where the index holds code at the address that is not verified.
    pub unverified_domains: Vec<i64>,
}

/// The Contract tab of `a`.
pub async fn contract_tab(db: &Database, a: &[u8]) -> Result<ContractTab, ExplorerError> {
    let mut verified = verified_at(db, a).await?;
    for v in verified.iter_mut().filter(|v| v.domain != L1_DOMAIN) {
        let abi: Option<JsonAbi> = serde_json::from_str(&v.abi).ok();
        v.latest_events = latest_events(db, v.domain, a, abi.as_ref()).await?;
    }
    let rows = sqlx::query(CODE_SQL).bind(a.to_vec()).fetch_all(db.pool()).await?;
    let mut unverified_domains = Vec::new();
    for r in &rows {
        let d = int(r, "domain")?;
        if !bytes(r, "code")?.is_empty() && !verified.iter().any(|v| v.domain == d) {
            unverified_domains.push(d);
        }
    }
    Ok(ContractTab { address: address(a), verified, unverified_domains })
}

/// A transaction in a list, for its method's name: (domain, to, the input's first 4 bytes).
pub type Call = (i64, Option<Vec<u8>>, Vec<u8>);

/// The method names of a list of transactions (`(domain, to, input selector)`), for those sent
/// to verified contracts; `None` where unknown.
pub async fn method_names(
    db: &Database,
    txs: &[Call],
) -> Result<Vec<Option<String>>, ExplorerError> {
    let mut abis = Abis::default();
    let mut out = Vec::with_capacity(txs.len());
    for (domain, to, selector) in txs {
        let name = match (to, <[u8; 4]>::try_from(selector.as_slice())) {
            (Some(to), Ok(sel)) => abis
                .get(db, *domain, to)
                .await?
                .and_then(|abi| abi.functions().find(|f| f.selector() == sel))
                .map(|f| f.name.clone()),
            _ => None,
        };
        out.push(name);
    }
    Ok(out)
}
