//! The HTML pages.

use axum::{
    Form, Router,
    extract::{Path, Query, State as AxumState},
    http::{StatusCode, Uri, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::{
    ExplorerError, Overloaded, RETRY_AFTER_SECS, State, charts, contract, data,
    holders::HolderCursor,
    lists::{self, ListError, ListQuery},
    nft::InventoryCursor,
    trade,
    verify::{self, CodeFormat, Request, VerifyError},
};

/// A query parameter as given, if it is: trimmed, and absent when empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A list's cursor parameter `name` of `N` parts, checked; a refusal names the parameter.
fn cursor_param<const N: usize>(
    value: &Option<String>,
    name: &str,
) -> Result<Option<[i64; N]>, String> {
    given(value)
        .map(lists::decode::<N>)
        .transpose()
        .map_err(|e| format!("{name}: {}", after_reason(&e)))
}

/// Refuses `?page=` on a list that pages by cursor (as it once paged by number), naming the
/// parameter to use instead, so that an old client is told rather than shown page 1 forever.
fn no_page_number(page: &Option<String>, cursor: &str) -> Result<(), String> {
    match page {
        Some(_) => Err(format!(
            "page: this list is paged by cursor; pass the `next` of the page before as `{cursor}`"
        )),
        None => Ok(()),
    }
}

/// `?before=` of the checkpoints: the id of the last checkpoint of the page before.
#[derive(Debug, Default, Deserialize)]
pub struct CheckpointsQuery {
    before: Option<String>,
    page: Option<String>,
}

impl CheckpointsQuery {
    /// The cursor, checked.
    pub fn before(&self) -> Result<Option<i64>, String> {
        no_page_number(&self.page, "before")?;
        Ok(cursor_param::<1>(&self.before, "before")?.map(|[id]| id))
    }
}

/// `?after=` of the token list: the `next` of the page before.
#[derive(Debug, Default, Deserialize)]
pub struct TokensQuery {
    after: Option<String>,
    page: Option<String>,
}

impl TokensQuery {
    /// The cursor, checked.
    pub fn after(&self) -> Result<Option<data::TokensCursor>, String> {
        no_page_number(&self.page, "after")?;
        given(&self.after)
            .map(data::TokensCursor::parse)
            .transpose()
            .map_err(|e| format!("after: {}", after_reason(&e)))
    }
}

/// `?deposits_before=&withdrawals_before=` of the bridge page: where its lists start.
#[derive(Debug, Default, Deserialize)]
pub struct BridgeQuery {
    deposits_before: Option<String>,
    withdrawals_before: Option<String>,
    page: Option<String>,
}

impl BridgeQuery {
    /// The cursors, checked; a refusal names the parameter.
    pub fn cursors(&self) -> Result<data::BridgeCursors, String> {
        no_page_number(&self.page, "withdrawals_before")?;
        Ok(data::BridgeCursors {
            deposits_before: cursor_param::<1>(&self.deposits_before, "deposits_before")?
                .map(|[nonce]| nonce),
            withdrawals_before: cursor_param::<3>(&self.withdrawals_before, "withdrawals_before")?,
        })
    }
}

/// `?before=&transfers_before=` of the address page: where its transactions and its token
/// transfers start.
#[derive(Debug, Default, Deserialize)]
pub struct AddressQuery {
    before: Option<String>,
    transfers_before: Option<String>,
}

impl AddressQuery {
    /// The cursors, checked; a refusal names the parameter.
    pub fn cursors(&self) -> Result<data::AddressCursors, String> {
        Ok(data::AddressCursors {
            before: cursor_param::<4>(&self.before, "before")?,
            transfers_before: cursor_param::<5>(&self.transfers_before, "transfers_before")?,
        })
    }
}

/// `?after=` of the block page: the index of the last transaction of the page before.
#[derive(Debug, Default, Deserialize)]
pub struct BlockQuery {
    after: Option<String>,
}

impl BlockQuery {
    /// The cursor, checked.
    pub fn after(&self) -> Result<Option<i64>, String> {
        Ok(cursor_param::<1>(&self.after, "after")?.map(|[i]| i))
    }
}

/// Why an `after` cursor was refused, without the error's own parameter name.
pub fn after_reason(e: &ListError) -> String {
    let text = e.to_string();
    text.split_once(": ").map_or(text.clone(), |(_, why)| why.to_string())
}

/// `?transfers_before=` of a token's transfers, `?holders_before=` of its holders and
/// `?inventory_after=` of its NFT inventory.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    transfers_before: Option<String>,
    page: Option<String>,
    holders_before: Option<String>,
    inventory_after: Option<String>,
}

impl TokenQuery {
    /// The cursors, checked; a refusal names the parameter.
    pub fn cursors(&self) -> Result<data::TokenCursors, String> {
        let holders_before = given(&self.holders_before)
            .map(HolderCursor::parse)
            .transpose()
            .map_err(|e| format!("holders_{e}"))?;
        let inventory_after = given(&self.inventory_after)
            .map(InventoryCursor::parse)
            .transpose()
            .map_err(|e| format!("inventory_after: {}", after_reason(&e)))?;
        no_page_number(&self.page, "transfers_before")?;
        let transfers_before = cursor_param::<3>(&self.transfers_before, "transfers_before")?;
        Ok(data::TokenCursors { transfers_before, holders_before, inventory_after })
    }
}

fn render(state: &State, name: &str, context: impl Serialize) -> Result<Response, ExplorerError> {
    let html = state.templates.get_template(name)?.render(context)?;
    Ok(Html(html).into_response())
}

fn not_found(state: &State, what: &str) -> Result<Response, ExplorerError> {
    let mut response = render(state, "not_found.html", minijinja::context! { what })?;
    *response.status_mut() = StatusCode::NOT_FOUND;
    Ok(response)
}

/// A request the explorer refuses, with why.
fn bad_request(state: &State, why: &str) -> Result<Response, ExplorerError> {
    let mut response = render(state, "bad_request.html", minijinja::context! { why })?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

/// Answers a request refused because the database was too slow or busy with a page in the
/// layout of the others (503 and `Retry-After` kept), where the API answers JSON: a visitor
/// sees words to act on, not an object.
pub async fn overloaded_as_page(
    AxumState(state): AxumState<State>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<Overloaded>().is_none() {
        return response;
    }
    let retry_after = RETRY_AFTER_SECS;
    match render(&state, "unavailable.html", minijinja::context! { retry_after }) {
        Ok(mut page) => {
            *page.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            page.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static(RETRY_AFTER_SECS));
            page
        }
        Err(e) => {
            tracing::error!(error = %e, "the busy page failed to render");
            response
        }
    }
}

/// Any path no route knows.
pub async fn not_found_route(
    AxumState(state): AxumState<State>,
    uri: Uri,
) -> Result<Response, ExplorerError> {
    not_found(&state, &format!("There is no page at {}.", uri.path()))
}

async fn home(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    Ok(Html(home_page(&state).await?.html.clone()).into_response())
}

/// The home page: its data (the JSON API's `/home`) and the page rendered from it, read and
/// rendered together so that both are as old as each other.
#[derive(Debug)]
pub struct HomePage {
    pub view: data::HomeView,
    pub html: axum::body::Bytes,
}

/// The home page, kept for `home_cache_ms`.
pub(crate) async fn home_page(state: &State) -> Result<Arc<HomePage>, ExplorerError> {
    state
        .home
        .get(|| async {
            let view = data::home(&state.db, state.config.stale_after_secs).await?;
            let html = state.templates.get_template("home.html")?.render(&view)?;
            Ok::<_, ExplorerError>(HomePage { view, html: html.into() })
        })
        .await
}

async fn block(
    AxumState(state): AxumState<State>,
    Path((domain, number)): Path<(String, String)>,
    Query(q): Query<BlockQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Ok(number)) = (domain.parse::<i64>(), number.parse::<i64>()) else {
        return not_found(&state, "That is not a block number.");
    };
    let after = match q.after() {
        Ok(after) => after,
        Err(why) => return bad_request(&state, &why),
    };
    match data::block(&state.db, domain, number, after).await? {
        Some(view) => render(&state, "block.html", view),
        None => not_found(&state, &format!("Block {number} of domain {domain} is not indexed.")),
    }
}

