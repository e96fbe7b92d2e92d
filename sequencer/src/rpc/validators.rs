//! The DPoS methods: `sec_validators` (an epoch's validator set, by default the current one,
//! with where on Ethereum it was read) and `sec_getValidatorSet` (the stored set of an epoch,
//! as a syncing node fetches it to check against the boundary block's `nextSetHash`) and
//! `sec_getFinalityCertificate` (the precommits a block was committed with) and
//! `sec_getEvidence` (double votes seen while deciding a domain's blocks, for judges).

use alloy_primitives::U64;
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use serde_json::{Value, json};

use super::{
    error::{RpcError, RpcResult},
    eth::{Args, EthApi},
};
use crate::epochs::Epochs;

fn epochs(api: &EthApi) -> Option<&std::sync::Arc<Epochs>> {
    api.all.first().and_then(|d| d.config().epochs.as_ref())
}

/// The set of `epoch` (default: domain 0's head's) with the epoch's place in the chain;
/// `null` on a chain without epochs or for an epoch whose set is not fixed yet.
fn validators(api: &EthApi, epoch: Option<u64>) -> RpcResult<Value> {
    let Some(epochs) = epochs(api) else { return Ok(Value::Null) };
    let current = api.all.first().map(|d| d.with_head(|_, _, ext, _| ext.epoch)).transpose()?;
    let epoch = epoch.or(current).unwrap_or_default();
    let Some(set) = epochs.set(epoch).map_err(|e| RpcError::Internal(e.to_string()))? else {
        return Ok(Value::Null);
    };
    // blocks produced and slots missed in the epoch, over every domain
    let mut production: std::collections::BTreeMap<alloy_primitives::Address, (u64, u64)> =
        Default::default();
    for d in api.all.iter() {
        for (who, produced, missed) in d.store()?.production(epoch)? {
            let e = production.entry(who).or_default();
            e.0 += produced;
            e.1 += missed;
        }
    }
    let members: Vec<Value> = set
        .set
        .members()
        .iter()
        .map(|m| {
            let (produced, missed) = production.get(&m.signer).copied().unwrap_or_default();
            let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
            v["blocksProduced"] = json!(format!("{produced:#x}"));
            v["slotsMissed"] = json!(format!("{missed:#x}"));
            v
        })
        .collect();
    Ok(json!({
        "epoch": format!("{epoch:#x}"),
        "currentEpoch": format!("{:#x}", current.unwrap_or_default()),
        "epochLength": format!("{:#x}", epochs.length()),
        "firstBlock": format!("{:#x}", epoch * epochs.length() + 1),
        "boundaryBlock": format!("{:#x}", epochs.boundary(epoch)),
        "fixedBy": format!("{:#x}", set.boundary),
        "origin": set.origin,
        "setHash": set.set_hash,
        "totalStake": set.set.total_stake(),
        "validators": members,
    }))
}

/// The certificate block `number` of domain `domain` was committed with; `null` if the block
/// does not exist or was made without validators.
fn finality_certificate(api: &EthApi, domain: u32, number: u64) -> RpcResult<Value> {
    let d = domain_of(api, domain)?;
    Ok(serde_json::to_value(d.store()?.certificate(number)?).unwrap_or(Value::Null))
}

/// Most double votes one `sec_getEvidence` call returns; a judge asks again from the last
/// height it got.
const EVIDENCE_PAGE: usize = 100;

/// The double votes kept for domain `domain` from height `from`, in height order: each with
/// its height, offender and id, and the two signed messages `StakeManager.reportDoubleVote`
/// takes as they are.
fn evidence(api: &EthApi, domain: u32, from: u64) -> RpcResult<Value> {
    let d = domain_of(api, domain)?;
    let rows = d.store()?.evidence(from, EVIDENCE_PAGE)?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|(height, e)| {
                json!({
                    "id": e.id(),
                    "domain": format!("{domain:#x}"),
                    "height": format!("{height:#x}"),
                    "offender": e.offender(),
                    "first": e.first,
                    "second": e.second,
                })
            })
            .collect(),
    ))
}

fn domain_of(api: &EthApi, domain: u32) -> RpcResult<&std::sync::Arc<crate::Domain>> {
    api.all
        .iter()
        .find(|d| d.id() == domain)
        .ok_or_else(|| RpcError::InvalidParams(format!("no domain {domain}")))
}

fn domain_arg(domain: U64) -> RpcResult<u32> {
    u32::try_from(domain.to::<u64>())
        .map_err(|_| RpcError::InvalidParams("domain out of range".into()))
}

/// Registers `sec_validators`, `sec_getValidatorSet`, `sec_getFinalityCertificate` and
/// `sec_getEvidence`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_blocking_method(
        "sec_getFinalityCertificate",
        |p, api, _| -> Result<Value, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            let domain: U64 = args.next()?;
            let number: U64 = args.next()?;
            finality_certificate(&api, domain_arg(domain)?, number.to()).map_err(Into::into)
        },
    )
    .expect("unique method");
    m.register_blocking_method("sec_getEvidence", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let domain: U64 = args.next()?;
        let from: Option<U64> = args.opt()?;
        evidence(&api, domain_arg(domain)?, from.map(|f| f.to()).unwrap_or_default())
            .map_err(Into::into)
    })
    .expect("unique method");
    m.register_blocking_method("sec_validators", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let epoch: Option<U64> = args.opt()?;
        validators(&api, epoch.map(|e| e.to())).map_err(Into::into)
    })
    .expect("unique method");
    m.register_blocking_method(
        "sec_getValidatorSet",
        |p, api, _| -> Result<Value, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            let epoch: U64 = args.next()?;
            let Some(epochs) = epochs(&api) else { return Ok(Value::Null) };
            let set = epochs.set(epoch.to()).map_err(|e| RpcError::Internal(e.to_string()))?;
            Ok(serde_json::to_value(set.as_deref()).unwrap_or(Value::Null))
        },
    )
    .expect("unique method");
}
