//! The SEC block explorer: an axum server over the indexer's database. Server-rendered HTML
//! pages (templates compiled into the binary, every value escaped), a JSON API for every page
//! under `/api/v1/`, and the Etherscan-compatible API at `/api` that wallets and tools use.

pub mod api;
pub mod charts;
pub mod contract;
pub mod data;
pub mod etherscan;
pub mod format;
pub mod holders;
pub mod kept;
pub mod lists;
pub mod nft;
pub mod pages;
pub mod trade;
pub mod verify;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use minijinja::Environment;
use sec_indexer::Database;
use serde::{Deserialize, Serialize};

/// Settings of `sec explorer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExplorerConfig {
    /// Listen address. Default 127.0.0.1:8080 (loopback only unless told otherwise).
    pub addr: SocketAddr,
    /// The indexer's database: an SQLite file or a `postgres://` URL. Default `data/index.db`.
    pub db: String,
    /// Chain id of domain 0 (domain d has base + d), for the Etherscan API's `chainid`.
    /// Default 53500.
    pub chain_id_base: u64,
    /// Seconds without word from the indexer (or a domain's latest indexed block that old while
    /// its node is ahead) after which the home page says the index is stale. Default 30.
    pub stale_after_secs: u64,
    /// Milliseconds a database statement of a request may run before it is stopped and the
    /// request answered 503 (the Etherscan API: its "Query Timeout" error), so that slow calls
    /// cannot hold every connection. Default 5,000.
    pub query_timeout_ms: u64,
    /// Milliseconds the home page's data (and its rendered page) is kept and shared by every
    /// request before it is read again ([`kept`]); 0 reads it on every view. Default 1,000: at
    /// most a second behind, about one block.
    pub home_cache_ms: u64,
    /// Source verification: the compiler and the limits put on it.
    pub verify: verify::VerifyConfig,
}

impl Default for ExplorerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: "data/index.db".into(),
            chain_id_base: 53500,
            stale_after_secs: 30,
            query_timeout_ms: 5_000,
            home_cache_ms: 1_000,
            verify: verify::VerifyConfig::default(),
        }
    }
}

/// Errors of the explorer.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    /// The database failed.
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// A statement ran past `query_timeout_ms` and was stopped.
    #[error("the query took longer than the explorer allows ({0})")]
    Timeout(sqlx::Error),
    /// No database connection became free in time: every one was busy.
    #[error("every database connection is busy")]
    Busy,
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// The index's own code failed (beyond a database error).
    #[error("index: {0}")]
    Index(sec_indexer::IndexerError),
    /// The listener failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// PostgreSQL's code for a statement cancelled (by `statement_timeout`).
const PG_QUERY_CANCELED: &str = "57014";
/// SQLite's code for a statement busy past its `busy_timeout` (the readers' is the time limit).
const SQLITE_BUSY: &str = "5";

impl From<sqlx::Error> for ExplorerError {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return Self::Busy;
        }
        let code = e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned());
        match code.as_deref() {
            Some(PG_QUERY_CANCELED | sec_indexer::statement_limit::INTERRUPTED | SQLITE_BUSY) => {
                Self::Timeout(e)
            }
            _ => Self::Database(e),
        }
    }
}

impl ExplorerError {
    /// Whether this is the database being too slow or too busy for now (503), not a failure.
    pub fn is_overloaded(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Busy)
    }
}

impl From<sec_indexer::IndexerError> for ExplorerError {
    fn from(e: sec_indexer::IndexerError) -> Self {
        match e {
            sec_indexer::IndexerError::Database(e) => e.into(),
            other => Self::Index(other),
        }
    }
}

/// Seconds a client is asked to wait before trying a request the database was too slow for.
pub(crate) const RETRY_AFTER_SECS: &str = "5";

/// Marks an answer refused because the database was too slow or busy, so that the pages can
/// answer a visitor with a page where the API answers JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Overloaded;

impl IntoResponse for ExplorerError {
    fn into_response(self) -> Response {
        if self.is_overloaded() {
            tracing::warn!(error = %self, "request refused: the database is too slow or busy");
            let body = serde_json::json!({
                "error": "the database took too long to answer this request; try again later, \
                          or ask for less (a smaller page or range)"
            });
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, RETRY_AFTER_SECS)],
                axum::Json(body),
            )
                .into_response();
            response.extensions_mut().insert(Overloaded);
            return response;
        }
        tracing::error!(error = %self, "request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub templates: Environment<'static>,
    pub config: ExplorerConfig,
    /// The queue of source verifications.
    pub verifier: verify::Verifier,
    /// The home page's data and the page rendered from it, kept for `config.home_cache_ms`.
    pub home: kept::Kept<pages::HomePage>,
}

