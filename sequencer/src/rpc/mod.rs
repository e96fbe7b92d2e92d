//! Ethereum JSON-RPC over HTTP and WebSocket on one port: domain 0 at `/`, domain `d` at
//! `/domain/{d}`, each path with its own method set bound to its domain.

mod admission;
mod audit;
mod batch;
mod bridge;
mod config;
mod convert;
mod debug;
mod error;
mod eth;
mod filters;
mod ots;
mod parity;
mod raw;
mod simulate;
mod trade;
mod validators;
mod views;

use std::{net::SocketAddr, sync::Arc};

use hyper::{
    Method, StatusCode,
    header::{
        ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
        ACCESS_CONTROL_MAX_AGE, HeaderValue,
    },
};
use jsonrpsee::server::{
    BatchRequestConfig, HttpBody, HttpRequest, HttpResponse, Methods, Server, ServerConfig,
    ServerHandle, serve_with_graceful_shutdown, stop_channel,
};
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use crate::domain::Domain;

pub use error::RpcError;

/// JSON-RPC server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Listen address. Default 127.0.0.1:8545 (loopback only unless told otherwise).
    pub addr: SocketAddr,
    /// Largest request body in bytes. Default 15 MiB.
    pub max_request_size: u32,
    /// Largest response body in bytes. Default 160 MiB.
    pub max_response_size: u32,
    /// Most calls in one batch. Default 1000.
    pub max_batch: u32,
    /// Most concurrent connections. Default 1000.
    pub max_connections: u32,
    /// `Access-Control-Allow-Origin` value; empty disables CORS headers. Default `*`.
    pub cors: String,
    /// Widest block range of one `eth_getLogs`. Default 10,000.
    pub max_logs_range: u64,
    /// Most logs one `eth_getLogs` returns. Default 10,000.
    pub max_logs: usize,
    /// Gas cap of `eth_call` and `eth_estimateGas`. Default 50,000,000.
    pub gas_cap: u64,
    /// Longest an `eth_call`, `eth_estimateGas` or `eth_createAccessList` may execute, in
    /// milliseconds (geth: 5 s). Default 5,000.
    pub evm_timeout_ms: u64,
    /// How many of the latest blocks `eth_getProof` answers for, per domain (reth's
    /// `--rpc.eth-proof-window`). The tries of the latest 64 stay in memory, sharing unchanged
    /// nodes (geth keeps 128 such layers); older blocks' tries are made again from the head's
    /// and the keys changed since, so a proof there costs mostly in proportion to those changes.
    /// Default 64.
    pub proof_window: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_size: 15 * 1024 * 1024,
            max_response_size: 160 * 1024 * 1024,
            max_batch: 1000,
            max_connections: 1000,
            cors: "*".into(),
            max_logs_range: 10_000,
            max_logs: 10_000,
            gas_cap: 50_000_000,
            evm_timeout_ms: 5_000,
            proof_window: 64,
        }
    }
}

/// A running JSON-RPC server.
pub struct RpcServer {
    addr: SocketAddr,
    handle: ServerHandle,
    methods: Vec<&'static str>,
}

/// The route of a request path: `/` is domain 0, `/domain/{d}` is domain d.
fn route(path: &str) -> Option<usize> {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Some(0);
    }
    path.strip_prefix("/domain/")?.parse().ok()
}

impl RpcServer {
    /// Binds and serves until [`RpcServer::stop`].
    pub async fn start(config: &RpcConfig, domains: Vec<Arc<Domain>>) -> std::io::Result<Self> {
        Self::start_with(config, domains, Methods::new()).await
    }

    /// [`RpcServer::start`] serving `extra` too, on every domain's path (a validator node's
    /// checkpoint signing, which needs its key).
    pub async fn start_with(
        config: &RpcConfig,
        domains: Vec<Arc<Domain>>,
        extra: Methods,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let all: Arc<Vec<Arc<Domain>>> = Arc::new(domains);
        let methods: Arc<Vec<Methods>> = Arc::new(
            all.iter()
                .map(|d| {
                    let mut m = eth::module(d.clone(), all.clone(), config.clone())?;
                    m.merge(extra.clone()).map_err(std::io::Error::other)?;
                    Ok(m)
                })
                .collect::<std::io::Result<_>>()?,
        );
        let mut names: Vec<&'static str> =
            methods.first().map(|m| m.method_names().collect()).unwrap_or_default();
        names.sort_unstable();
        let (stop_handle, handle) = stop_channel();
        let server_config = ServerConfig::builder()
            .max_request_body_size(config.max_request_size)
            .max_response_body_size(config.max_response_size)
            .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
            .max_connections(config.max_connections)
            .set_id_provider(filters::HexIdProvider)
            .build();
        let max_response_size = config.max_response_size as usize;
        let builder = Server::builder()
            .set_config(server_config)
            .set_rpc_middleware(
                jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                    .layer_fn(move |inner| batch::ConcurrentBatch { inner, max_response_size }),
            )
            .to_service_builder();
        let cors = (!config.cors.is_empty())
            .then(|| HeaderValue::from_str(&config.cors))
            .transpose()
            .map_err(std::io::Error::other)?;
        info!(%addr, domains = all.len(), "JSON-RPC listening");
        tokio::spawn(async move {
            loop {
                let (sock, _) = tokio::select! {
                    res = listener.accept() => match res {
                        Ok(s) => s,
                        Err(e) => {
                            // Out of descriptors, most likely: back off instead of spinning.
                            debug!(error = %e, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    _ = stop_handle.clone().shutdown() => break,
                };
                let _ = sock.set_nodelay(true);
                let methods = methods.clone();
                let builder = builder.clone();
                let stop = stop_handle.clone();
                let cors = cors.clone();
                let svc = tower::service_fn(move |req: HttpRequest<hyper::body::Incoming>| {
                    let methods = methods.clone();
                    let builder = builder.clone();
                    let stop = stop.clone();
                    let cors = cors.clone();
                    async move {
                        let mut response =
                            match route(req.uri().path()).and_then(|d| methods.get(d)) {
                                _ if req.method() == Method::OPTIONS => preflight(),
                                Some(m) => {
                                    let mut svc = builder.build(m.clone(), stop);
                                    tower::Service::call(&mut svc, req).await?
                                }
                                None => {
                                    let mut r = HttpResponse::new(HttpBody::new(
                                        "unknown domain path\n".to_string(),
                                    ));
                                    *r.status_mut() = StatusCode::NOT_FOUND;
                                    r
                                }
                            };
                        if let Some(origin) = cors {
                            response.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                        }
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(response)
                    }
                });
                tokio::spawn(serve_with_graceful_shutdown(
                    sock,
                    svc,
                    stop_handle.clone().shutdown(),
                ));
            }
        });
        Ok(Self { addr, handle, methods: names })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every method a domain serves, sorted (subscriptions included).
    pub fn method_names(&self) -> &[&'static str] {
        &self.methods
    }

    /// Stops accepting and closes connections after their requests complete.
    pub async fn stop(self) {
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

fn preflight() -> HttpResponse {
    let mut r = HttpResponse::new(HttpBody::new(String::new()));
    let h = r.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, GET, OPTIONS"));
    h.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    r
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn paths_route_to_domains() {
        assert_eq!(route("/"), Some(0));
        assert_eq!(route(""), Some(0));
        assert_eq!(route("/domain/3"), Some(3));
        assert_eq!(route("/domain/3/"), Some(3));
        assert_eq!(route("/domain/x"), None);
        assert_eq!(route("/other"), None);
    }
}
