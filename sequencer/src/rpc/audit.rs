//! `sec_supplyAudit`: for SEC, ETH and any other bridged token, what Ethereum holds locked in
//! `L1Bridge` against what the domains hold, with what is in flight between them: deposits
//! locked on L1 but not yet credited, cross-domain messages sent but not yet delivered,
//! withdrawals burned on a domain but not yet paid on L1. They must balance:
//!
//! ```text
//! l1Locked + genesisAllocated = onDomains + feesBurned + depositsInFlight
//!                               + messagesInFlight + withdrawalsInFlight
//! ```
//!
//! Native SEC on a domain is its circulating supply (every balance less the two genesis
//! reserves of `L2Bridge` and `CrossDomain`, see `NativeSupply`); `feesBurned` is the base fee
//! burned there (genesis total less today's total: nothing else destroys native SEC);
//! `genesisAllocated` is SEC a chain placed in accounts at genesis, which no L1 deposit backs
//! (a public chain has none). A bridged token on a domain is its `BridgedERC20` total supply.
//!
//! Each domain is read whole at its head (state, header and totals of one block, under the
//! chain lock), then L1 at its newest block, which is at or after every origin the domains read
//! deposits up to. A message delivered after its source was read is counted against it, so
//! the equation holds however the reads interleave with block production.

