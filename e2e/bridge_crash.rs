//! `sec devnet` (the domains, the checkpoint relayer and its L1, one process) killed with SIGKILL
//! 20 times at random moments of a deposit-and-withdraw workload, restarted each time. Then,
//! once everything in flight has landed: every L1 deposit credited exactly once, every
//! withdrawal paid exactly once, checkpoint ids 1..n each submitted once, and the supply audit
//! balanced with nothing in flight.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    time::{Duration, Instant},
};

use alloy::{rpc::types::Filter, signers::local::PrivateKeySigner, sol_types::SolEvent};
use alloy_primitives::{Address, B256};
use sec_bridge::{L1Client, L1Deployment, deposit};
use sec_contracts::{
    bindings::{CheckpointManager, L2Bridge},
    predeploy::L2_BRIDGE,
};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

const KILLS: usize = 20;
const DOMAINS: u32 = 4;

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Deposits and withdrawals by `users` until aborted; every error (the devnet is being killed
/// or restarting) is a reason to try again, never to stop.
async fn workload(
    l1_url: String,
    domains: Vec<String>,
    a: sec_contracts::L1Addresses,
    users: Vec<PrivateKeySigner>,
    seed: u64,
) {
    let mut rng = Rng(seed | 1);
    loop {
        let user = users[rng.below(users.len() as u64) as usize].clone();
        let domain = rng.below(u64::from(DOMAINS)) as u32;
        let amount = sec(1 + rng.below(20));
        let step = async {
            if rng.below(2) == 0 {
                let l1 = L1Client::connect(&l1_url, user.clone()).await?;
                let to = user.address();
                deposit::deposit_sec(&l1, a.l1_bridge, a.token, domain, to, amount).await?;
            } else {
                let l2 = L1Client::connect(&domains[domain as usize], user.clone()).await?;
                let call = L2Bridge::withdrawCall {
                    token: Address::ZERO,
                    l1Recipient: user.address(),
                    amount,
                };
                l2.send_call(L2_BRIDGE, call, amount).await?;
            }
            Ok::<_, sec_bridge::BridgeError>(())
        };
        if step.await.is_err() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Logs of `event` emitted by `address` on the chain at `url`, all blocks.
async fn logs<E: SolEvent>(url: &str, address: Address) -> Vec<alloy::rpc::types::Log> {
    let client = L1Client::connect(url, PrivateKeySigner::random()).await.unwrap();
    let head = client.block_number().await.unwrap();
    let filter = Filter::new()
        .address(address)
        .event_signature(E::SIGNATURE_HASH)
        .from_block(0)
        .to_block(head);
    client.logs(&filter).await.unwrap()
}

/// Finalizes withdrawal `hash` with `sec bridge finalize` (waiting for its checkpoint); one that
/// an earlier run already paid is refused with `AlreadyFinalized`, which is fine.
fn finalize(devnet: &Devnet, data: &Path, key: &str, hash: B256) {
    let record = data.join("l1-deployment.json");
    let (l1, rpc) = (devnet.l1_url(), devnet.domain_url(1));
    let record = record.to_string_lossy();
    let hash = hash.to_string();
    let args = [
        "bridge",
        "--l1-rpc",
        &l1,
        "--rpc",
        &rpc,
        "--l1-deployment",
        &record,
        "finalize",
        "--withdrawal",
        &hash,
        "--timeout",
        "120",
    ];
    let (ok, out, err) = sec_cli(key, &args);
    assert!(ok || err.contains("AlreadyFinalized"), "finalize {hash}:\n{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_kills_of_the_devnet_lose_nothing_and_pay_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let mut devnet = Devnet::start(&data, None);
    let ports = (devnet.rpc, devnet.l1, free_port());
    let a = L1Deployment::load(&data.join("l1-deployment.json")).unwrap().addresses;
    let users: Vec<PrivateKeySigner> = dev_signers(DEV_MNEMONIC, 4).unwrap().split_off(1);
    let domains: Vec<String> = (0..DOMAINS).map(|d| devnet.domain_url(d)).collect();
    let mut rng = Rng(0x5ec_c7a5);

    for kill in 0..KILLS {
        let work =
            tokio::spawn(workload(devnet.l1_url(), domains.clone(), a, users.clone(), rng.next()));
        tokio::time::sleep(Duration::from_millis(500 + rng.below(3_000))).await;
        devnet.kill9();
        work.abort();
        let _ = work.await;
        devnet = Devnet::start(&data, Some(ports));
        eprintln!("kill {} of {KILLS} survived", kill + 1);
    }

    // what the killed runs accepted is in the pools' journals: let it all be mined first
    let mut chains = domains.clone();
    chains.push(devnet.l1_url());
    for url in &chains {
        let c = client(url);
        for user in &users {
            let started = Instant::now();
            loop {
                let count = |tag: &'static str| {
                    call(&c, "eth_getTransactionCount", vec![json!(user.address()), json!(tag)])
                };
                if count("latest").await.unwrap() == count("pending").await.unwrap() {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "{url}: a transaction stays pending"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    // every deposit L1 holds is credited, exactly once
    let l1 = L1Client::connect(&devnet.l1_url(), users[0].clone()).await.unwrap();
    let head = l1.block_number().await.unwrap();
    let on_l1 = deposit::deposits(&l1, a.l1_bridge, None, 0, head).await.unwrap();
    let started = Instant::now();
    let node = client(&devnet.domain_url(0));
    for d in &on_l1 {
        loop {
            let got = call(&node, "sec_getDeposit", vec![json!(d.nonce)]).await.unwrap();
            if got["status"] == "credited" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "deposit {} not credited",
                d.nonce
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let mut credited: BTreeMap<u64, usize> = BTreeMap::new();
    let mut withdrawals = Vec::new();
    for url in &domains {
        for log in logs::<L2Bridge::NativeDepositFinalized>(url, L2_BRIDGE).await {
            let e = L2Bridge::NativeDepositFinalized::decode_log(&log.inner).unwrap();
            *credited.entry(e.depositNonce).or_default() += 1;
        }
        for log in logs::<L2Bridge::WithdrawalInitiated>(url, L2_BRIDGE).await {
            withdrawals.push(L2Bridge::WithdrawalInitiated::decode_log(&log.inner).unwrap().data);
        }
    }
    let workload_deposits = on_l1.len() - 40; // the first start's 10 accounts x 4 domains
    assert!(workload_deposits >= 5, "the workload made {workload_deposits} deposits");
    assert!(withdrawals.len() >= 5, "the workload made {} withdrawals", withdrawals.len());
    assert_eq!(credited.len(), on_l1.len(), "every L1 deposit credited");
    assert!(credited.values().all(|n| *n == 1), "a deposit credited twice: {credited:?}");
    eprintln!("{KILLS} kills: {workload_deposits} deposits, {} withdrawals", withdrawals.len());

    // every withdrawal paid on L1, exactly once
    let key = format!("0x{}", alloy_primitives::hex::encode(users[0].to_bytes()));
    for w in &withdrawals {
        finalize(&devnet, &data, &key, w.withdrawalHash);
    }
    let paid: Vec<B256> = logs::<sec_contracts::bindings::L1Bridge::WithdrawalFinalized>(
        &devnet.l1_url(),
        a.l1_bridge,
    )
    .await
    .iter()
    .map(|l| {
        let e = sec_contracts::bindings::L1Bridge::WithdrawalFinalized::decode_log(&l.inner)
            .unwrap()
            .data;
        assert!(e.paid, "withdrawal {} finalized but not paid: {e:?}", e.withdrawalHash);
        e.withdrawalHash
    })
    .collect();
    let unique: BTreeSet<B256> = paid.iter().copied().collect();
    assert_eq!(unique.len(), paid.len(), "a withdrawal paid twice");
    let sent: BTreeSet<B256> = withdrawals.iter().map(|w| w.withdrawalHash).collect();
    assert_eq!(unique, sent, "every withdrawal paid");

    // checkpoint ids 1..=n, each submitted once
    let last = l1.view(a.checkpoint_manager, CheckpointManager::lastIdCall {}).await.unwrap();
    let ids: Vec<u64> =
        logs::<CheckpointManager::CheckpointSubmitted>(&devnet.l1_url(), a.checkpoint_manager)
            .await
            .iter()
            .map(|l| CheckpointManager::CheckpointSubmitted::decode_log(&l.inner).unwrap().data.id)
            .collect();
    assert_eq!(
        ids,
        (1..=last).collect::<Vec<_>>(),
        "checkpoint ids in order, none skipped or doubled"
    );
    // and the relayer never sent one twice: a restarted relayer waits for the submission a
    // killed one left in the L1 pool instead of racing it (L1 would refuse the second, for a fee)
    let l1_rpc = client(&devnet.l1_url());
    let head = l1.block_number().await.unwrap();
    let mut failed = Vec::new();
    for n in 0..=head {
        let block: Value =
            call(&l1_rpc, "eth_getBlockByNumber", vec![json!(format!("{n:#x}")), json!(true)])
                .await
                .unwrap();
        for tx in block["transactions"].as_array().unwrap() {
            let to: Option<Address> = serde_json::from_value(tx["to"].clone()).unwrap();
            if to != Some(a.checkpoint_manager) {
                continue;
            }
            let r =
                call(&l1_rpc, "eth_getTransactionReceipt", vec![tx["hash"].clone()]).await.unwrap();
            if r["status"] != "0x1" {
                failed.push((n, tx["hash"].clone()));
            }
        }
    }
    assert!(failed.is_empty(), "checkpoint submissions failed on chain: {failed:?}");

    // the books balance with nothing in flight
    let report: Value =
        call(&client(&devnet.domain_url(0)), "sec_supplyAudit", vec![]).await.unwrap();
    assert_eq!(report["balanced"], true, "{report}");
    for t in report["tokens"].as_array().unwrap() {
        for key in ["depositsInFlight", "withdrawalsInFlight"] {
            assert_eq!(t[key], "0x0", "{key} of {}: {report}", t["token"]);
        }
        assert_eq!(t["messagesInFlight"], "0", "{report}");
    }
}
