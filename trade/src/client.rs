//! [`TradeClient`]: one account on one domain, sending trade steps to the predeploys and
//! reading their views.

use std::time::Duration;

use alloy::{
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use sec_bridge::{
    BridgeError, L1Client, Receipt,
    message::{domain_of, sent_message_hash, wait_for_delivery},
};
use sec_contracts::{
    bindings::{CrossDomain, Disputes, TradeEscrow, TrustIndex, bridged_erc20::BridgedERC20},
    predeploy::{CROSS_DOMAIN, DISPUTES, TRADE_ESCROW, TRUST_INDEX},
};
use serde_json::json;

use crate::{
    error::{Result, TradeError},
    words::{Target, explain},
};

/// A token's symbol and decimals, to read and write amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// `SEC` for the native coin.
    pub symbol: String,
    /// 18 for the native coin.
    pub decimals: u8,
}

/// An account's standing in `TrustIndex`.
pub type Standing = TrustIndex::accountOfReturn;

/// One account on one domain's JSON-RPC endpoint; without a key it can only read.
///
/// Made with [`TradeClient::connect_from`], the account acts from another domain, where its
/// SEC is: each step goes out there as a `CrossDomain` message to the escrow, and the step is
/// the delivery on the offer's domain.
pub struct TradeClient {
    client: L1Client,
    has_key: bool,
    relay: Option<Relay>,
}

/// The domain a relayed client's steps are sent from.
struct Relay {
    source: L1Client,
    source_domain: u32,
    offer_domain: u32,
}

/// How long a relayed step waits for its delivery.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);

impl TradeClient {
    /// Connects to `rpc`; `signer` `None` gives a read-only client.
    pub async fn connect(rpc: &str, signer: Option<PrivateKeySigner>) -> Result<Self> {
        let has_key = signer.is_some();
        // views only: any address will do as the caller
        let signer = signer.unwrap_or_else(PrivateKeySigner::random);
        Ok(Self { client: L1Client::connect(rpc, signer).await?, has_key, relay: None })
    }

    /// A client for the offers on the domain at `rpc` that sends the account's steps from the
    /// domain at `from_rpc` as cross-domain messages: a payment carries SEC from there, and a
    /// step the escrow refuses on delivery sends its value back there.
    pub async fn connect_from(rpc: &str, signer: PrivateKeySigner, from_rpc: &str) -> Result<Self> {
        let client = L1Client::connect(rpc, signer.clone()).await?;
        let source = L1Client::connect(from_rpc, signer).await?;
        let (source_domain, offer_domain) = (domain_of(&source).await?, domain_of(&client).await?);
        if source_domain == offer_domain {
            return Err(TradeError::SameDomain(offer_domain));
        }
        let relay = Relay { source, source_domain, offer_domain };
        Ok(Self { client, has_key: true, relay: Some(relay) })
    }

    /// The domain the account's steps are sent from, when not the offer's.
    pub fn sent_from(&self) -> Option<u32> {
        self.relay.as_ref().map(|r| r.source_domain)
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.client.address()
    }

    /// The JSON-RPC client underneath.
    pub fn rpc(&self) -> &L1Client {
        &self.client
    }

    /// Estimates, signs (EIP-1559), sends `call` to `target` and waits for the receipt. A step
    /// the contract refuses is not sent: it comes back as [`TradeError::Refused`] in words.
    pub async fn send<C: SolCall>(&self, target: Target, call: C, value: U256) -> Result<Receipt> {
        if !self.has_key {
            return Err(TradeError::NoKey);
        }
        let to = match target {
            Target::Escrow => TRADE_ESCROW,
            Target::Disputes => DISPUTES,
        };
        let refused = |e| match e {
            BridgeError::Reverted { reason, data, .. } => {
                TradeError::Refused(explain(target, &data).unwrap_or(reason))
            }
            e => e.into(),
        };
        match &self.relay {
            None => self.client.send_call(to, call, value).await.map_err(refused),
            Some(relay) if target == Target::Escrow => {
                self.send_from(relay, call.abi_encode().into(), value).await.map_err(|e| match e {
                    TradeError::Client(e) => refused(e),
                    e => e,
                })
            }
            Some(_) => Err(TradeError::NotRelayed),
        }
    }

