//! `sec_getDeposit`: where an L1 deposit was credited, answered from any domain's path (a
//! deposit names its domain on L1, a wallet may not know which path serves it).

use alloy_primitives::U64;
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use serde_json::{Value, json};

use super::{
    error::RpcResult,
    eth::{Args, EthApi},
};

/// The deposit with L1 nonce `nonce` as credited in some domain: `null` while no domain has
/// credited it (still waiting for its confirmations on L1, or unknown).
fn deposit(api: &EthApi, nonce: u64) -> RpcResult<Value> {
    for domain in api.all.iter() {
        let Some((number, index)) = domain.store()?.deposit(nonce)? else {
            continue;
        };
        let Some(block) = domain.block(number)? else {
            continue;
        };
        let i = index as usize;
        let (Some(hash), Some(receipt)) = (block.tx_hashes.get(i), block.receipts.get(i)) else {
            continue;
        };
        let status = if receipt.status() { "credited" } else { "failed" };
        return Ok(json!({
            "nonce": format!("{nonce:#x}"),
            "domain": domain.id(),
            "status": status,
            "transactionHash": hash,
            "transactionIndex": format!("{index:#x}"),
            "blockNumber": format!("{number:#x}"),
            "blockHash": block.hash,
            "l1Origin": block.extension.l1_origin,
        }));
    }
    Ok(Value::Null)
}

/// Registers `sec_getDeposit`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_blocking_method("sec_getDeposit", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let nonce: U64 = args.next()?;
        deposit(&api, nonce.to()).map_err(Into::into)
    })
    .expect("unique method");
}