async fn block_by_hash(
    AxumState(state): AxumState<State>,
    Path(hash): Path<String>,
) -> Result<Response, ExplorerError> {
    if let Some(h) = data::parse_hash(&hash)
        && let Some((d, n)) = data::block_by_hash(&state.db, h.as_slice()).await?
    {
        return Ok(Redirect::to(&format!("/block/{d}/{n}")).into_response());
    }
    not_found(&state, "No block has that hash.")
}

async fn transaction(
    AxumState(state): AxumState<State>,
    Path(hash): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(h) = data::parse_hash(&hash) else {
        return not_found(&state, "That is not a transaction hash.");
    };
    match data::transaction(&state.db, h.as_slice()).await? {
        Some(view) => render(&state, "tx.html", view),
        None => not_found(&state, "No indexed transaction has that hash."),
    }
}

async fn address(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
    Query(q): Query<AddressQuery>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return not_found(&state, "That is not an address.");
    };
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return bad_request(&state, &why),
    };
    let view = data::address_page(&state.db, a.as_slice(), cursors).await?;
    render(&state, "address.html", view)
}

async fn token(
    AxumState(state): AxumState<State>,
    Path((domain, a)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Some(a)) = (domain.parse::<i64>(), data::parse_address(&a)) else {
        return not_found(&state, "That is not a token.");
    };
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return bad_request(&state, &why),
    };
    match data::token(&state.db, domain, a.as_slice(), &cursors).await? {
        Some(view) => render(&state, "token.html", view),
        None => not_found(&state, "No token is indexed at that address."),
    }
}

