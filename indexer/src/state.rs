//! Reading current state from the node for the rows that mirror it: balances, token metadata and
//! supplies, and contract code. Values are read at the last block of a run (balances, while far
//! behind the head, at the last block of every run that reads them, see `follow`), so a balance
//! stored is the node's balance after the last block that touched it, however the runs were cut.

use std::collections::{BTreeMap, BTreeSet};

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, Bytes, U256};

use crate::{
    IndexerError,
    abi::{balanceOfCall, decimalsCall, erc1155, nameCall, symbolCall, totalSupplyCall},
    extract::{BalanceKey, TokenKind},
    source::NodeClient,
};

/// Metadata of a newly seen token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Standard.
    pub kind: TokenKind,
    /// `name()`, if it answers a string.
    pub name: Option<String>,
    /// `symbol()`, if it answers a string.
    pub symbol: Option<String>,
    /// `decimals()`, if it answers.
    pub decimals: Option<u8>,
    /// `totalSupply()`, if it answers.
    pub total_supply: Option<U256>,
}

/// Reads `keys`' balances at block `at`.
pub async fn balances(
    client: &NodeClient,
    keys: &BTreeSet<BalanceKey>,
    at: u64,
) -> Result<Vec<(BalanceKey, U256)>, IndexerError> {
    let (native, tokens): (Vec<BalanceKey>, Vec<BalanceKey>) =
        keys.iter().partition(|k| k.token.is_zero());
    let holders: Vec<Address> = native.iter().map(|k| k.holder).collect();
    let calls: Vec<(Address, Bytes)> = tokens
        .iter()
        .map(|k| {
            let data = match k.id {
                Some(id) => erc1155::balanceOfCall { holder: k.holder, id }.abi_encode(),
                None => balanceOfCall { holder: k.holder }.abi_encode(),
            };
            (k.token, Bytes::from(data))
        })
        .collect();
    let (native_values, token_values) =
        tokio::try_join!(client.balances(&holders, at), client.calls(&calls, at))?;
    let mut out: Vec<(BalanceKey, U256)> = native.into_iter().zip(native_values).collect();
    for (key, value) in tokens.into_iter().zip(token_values) {
        // A token whose balanceOf reverts or answers garbage has no readable balance: zero.
        let value =
            value.and_then(|v| balanceOfCall::abi_decode_returns(&v).ok()).unwrap_or_default();
        out.push((key, value));
    }
    Ok(out)
}

/// Reads the total supply of `tokens` at block `at` (`None` when the call fails).
pub async fn supplies(
    client: &NodeClient,
    tokens: &BTreeSet<Address>,
    at: u64,
) -> Result<Vec<(Address, Option<U256>)>, IndexerError> {
    let calls: Vec<(Address, Bytes)> =
        tokens.iter().map(|t| (*t, Bytes::from(totalSupplyCall {}.abi_encode()))).collect();
    let values = client.calls(&calls, at).await?;
    Ok(tokens
        .iter()
        .zip(values)
        .map(|(t, v)| (*t, v.and_then(|v| totalSupplyCall::abi_decode_returns(&v).ok())))
        .collect())
}

/// Reads name, symbol, decimals and supply of newly seen tokens at block `at`.
pub async fn token_infos(
    client: &NodeClient,
    tokens: &BTreeMap<Address, TokenKind>,
    at: u64,
) -> Result<Vec<(Address, TokenInfo)>, IndexerError> {
    let mut calls = Vec::with_capacity(tokens.len() * 4);
    for token in tokens.keys() {
        calls.push((*token, Bytes::from(nameCall {}.abi_encode())));
        calls.push((*token, Bytes::from(symbolCall {}.abi_encode())));
        calls.push((*token, Bytes::from(decimalsCall {}.abi_encode())));
        calls.push((*token, Bytes::from(totalSupplyCall {}.abi_encode())));
    }
    let answers = client.calls(&calls, at).await?;
    Ok(tokens
        .iter()
        .zip(answers.chunks(4))
        .map(|((token, kind), a)| {
            let get = |i: usize| a.get(i).cloned().flatten();
            let info = TokenInfo {
                kind: *kind,
                name: get(0).and_then(|v| nameCall::abi_decode_returns(&v).ok()),
                symbol: get(1).and_then(|v| symbolCall::abi_decode_returns(&v).ok()),
                decimals: get(2).and_then(|v| decimalsCall::abi_decode_returns(&v).ok()),
                total_supply: get(3).and_then(|v| totalSupplyCall::abi_decode_returns(&v).ok()),
            };
            (*token, info)
        })
        .collect())
}
