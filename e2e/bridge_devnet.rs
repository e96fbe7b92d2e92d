//! The bridge round trip on `sec devnet`, as a token holder does it with `sec bridge`: SEC and
//! ETH deposited from the dev L1 to a domain, withdrawn back, proven under the checkpoints the
//! devnet's staked validators sign, and paid on L1, with the devnet killed with SIGKILL and
//! restarted between the withdrawal and its finalization.

use std::path::Path;

use alloy_primitives::{Address, U256};
use sec_bridge::{L1Client, L1Deployment};
use sec_contracts::{
    bindings::{SECToken, bridged_erc20::BridgedERC20},
    predeploy::bridged_token_address,
};
use sec_primitives::{DEV_MNEMONIC, dev_signers};

use crate::common::*;

/// `sec bridge ARGS` against `devnet` with `key`: success, stdout and stderr.
fn bridge_run(
    devnet: &Devnet,
    datadir: &Path,
    key: &str,
    domain: u32,
    args: &[&str],
) -> (bool, String, String) {
    let (l1, rpc) = (devnet.l1_url(), devnet.domain_url(domain));
    let record = datadir.join("l1-deployment.json");
    let record = record.to_string_lossy();
    let head = ["bridge", "--l1-rpc", &l1, "--rpc", &rpc, "--l1-deployment", record.as_ref()];
    sec_cli(key, &[head.as_slice(), args].concat())
}

