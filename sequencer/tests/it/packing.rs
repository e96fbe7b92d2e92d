//! Block packing: by the gas transactions use, not the gas they declare, and never leaving a
//! nonce gap behind.

use alloy_primitives::{Address, U256};
use sec_sequencer::Domain;

use crate::common::*;

fn domain(dir: &std::path::Path, gas_limit: u64) -> std::sync::Arc<Domain> {
    Domain::open(domain_config(dir, gas_limit), dev_key(20)).unwrap()
}

#[test]
fn blocks_fill_by_gas_used_and_keep_nonces_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // Each transfer declares 60,000 gas and uses 21,000: a 150,000-gas block takes five (the
    // sixth would need 60,000 with 45,000 left); packing by declared gas would take two.
    let d = domain(dir.path(), 150_000);
    let to = Address::repeat_byte(0x44);
    for key in 0..2 {
        for nonce in 0..3 {
            let mut tx = Tx::transfer(53500, nonce, to, U256::from(1u64));
            tx.gas = 60_000;
            tx.tip = GWEI * (2 - key as u128) + 1;
            d.submit(tx.eip1559(&dev_key(key))).unwrap();
        }
    }
    let first = d.produce_block().unwrap().record;
    assert_eq!(first.txs.len(), 5);
    assert_eq!(first.header.gas_used, 105_000);
    let second = d.produce_block().unwrap().record;
    assert_eq!(second.txs.len(), 1);
    assert_eq!(d.pool().len(), 0, "nothing was dropped");
    let senders: Vec<Address> = first.txs.iter().chain(&second.txs).map(|t| t.sender).collect();
    assert_eq!(senders.iter().filter(|s| **s == dev_key(0).address()).count(), 3);
    assert_eq!(senders.iter().filter(|s| **s == dev_key(1).address()).count(), 3);
}