async fn tokens(
    AxumState(state): AxumState<State>,
    Query(q): Query<TokensQuery>,
) -> Result<Response, ExplorerError> {
    let after = match q.after() {
        Ok(after) => after,
        Err(why) => return bad_request(&state, &why),
    };
    let (tokens, page) = data::tokens(&state.db, after.as_ref()).await?;
    render(&state, "tokens.html", minijinja::context! { tokens, page })
}

async fn bridge(
    AxumState(state): AxumState<State>,
    Query(q): Query<BridgeQuery>,
) -> Result<Response, ExplorerError> {
    let cursors = match q.cursors() {
        Ok(cursors) => cursors,
        Err(why) => return bad_request(&state, &why),
    };
    let view = data::bridge(&state.db, cursors).await?;
    render(&state, "bridge.html", view)
}

async fn checkpoints(
    AxumState(state): AxumState<State>,
    Query(q): Query<CheckpointsQuery>,
) -> Result<Response, ExplorerError> {
    let before = match q.before() {
        Ok(before) => before,
        Err(why) => return bad_request(&state, &why),
    };
    let (checkpoints, page) = data::checkpoints(&state.db, before).await?;
    render(&state, "checkpoints.html", minijinja::context! { checkpoints, page })
}

async fn domains(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    let domains = data::domain_rows(&state.db, state.config.chain_id_base).await?;
    render(&state, "domains.html", minijinja::context! { domains })
}

async fn charts(
    AxumState(state): AxumState<State>,
    Query(q): Query<charts::ChartsQuery>,
) -> Result<Response, ExplorerError> {
    let (days, domain) = match q.parse() {
        Ok(parsed) => parsed,
        Err(e) => return bad_request(&state, &e.to_string()),
    };
    render(&state, "charts.html", charts::charts(&state.db, days, domain).await?)
}

