//! Validators as separate processes: four `sec node --validator-key` processes with equal
//! stake on loopback. Finality goes on with three; with two (half the stake) no block is
//! committed and nothing forks; it resumes when a third returns; a validator killed with
//! SIGKILL and restarted catches up and signs certificates again.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use sec_primitives::{ActiveValidator, DEV_MNEMONIC, dev_signers_from};
use serde_json::{Value, json};

use sec_contracts::bindings::CheckpointManager;

use crate::common::*;

const DOMAINS: u32 = 2;

/// One validator process and how to start it again.
struct Member {
    dir: std::path::PathBuf,
    rpc: u16,
    flags: Vec<String>,
    process: Option<NodeProcess>,
}

impl Member {
    fn start(&mut self) {
        self.process =
            Some(NodeProcess::start_with(&self.dir, DOMAINS, 1.0, self.rpc, &self.flags));
    }

    fn kill9(&mut self) {
        if let Some(p) = self.process.take() {
            p.kill9();
        }
    }

    fn url(&self, domain: u32) -> String {
        let path = if domain == 0 { String::new() } else { format!("domain/{domain}") };
        format!("http://127.0.0.1:{}/{path}", self.rpc)
    }
}

async fn head(url: &str) -> u64 {
    match call(&client(url), "eth_blockNumber", vec![]).await {
        Ok(v) => quantity(&v),
        Err(_) => 0,
    }
}

async fn block_hash(url: &str, n: u64) -> Option<B256> {
    let b =
        call(&client(url), "eth_getBlockByNumber", vec![json!(format!("{n:#x}")), json!(false)])
            .await
            .ok()?;
    serde_json::from_value(b["hash"].clone()).ok()
}

