//! The Etherscan-compatible API subset wallets and tools use, at `/api`, with Etherscan's
//! response shapes: `{"status":"1","message":"OK","result":...}`, numbers as decimal strings.
//! `chainid` selects the domain (domain d has chain id base + d); without it, domain 0.

use std::collections::HashMap;

use alloy_primitives::U256;
use axum::{
    Form, Json,
    extract::{Query, State as AxumState},
};
use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError, State, contract, data,
    format::{address, amount, hex},
    verify::{self, CodeFormat, Request, VerifyError},
};

fn ok(result: Value) -> Json<Value> {
    Json(json!({ "status": "1", "message": "OK", "result": result }))
}

fn empty(message: &str) -> Json<Value> {
    Json(json!({ "status": "0", "message": message, "result": [] }))
}

fn error(message: &str) -> Json<Value> {
    Json(json!({ "status": "0", "message": "NOTOK", "result": format!("Error! {message}") }))
}

/// Rows a paged list reaches at most (page x offset), as on Etherscan.
const RESULT_WINDOW: i64 = 10_000;

/// Records one `getLogs` answer holds at most, as on Etherscan.
const MAX_LOGS: i64 = 1_000;

fn list(rows: Vec<Value>, none: &str) -> Json<Value> {
    if rows.is_empty() { empty(none) } else { ok(Value::Array(rows)) }
}

fn b(row: &AnyRow, col: &str) -> Vec<u8> {
    row.try_get::<Vec<u8>, _>(col).unwrap_or_default()
}
fn ob(row: &AnyRow, col: &str) -> Option<Vec<u8>> {
    row.try_get::<Option<Vec<u8>>, _>(col).ok().flatten()
}
fn i(row: &AnyRow, col: &str) -> i64 {
    row.try_get::<i64, _>(col).unwrap_or_default()
}
fn t(row: &AnyRow, col: &str) -> String {
    row.try_get::<Option<String>, _>(col).ok().flatten().unwrap_or_default()
}

struct Params(HashMap<String, String>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }
    fn int(&self, k: &str, default: i64) -> Result<i64, String> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("Invalid {k}")),
        }
    }
    fn address(&self, k: &str) -> Result<Vec<u8>, String> {
        self.get(k)
            .and_then(data::parse_address)
            .map(|a| a.to_vec())
            .ok_or_else(|| format!("Invalid {k} format"))
    }
    /// (page, offset) → (limit, skip), Etherscan's paging: at most `max_offset` rows a page
    /// (a larger `offset` is cut to it), and no row past the first [`RESULT_WINDOW`], which
    /// Etherscan refuses with its own message (not one of its "Error!" messages).
    fn paging(&self, max_offset: i64) -> Result<(i64, i64), Failure> {
        let page = self.int("page", 1)?.max(1);
        let size = self.int("offset", max_offset)?.clamp(1, max_offset);
        match page.checked_mul(size) {
            Some(end) if end <= RESULT_WINDOW => Ok((size, (page - 1) * size)),
            _ => Err(Failure::Window),
        }
    }
    fn order(&self) -> &'static str {
        if self.get("sort") == Some("desc") { "DESC" } else { "ASC" }
    }
}