/// Shared state handle.
pub type State = Arc<AppState>;

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    // Names ending in .html are auto-escaped by minijinja's default callback.
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("macros.html", include_str!("../templates/macros.html")),
        ("home.html", include_str!("../templates/home.html")),
        ("block.html", include_str!("../templates/block.html")),
        ("blocks.html", include_str!("../templates/blocks.html")),
        ("txs.html", include_str!("../templates/txs.html")),
        ("bad_request.html", include_str!("../templates/bad_request.html")),
        ("unavailable.html", include_str!("../templates/unavailable.html")),
        ("tx.html", include_str!("../templates/tx.html")),
        ("address.html", include_str!("../templates/address.html")),
        ("token.html", include_str!("../templates/token.html")),
        ("tokens.html", include_str!("../templates/tokens.html")),
        ("search.html", include_str!("../templates/search.html")),
        ("bridge.html", include_str!("../templates/bridge.html")),
        ("checkpoints.html", include_str!("../templates/checkpoints.html")),
        ("domains.html", include_str!("../templates/domains.html")),
        ("charts.html", include_str!("../templates/charts.html")),
        ("validators.html", include_str!("../templates/validators.html")),
        ("sec.html", include_str!("../templates/sec.html")),
        ("not_found.html", include_str!("../templates/not_found.html")),
        ("trade.html", include_str!("../templates/trade.html")),
        ("offer.html", include_str!("../templates/offer.html")),
        ("trust.html", include_str!("../templates/trust.html")),
        ("seller.html", include_str!("../templates/seller.html")),
        ("graph.html", include_str!("../templates/graph.html")),
        ("contract.html", include_str!("../templates/contract.html")),
        ("verify.html", include_str!("../templates/verify.html")),
        ("verify_status.html", include_str!("../templates/verify_status.html")),
    ] {
        // The templates are part of the binary and checked by the tests.
        #[allow(clippy::expect_used)]
        env.add_template(name, source).expect("built-in template parses");
    }
    env
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css")], include_str!("../static/style.css"))
}

/// The explorer's icon; also at `/favicon.ico`, where browsers and tools look without a link.
async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], include_str!("../static/favicon.svg"))
}

/// The copy buttons beside hashes and addresses.
async fn copy_script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript")], include_str!("../static/copy.js"))
}

async fn live_script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript")], include_str!("../static/live.js"))
}

/// Largest request body: a verification's standard-JSON input, form-encoded, with room to
/// spare (the source itself is limited by `verify.max_input_bytes`).
const MAX_BODY: usize = 16 << 20;

/// Every route of the explorer. Starts the verification worker, so it needs a Tokio runtime.
/// Requests read through a pool of their own whose statements stop after
/// `config.query_timeout_ms` ([`Database::reader`]); the verification worker uses `db`.
pub fn router(db: Database, config: ExplorerConfig) -> Result<Router, ExplorerError> {
    let reader = db.reader(std::time::Duration::from_millis(config.query_timeout_ms))?;
    let verifier = verify::Verifier::start(db, config.verify.clone());
    let home_cache = std::time::Duration::from_millis(config.home_cache_ms);
    let state = Arc::new(AppState {
        db: reader,
        templates: templates(),
        config,
        verifier,
        home: kept::Kept::new(home_cache),
    });
    Ok(Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/static/live.js", get(live_script))
        .route("/static/copy.js", get(copy_script))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .merge(
            pages::routes().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                pages::overloaded_as_page,
            )),
        )
        .merge(api::routes())
        .route("/api", get(etherscan::handle).post(etherscan::handle_post))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .fallback(pages::not_found_route)
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state))
}

/// The Content-Security-Policy of every answer: scripts, styles, images and requests from this
/// origin only (style attributes allowed, which the charts' SVG uses; no inline script), no
/// plugins, no framing by other sites, forms posted here only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'; form-action 'self'";

/// Adds the security headers to every answer: the CSP, no MIME sniffing, no framing, and no
/// referrer sent to other sites (addresses and hashes are in the explorer's URLs).
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// A running explorer.
pub struct Explorer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Explorer {
    /// Binds `config.addr` and serves until dropped or stopped.
    pub async fn start(config: ExplorerConfig, db: Database) -> Result<Self, ExplorerError> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let app = router(db, config)?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "explorer server stopped");
            }
        });
        Ok(Self { addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
    }
}