/// Waits until every listed member's domain 0 reached `target`.
async fn reach(members: &[&Member], target: u64, limit: Duration) {
    let started = Instant::now();
    loop {
        let mut heads = vec![];
        for m in members {
            heads.push(head(&m.url(0)).await);
        }
        if heads.iter().all(|h| *h >= target) {
            return;
        }
        assert!(started.elapsed() < limit, "heads {heads:?} short of {target}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn validators_in_separate_processes_keep_safety_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
    let payer = dev_signers_from(DEV_MNEMONIC, 7..8).unwrap().pop().unwrap();
    let genesis: Vec<ActiveValidator> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            ActiveValidator::derived(Address::with_last_byte(i as u8 + 1), k, sec(100)).unwrap()
        })
        .collect();
    let p2p: Vec<u16> = (0..4).map(|_| free_port_range(DOMAINS as u16 + 1)).collect();
    let mut members: Vec<Member> = (0..4)
        .map(|i| {
            let dir = dir.path().join(format!("v{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let rpc = free_port();
            // (written by hand: the pool's u128 limits have no TOML form)
            let config = json!({
                "datadir": dir.join("chain"),
                "domains": DOMAINS,
                "block_time_ms": 1000,
                "genesis_timestamp": 1_700_000_000u64,
                "rpc": { "addr": format!("127.0.0.1:{rpc}") },
                "epochs": { "genesis_validators": genesis },
                "alloc": { payer.address().to_string(): { "balance": "0x3635c9adc5dea00000" } },
            });
            std::fs::write(dir.join("node.toml"), toml::to_string(&config).unwrap()).unwrap();
            let peers: Vec<String> =
                (0..4).filter(|j| *j != i).map(|j| format!("127.0.0.1:{}", p2p[j])).collect();
            let flags = vec![
                "--validator-key".into(),
                format!("0x{}", alloy_primitives::hex::encode(keys[i].to_bytes())),
                "--p2p-addr".into(),
                format!("127.0.0.1:{}", p2p[i]),
                "--peers".into(),
                peers.join(","),
            ];
            Member { dir, rpc, flags, process: None }
        })
        .collect();
    for m in &mut members {
        m.start();
    }
    let all: Vec<&Member> = members.iter().collect();
    reach(&all, 3, Duration::from_secs(120)).await;

    // a transfer sent to one validator is finalized, whoever produces (gossip reaches all)
    let to = Address::repeat_byte(0x99);
    for (nonce, m) in members.iter().enumerate() {
        let (_, raw) = transfer(&payer, 53500, nonce as u64, to, sec(1));
        call(&client(&m.url(0)), "eth_sendRawTransaction", vec![json!(raw)]).await.unwrap();
    }
    let started = Instant::now();
    while balance(&members[3].url(0), to).await != sec(4) {
        assert!(started.elapsed() < Duration::from_secs(30), "transfers not finalized");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // one down (75 % of the stake left): finality goes on
    members[3].kill9();
    let h = head(&members[0].url(0)).await;
    reach(&members[..3].iter().collect::<Vec<_>>(), h + 3, Duration::from_secs(60)).await;

    // two down (50 %): nothing is committed
    members[2].kill9();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let halted = head(&members[0].url(0)).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    for m in &members[..2] {
        for d in 0..DOMAINS {
            let now = head(&m.url(d)).await;
            assert!(
                now <= halted + 1,
                "domain {d} moved from {halted} to {now} with half the stake"
            );
        }
    }

    // a third returns (killed, restarted from its store and WAL): finality resumes and it
    // catches up
    members[2].start();
    reach(&members[..3].iter().collect::<Vec<_>>(), halted + 3, Duration::from_secs(90)).await;

    // the fourth returns too, catches up, and signs again
    members[3].start();
    let h = head(&members[0].url(0)).await;
    reach(&all_of(&members), h + 2, Duration::from_secs(90)).await;
    let me = keys[3].address();
    let signer_of = |c: &Value| -> Vec<Address> {
        c["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| serde_json::from_value(s["signer"].clone()).unwrap())
            .collect()
    };
    let started = Instant::now();
    loop {
        let n = head(&members[0].url(0)).await;
        let c = call(
            &client(&members[0].url(0)),
            "sec_getFinalityCertificate",
            vec![json!(0), json!(n)],
        )
        .await
        .unwrap();
        if !c.is_null() && signer_of(&c).contains(&me) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the restarted validator never signed"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // safety: every validator has the same block at every height, each with a certificate
    let top = head(&members[0].url(0)).await.saturating_sub(1);
    for d in 0..DOMAINS {
        for n in 1..=top.min(head(&members[3].url(d)).await) {
            let mut hashes = vec![];
            for m in &members {
                hashes.push(block_hash(&m.url(d), n).await);
            }
            assert!(
                hashes.iter().all(|h| h.is_some() && *h == hashes[0]),
                "domain {d} block {n}: {hashes:?}"
            );
        }
    }
    let c =
        call(&client(&members[1].url(1)), "sec_getFinalityCertificate", vec![json!(1), json!(2)])
            .await
            .unwrap();
    let stake: U256 = U256::from(signer_of(&c).len()) * sec(100);
    assert!(stake * U256::from(3) > sec(400) * U256::from(2), "{c}");
}

fn all_of(members: &[Member]) -> Vec<&Member> {
    members.iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devnet_runs_on_four_validators() {
    let dir = tempfile::tempdir().unwrap();
    // four validators is the devnet's default
    let devnet = Devnet::start(&dir.path().join("devnet"), None);
    // it started: the dev accounts' deposits from L1 were credited in blocks the validators
    // decided, on every domain
    let holder = dev_signers_from(DEV_MNEMONIC, 2..3).unwrap().pop().unwrap();
    for d in 0..4 {
        assert_eq!(
            balance(&devnet.domain_url(d), holder.address()).await,
            sec(10_000),
            "domain {d}"
        );
    }
    let node = client(&devnet.domain_url(0));
    let head = quantity(&call(&node, "eth_blockNumber", vec![]).await.unwrap());
    let finalized =
        call(&node, "eth_getBlockByNumber", vec![json!("finalized"), json!(false)]).await.unwrap();
    assert!(quantity(&finalized["number"]) >= head, "every committed block is final");
    // every block carries the precommits of more than 2/3 of the four equal stakes
    let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
    for d in 0..4u64 {
        let top = quantity(
            &call(&client(&devnet.domain_url(d as u32)), "eth_blockNumber", vec![]).await.unwrap(),
        );
        assert!(top >= 1, "domain {d} has blocks");
        for n in 1..=top.min(3) {
            let c =
                call(&node, "sec_getFinalityCertificate", vec![json!(d), json!(n)]).await.unwrap();
            let signers = c["signatures"].as_array().map_or(0, Vec::len);
            assert!(signers >= 3, "domain {d} block {n}: {c}");
            for s in c["signatures"].as_array().unwrap() {
                let signer: Address = serde_json::from_value(s["signer"].clone()).unwrap();
                assert!(keys.iter().any(|k| k.address() == signer));
            }
        }
    }
    // the producers take turns, and the counts say so
    let v = call(&node, "sec_validators", vec![json!("0x0")]).await.unwrap();
    let producing =
        v["validators"].as_array().unwrap().iter().filter(|m| m["blocksProduced"] != "0x0").count();
    assert!(producing >= 3, "{v}");

    // checkpoints are signed by the validator nodes, each after checking it against its own
    // chain; the relayer holds no validator key
    let deployment =
        sec_bridge::L1Deployment::load(&dir.path().join("devnet/l1-deployment.json")).unwrap();
    let cm = deployment.addresses.checkpoint_manager;
    let l1 = sec_bridge::L1Client::connect(
        &devnet.l1_url(),
        alloy::signers::local::PrivateKeySigner::random(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    while l1.view(cm, CheckpointManager::lastIdCall {}).await.unwrap() < 1 {
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint accepted");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let signed = call(&node, "sec_getSignedCheckpoint", vec![json!("0x1")]).await.unwrap();
    let signer: Address = serde_json::from_value(signed["signer"].clone()).unwrap();
    assert_eq!(signer, keys[0].address(), "{signed}");
    let checkpoint: sec_primitives::Checkpoint =
        serde_json::from_value(signed["checkpoint"].clone()).unwrap();
    for state in &checkpoint.domains {
        let on_l1 = l1
            .view(cm, CheckpointManager::domainStateCall { id: 1, domain: state.domain })
            .await
            .unwrap();
        assert_eq!(
            (on_l1.blockNumber, on_l1.blockHash),
            (state.block_number, state.block_hash),
            "L1 holds the checkpoint validator 0 signed"
        );
    }
    // a checkpoint the chain does not hold is refused, with the reason
    let mut forged = checkpoint.clone();
    forged.id = 1_000;
    let refused =
        call(&node, "sec_signCheckpoint", vec![serde_json::to_value(&forged).unwrap()]).await;
    let refused = refused.unwrap_err().to_string();
    assert!(refused.contains("not the next one"), "{refused}");

    // the explorer shows who finalized a block, and what each validator produced and missed
    let signers: Vec<String> = keys.iter().map(|k| k.address().to_checksum(None)).collect();
    let (mut block, mut validators) = (String::new(), serde_json::Value::Null);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        block = devnet.explorer_get("/block/1/1").1;
        validators =
            serde_json::from_str(&devnet.explorer_get("/api/v1/validators").1).unwrap_or_default();
        let produced = validators["validators"].as_array().map_or(0, |vs| {
            vs.iter().filter(|v| v["production"]["produced"].as_i64() > Some(0)).count()
        });
        if block.contains("Finality certificate") && produced >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let row = block.lines().find(|l| l.contains("Finality certificate")).unwrap_or_default();
    assert!(row.contains("decided in round"), "{block}");
    assert!(signers.iter().filter(|s| row.contains(s.as_str())).count() >= 3, "{row}");
    let members = validators["validators"].as_array().cloned().unwrap_or_default();
    assert_eq!(members.len(), 4, "{validators}");
    let produced: Vec<i64> =
        members.iter().filter_map(|v| v["production"]["produced"].as_i64()).collect();
    assert!(produced.iter().filter(|p| **p > 0).count() >= 3, "{validators}");
    let page = devnet.explorer_get("/validators").1;
    assert!(page.contains("Missed slots (epoch / all)"), "{page}");
}
