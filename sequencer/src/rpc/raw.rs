//! `debug_getRaw*` and `debug_getBadBlocks`: the consensus encodings of what the node stores,
//! so that a client can check hashes and roots itself.

use alloy::{
    consensus::{Block, BlockBody},
    eips::{BlockId, BlockNumberOrTag, eip2718::Encodable2718},
};
use alloy_primitives::{B256, Bytes};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use serde_json::{Value, json};

use super::{
    convert,
    error::RpcResult,
    eth::{Args, EthApi},
};
use crate::storage::BlockRecord;

fn block(api: &EthApi, tag: BlockNumberOrTag) -> RpcResult<Option<std::sync::Arc<BlockRecord>>> {
    match api.resolve(BlockId::Number(tag))? {
        Some(n) => Ok(api.domain.block(n)?),
        None => Ok(None),
    }
}

fn bytes(b: impl Into<Bytes>) -> Value {
    json!(b.into())
}

/// Registers the raw getters.
pub fn register(m: &mut RpcModule<EthApi>) {
    type Handler = fn(&EthApi, &mut Args<'_>) -> RpcResult<Value>;
    let handlers: [(&'static str, Handler); 5] = [
        ("debug_getRawHeader", |api, a| {
            let tag: BlockNumberOrTag = a.next()?;
            Ok(block(api, tag)?.map(|b| bytes(alloy_rlp::encode(&b.header))).unwrap_or_default())
        }),
        ("debug_getRawBlock", |api, a| {
            let tag: BlockNumberOrTag = a.next()?;
            let Some(b) = block(api, tag)? else { return Ok(Value::Null) };
            let transactions =
                b.txs.iter().map(convert::decode_tx).collect::<RpcResult<Vec<_>>>()?;
            let body =
                BlockBody { transactions, ommers: vec![], withdrawals: Some(Vec::new().into()) };
            Ok(bytes(alloy_rlp::encode(Block { header: b.header.clone(), body })))
        }),
        ("debug_getRawReceipts", |api, a| {
            let tag: BlockNumberOrTag = a.next()?;
            let Some(b) = block(api, tag)? else { return Ok(Value::Null) };
            Ok(json!(b.receipts.iter().map(|r| Bytes::from(r.encoded_2718())).collect::<Vec<_>>()))
        }),
        ("debug_getRawTransaction", |api, a| {
            let hash: B256 = a.next()?;
            if let Some((number, index)) = api.domain.tx_location(&hash)? {
                let store = api.domain.store()?;
                return Ok(store
                    .transaction(number, index)?
                    .map(|t| bytes(t.raw))
                    .unwrap_or_default());
            }
            Ok(api.domain.pool().get(&hash).map(|t| bytes(t.raw.clone())).unwrap_or_default())
        }),
        // The producer only builds on blocks it executed itself: no block was ever refused.
        ("debug_getBadBlocks", |_, _| Ok(json!([]))),
    ];
    for (name, f) in handlers {
        m.register_blocking_method(name, move |p, api, _| -> Result<Value, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            f(&api, &mut args).map_err(Into::into)
        })
        .expect("unique method");
    }
}
