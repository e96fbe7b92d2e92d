//! The SEC block explorer: an axum server over the indexer's database. Server-rendered HTML
//! pages (templates compiled into the binary, every value escaped), a JSON API for every page
//! under `/api/v1/`, and the Etherscan-compatible API at `/api` that wallets and tools use.

pub mod api;
pub mod data;
pub mod etherscan;
pub mod format;
pub mod lists;
pub mod pages;
pub mod trade;

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
}

impl Default for ExplorerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: "data/index.db".into(),
            chain_id_base: 53500,
            stale_after_secs: 30,
        }
    }
}

/// Errors of the explorer.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// The listener failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl IntoResponse for ExplorerError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub templates: Environment<'static>,
    pub config: ExplorerConfig,
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
        ("tx.html", include_str!("../templates/tx.html")),
        ("address.html", include_str!("../templates/address.html")),
        ("token.html", include_str!("../templates/token.html")),
        ("tokens.html", include_str!("../templates/tokens.html")),
        ("search.html", include_str!("../templates/search.html")),
        ("bridge.html", include_str!("../templates/bridge.html")),
        ("checkpoints.html", include_str!("../templates/checkpoints.html")),
        ("domains.html", include_str!("../templates/domains.html")),
        ("validators.html", include_str!("../templates/validators.html")),
        ("sec.html", include_str!("../templates/sec.html")),
        ("not_found.html", include_str!("../templates/not_found.html")),
        ("trade.html", include_str!("../templates/trade.html")),
        ("offer.html", include_str!("../templates/offer.html")),
        ("trust.html", include_str!("../templates/trust.html")),
        ("seller.html", include_str!("../templates/seller.html")),
        ("graph.html", include_str!("../templates/graph.html")),
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

async fn live_script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript")], include_str!("../static/live.js"))
}

/// Every route of the explorer.
pub fn router(db: Database, config: ExplorerConfig) -> Router {
    let state = Arc::new(AppState { db, templates: templates(), config });
    Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/static/live.js", get(live_script))
        .merge(pages::routes())
        .merge(api::routes())
        .route("/api", get(etherscan::handle))
        .fallback(pages::not_found_route)
        .with_state(state)
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
        let app = router(db, config);
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