/// `GET /api?module=...&action=...`.
pub async fn handle(
    AxumState(state): AxumState<State>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ExplorerError> {
    answer(state, Params(params)).await
}

/// `POST /api` with the same parameters as a form body (`application/x-www-form-urlencoded`),
/// as Etherscan takes them; parameters in the query string count too, the body's first.
pub async fn handle_post(
    AxumState(state): AxumState<State>,
    Query(query): Query<HashMap<String, String>>,
    Form(body): Form<HashMap<String, String>>,
) -> Result<Json<Value>, ExplorerError> {
    let mut params = query;
    params.extend(body);
    answer(state, Params(params)).await
}

async fn answer(state: State, p: Params) -> Result<Json<Value>, ExplorerError> {
    let domain = match p.get("chainid").map(|c| c.parse::<u64>()) {
        None => 0i64,
        Some(Ok(c)) if c >= state.config.chain_id_base && c < state.config.chain_id_base + 1024 => {
            (c - state.config.chain_id_base) as i64
        }
        Some(_) => return Ok(error("Missing or unsupported chainid parameter")),
    };
    let result = match (p.get("module").unwrap_or(""), p.get("action").unwrap_or("")) {
        ("account", "balance") => balance(&state, &p, domain).await,
        ("account", "balancemulti") => balancemulti(&state, &p, domain).await,
        ("account", "txlistinternal") => txlistinternal(&state, &p, domain).await,
        ("account", "txlist") => txlist(&state, &p, domain).await,
        ("account", "tokentx") => tokentx(&state, &p, domain).await,
        ("account", "tokennfttx") => nft_transfers(&state, &p, domain, "ERC-721").await,
        ("account", "token1155tx") => nft_transfers(&state, &p, domain, "ERC-1155").await,
        ("account", "tokenbalance") => tokenbalance(&state, &p, domain).await,
        ("block", "getblocknumberbytime") => block_by_time(&state, &p, domain).await,
        ("transaction", "gettxreceiptstatus") => receipt_status(&state, &p, domain).await,
        ("logs", "getLogs") => logs(&state, &p, domain).await,
        ("token", "tokeninfo") => tokeninfo(&state, &p, domain).await,
        ("stats", "tokensupply") => tokensupply(&state, &p, domain).await,
        ("contract", "getabi") => getabi(&state, &p, domain).await,
        ("contract", "getsourcecode") => getsourcecode(&state, &p, domain).await,
        ("contract", "verifysourcecode") => verifysourcecode(&state, &p, domain).await,
        ("contract", "checkverifystatus") => checkverifystatus(&state, &p).await,
        _ => return Ok(error("Missing Or invalid Module name / Action name")),
    };
    Ok(match result {
        Ok(json) => json,
        Err(Failure::Input(message)) => error(&message),
        Err(Failure::Window) => Json(json!({
            "status": "0",
            "message": "NOTOK",
            "result": format!(
                "Result window is too large, PageNo x Offset size must be less than or equal to {RESULT_WINDOW}"
            ),
        })),
        // Etherscan's own words for a query stopped at its time limit, in its usual shape.
        Err(Failure::Db(e)) if e.is_overloaded() => {
            tracing::warn!(error = %e, "Etherscan API call refused: the database is too slow or busy");
            error("Query Timeout occured. Please select a smaller result dataset")
        }
        Err(Failure::Db(e)) => return Err(e),
    })
}

enum Failure {
    Input(String),
    /// `page` x `offset` past [`RESULT_WINDOW`].
    Window,
    Db(ExplorerError),
}
impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Input(s)
    }
}
impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Db(e.into())
    }
}

type Answer = Result<Json<Value>, Failure>;

async fn stored_balance(
    state: &State,
    domain: i64,
    token: &[u8],
    holder: &[u8],
) -> Result<U256, Failure> {
    let row = sqlx::query(
        "SELECT balance FROM balances WHERE domain = $1 AND token = $2 AND holder = $3 AND token_id = $4",
    )
    .bind(domain)
    .bind(token.to_vec())
    .bind(holder.to_vec())
    .bind(Vec::<u8>::new())
    .fetch_optional(state.db.pool())
    .await?;
    Ok(row.map(|r| amount(&b(&r, "balance"))).unwrap_or_default())
}

async fn balance(state: &State, p: &Params, domain: i64) -> Answer {
    let a = p.address("address")?;
    Ok(ok(json!(stored_balance(state, domain, &[0u8; 20], &a).await?.to_string())))
}

/// Addresses one `balancemulti` takes at most, as on Etherscan.
const MAX_MULTI: usize = 20;

