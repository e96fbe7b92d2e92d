//! Following a cross-domain (BGC) message from the receipt that sent it to its delivery, through
//! the node's `sec_getMessage`.

use std::time::{Duration, Instant};

use alloy::sol_types::SolEvent;
use alloy_primitives::B256;
use sec_contracts::{bindings::CrossDomain, predeploy::CROSS_DOMAIN};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{BridgeError, L1Client, Receipt, Result};

/// How often [`wait_for_delivery`] asks again.
const POLL: Duration = Duration::from_millis(250);

/// The hash of the first message a `CrossDomain.send` receipt shows.
pub fn sent_message_hash(receipt: &Receipt) -> Result<B256> {
    receipt
        .logs
        .iter()
        .filter(|l| l.address() == CROSS_DOMAIN)
        .find_map(|l| CrossDomain::MessageSent::decode_log(&l.inner).ok())
        .map(|e| e.messageHash)
        .ok_or(BridgeError::BadResponse {
            method: "eth_getTransactionReceipt",
            reason: "the receipt has no MessageSent event".into(),
        })
}

/// The id of the domain `client` is connected to, from the node's `sec_domains`.
pub async fn domain_of(client: &L1Client) -> Result<u32> {
    let domains: Vec<Value> = client.request("sec_domains", vec![]).await?;
    let chain_id = format!("{:#x}", client.chain_id());
    domains
        .iter()
        .find(|d| d["chainId"].as_str() == Some(chain_id.as_str()))
        .and_then(|d| d["id"].as_u64())
        .map(|id| id as u32)
        .ok_or(BridgeError::BadResponse {
            method: "sec_domains",
            reason: format!("the node does not list chain id {chain_id}"),
        })
}

/// Where and how a message arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `delivered`, or `failed` (the call reverted, the value was credited, replayable).
    pub status: String,
    /// The destination domain.
    pub domain: u32,
    /// The destination's system transaction that delivered it.
    pub transaction_hash: B256,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryJson {
    domain: u32,
    transaction_hash: B256,
}

/// Waits until the destination delivered message `hash` (asking any domain of the node at
/// `client`), at most `timeout`.
pub async fn wait_for_delivery(
    client: &L1Client,
    hash: B256,
    timeout: Duration,
) -> Result<Delivery> {
    let started = Instant::now();
    loop {
        let m: Value = client.request("sec_getMessage", vec![json!(hash)]).await?;
        let status = m["status"].as_str().unwrap_or_default();
        if status == "delivered" || status == "failed" {
            let d: DeliveryJson = serde_json::from_value(m["delivery"].clone()).map_err(|e| {
                BridgeError::BadResponse { method: "sec_getMessage", reason: e.to_string() }
            })?;
            return Ok(Delivery {
                status: status.to_string(),
                domain: d.domain,
                transaction_hash: d.transaction_hash,
            });
        }
        if m.is_null() || status == "sent" {
            return Err(BridgeError::BadResponse {
                method: "sec_getMessage",
                reason: format!(
                    "message {hash} is {} on this node",
                    if m.is_null() { "unknown" } else { "bound for Ethereum" }
                ),
            });
        }
        if started.elapsed() > timeout {
            return Err(BridgeError::DeliveryTimeout { hash, waited: timeout });
        }
        tokio::time::sleep(POLL).await;
    }
}