async fn validators(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    let validators = data::validators(&state.db).await?;
    render(&state, "validators.html", minijinja::context! { validators })
}

async fn sec_token(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    let view = data::sec_token(&state.db).await?;
    render(&state, "sec.html", view)
}

async fn trade_home(AxumState(state): AxumState<State>) -> Result<Response, ExplorerError> {
    render(&state, "trade.html", trade::trade_home(&state.db).await?)
}

async fn offer(
    AxumState(state): AxumState<State>,
    Path((domain, id)): Path<(String, String)>,
) -> Result<Response, ExplorerError> {
    let (Ok(domain), Ok(id)) = (domain.parse::<i64>(), id.parse::<i64>()) else {
        return not_found(&state, "That is not an offer number.");
    };
    match trade::offer(&state.db, domain, id).await? {
        Some(view) => render(&state, "offer.html", view),
        None => not_found(&state, &format!("Offer {id} of domain {domain} is not indexed.")),
    }
}

async fn trust(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return not_found(&state, "That is not an address.");
    };
    render(&state, "trust.html", trade::trust(&state.db, a.as_slice()).await?)
}

async fn seller(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return not_found(&state, "That is not an address.");
    };
    render(&state, "seller.html", trade::seller(&state.db, a.as_slice()).await?)
}

async fn graph(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return not_found(&state, "That is not an address.");
    };
    render(&state, "graph.html", trade::graph(&state.db, a.as_slice()).await?)
}

async fn blocks(
    AxumState(state): AxumState<State>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ExplorerError> {
    match q.parse::<3>() {
        Ok(request) => render(&state, "blocks.html", lists::blocks(&state.db, &request).await?),
        Err(e) => bad_request(&state, &e.to_string()),
    }
}

async fn transactions(
    AxumState(state): AxumState<State>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ExplorerError> {
    match q.parse::<4>() {
        Ok(request) => render(&state, "txs.html", lists::transactions(&state.db, &request).await?),
        Err(e) => bad_request(&state, &e.to_string()),
    }
}

/// The newest [`lists::CSV_ROWS`] transactions of an address, as a CSV file to save.
async fn address_csv(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return Ok((StatusCode::BAD_REQUEST, "not an address\n").into_response());
    };
    let (csv, _) = lists::address_csv(&state.db, a.as_slice()).await?;
    let disposition = format!("attachment; filename=\"transactions-{a:#x}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// `?q=` of the search box.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
}

async fn search(
    AxumState(state): AxumState<State>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ExplorerError> {
    let q = q.q.unwrap_or_default();
    let hits = data::search(&state.db, &q).await?;
    if let [only] = hits.as_slice() {
        return Ok(Redirect::to(&only.url).into_response());
    }
    render(&state, "search.html", minijinja::context! { q, hits })
}

/// An address's Contract tab: verified source, ABI and compiler settings in every domain.
async fn contract_tab(
    AxumState(state): AxumState<State>,
    Path(a): Path<String>,
) -> Result<Response, ExplorerError> {
    let Some(a) = data::parse_address(&a) else {
        return not_found(&state, "That is not an address.");
    };
    render(&state, "contract.html", contract::contract_tab(&state.db, a.as_slice()).await?)
}

/// `?address=` of the verification form.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    address: Option<String>,
}

/// The form to verify a contract's source.
async fn verify_form(
    AxumState(state): AxumState<State>,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, ExplorerError> {
    let config = state.verifier.config();
    render(
        &state,
        "verify.html",
        minijinja::context! {
            address => q.address.unwrap_or_default(),
            max_input_bytes => config.max_input_bytes,
            timeout_secs => config.timeout_secs,
            error => None::<String>,
        },
    )
}

/// What the verification form posts.
#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    address: String,
    #[serde(default)]
    domain: String,
    codeformat: String,
    contractname: String,
    #[serde(default)]
    compilerversion: String,
    #[serde(rename = "sourceCode")]
    source_code: String,
    #[serde(default, rename = "optimizationUsed")]
    optimization_used: Option<String>,
    #[serde(default)]
    runs: String,
    #[serde(default)]
    evmversion: String,
}

/// Queues a verification and sends the visitor to its status page.
async fn verify_submit(
    AxumState(state): AxumState<State>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, ExplorerError> {
    let refuse = |why: String| -> Result<Response, ExplorerError> {
        let config = state.verifier.config();
        let mut response = render(
            &state,
            "verify.html",
            minijinja::context! {
                address => form.address.clone(),
                max_input_bytes => config.max_input_bytes,
                timeout_secs => config.timeout_secs,
                error => Some(why),
            },
        )?;
        *response.status_mut() = StatusCode::BAD_REQUEST;
        Ok(response)
    };
    let Some(address) = data::parse_address(form.address.trim()) else {
        return refuse("That is not an address.".into());
    };
    let domain = match form.domain.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) if d >= 0 => Some(d),
            _ => return refuse("The domain must be a number.".into()),
        },
    };
    let Some(format) = CodeFormat::parse(&form.codeformat) else {
        return refuse("Choose standard-JSON input or a single file.".into());
    };
    let runs = match form.runs.trim() {
        "" => 200,
        r => match r.parse::<u32>() {
            Ok(r) => r,
            Err(_) => return refuse("Optimizer runs must be a number.".into()),
        },
    };
    let request = Request {
        address,
        domain,
        format,
        source: form.source_code.clone(),
        contract: form.contractname.trim().to_string(),
        compiler_version: form.compilerversion.trim().to_string(),
        optimize: form.optimization_used.as_deref().is_some_and(|v| v == "1" || v == "on"),
        runs,
        evm_version: form.evmversion.trim().to_string(),
        constructor_args: None,
    };
    match state.verifier.submit(&state.db, request).await {
        Ok(guid) => Ok(Redirect::to(&format!("/verify/{guid}")).into_response()),
        Err(VerifyError::Database(e)) => Err(e.into()),
        Err(e) => refuse(e.to_string()),
    }
}

