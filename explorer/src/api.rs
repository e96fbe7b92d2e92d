//! The JSON API: the data of every page, under `/api/v1/`, and its OpenAPI description.

use axum::{
    Json, Router,
    extract::{Path, Query, State as AxumState},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use serde_json::json;

use crate::{
    ExplorerError, State, data,
    holders::{self, HolderCursor},
    lists::{self, ListQuery},
    nft::{self, InventoryCursor},
    pages::{
        AddressQuery, BlockQuery, BridgeQuery, CheckpointsQuery, SearchQuery, TokenQuery,
        TokensQuery, after_reason,
    },
    trade,
};

fn found<T: Serialize>(value: Option<T>) -> Response {
    match value {
        Some(v) => Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))).into_response(),
    }
}

fn bad(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": what }))).into_response()
}

async fn home(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    Ok(Json(&crate::pages::home_page(&state).await?.view).into_response())
}

async fn block(
    AxumState(state): AxumState<State>,
    Path((domain, number)): Path<(String, String)>,
    Query(q): Query<BlockQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Ok(number)) = (domain.parse::<i64>(), number.parse::<i64>()) else {
        return Ok(bad("domain and number must be integers"));
    };
    let after = match q.after() {
        Ok(after) => after,
        Err(why) => return Ok(bad(&why)),
    };
    Ok(found(data::block(&state.db, domain, number, after).await?))
}

async fn transaction(
    AxumState(state): AxumState<State>,
    Path(hash): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(h) = data::parse_hash(&hash) else { return Ok(bad("not a transaction hash")) };
    Ok(found(data::transaction(&state.db, h.as_slice()).await?))
}

async fn address(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
    Query(q): Query<AddressQuery>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else { return Ok(bad("not an address")) };
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return Ok(bad(&why)),
    };
    Ok(Json(data::address_page(&state.db, a.as_slice(), cursors).await?).into_response())
}

async fn token(
    AxumState(state): AxumState<State>,
    Path((domain, a)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Some(a)) = (domain.parse::<i64>(), data::parse_address(&a)) else {
        return Ok(bad("domain must be an integer and address an address"));
    };
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return Ok(bad(&why)),
    };
    Ok(found(data::token(&state.db, domain, a.as_slice(), &cursors).await?))
}

/// `?after=&limit=` of a token's NFT inventory.
#[derive(Debug, serde::Deserialize)]
struct InventoryQuery {
    after: Option<String>,
    limit: Option<String>,
}

/// A page of a token's NFT inventory, ids ascending, paged by cursor.
async fn token_inventory(
    AxumState(state): AxumState<State>,
    Path((domain, a)): Path<(String, String)>,
    Query(q): Query<InventoryQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Some(a)) = (domain.parse::<i64>(), data::parse_address(&a)) else {
        return Ok(bad("domain must be an integer and address an address"));
    };
    let after = match q.after.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => match InventoryCursor::parse(s) {
            Ok(c) => Some(c),
            Err(e) => return Ok(bad(&format!("after: {}", after_reason(&e)))),
        },
    };
    let limit = match holders::parse_limit(q.limit.as_deref()) {
        Ok(limit) => limit,
        Err(e) => return Ok(bad(&e.to_string())),
    };
    let Some(token) = data::token_summary_of(&state.db, domain, a.as_slice()).await? else {
        return Ok(found(None::<()>));
    };
    let kind = token.summary.kind.clone();
    let page =
        nft::inventory(&state.db, domain, a.as_slice(), &kind, after.as_ref(), limit).await?;
    Ok(Json(json!({
        "token": token.summary,
        "limit": limit,
        "items": page.items,
        "next": page.next,
    }))
    .into_response())
}

/// `?before=&limit=` of a token's holders.
#[derive(Debug, serde::Deserialize)]
struct HoldersQuery {
    before: Option<String>,
    limit: Option<String>,
}

/// A page of a token's holders, largest first, paged by cursor.
async fn token_holders(
    AxumState(state): AxumState<State>,
    Path((domain, a)): Path<(String, String)>,
    Query(q): Query<HoldersQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Some(a)) = (domain.parse::<i64>(), data::parse_address(&a)) else {
        return Ok(bad("domain must be an integer and address an address"));
    };
    let before = q.before.as_deref().filter(|s| !s.trim().is_empty()).map(HolderCursor::parse);
    let (before, limit) = match (before.transpose(), holders::parse_limit(q.limit.as_deref())) {
        (Ok(before), Ok(limit)) => (before, limit),
        (Err(e), _) | (_, Err(e)) => return Ok(bad(&e.to_string())),
    };
    let Some(token) = data::token_summary_of(&state.db, domain, a.as_slice()).await? else {
        return Ok(found(None::<()>));
    };
    let supply = token.supply;
    let decimals = token.summary.decimals.unwrap_or(0).clamp(0, 77) as u8;
    let page =
        holders::page(&state.db, domain, a.as_slice(), before.as_ref(), limit, supply, decimals)
            .await?;
    Ok(Json(json!({
        "token": token.summary,
        "limit": limit,
        "holders": page.holders,
        "next": page.next,
    }))
    .into_response())
}