async fn balancemulti(state: &State, p: &Params, domain: i64) -> Answer {
    let list = p.get("address").ok_or_else(|| "Invalid address format".to_string())?;
    let addresses = list
        .split(',')
        .map(|a| {
            data::parse_address(a.trim()).ok_or_else(|| format!("Invalid address format: {a}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if addresses.len() > MAX_MULTI {
        return Err(format!("Maximum of {MAX_MULTI} addresses per request").into());
    }
    let mut out = Vec::with_capacity(addresses.len());
    for a in addresses {
        let balance = stored_balance(state, domain, &[0u8; 20], a.as_slice()).await?;
        out.push(json!({ "account": address(a.as_slice()), "balance": balance.to_string() }));
    }
    Ok(ok(Value::Array(out)))
}

/// Value moved inside transactions (calls and creations that carried SEC, from the traces), by
/// `address` (from or to) or by `txhash`, as Etherscan's `txlistinternal` lists them.
async fn txlistinternal(state: &State, p: &Params, domain: i64) -> Answer {
    let (limit, skip) = p.paging(RESULT_WINDOW)?;
    let order = p.order();
    let rows = if let Some(tx) = p.get("txhash") {
        let tx = data::parse_hash(tx).ok_or_else(|| "Invalid txhash format".to_string())?;
        sqlx::query(
            "SELECT * FROM internal_transfers WHERE tx_hash = $1 AND domain = $2 \
             ORDER BY trace_index LIMIT $3 OFFSET $4",
        )
        .bind(tx.to_vec())
        .bind(domain)
        .bind(limit)
        .bind(skip)
        .fetch_all(state.db.pool())
        .await?
    } else {
        let sql = format!(
            "SELECT * FROM internal_transfers \
             WHERE domain = $1 AND (from_address = $2 OR to_address = $2) \
               AND block_number >= $3 AND block_number <= $4 \
             ORDER BY block_number {order}, tx_index {order}, trace_index {order} \
             LIMIT $5 OFFSET $6"
        );
        account_rows(state, p, domain, &sql).await?
    };
    let out = rows
        .iter()
        .map(|r| {
            let kind = t(r, "call_type").to_lowercase();
            let to = b(r, "to_address");
            let created = kind.starts_with("create");
            json!({
                "blockNumber": i(r, "block_number").to_string(),
                "timeStamp": i(r, "timestamp").to_string(),
                "hash": hex(&b(r, "tx_hash")),
                "from": hex(&b(r, "from_address")),
                "to": if created { String::new() } else { hex(&to) },
                "value": amount(&b(r, "value")).to_string(),
                "contractAddress": if created { hex(&to) } else { String::new() },
                "input": "",
                "type": kind,
                "traceId": i(r, "trace_index").to_string(),
                "isError": "0",
                "errCode": "",
            })
        })
        .collect();
    Ok(list(out, "No transactions found"))
}

async fn tokenbalance(state: &State, p: &Params, domain: i64) -> Answer {
    let token = p.address("contractaddress")?;
    let a = p.address("address")?;
    Ok(ok(json!(stored_balance(state, domain, &token, &a).await?.to_string())))
}

/// Runs an account list's query, whose parameters are, in order, the domain, `address`,
/// `startblock`, `endblock` and the page (`LIMIT`, `OFFSET`).
async fn account_rows(
    state: &State,
    p: &Params,
    domain: i64,
    sql: &str,
) -> Result<Vec<AnyRow>, Failure> {
    let a = p.address("address")?;
    let start = p.int("startblock", 0)?;
    let end = p.int("endblock", i64::MAX)?;
    let (limit, skip) = p.paging(RESULT_WINDOW)?;
    Ok(sqlx::query(sql)
        .bind(domain)
        .bind(a)
        .bind(start)
        .bind(end)
        .bind(limit)
        .bind(skip)
        .fetch_all(state.db.pool())
        .await?)
}

async fn txlist(state: &State, p: &Params, domain: i64) -> Answer {
    let order = p.order();
    let sql = format!(
        "SELECT t.*, b.hash AS block_hash FROM transactions t JOIN blocks b \
           ON b.domain = t.domain AND b.number = t.block_number \
         WHERE t.domain = $1 AND (t.from_address = $2 OR t.to_address = $2) \
           AND t.block_number >= $3 AND t.block_number <= $4 \
         ORDER BY t.block_number {order}, t.tx_index {order} LIMIT $5 OFFSET $6"
    );
    let rows = account_rows(state, p, domain, &sql).await?;
    let head = head(state, domain).await?;
    // Etherscan names the function a transaction called when the contract's source is verified.
    let mut abis = contract::Abis::default();
    let mut names = Vec::with_capacity(rows.len());
    for r in &rows {
        let input = b(r, "input");
        let name = match (ob(r, "to_address"), <[u8; 4]>::try_from(input.get(..4).unwrap_or(&[]))) {
            (Some(to), Ok(selector)) => abis
                .get(&state.db, domain, &to)
                .await
                .map_err(Failure::Db)?
                .and_then(|abi| abi.functions().find(|f| f.selector() == selector))
                .map(contract::etherscan_function_name),
            _ => None,
        };
        names.push(name.unwrap_or_default());
    }
    let out = rows
        .iter()
        .zip(names)
        .map(|(r, function_name)| {
            let input = b(r, "input");
            let number = i(r, "block_number");
            json!({
                "blockNumber": number.to_string(),
                "timeStamp": i(r, "timestamp").to_string(),
                "hash": hex(&b(r, "hash")),
                "nonce": i(r, "nonce").to_string(),
                "blockHash": hex(&b(r, "block_hash")),
                "transactionIndex": i(r, "tx_index").to_string(),
                "from": hex(&b(r, "from_address")),
                "to": ob(r, "to_address").map(|a| hex(&a)).unwrap_or_default(),
                "value": amount(&b(r, "value")).to_string(),
                "gas": i(r, "gas").to_string(),
                "gasPrice": amount(&b(r, "effective_gas_price")).to_string(),
                "isError": if i(r, "status") == 1 { "0" } else { "1" },
                "txreceipt_status": i(r, "status").to_string(),
                "input": hex(&input),
                "contractAddress": ob(r, "contract_address").map(|a| hex(&a)).unwrap_or_default(),
                "cumulativeGasUsed": i(r, "cumulative_gas_used").to_string(),
                "gasUsed": i(r, "gas_used").to_string(),
                "confirmations": (head - number + 1).max(0).to_string(),
                "methodId": if input.len() >= 4 { hex(&input[..4]) } else { "0x".into() },
                "functionName": function_name,
            })
        })
        .collect();
    Ok(list(out, "No transactions found"))
}

async fn head(state: &State, domain: i64) -> Result<i64, Failure> {
    let row = sqlx::query("SELECT MAX(number) AS n FROM blocks WHERE domain = $1")
        .bind(domain)
        .fetch_one(state.db.pool())
        .await?;
    Ok(row.try_get::<Option<i64>, _>("n").ok().flatten().unwrap_or(0))
}

/// `tokentx`: an address's or a token's ERC-20 transfers, read like the NFT ones: through an
/// index by token, or by each side of the address cut at the page's end, then joined.
async fn tokentx(state: &State, p: &Params, domain: i64) -> Answer {
    let (rows, head) = transfer_rows(state, p, domain, "ERC-20").await?;
    let out = rows
        .iter()
        .map(|r| {
            let number = i(r, "block_number");
            let selector = b(r, "selector");
            json!({
                "blockNumber": number.to_string(),
                "timeStamp": i(r, "timestamp").to_string(),
                "hash": hex(&b(r, "tx_hash")),
                "nonce": i(r, "nonce").to_string(),
                "blockHash": hex(&b(r, "block_hash")),
                "from": hex(&b(r, "from_address")),
                "contractAddress": hex(&b(r, "token")),
                "to": hex(&b(r, "to_address")),
                "value": ob(r, "amount").map(|v| amount(&v)).unwrap_or_default().to_string(),
                "tokenName": t(r, "name"),
                "tokenSymbol": t(r, "symbol"),
                "tokenDecimal": r.try_get::<Option<i64>, _>("decimals").ok().flatten().unwrap_or(0).to_string(),
                "transactionIndex": i(r, "tx_index").to_string(),
                "gas": i(r, "gas").to_string(),
                "gasPrice": amount(&b(r, "effective_gas_price")).to_string(),
                "gasUsed": i(r, "gas_used").to_string(),
                "cumulativeGasUsed": i(r, "cumulative_gas_used").to_string(),
                "input": "deprecated",
                "methodId": if selector.len() == 4 { hex(&selector) } else { "0x".into() },
                "confirmations": (head - number + 1).max(0).to_string(),
            })
        })
        .collect();
    Ok(list(out, "No transactions found"))
}

/// The columns of an NFT transfer the answer shows, cut from `token_transfers t`.
const NFT_COLUMNS: &str = "t.domain, t.block_number, t.log_index, t.batch_index, t.tx_hash, \
    t.timestamp, t.token, t.from_address, t.to_address, t.amount, t.token_id";

/// A page of token transfers of kind `$3` in block order, in domain `$2` and blocks `$4` to `$5`.
/// With `by_token`, token `$1`'s through its index (of migration 0015 for NFTs), only those from or to `$7`
/// when `$6` is not 0, `$8` rows after the first `$9`. Otherwise address `$1`'s, from either
/// side, each side cut at the `$6` rows a page needs through its index before the two are
/// merged, `$7` rows after the first `$8`. Joined with the token, transaction and block after
/// the cut.
fn transfers_sql(by_token: bool, order: &str, nft: bool) -> String {
    // Only NFT transfers carry an id: saying so lets the partial indexes of NFT transfers serve.
    let id = if nft { "AND t.token_id IS NOT NULL" } else { "" };
    let cut = if by_token {
        format!(
            "SELECT {NFT_COLUMNS} FROM token_transfers t \
             JOIN tokens k ON k.domain = t.domain AND k.address = t.token \
             WHERE t.token = $1 AND t.domain = $2 {id} AND k.kind = $3 \
               AND t.block_number >= $4 AND t.block_number <= $5 \
               AND ($6 = 0 OR t.from_address = $7 OR t.to_address = $7) \
             ORDER BY t.block_number {order}, t.log_index {order}, t.batch_index {order} \
             LIMIT $8 OFFSET $9"
        )
    } else {
        let side = |filter: &str| {
            format!(
                "SELECT {NFT_COLUMNS} FROM token_transfers t \
                 JOIN tokens k ON k.domain = t.domain AND k.address = t.token \
                 WHERE {filter} AND t.domain = $2 {id} AND k.kind = $3 \
                   AND t.block_number >= $4 AND t.block_number <= $5 \
                 ORDER BY t.timestamp {order}, t.block_number {order}, t.log_index {order}, \
                   t.batch_index {order} LIMIT $6"
            )
        };
        format!(
            "SELECT * FROM ({}) f UNION ALL SELECT * FROM ({}) s \
             ORDER BY block_number {order}, log_index {order}, batch_index {order} \
             LIMIT $7 OFFSET $8",
            side("t.from_address = $1"),
            side("t.to_address = $1 AND t.from_address <> $1"),
        )
    };
    format!(
        "SELECT c.*, k.name, k.symbol, k.decimals, x.nonce, x.gas, x.gas_used, x.effective_gas_price, \
           x.cumulative_gas_used, x.tx_index, substr(x.input, 1, 4) AS selector, \
           b.hash AS block_hash \
         FROM ({cut}) c \
         JOIN tokens k ON k.domain = c.domain AND k.address = c.token \
         JOIN transactions x ON x.hash = c.tx_hash AND x.domain = c.domain \
           AND x.block_number = c.block_number \
         JOIN blocks b ON b.domain = c.domain AND b.number = c.block_number \
         ORDER BY c.block_number {order}, c.log_index {order}, c.batch_index {order}"
    )
}

/// The token transfer statements (NFT, then ERC-20) with their parameters' kinds (`i` an
/// integer, `a` an address, `t` text), for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    [true, false]
        .into_iter()
        .flat_map(|nft| ["ASC", "DESC"].into_iter().map(move |o| (nft, o)))
        .flat_map(|(nft, o)| {
            [(transfers_sql(true, o, nft), "aitiiiaii"), (transfers_sql(false, o, nft), "aitiiiii")]
        })
        .collect()
}

/// A page of an address's or a token's transfers of `kind` (`address`, `contractaddress`,
/// `startblock`, `endblock`, `page`, `offset`, `sort`), joined with their tokens,
/// transactions and blocks, and the domain's head.
async fn transfer_rows(
    state: &State,
    p: &Params,
    domain: i64,
    kind: &str,
) -> Result<(Vec<AnyRow>, i64), Failure> {
    let a = p.get("address").map(|_| p.address("address")).transpose()?;
    let token = p.get("contractaddress").map(|_| p.address("contractaddress")).transpose()?;
    let start = p.int("startblock", 0)?;
    let end = p.int("endblock", i64::MAX)?;
    let (limit, skip) = p.paging(RESULT_WINDOW)?;
    let order = p.order();
    if token.is_none() && a.is_none() {
        return Err("Missing address or contractaddress".to_string().into());
    }
    let by_token = token.is_some();
    let sql = transfers_sql(by_token, order, kind != "ERC-20");
    let head = head(state, domain).await?;
    let (first, other) = match (token, a) {
        (Some(token), a) => (token, a),
        (None, a) => (a.unwrap_or_default(), None),
    };
    let query = sqlx::query(&sql).bind(first).bind(domain).bind(kind.to_string()).bind(start);
    let query = match (by_token, other) {
        (true, other) => {
            query.bind(end).bind(i64::from(other.is_some())).bind(other.unwrap_or_default())
        }
        (false, _) => query.bind(end).bind(skip + limit),
    };
    let rows = query.bind(limit).bind(skip).fetch_all(state.db.pool()).await?;
    Ok((rows, head))
}

/// `tokennfttx` (ERC-721) and `token1155tx` (ERC-1155): an address's or a token's NFT
/// transfers with Etherscan's fields (`tokenID`; `tokenValue` for ERC-1155).
async fn nft_transfers(state: &State, p: &Params, domain: i64, kind: &str) -> Answer {
    let (rows, head) = transfer_rows(state, p, domain, kind).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let number = i(r, "block_number");
        let selector = b(r, "selector");
        let mut row = json!({
            "blockNumber": number.to_string(),
            "timeStamp": i(r, "timestamp").to_string(),
            "hash": hex(&b(r, "tx_hash")),
            "nonce": i(r, "nonce").to_string(),
            "blockHash": hex(&b(r, "block_hash")),
            "from": hex(&b(r, "from_address")),
            "contractAddress": hex(&b(r, "token")),
            "to": hex(&b(r, "to_address")),
            "tokenID": amount(&b(r, "token_id")).to_string(),
            "tokenName": t(r, "name"),
            "tokenSymbol": t(r, "symbol"),
            "tokenDecimal": "0",
            "transactionIndex": i(r, "tx_index").to_string(),
            "gas": i(r, "gas").to_string(),
            "gasPrice": amount(&b(r, "effective_gas_price")).to_string(),
            "gasUsed": i(r, "gas_used").to_string(),
            "cumulativeGasUsed": i(r, "cumulative_gas_used").to_string(),
            "input": "deprecated",
            "methodId": if selector.len() == 4 { hex(&selector) } else { "0x".into() },
            "confirmations": (head - number + 1).max(0).to_string(),
        });
        if kind == "ERC-1155" {
            let value = ob(r, "amount").map(|v| amount(&v)).unwrap_or_default().to_string();
            row["tokenValue"] = json!(value);
            if let Some(o) = row.as_object_mut() {
                o.remove("tokenDecimal");
            }
        }
        out.push(row);
    }
    Ok(list(out, "No transactions found"))
}

async fn block_by_time(state: &State, p: &Params, domain: i64) -> Answer {
    let ts = p.int("timestamp", -1)?;
    if ts < 0 {
        return Err("Invalid timestamp".to_string().into());
    }
    let sql = match p.get("closest") {
        Some("after") => {
            "SELECT number FROM blocks WHERE domain = $1 AND timestamp >= $2 ORDER BY timestamp, number LIMIT 1"
        }
        Some("before") | None => {
            "SELECT number FROM blocks WHERE domain = $1 AND timestamp <= $2 ORDER BY timestamp DESC, number DESC LIMIT 1"
        }
        Some(_) => return Err("Invalid closest value (before or after)".to_string().into()),
    };
    let row = sqlx::query(sql).bind(domain).bind(ts).fetch_optional(state.db.pool()).await?;
    Ok(match row {
        Some(r) => ok(json!(i(&r, "number").to_string())),
        None => error("No closest block found"),
    })
}

async fn receipt_status(state: &State, p: &Params, domain: i64) -> Answer {
    let h = p
        .get("txhash")
        .and_then(data::parse_hash)
        .ok_or_else(|| "Invalid txhash format".to_string())?;
    let row = sqlx::query("SELECT status FROM transactions WHERE domain = $1 AND hash = $2")
        .bind(domain)
        .bind(h.to_vec())
        .fetch_optional(state.db.pool())
        .await?;
    let status = row.map(|r| i(&r, "status").to_string()).unwrap_or_default();
    Ok(ok(json!({ "status": status })))
}

async fn logs(state: &State, p: &Params, domain: i64) -> Answer {
    let a = p.get("address").map(|_| p.address("address")).transpose()?;
    let from = p.int("fromBlock", 0)?;
    let to = p.int("toBlock", i64::MAX)?;
    let (limit, skip) = p.paging(MAX_LOGS)?;
    let mut topics = Vec::new();
    for k in 0..4 {
        let key = format!("topic{k}");
        let t = match p.get(&key) {
            Some(v) => Some(data::parse_hash(v).ok_or_else(|| format!("Invalid {key}"))?.to_vec()),
            None => None,
        };
        topics.push(t);
    }
    if a.is_none() && topics.iter().all(Option::is_none) {
        return Err("Missing address or topic".to_string().into());
    }
    let sql = "SELECT l.*, b.timestamp, x.effective_gas_price, x.gas_used FROM logs l \
         JOIN blocks b ON b.domain = l.domain AND b.number = l.block_number \
         JOIN transactions x ON x.domain = l.domain AND x.block_number = l.block_number AND x.tx_index = l.tx_index \
         WHERE l.domain = $1 AND ($2 = 0 OR l.address = $3) AND l.block_number >= $4 AND l.block_number <= $5 \
           AND ($6 = 0 OR l.topic0 = $7) AND ($8 = 0 OR l.topic1 = $9) \
           AND ($10 = 0 OR l.topic2 = $11) AND ($12 = 0 OR l.topic3 = $13) \
         ORDER BY l.block_number, l.log_index LIMIT $14 OFFSET $15";
    let mut q = sqlx::query(sql)
        .bind(domain)
        .bind(i64::from(a.is_some()))
        .bind(a.unwrap_or_default())
        .bind(from)
        .bind(to);
    for t in topics {
        q = q.bind(i64::from(t.is_some())).bind(t.unwrap_or_default());
    }
    let rows = q.bind(limit).bind(skip).fetch_all(state.db.pool()).await?;
    let out = rows
        .iter()
        .map(|r| {
            let topics: Vec<String> = ["topic0", "topic1", "topic2", "topic3"]
                .iter()
                .filter_map(|c| ob(r, c))
                .map(|t| hex(&t))
                .collect();
            json!({
                "address": hex(&b(r, "address")),
                "topics": topics,
                "data": hex(&b(r, "data")),
                "blockNumber": format!("{:#x}", i(r, "block_number")),
                "timeStamp": format!("{:#x}", i(r, "timestamp")),
                "gasPrice": format!("{:#x}", amount(&b(r, "effective_gas_price"))),
                "gasUsed": format!("{:#x}", i(r, "gas_used")),
                "logIndex": format!("{:#x}", i(r, "log_index")),
                "transactionHash": hex(&b(r, "tx_hash")),
                "transactionIndex": format!("{:#x}", i(r, "tx_index")),
            })
        })
        .collect();
    Ok(list(out, "No records found"))
}

async fn token_row(state: &State, p: &Params, domain: i64) -> Result<Option<AnyRow>, Failure> {
    let token = p.address("contractaddress")?;
    Ok(sqlx::query("SELECT * FROM tokens WHERE domain = $1 AND address = $2")
        .bind(domain)
        .bind(token)
        .fetch_optional(state.db.pool())
        .await?)
}

async fn tokeninfo(state: &State, p: &Params, domain: i64) -> Answer {
    let Some(r) = token_row(state, p, domain).await? else {
        return Ok(empty("No token found"));
    };
    let decimals = r.try_get::<Option<i64>, _>("decimals").ok().flatten().unwrap_or(0);
    Ok(ok(json!([{
        "contractAddress": address(&b(&r, "address")),
        "tokenName": t(&r, "name"),
        "symbol": t(&r, "symbol"),
        "divisor": decimals.to_string(),
        "tokenType": t(&r, "kind"),
        "totalSupply": ob(&r, "total_supply").map(|s| amount(&s)).unwrap_or_default().to_string(),
    }])))
}

async fn tokensupply(state: &State, p: &Params, domain: i64) -> Answer {
    let Some(r) = token_row(state, p, domain).await? else {
        return Ok(error("Token not found"));
    };
    Ok(ok(json!(ob(&r, "total_supply").map(|s| amount(&s)).unwrap_or_default().to_string())))
}

/// Etherscan's answer for a contract without verified source.
const NOT_VERIFIED: &str = "Contract source code not verified";

fn notok(result: &str) -> Json<Value> {
    Json(json!({ "status": "0", "message": "NOTOK", "result": result }))
}

async fn getabi(state: &State, p: &Params, domain: i64) -> Answer {
    let a = p.address("address")?;
    Ok(match contract::verified(&state.db, domain, &a).await.map_err(Failure::Db)? {
        Some(v) => ok(json!(v.abi)),
        None => notok(NOT_VERIFIED),
    })
}

/// Etherscan's `getsourcecode`: one record, its fields all strings; an unverified contract gets
/// the same record with empty fields and `ABI` saying so, as on Etherscan.
async fn getsourcecode(state: &State, p: &Params, domain: i64) -> Answer {
    let a = p.address("address")?;
    let record = match contract::verified(&state.db, domain, &a).await.map_err(Failure::Db)? {
        Some(v) => json!({
            "SourceCode": v.source_code,
            "ABI": v.abi,
            "ContractName": v.name,
            "CompilerVersion": v.compiler_version,
            "OptimizationUsed": if v.optimization { "1" } else { "0" },
            "Runs": v.runs.to_string(),
            "ConstructorArguments": v.constructor_args,
            "EVMVersion": v.evm_version,
            "Library": "",
            "LicenseType": v.license,
            "Proxy": "0",
            "Implementation": "",
            "SwarmSource": "",
        }),
        None => json!({
            "SourceCode": "",
            "ABI": NOT_VERIFIED,
            "ContractName": "",
            "CompilerVersion": "",
            "OptimizationUsed": "",
            "Runs": "",
            "ConstructorArguments": "",
            "EVMVersion": "Default",
            "Library": "",
            "LicenseType": "Unknown",
            "Proxy": "0",
            "Implementation": "",
            "SwarmSource": "",
        }),
    };
    Ok(ok(json!([record])))
}

/// Etherscan's `verifysourcecode` (POST, as hardhat-verify and forge send it): queues the
/// request and answers its GUID at once; `checkverifystatus` tells how it ended.
async fn verifysourcecode(state: &State, p: &Params, domain: i64) -> Answer {
    let address = p
        .get("contractaddress")
        .and_then(data::parse_address)
        .ok_or_else(|| "Invalid contractaddress format".to_string())?;
    let format = p
        .get("codeformat")
        .map(|f| CodeFormat::parse(f).ok_or_else(|| format!("Unsupported codeformat {f}")))
        .transpose()?
        .unwrap_or(CodeFormat::SingleFile);
    let source = p.get("sourceCode").ok_or_else(|| "Missing sourceCode".to_string())?;
    let contract = p.get("contractname").ok_or_else(|| "Missing contractname".to_string())?;
    let args = p.get("constructorArguements").or_else(|| p.get("constructorArguments"));
    let constructor_args = match args {
        Some(a) => Some(
            alloy_primitives::hex::decode(a.trim())
                .map_err(|_| "Invalid constructorArguments (hex expected)".to_string())?,
        ),
        None => None,
    };
    let request = Request {
        address,
        domain: Some(domain),
        format,
        source: source.to_string(),
        contract: contract.to_string(),
        compiler_version: p.get("compilerversion").unwrap_or("").to_string(),
        optimize: p.get("optimizationUsed") == Some("1"),
        runs: p.int("runs", 200)?.clamp(0, u32::MAX as i64) as u32,
        evm_version: p.get("evmversion").unwrap_or("").to_string(),
        constructor_args,
    };
    match state.verifier.submit(&state.db, request).await {
        Ok(guid) => Ok(ok(json!(guid))),
        Err(VerifyError::Database(e)) => Err(Failure::Db(e.into())),
        Err(e) => Ok(notok(&e.to_string())),
    }
}

/// Etherscan's `checkverifystatus`: "Pending in queue", "Pass - Verified" or
/// "Fail - Unable to verify" with the reason.
async fn checkverifystatus(state: &State, p: &Params) -> Answer {
    let guid = p.get("guid").ok_or_else(|| "Missing guid".to_string())?;
    let status = match verify::job_status(&state.db, guid).await {
        Ok(s) => s,
        Err(VerifyError::Database(e)) => return Err(Failure::Db(e.into())),
        Err(e) => return Ok(notok(&e.to_string())),
    };
    Ok(match status {
        None => notok("Unknown UID"),
        Some(s) if s.status == "pass" => ok(json!("Pass - Verified")),
        Some(s) if s.status == "fail" => notok(&format!("Fail - Unable to verify. {}", s.reason)),
        Some(_) => notok("Pending in queue"),
    })
}