use alloy_primitives::{Address, B256, I256, U256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use sec_contracts::{
    bindings::{CrossDomain, L2Bridge, L2TokenFactory, bridged_erc20::BridgedERC20},
    predeploy::{CROSS_DOMAIN, L2_BRIDGE, L2_TOKEN_FACTORY, NATIVE_RESERVE},
};
use sec_primitives::{
    DepositKind, DomainId, L1Error, L1Origin,
    message::{L1_DOMAIN, Withdrawal},
};
use serde_json::{Value, json};

use super::{
    error::{RpcError, RpcResult},
    eth::{Args, EthApi},
    views::views_at_head,
};
use crate::domain::Domain;

/// Most messages read per (source, destination) pair and withdrawals per domain in one audit.
const MAX_ROWS: usize = 100_000;

/// One domain read at its head.
struct DomainRead {
    id: DomainId,
    head: u64,
    origin: u64,
    native_total: U256,
    l2_bridge: U256,
    cross_domain: U256,
    genesis_total: U256,
    /// `CrossDomain.nonce()`: the last message this domain sent, as of the head.
    sent: u64,
    /// `CrossDomain.delivered(src)` for every domain id (its own: 0).
    delivered: Vec<u64>,
    /// Per audited non-SEC token (same order as the request): the bridged token's supply here.
    supply: Vec<U256>,
    /// The SEC token on L1, as this domain's `L2Bridge` names it.
    l1_sec: Address,
}

/// What one token's audit sums.
#[derive(Default)]
struct Books {
    l1_locked: U256,
    genesis: U256,
    on_domains: U256,
    fees_burned: U256,
    deposits: U256,
    messages: I256,
    withdrawals: U256,
    /// The first [`LISTED`] withdrawals counted in flight, by hash.
    waiting: Vec<B256>,
}

/// How many withdrawals in flight a token's entry names.
const LISTED: usize = 100;

impl Books {
    /// Locked plus allocated, less everything accounted for: zero when the books balance.
    fn difference(&self) -> I256 {
        let have = I256::from_raw(self.l1_locked) + I256::from_raw(self.genesis);
        let accounted = I256::from_raw(self.on_domains)
            + I256::from_raw(self.fees_burned)
            + I256::from_raw(self.deposits)
            + self.messages
            + I256::from_raw(self.withdrawals);
        have - accounted
    }

    fn to_json(&self, token: &str, l1_token: Address, l2_token: Option<Address>) -> Value {
        let difference = self.difference();
        json!({
            "token": token,
            "l1Token": l1_token,
            "l2Token": l2_token,
            "l1Locked": self.l1_locked,
            "genesisAllocated": self.genesis,
            "onDomains": self.on_domains,
            "feesBurned": self.fees_burned,
            "depositsInFlight": self.deposits,
            "messagesInFlight": self.messages.to_string(),
            "withdrawalsInFlight": self.withdrawals,
            "withdrawalsWaiting": self.waiting,
            "difference": difference.to_string(),
            "balanced": difference.is_zero(),
        })
    }
}

fn read_domain(
    domain: &Domain,
    all: usize,
    tokens: &[Address],
    api: &EthApi,
) -> RpcResult<DomainRead> {
    let genesis_total = domain.config().alloc.iter().map(|(_, a)| a.balance).sum();
    views_at_head(domain, api.deadline(), |views, header, extension, native_total| {
        let balance = |a: Address| views.balance(a);
        let sent = views.call(CROSS_DOMAIN, CrossDomain::nonceCall {})?;
        let mut delivered = Vec::with_capacity(all);
        for src in 0..all as u32 {
            delivered.push(if src == domain.id() {
                0
            } else {
                views.call(CROSS_DOMAIN, CrossDomain::deliveredCall(src))?
            });
        }
        let mut supply = Vec::with_capacity(tokens.len());
        for token in tokens {
            let l2 = views.call(L2_TOKEN_FACTORY, L2TokenFactory::l2TokenOfCall(*token))?;
            supply.push(if l2.is_zero() {
                U256::ZERO
            } else {
                views.call(l2, BridgedERC20::totalSupplyCall {})?
            });
        }
        Ok(DomainRead {
            id: domain.id(),
            head: header.number,
            origin: extension.l1_origin.number,
            native_total,
            l2_bridge: balance(L2_BRIDGE)?,
            cross_domain: balance(CROSS_DOMAIN)?,
            genesis_total,
            sent,
            delivered,
            supply,
            l1_sec: views.call(L2_BRIDGE, L2Bridge::l1SecCall {})?,
        })
    })
}

fn l1_error(e: L1Error) -> RpcError {
    RpcError::Server(e.to_string())
}

/// The audit of SEC, ETH and each L1 ERC-20 in `extra`.
fn supply_audit(api: &EthApi, extra: Vec<Address>) -> RpcResult<Value> {
    let feed = api.domain.config().l1.as_ref().ok_or_else(|| {
        RpcError::Server("this node reads no L1: there is nothing to audit against".into())
    })?;
    let l1 = feed.source.clone();
    // the non-SEC tokens: ETH, then the requested ERC-20s (SEC itself is audited as native)
    let mut tokens = vec![Address::ZERO];
    for t in extra {
        if !tokens.contains(&t) {
            tokens.push(t);
        }
    }

    let mut domains: Vec<DomainRead> = api
        .all
        .iter()
        .map(|d| read_domain(d, api.all.len(), &tokens, api))
        .collect::<RpcResult<_>>()?;
    let at: L1Origin = l1.head().map_err(l1_error)?;
    let l1_sec = domains.first().map(|d| d.l1_sec).unwrap_or_default();
    if let Some(i) = tokens.iter().position(|t| *t == l1_sec) {
        tokens.remove(i);
        for d in &mut domains {
            d.supply.remove(i);
        }
    }

    let mut sec = Books::default();
    let mut others: Vec<Books> = tokens.iter().map(|_| Books::default()).collect();
    let locked = {
        let mut all = vec![l1_sec];
        all.extend(&tokens);
        l1.bridge_balances(&all, at).map_err(l1_error)?
    };
    sec.l1_locked = locked[0];
    for (books, l) in others.iter_mut().zip(&locked[1..]) {
        books.l1_locked = *l;
    }

    for d in &domains {
        // native SEC held here, burned here, and placed here at genesis
        sec.on_domains += d.native_total.saturating_sub(d.l2_bridge).saturating_sub(d.cross_domain);
        sec.fees_burned += d.genesis_total.saturating_sub(d.native_total);
        sec.genesis += d.genesis_total.saturating_sub(NATIVE_RESERVE * U256::from(2u64));
        for (books, supply) in others.iter_mut().zip(&d.supply) {
            books.on_domains += *supply;
        }
        // deposits L1 holds for this domain past the origin its head read up to
        for deposit in l1.deposits(d.id, d.origin + 1, at).map_err(l1_error)? {
            match DepositKind::from_code(deposit.kind) {
                Some(DepositKind::Sec) => sec.deposits += deposit.amount,
                _ => {
                    if let Some(i) = tokens.iter().position(|t| *t == deposit.token) {
                        others[i].deposits += deposit.amount;
                    }
                }
            }
        }
    }

    for src in &domains {
        let store = api.all[src.id as usize].store()?;
        // messages to other domains: sent as of the source's head and not delivered as of
        // the destination's, less those delivered but sent after the source's head was read
        for dst in &domains {
            if dst.id == src.id {
                continue;
            }
            let cursor = dst.delivered[src.id as usize];
            for (_, m) in store.outbox(dst.id, cursor.min(src.sent), MAX_ROWS)? {
                if m.nonce > cursor && m.nonce <= src.sent {
                    sec.messages += I256::from_raw(m.value);
                } else if m.nonce <= cursor && m.nonce > src.sent {
                    sec.messages -= I256::from_raw(m.value);
                }
            }
        }
        // withdrawals burned here (as of the head) that L1 has not paid
        let sent: Vec<_> = store
            .outbox(L1_DOMAIN, 0, MAX_ROWS)?
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.nonce <= src.sent)
            .collect();
        let hashes: Vec<B256> = sent.iter().map(|m| m.hash()).collect();
        let paid = l1.withdrawals_paid(&hashes, at).map_err(l1_error)?;
        for (m, paid) in sent.iter().zip(paid) {
            if paid {
                continue;
            }
            let w = Withdrawal::from_message(m, L2_BRIDGE)
                .map_err(|e| RpcError::Internal(format!("withdrawal {}: {e}", m.hash())))?;
            let books = if w.l1_token == l1_sec {
                Some(&mut sec)
            } else {
                tokens.iter().position(|t| *t == w.l1_token).map(|i| &mut others[i])
            };
            if let Some(books) = books {
                books.withdrawals += w.amount;
                if books.waiting.len() < LISTED {
                    books.waiting.push(m.hash());
                }
            }
        }
    }

    let mut out = vec![sec.to_json("SEC", l1_sec, None)];
    for (token, books) in tokens.iter().zip(&others) {
        let name = if token.is_zero() { "ETH".to_string() } else { token.to_string() };
        out.push(books.to_json(
            &name,
            *token,
            Some(sec_contracts::predeploy::bridged_token_address(*token)),
        ));
    }
    Ok(json!({
        "l1Block": { "number": format!("{:#x}", at.number), "hash": at.hash },
        "domains": domains.iter().map(|d| json!({
            "domain": d.id,
            "blockNumber": format!("{:#x}", d.head),
            "l1Origin": format!("{:#x}", d.origin),
        })).collect::<Vec<_>>(),
        "tokens": out,
        "balanced": out.iter().all(|t| t["balanced"] == true),
    }))
}

/// Registers `sec_supplyAudit([l1Tokens])`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_blocking_method("sec_supplyAudit", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let tokens: Option<Vec<Address>> = args.opt()?;
        supply_audit(&api, tokens.unwrap_or_default()).map_err(Into::into)
    })
    .expect("unique method");
}
