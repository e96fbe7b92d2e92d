//! DPoS epochs on `sec devnet`: epoch 0 is the set the devnet staked on its L1 at first start;
//! every later epoch's set is `StakeManager`'s active set read at the L1 block its boundary
//! block recorded; a delegation on L1 shows in the next epoch's set.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use sec_bridge::{L1Client, L1Deployment};
use sec_contracts::bindings::StakeManager;
use sec_primitives::{DEV_MNEMONIC, dev_signers, validator::set_hash};
use serde_json::{Value, json};

use crate::common::*;

/// `StakeManager`'s active set at L1 block `hash`, read directly: (signer, stake) by signer.
async fn active_set(l1: &L1Client, sm: Address, hash: B256) -> Vec<(Address, U256)> {
    let size = l1.view_at_hash(sm, StakeManager::activeSetSizeCall {}, hash).await.unwrap();
    let set = l1.view_at_hash(sm, StakeManager::activeSetCall { n: size }, hash).await.unwrap();
    let mut out: Vec<(Address, U256)> = set.into_iter().map(|v| (v.signer, v.stake)).collect();
    out.sort();
    out
}

/// The (signer, stake) pairs of an epoch as `sec_validators` gives them.
fn members(epoch: &Value) -> Vec<(Address, U256)> {
    epoch["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let signer = serde_json::from_value(v["signer"].clone()).unwrap();
            (signer, serde_json::from_value(v["stake"].clone()).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn epoch_sets_are_stake_managers_active_set_at_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let devnet = Devnet::start(&data, None);
    let a = L1Deployment::load(&data.join("l1-deployment.json")).unwrap().addresses;
    let node = client(&devnet.domain_url(0));
    let delegator = dev_signers(DEV_MNEMONIC, 6).unwrap().pop().unwrap();
    let l1 = L1Client::connect(&devnet.l1_url(), delegator.clone()).await.unwrap();

    // epoch 0: the four dev validators, staked on L1 before the chain's genesis
    let zero = call(&node, "sec_validators", vec![json!("0x0")]).await.unwrap();
    assert_eq!(members(&zero).len(), 4, "{zero}");
    let (signers, stakes): (Vec<_>, Vec<_>) = members(&zero).into_iter().unzip();
    assert_eq!(zero["setHash"], json!(set_hash(signers, stakes)));
    let genesis = call(&node, "sec_getBlockExtension", vec![json!("0x0")]).await.unwrap();
    assert_eq!(genesis["nextSetHash"], zero["setHash"], "genesis commits epoch 0's set");

    // a delegation to the first validator on L1
    let first = members(&zero)[0].0;
    let validator =
        l1.view(a.stake_manager, StakeManager::validatorOfSignerCall(first)).await.unwrap();
    let receipt =
        sec_bridge::staking::delegate(&l1, a.stake_manager, a.token, validator, sec(5_000))
            .await
            .unwrap();
    assert!(receipt.succeeded());
    let delegated_at = receipt.block();

    // wait for an epoch whose set was read after it
    let started = Instant::now();
    let mut epoch = 1u64;
    let mut after = None;
    while after.is_none() {
        assert!(started.elapsed() < Duration::from_secs(150), "no epoch after the delegation");
        let e = call(&node, "sec_validators", vec![json!(format!("{epoch:#x}"))]).await.unwrap();
        if e.is_null() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        // every epoch: exactly what StakeManager reported at the recorded origin
        let origin: B256 = serde_json::from_value(e["origin"]["hash"].clone()).unwrap();
        let number = quantity(&e["origin"]["number"]);
        assert_eq!(members(&e), active_set(&l1, a.stake_manager, origin).await, "epoch {epoch}");
        let (signers, stakes): (Vec<_>, Vec<_>) = members(&e).into_iter().unzip();
        assert_eq!(e["setHash"], json!(set_hash(signers, stakes)), "epoch {epoch}");
        // and the boundary block that fixed it commits that hash
        let fixed_by = e["fixedBy"].as_str().unwrap().to_string();
        let ext = call(&node, "sec_getBlockExtension", vec![json!(fixed_by)]).await.unwrap();
        assert_eq!(ext["nextSetHash"], e["setHash"], "epoch {epoch}");
        if number >= delegated_at {
            after = Some(e);
        }
        epoch += 1;
    }
    let after = after.unwrap();
    let stake = members(&after).into_iter().find(|(s, _)| *s == first).unwrap().1;
    let before = members(&zero).into_iter().find(|(s, _)| *s == first).unwrap().1;
    assert_eq!(stake, before + sec(5_000), "the delegation shows in the next epoch's set");
}