async fn tokens(
    AxumState(state): AxumState<State>,
    Query(q): Query<TokensQuery>,
) -> Result<Response, ExplorerError> {
    let after = match q.after() {
        Ok(after) => after,
        Err(why) => return Ok(bad(&why)),
    };
    let (tokens, page) = data::tokens(&state.db, after.as_ref()).await?;
    Ok(Json(json!({ "tokens": tokens, "page": page })).into_response())
}

async fn search(
    AxumState(state): AxumState<State>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ExplorerError> {
    let hits = data::search(&state.db, q.q.as_deref().unwrap_or("")).await?;
    Ok(Json(json!({ "results": hits })).into_response())
}

async fn bridge(
    AxumState(state): AxumState<State>,
    Query(q): Query<BridgeQuery>,
) -> Result<Response, ExplorerError> {
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return Ok(bad(&why)),
    };
    Ok(Json(data::bridge(&state.db, cursors).await?).into_response())
}

async fn checkpoints(
    AxumState(state): AxumState<State>,
    Query(q): Query<CheckpointsQuery>,
) -> Result<Response, ExplorerError> {
    let before = match q.before() {
        Ok(before) => before,
        Err(why) => return Ok(bad(&why)),
    };
    let (checkpoints, page) = data::checkpoints(&state.db, before).await?;
    Ok(Json(json!({ "checkpoints": checkpoints, "page": page })).into_response())
}

async fn domains(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    let domains = data::domain_rows(&state.db, state.config.chain_id_base).await?;
    Ok(Json(json!({ "domains": domains })).into_response())
}

async fn charts(
    AxumState(state): AxumState<State>,
    Query(q): Query<crate::charts::ChartsQuery>,
) -> Result<Response, ExplorerError> {
    let (days, domain) = match q.parse() {
        Ok(parsed) => parsed,
        Err(e) => return Ok(bad(&e.to_string())),
    };
    Ok(Json(crate::charts::charts(&state.db, days, domain).await?).into_response())
}

async fn validators(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    Ok(Json(json!({ "validators": data::validators(&state.db).await? })).into_response())
}

async fn sec_token(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    Ok(Json(data::sec_token(&state.db).await?).into_response())
}

async fn trade_home(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    Ok(Json(trade::trade_home(&state.db).await?).into_response())
}

async fn offer(
    AxumState(state): AxumState<State>,
    Path((domain, id)): Path<(String, String)>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Ok(id)) = (domain.parse::<i64>(), id.parse::<i64>()) else {
        return Ok(bad("domain and offer must be integers"));
    };
    Ok(found(trade::offer(&state.db, domain, id).await?))
}

async fn trust(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else { return Ok(bad("not an address")) };
    Ok(Json(trade::trust(&state.db, a.as_slice()).await?).into_response())
}

async fn seller(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else { return Ok(bad("not an address")) };
    Ok(Json(trade::seller(&state.db, a.as_slice()).await?).into_response())
}

async fn graph(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else { return Ok(bad("not an address")) };
    Ok(Json(trade::graph(&state.db, a.as_slice()).await?).into_response())
}