    /// A step sent from `relay`'s domain: simulated on the offer's domain as the account
    /// itself would take it (refused there: nothing is sent), sent as a message carrying
    /// `value`, and followed to its delivery, whose receipt (with the step's events) it returns.
    async fn send_from(&self, relay: &Relay, data: Bytes, value: U256) -> Result<Receipt> {
        let me = self.address();
        // the account's balance on the offer's domain is irrelevant: the value comes with the
        // message, so the simulation gives it exactly that
        let tx = json!({ "from": me, "to": TRADE_ESCROW, "data": data, "value": value });
        let overrides = json!({ me.to_string(): { "balance": value } });
        let _: Bytes =
            self.client.request("eth_call", vec![tx, json!("latest"), overrides]).await?;

        let call = CrossDomain::sendCall { dstDomain: relay.offer_domain, to: TRADE_ESCROW, data };
        let sent = relay.source.send_call(CROSS_DOMAIN, call, value).await?;
        let hash = sent_message_hash(&sent)?;
        let delivery = wait_for_delivery(&relay.source, hash, DELIVERY_TIMEOUT).await?;
        let receipt = self.client.wait_for_receipt(delivery.transaction_hash).await?;
        let refusal = receipt
            .logs
            .iter()
            .filter(|l| l.address() == TRADE_ESCROW)
            .filter_map(|l| l.log_decode::<TradeEscrow::RelayRefused>().ok())
            .map(|l| l.inner.data)
            .find(|e| e.sender == me);
        if let Some(e) = refusal {
            let why = explain(Target::Escrow, &e.reason)
                .or_else(|| sec_contracts::decode_revert(&e.reason))
                .unwrap_or_else(|| "the step failed".into());
            return Err(TradeError::RefusedOnDelivery {
                why,
                value: e.value,
                source_domain: relay.source_domain,
            });
        }
        Ok(receipt)
    }

    /// Offer `id`; [`TradeError::UnknownOffer`] if there is none.
    pub async fn offer(&self, id: u64) -> Result<TradeEscrow::Offer> {
        let o = self.client.view(TRADE_ESCROW, TradeEscrow::offerCall { offerId: id }).await?;
        if o.state == 0 {
            return Err(TradeError::UnknownOffer(id));
        }
        Ok(o)
    }

    /// Dispute `id` with its panel and votes.
    pub async fn dispute(&self, id: u64) -> Result<Disputes::Dispute> {
        Ok(self.client.view(DISPUTES, Disputes::disputeOfCall { disputeId: id }).await?)
    }

    /// The bond `seller` would post for an offer at `price` now.
    pub async fn bond_for(&self, seller: Address, price: U256) -> Result<U256> {
        Ok(self.client.view(TRADE_ESCROW, TradeEscrow::bondForCall { seller, price }).await?)
    }

    /// The dispute fee (native SEC).
    pub async fn dispute_fee(&self) -> Result<U256> {
        Ok(self.client.view(DISPUTES, Disputes::DISPUTE_FEECall {}).await?)
    }

    /// The token's symbol and decimals (`SEC`, 18 for native).
    pub async fn token(&self, token: Address) -> Result<TokenInfo> {
        if token == Address::ZERO {
            return Ok(TokenInfo { symbol: "SEC".into(), decimals: 18 });
        }
        let symbol = self.client.view(token, BridgedERC20::symbolCall {}).await?;
        let decimals = self.client.view(token, BridgedERC20::decimalsCall {}).await?;
        Ok(TokenInfo { symbol, decimals })
    }

    /// Approves the escrow to pull `amount` of an ERC-20 (nothing for native SEC).
    pub async fn approve(&self, token: Address, amount: U256) -> Result<()> {
        if token == Address::ZERO {
            return Ok(());
        }
        if !self.has_key {
            return Err(TradeError::NoKey);
        }
        if self.relay.is_some() {
            return Err(TradeError::TokenAcrossDomains(token));
        }
        let call = BridgedERC20::approveCall { spender: TRADE_ESCROW, value: amount };
        self.client.send_call(token, call, U256::ZERO).await?;
        Ok(())
    }

    /// `who`'s trust index, ban, completed trades and disputes lost.
    pub async fn standing(&self, who: Address) -> Result<Standing> {
        Ok(self.client.view(TRUST_INDEX, TrustIndex::accountOfCall { account: who }).await?)
    }

    /// The latest block's timestamp.
    pub async fn now(&self) -> Result<u64> {
        Ok(self.client.block(None).await?.timestamp.to())
    }
}

/// The first event `E` in a receipt.
pub fn event<E: SolEvent>(r: &Receipt) -> Result<E> {
    r.logs
        .iter()
        .find_map(|l| l.log_decode::<E>().ok())
        .map(|l| l.inner.data)
        .ok_or(TradeError::MissingEvent(E::SIGNATURE))
}

/// The on-chain hash of a free text (description, tracking reference, evidence); zero for
/// none.
pub fn hash_text(text: &str) -> B256 {
    if text.is_empty() { B256::ZERO } else { keccak256(text.as_bytes()) }
}