/// `sec bridge ARGS` against `devnet` with `key`; stdout, asserting success.
fn bridge(devnet: &Devnet, datadir: &Path, key: &str, domain: u32, args: &[&str]) -> String {
    let (ok, stdout, stderr) = bridge_run(devnet, datadir, key, domain, args);
    assert!(ok, "sec bridge {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// The hash `sec bridge withdraw` printed.
fn withdrawal_hash(out: &str) -> String {
    out.split_whitespace().nth(1).expect("withdrawal <hash>").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn sec_and_eth_go_to_a_domain_and_back_across_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let devnet = Devnet::start(&data, None);
    let ports = (devnet.rpc, devnet.l1, free_port());
    let holder = dev_signers(DEV_MNEMONIC, 4).unwrap().pop().unwrap();
    let key = format!("0x{}", alloy_primitives::hex::encode(holder.to_bytes()));
    let me = holder.address();
    let a = L1Deployment::load(&data.join("l1-deployment.json")).unwrap().addresses;
    let l1 = L1Client::connect(&devnet.l1_url(), holder.clone()).await.unwrap();
    // the devnet gives its dev accounts 100,000 SEC on L1, of which they deposited 10,000 into
    // each of the 4 domains: nothing on L2 is unbacked
    let sec_on_l1 = l1.view(a.token, SECToken::balanceOfCall { account: me }).await.unwrap();
    assert_eq!(sec_on_l1, sec(60_000));
    let l2 = L1Client::connect(&devnet.domain_url(3), holder.clone()).await.unwrap();
    let native_before = l2.balance(me).await.unwrap();
    assert_eq!(native_before, sec(10_000), "funded by its own deposit");
    let report = audit(&devnet).await;
    assert_eq!(report["tokens"][0]["genesisAllocated"], "0x0", "{report}");
    assert_eq!(amount(&report["tokens"][0]["l1Locked"]), sec(400_000), "10 accounts x 4 domains");

    // the books balance while blocks are produced, not only at rest: sampled every 100 ms
    // through the deposits and withdrawals below
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (stop, node) = (stop.clone(), client(&devnet.domain_url(0)));
        tokio::spawn(async move {
            let (mut samples, mut in_flight) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = call(&node, "sec_supplyAudit", vec![]).await.unwrap();
                assert_eq!(r["balanced"], true, "sample {samples}: {r}");
                let moving = |t: &serde_json::Value| {
                    t["depositsInFlight"] != "0x0" || t["withdrawalsInFlight"] != "0x0"
                };
                in_flight += r["tokens"].as_array().unwrap().iter().any(moving) as usize;
                samples += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            (samples, in_flight)
        })
    };

    // to domain 3: 250 SEC (native there) and 2 ETH (a bridged token there)
    let out = bridge(
        &devnet,
        &data,
        &key,
        3,
        &["deposit", "--token", "SEC", "--amount", "250", "--domain", "3"],
    );
    assert!(out.contains("credited on domain 3"), "{out}");
    let out = bridge(
        &devnet,
        &data,
        &key,
        3,
        &["deposit", "--token", "ETH", "--amount", "2", "--domain", "3"],
    );
    assert!(out.contains("credited on domain 3"), "{out}");
    assert_eq!(l2.balance(me).await.unwrap(), native_before + sec(250));
    let weth = bridged_token_address(Address::ZERO);
    assert_eq!(l2.view(weth, BridgedERC20::balanceOfCall { account: me }).await.unwrap(), sec(2));
    audit(&devnet).await;

    // back: 100 SEC and 0.5 ETH
    let w_sec = withdrawal_hash(&bridge(
        &devnet,
        &data,
        &key,
        3,
        &["withdraw", "--token", "SEC", "--amount", "100"],
    ));
    let w_eth = withdrawal_hash(&bridge(
        &devnet,
        &data,
        &key,
        3,
        &["withdraw", "--token", &weth.to_string(), "--amount", "0.5"],
    ));
    assert_eq!(
        l2.view(weth, BridgedERC20::balanceOfCall { account: me }).await.unwrap(),
        sec(3) / U256::from(2)
    );

    // burned on the domain, not yet paid on L1: in flight
    let report = audit(&devnet).await;
    assert_eq!(amount(&report["tokens"][0]["withdrawalsInFlight"]), sec(100), "{report}");
    assert_eq!(amount(&report["tokens"][1]["withdrawalsInFlight"]), sec(1) / U256::from(2));

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (samples, in_flight) = sampler.await.unwrap();
    eprintln!("supply audit: {samples} samples while bridging, {in_flight} with value in flight");
    assert!(samples >= 20 && in_flight >= 1, "{samples} samples, {in_flight} with value in flight");

    // SIGKILL, restart: the relayer and the node pick up where L1 and the store are
    devnet.kill9();
    let devnet = Devnet::start(&data, Some(ports));
    audit(&devnet).await;
    let eth_before = l1.balance(me).await.unwrap();
    let out = bridge(&devnet, &data, &key, 3, &["finalize", "--withdrawal", &w_sec]);
    assert!(out.contains("paid on L1") && out.contains("100 SEC"), "{out}");
    let out = bridge(&devnet, &data, &key, 3, &["finalize", "--withdrawal", &w_eth]);
    assert!(out.contains("paid on L1") && out.contains("0.5 ETH"), "{out}");
    assert_eq!(
        l1.view(a.token, SECToken::balanceOfCall { account: me }).await.unwrap(),
        sec(60_000) - sec(150)
    );
    let eth_after = l1.balance(me).await.unwrap();
    assert!(eth_after > eth_before + sec(1) / U256::from(2) - sec(1) / U256::from(100), "ETH paid");

    // every stage with its block and time
    let out = bridge(&devnet, &data, &key, 0, &["status", "--withdrawal", &w_sec]);
    assert!(out.contains("started           domain 3 block"), "{out}");
    assert!(out.contains("accepted on L1") && out.contains("paid on L1        block"), "{out}");
    let out = bridge(&devnet, &data, &key, 0, &["status", "--deposit", "1"]);
    assert!(out.contains("locked on L1      block") && out.contains("(credited)"), "{out}");

    // exactly once: a second finalization is refused before anything is sent
    let (ok, _, err) = bridge_run(&devnet, &data, &key, 3, &["finalize", "--withdrawal", &w_sec]);
    assert!(!ok && err.contains("AlreadyFinalized"), "{err}");

    // what L1 locks is what the domains hold: the dev accounts' 400,000 SEC, 150 more, 1.5 ETH
    assert_eq!(
        l1.view(a.token, SECToken::balanceOfCall { account: a.l1_bridge }).await.unwrap(),
        sec(400_150)
    );
    assert_eq!(l1.balance(a.l1_bridge).await.unwrap(), sec(3) / U256::from(2));
    let report = audit(&devnet).await;
    assert_eq!(amount(&report["tokens"][0]["l1Locked"]), sec(400_150), "{report}");
    assert_eq!(amount(&report["tokens"][1]["onDomains"]), sec(3) / U256::from(2), "{report}");

    // a checkpoint signed by one validator of the four (a quarter of the stake) is refused by
    // CheckpointManager, and the command says why
    let one = sec_primitives::dev_signers_from(DEV_MNEMONIC, 100..101).unwrap();
    let validator = format!("0x{}", alloy_primitives::hex::encode(one[0].to_bytes()));
    let mut err = String::new();
    for _ in 0..10 {
        let once = ["checkpoint", "--once", "--validator-keys", validator.as_str()];
        let (ok, out, e) = bridge_run(&devnet, &data, &key, 0, &once);
        // the devnet's own relayer may have covered every finalized block, or taken the id in
        // between: wait for the next blocks and try again
        if ok && out.contains("no new finalized blocks") || e.contains("is not the next one") {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            continue;
        }
        assert!(!ok, "a quarter of the stake signed a checkpoint: {out}");
        err = e;
        break;
    }
    assert!(
        err.contains("refused: the signatures carry") && err.contains("more than 2/3"),
        "{err}"
    );
    assert!(!err.contains(&validator[2..]), "the validator key was printed");

    // the round trip in the devnet's explorer: the deposits credited, a payment from another
    // domain delivered, the withdrawals finalized on Ethereum
    let (ok, out, err) = sec_cli(&key, &["home", "--rpc", &devnet.domain_url(3), "set"]);
    assert!(ok && out.contains("lives on domain 3"), "{out}\n{err}");
    let payer = dev_signers(DEV_MNEMONIC, 3).unwrap().pop().unwrap();
    let payer = format!("0x{}", alloy_primitives::hex::encode(payer.to_bytes()));
    let pay = ["pay", "--rpc", &devnet.domain_url(1), "--to", &me.to_string(), "--amount", "1"];
    let (ok, out, err) = sec_cli(&payer, &pay);
    assert!(ok && out.contains("delivered on domain 3"), "{out}\n{err}");
    let (mut page, mut shown) = (serde_json::Value::Null, false);
    for _ in 0..120 {
        let (status, body) = devnet.explorer_get("/api/v1/bridge");
        assert_eq!(status, 200, "{body}");
        page = serde_json::from_str(&body).unwrap();
        let list = |name: &str| page[name].as_array().cloned().unwrap_or_default();
        let finalized = |hash: &str| {
            list("withdrawals")
                .iter()
                .any(|w| w["withdrawal_hash"].as_str() == Some(hash) && w["stage"] == "finalized")
        };
        let paid_across = list("messages").iter().any(|m| {
            m["source"] == "domain 1" && m["target"] == "domain 3" && m["status"] == "delivered"
        });
        let mine = me.to_string().to_lowercase();
        // the SEC and the ETH deposited above, the newest two
        let credited = list("deposits")
            .iter()
            .filter(|d| {
                d["domain"] == 3
                    && d["to"].as_str().map(str::to_lowercase) == Some(mine.clone())
                    && d["stage"] == "credited"
            })
            .count();
        shown = finalized(&w_sec) && finalized(&w_eth) && paid_across && credited >= 2;
        if shown {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(shown, "the explorer does not show the round trip: {page:#}");
    let (status, html) = devnet.explorer_get("/bridge");
    assert_eq!(status, 200);
    // the page's row of the SEC withdrawal links its transaction and says where it is
    let row =
        page["withdrawals"].as_array().unwrap().iter().find(|w| w["withdrawal_hash"] == w_sec);
    let tx = row.and_then(|w| w["tx_hash"].as_str()).unwrap();
    let shown = html.split("<tr>").find(|r| r.contains(&format!("/tx/{tx}")));
    assert!(shown.is_some_and(|r| r.contains("<td>finalized</td>")), "{html}");

    // SEC sent to the L1 bridge outside a deposit backs nothing: the audit says so
    let donation = SECToken::transferCall { to: a.l1_bridge, value: sec(1) };
    // (a fresh client: the commands above used this key, so its nonce moved)
    let l1 = L1Client::connect(&devnet.l1_url(), holder.clone()).await.unwrap();
    l1.send_call(a.token, donation, U256::ZERO).await.unwrap();
    let rpc = devnet.domain_url(0);
    let (ok, out, err) = sec_cli(&key, &["bridge", "audit", "--rpc", &rpc]);
    assert!(!ok && err.contains("the supply does not balance"), "{out}\n{err}");
    assert!(
        out.contains("SEC: NOT BALANCED") && out.contains("difference             1\n"),
        "{out}"
    );
    assert!(out.contains("ETH: balanced"), "{out}");
}

/// `sec_supplyAudit` on `devnet`, asserting that every token balances.
async fn audit(devnet: &Devnet) -> serde_json::Value {
    let report = call(&client(&devnet.domain_url(0)), "sec_supplyAudit", vec![]).await.unwrap();
    assert_eq!(report["balanced"], true, "{report}");
    report
}

/// A quantity of the audit report.
fn amount(v: &serde_json::Value) -> U256 {
    U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}
