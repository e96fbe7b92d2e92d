//! Judges on `sec devnet`: one of the four validators signs a conflicting vote for every vote
//! it casts (the test-only `--equivocate` switch, built with the `byzantine` feature). The
//! other validators keep the pairs (`sec_getEvidence`); `sec judge`, a separate process,
//! bonds on L1 and reports the offender to `StakeManager`, which slashes it once and pays the
//! judge; a second report is refused; the offender is gone from the next epoch's set and the
//! chain keeps finalizing on every domain.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{rpc::types::Filter, signers::local::PrivateKeySigner, sol_types::SolEvent};
use alloy_primitives::{Address, U256, hex};
use sec_bridge::{
    L1Client, L1Deployment,
    judge::{Evidence, Outcome, report, report_call},
};
use sec_contracts::bindings::{SECToken, StakeManager};
use sec_primitives::{DEV_MNEMONIC, SigningDomain, dev_signers, dev_signers_from};
use serde_json::{Value, json};

use crate::common::*;

/// A `sec judge` process, killed when dropped.
struct Judge(Child);

impl Drop for Judge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn finalized(url: &str) -> u64 {
    let block = call(&client(url), "eth_getBlockByNumber", vec![json!("finalized"), json!(false)])
        .await
        .unwrap();
    quantity(&block["number"])
}

fn signers(epoch: &Value) -> Vec<Address> {
    epoch["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| serde_json::from_value(v["signer"].clone()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_judge_reports_an_equivocating_validator_and_it_is_slashed_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let devnet = Devnet::start_with(&data, None, &["--equivocate", "3"]);
    let deployment = L1Deployment::load(&data.join("l1-deployment.json")).unwrap();
    let a = deployment.addresses;
    let sm = a.stake_manager;
    let offender = dev_signers_from(DEV_MNEMONIC, 103..104).unwrap().pop().unwrap().address();
    let node = client(&devnet.domain_url(0));

    // the honest validators keep the conflicting pairs they saw, each checkable as L1 will
    let signing = SigningDomain { l1_chain_id: deployment.chain_id, stake_manager: sm };
    let started = Instant::now();
    let evidence: Evidence = loop {
        assert!(started.elapsed() < Duration::from_secs(60), "no evidence kept");
        let page = call(&node, "sec_getEvidence", vec![json!("0x0")]).await.unwrap();
        if let Some(first) = page.as_array().and_then(|p| p.first()) {
            break serde_json::from_value(first.clone()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(evidence.offender, offender);
    evidence.pair().check(&signing).unwrap();
    assert_eq!(evidence.first.vote.height, evidence.height.to::<u64>());
    let nothing = call(&node, "sec_getEvidence", vec![json!("0x0"), json!("0xffffffff")]).await;
    assert_eq!(nothing.unwrap(), json!([]), "nothing above the head");
    let bad = call(&node, "sec_getEvidence", vec![json!("0x9")]).await.unwrap_err();
    assert!(bad.to_string().contains("no domain 9"), "{bad}");

    // the judge: a dev account holding SEC on L1, in its own process
    let key = dev_signers(DEV_MNEMONIC, 8).unwrap().pop().unwrap();
    let observer = L1Client::connect(&devnet.l1_url(), PrivateKeySigner::random()).await.unwrap();
    let before =
        observer.view(a.token, SECToken::balanceOfCall { account: key.address() }).await.unwrap();
    let validator = observer.view(sm, StakeManager::validatorOfSignerCall(offender)).await.unwrap();
    let stake_before =
        observer.view(sm, StakeManager::validatorCall { v: validator }).await.unwrap();
    let judge = Judge(
        Command::new(env!("CARGO_BIN_EXE_sec"))
            .args(["judge", "--l1-rpc", &devnet.l1_url(), "--rpc", &devnet.domain_url(0)])
            .arg("--l1-deployment")
            .arg(data.join("l1-deployment.json"))
            .arg("--state")
            .arg(dir.path().join("judge.json"))
            .args(["--interval", "1"])
            .env("SEC_JUDGE_KEY", hex::encode(key.to_bytes()))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sec judge"),
    );

    // slashed on L1, once, with the judge as reporter
    let slashed = Filter::new()
        .address(sm)
        .event_signature(StakeManager::Slashed::SIGNATURE_HASH)
        .from_block(deployment.block);
    let started = Instant::now();
    let logs = loop {
        assert!(started.elapsed() < Duration::from_secs(60), "the judge did not report");
        let logs = observer.logs(&slashed).await.unwrap();
        if !logs.is_empty() {
            break logs;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let event = StakeManager::Slashed::decode_log_data(&logs[0].inner.data).unwrap();
    assert_eq!((event.validator, event.judge), (validator, key.address()));
    assert!(event.amount > U256::ZERO && event.reward > U256::ZERO);
    assert!(observer.view(sm, StakeManager::tombstonedCall(validator)).await.unwrap());
    let stake_after =
        observer.view(sm, StakeManager::validatorCall { v: validator }).await.unwrap();
    assert_eq!(stake_after.stake, stake_before.stake - event.amount.to::<u128>());
    // paid: the bond went in, the reward came back
    let bond = observer.view(sm, StakeManager::judgeBondCall {}).await.unwrap();
    let after =
        observer.view(a.token, SECToken::balanceOfCall { account: key.address() }).await.unwrap();
    assert_eq!(after, before - bond + event.reward);

    // a second report, of this pair or any other, is refused: by the contract, and the
    // judge does not send it (it sees the tombstone)
    let l1 = L1Client::connect(&devnet.l1_url(), key.clone()).await.unwrap();
    let pair = evidence.pair();
    let again = l1.send_call(sm, report_call(&pair), U256::ZERO).await.unwrap_err();
    assert!(again.revert_as::<StakeManager::AlreadySlashed>().is_some(), "{again}");
    assert_eq!(report(&l1, &a, &pair).await.unwrap(), Outcome::AlreadySlashed(validator));

    // gone from the next epoch's set; the chain keeps finalizing on every domain
    let slashed_epoch = quantity(&call(&node, "sec_validators", vec![]).await.unwrap()["epoch"]);
    let started = Instant::now();
    let without = loop {
        assert!(started.elapsed() < Duration::from_secs(120), "the offender is still in the set");
        let now = call(&node, "sec_validators", vec![]).await.unwrap();
        let epoch = quantity(&now["epoch"]);
        if epoch > slashed_epoch && !signers(&now).contains(&offender) {
            break epoch;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let mut heads = Vec::new();
    for d in 0..4 {
        heads.push(finalized(&devnet.domain_url(d)).await);
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    for (d, before) in heads.into_iter().enumerate() {
        let now = finalized(&devnet.domain_url(d as u32)).await;
        assert!(now > before, "domain {d} finalizes in epoch {without}");
    }
    // one slash in all: the judge handled every further pair without sending a report
    assert_eq!(observer.logs(&slashed).await.unwrap().len(), 1);
    drop(judge);
}