async fn blocks(
    AxumState(state): AxumState<State>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ExplorerError> {
    match q.parse::<3>() {
        Ok(request) => Ok(Json(lists::blocks(&state.db, &request).await?).into_response()),
        Err(e) => Ok(bad(&e.to_string())),
    }
}

async fn transactions(
    AxumState(state): AxumState<State>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ExplorerError> {
    match q.parse::<4>() {
        Ok(request) => Ok(Json(lists::transactions(&state.db, &request).await?).into_response()),
        Err(e) => Ok(bad(&e.to_string())),
    }
}

async fn contract(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else { return Ok(bad("not an address")) };
    Ok(Json(crate::contract::contract_tab(&state.db, a.as_slice()).await?).into_response())
}

async fn verification(
    AxumState(state): AxumState<State>,
    Path(guid): Path<String>,
) -> Result<Response, ExplorerError> {
    match crate::verify::job_status(&state.db, &guid).await {
        Ok(status) => Ok(found(status)),
        Err(crate::verify::VerifyError::Database(e)) => Err(e.into()),
        Err(e) => Ok(bad(&e.to_string())),
    }
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.0 description of the JSON API and the Etherscan-compatible API.
pub fn openapi_document() -> serde_json::Value {
    fn op(summary: &str, params: &[(&str, &str, bool)]) -> serde_json::Value {
        let parameters: Vec<_> = params
            .iter()
            .map(|(name, place, required)| {
                json!({ "name": name, "in": place, "required": required, "schema": { "type": "string" } })
            })
            .collect();
        json!({ "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } },
                "400": { "description": "Malformed parameter" },
                "404": { "description": "Not indexed" }
            }
        }})
    }
    fn op_csv() -> serde_json::Value {
        json!({ "get": {
            "summary": format!("CSV export of an address's newest transactions (at most {}), sent or received, in every domain, newest first: domain, block_number, tx_index, hash, timestamp (unix seconds), time_utc (ISO 8601), from, to, contract_address, value_wei, value_sec, fee_wei, fee_sec, status (success or failed), method (selector)", lists::CSV_ROWS),
            "parameters": [{ "name": "address", "in": "path", "required": true, "schema": { "type": "string" } }],
            "responses": {
                "200": { "description": "CSV, as an attachment", "content": { "text/csv": { "schema": { "type": "string" } } } },
                "400": { "description": "Not an address" }
            }
        }})
    }
    let list = [("domain", "query", false), ("before", "query", false), ("limit", "query", false)];
    json!({
        "openapi": "3.0.3",
        "info": { "title": "SEC explorer API", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/api/v1/home": op("Latest blocks of every domain, rates, finalized heights, latest transactions, and whether the index is stale (why, in `stale`)", &[]),
            "/api/v1/block/{domain}/{number}": op("A block and a page of its transactions (25, in order); `next` is the cursor of the next page, to pass as `after`, absent on the last", &[("domain", "path", true), ("number", "path", true), ("after", "query", false)]),
            "/api/v1/blocks": op("The latest blocks of every domain (newest first by time, then domain and number, each descending) or of `domain` (by number): number, domain, time and age, transactions, gas used and its share of the limit, producer (`miner`). Paged by cursor: 25 rows unless `limit` (1-100) says otherwise; `next` is the cursor of the next (older) page, to pass as `before`, absent on the last page. A malformed `domain`, `limit` or `before` is refused with 400 and why in `error`", &list),
            "/api/v1/txs": op("The latest transactions of every domain (newest first by time, then domain, block and index, each descending) or of `domain`: hash, domain, block, time and age, from, to, value (in SEC and `value_wei`), fee (in SEC and `fee_wei`), status (`success`). Paged by cursor like /api/v1/blocks", &list),
            "/address/{address}/transactions.csv": op_csv(),
            "/api/v1/tx/{hash}": op("A transaction: receipt, logs, token and internal transfers", &[("hash", "path", true)]),
            "/api/v1/address/{address}": op("Balances per domain, code, transactions and token transfers of an address; both lists newest first, 25 rows a page, paged by cursor: `next` passed back as `before` for the transactions, `transfers_next` as `transfers_before` for the token transfers", &[("address", "path", true), ("before", "query", false), ("transfers_before", "query", false)]),
            "/api/v1/address/{address}/contract": op("The verified contracts at an address (every domain, and Ethereum): name, compiler version and settings, full or partial match, source files, ABI; and the domains where its code is not verified", &[("address", "path", true)]),
            "/api/v1/verify/{guid}": op("How a verification request went: status pending, pass or fail, and why it failed", &[("guid", "path", true)]),
            "/api/v1/token/{domain}/{address}": op("A token: metadata, the largest 25 holders (or the 25 below `holders_before`, a cursor from `holders_next`), the first 25 of its NFT inventory (or those after `inventory_after`, from `inventory_next`), 25 transfers newest first (or the 25 below `transfers_before`, a cursor from `transfers_page.next`)", &[("domain", "path", true), ("address", "path", true), ("transfers_before", "query", false), ("holders_before", "query", false), ("inventory_after", "query", false)]),
            "/api/v1/token/{domain}/{address}/inventory": op("An ERC-721 or ERC-1155 token's inventory, ids ascending: each ERC-721 id with its current owner (the receiver of its latest transfer; burned ids left out) and when it last moved, each ERC-1155 id with its holders and balances. Paged by cursor: 25 items unless `limit` (1-100) says otherwise, `next` passed back as `after`", &[("domain", "path", true), ("address", "path", true), ("after", "query", false), ("limit", "query", false)]),
            "/api/v1/token/{domain}/{address}/holders": op("A token's holders, largest balance first (ties by holder, then token id, descending): holder, amount (in the token's units and `raw_amount`), ERC-1155 token id, share of the supply, and `rank` on the first page. Paged by cursor like /api/v1/blocks: 25 rows unless `limit` (1-100) says otherwise, `next` passed back as `before`", &[("domain", "path", true), ("address", "path", true), ("before", "query", false), ("limit", "query", false)]),
            "/api/v1/tokens": op("Every indexed token, in the order they first appeared (domain, first block, address), 25 a page; `page.next` is the cursor of the next page, to pass as `after`", &[("after", "query", false)]),
            "/api/v1/bridge": op("Deposits from Ethereum and withdrawals to it with their stage, newest first, 25 of each a page, and the latest cross-domain messages. Paged by cursor: `deposits_page.next` passed back as `deposits_before`, `withdrawals_page.next` as `withdrawals_before`", &[("deposits_before", "query", false), ("withdrawals_before", "query", false)]),
            "/api/v1/charts": op("Activity per UTC day, of every domain or of `domain`: blocks, transactions and gas used, the last `days` days (1-365, default 30) to the latest day indexed, oldest first, days without blocks as zero; with each day's bar geometry (chart box 600 x 200) and the totals", &[("days", "query", false), ("domain", "query", false)]),
            "/api/v1/domains": op("Every domain: chain id, head, finalized height, transactions, recent rate", &[]),
            "/api/v1/validators": op("Validators: bonded and self stake, delegators, commission, slashing, status", &[]),
            "/api/v1/sec": op("The SEC token: allocations (released, vested, locked) and the vesting schedule", &[]),
            "/api/v1/checkpoints": op("Checkpoints anchored on Ethereum, newest first, 25 a page; `page.next` is the cursor of the next page, to pass as `before`", &[("before", "query", false)]),
            "/api/v1/trade": op("Latest offers, and the cross-domain share of completed trades over time (buckets; `definition`: what counts as cross-domain, a payment by cross-domain message or parties with different homes in the hub's directory)", &[]),
            "/api/v1/trade/{domain}/{id}": op("An offer: terms, parties, every step with its time (and `message`, the cross-domain message that took it, if one did), its dispute with the panel's votes and the decision. Periods: `auto_confirm_secs` and `ship_secs` in seconds, `auto_confirm` and `ship_within` as shown (\"30 s\", \"7 days\"), `auto_confirm_days` and `ship_days` in days to two decimals", &[("domain", "path", true), ("id", "path", true)]),
            "/api/v1/trust/{address}": op("An account's trust index in every domain, its history, and the chart of it (SVG paths)", &[("address", "path", true)]),
            "/api/v1/seller/{address}": op("An account's offers by stage (open, completed, other), the disputes over them, and what it bought", &[("address", "path", true)]),
            "/api/v1/graph/{address}": op("An account's relationships: counterparties with trades each way, last trade, live or lapsed, and their place in the picture", &[("address", "path", true)]),
            "/api/v1/search": op("Transactions, blocks, addresses and tokens matching q", &[("q", "query", true)]),
            "/api": op(
                "Etherscan-compatible API: module=account (balance, txlist, tokentx, tokenbalance), block (getblocknumberbytime), transaction (gettxreceiptstatus), logs (getLogs), token (tokeninfo), stats (tokensupply), contract (getabi, getsourcecode, verifysourcecode by POST with codeformat solidity-standard-json-input or solidity-single-file, checkverifystatus); chainid selects the domain",
                &[("module", "query", true), ("action", "query", true), ("chainid", "query", false), ("address", "query", false), ("contractaddress", "query", false), ("txhash", "query", false), ("timestamp", "query", false), ("closest", "query", false), ("startblock", "query", false), ("endblock", "query", false), ("fromBlock", "query", false), ("toBlock", "query", false), ("topic0", "query", false), ("page", "query", false), ("offset", "query", false), ("sort", "query", false)]
            )
        }
    })
}

/// The API routes.
pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/home", get(home))
        .route("/api/v1/block/{domain}/{number}", get(block))
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/txs", get(transactions))
        .route("/api/v1/tx/{hash}", get(transaction))
        .route("/api/v1/address/{address}", get(address))
        .route("/api/v1/address/{address}/contract", get(contract))
        .route("/api/v1/verify/{guid}", get(verification))
        .route("/api/v1/token/{domain}/{address}", get(token))
        .route("/api/v1/token/{domain}/{address}/holders", get(token_holders))
        .route("/api/v1/token/{domain}/{address}/inventory", get(token_inventory))
        .route("/api/v1/tokens", get(tokens))
        .route("/api/v1/search", get(search))
        .route("/api/v1/bridge", get(bridge))
        .route("/api/v1/checkpoints", get(checkpoints))
        .route("/api/v1/domains", get(domains))
        .route("/api/v1/charts", get(charts))
        .route("/api/v1/validators", get(validators))
        .route("/api/v1/sec", get(sec_token))
        .route("/api/v1/trade", get(trade_home))
        .route("/api/v1/trade/{domain}/{id}", get(offer))
        .route("/api/v1/trust/{address}", get(trust))
        .route("/api/v1/seller/{address}", get(seller))
        .route("/api/v1/graph/{address}", get(graph))
        .route("/api/v1/openapi.json", get(openapi))
}