/// How a verification request went; refreshes itself while it waits for the compiler.
async fn verify_status(
    AxumState(state): AxumState<State>,
    Path(guid): Path<String>,
) -> Result<Response, ExplorerError> {
    let status = match verify::job_status(&state.db, &guid).await {
        Ok(status) => status,
        Err(VerifyError::Database(e)) => return Err(e.into()),
        Err(e) => return bad_request(&state, &e.to_string()),
    };
    match status {
        Some(job) => render(&state, "verify_status.html", job),
        None => not_found(&state, "No verification request has that id."),
    }
}

/// The page routes.
pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(home))
        .route("/block/{domain}/{number}", get(block))
        .route("/block/{hash}", get(block_by_hash))
        .route("/tx/{hash}", get(transaction))
        .route("/address/{address}", get(address))
        .route("/address/{address}/transactions.csv", get(address_csv))
        .route("/address/{address}/contract", get(contract_tab))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/verify/{guid}", get(verify_status))
        .route("/blocks", get(blocks))
        .route("/txs", get(transactions))
        .route("/token/{domain}/{address}", get(token))
        .route("/tokens", get(tokens))
        .route("/search", get(search))
        .route("/bridge", get(bridge))
        .route("/checkpoints", get(checkpoints))
        .route("/domains", get(domains))
        .route("/charts", get(charts))
        .route("/validators", get(validators))
        .route("/sec", get(sec_token))
        .route("/trade", get(trade_home))
        .route("/trade/{domain}/{id}", get(offer))
        .route("/trust/{address}", get(trust))
        .route("/seller/{address}", get(seller))
        .route("/graph/{address}", get(graph))
}
