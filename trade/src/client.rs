//! [`TradeClient`]: one account on one domain, sending trade steps to the predeploys and
//! reading their views.

use alloy::{
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use sec_bridge::{BridgeError, L1Client, Receipt};
use sec_contracts::{
    bindings::{Disputes, TradeEscrow, TrustIndex, bridged_erc20::BridgedERC20},
    predeploy::{DISPUTES, TRADE_ESCROW, TRUST_INDEX},
};

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
pub struct TradeClient {
    client: L1Client,
    has_key: bool,
}

impl TradeClient {
    /// Connects to `rpc`; `signer` `None` gives a read-only client.
    pub async fn connect(rpc: &str, signer: Option<PrivateKeySigner>) -> Result<Self> {
        let has_key = signer.is_some();
        // views only: any address will do as the caller
        let signer = signer.unwrap_or_else(PrivateKeySigner::random);
        Ok(Self { client: L1Client::connect(rpc, signer).await?, has_key })
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
        match self.client.send_call(to, call, value).await {
            Ok(r) => Ok(r),
            Err(BridgeError::Reverted { reason, data, .. }) => {
                Err(TradeError::Refused(explain(target, &data).unwrap_or(reason)))
            }
            Err(e) => Err(e.into()),
        }
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
