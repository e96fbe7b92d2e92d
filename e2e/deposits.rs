//! Deposits end to end, as a token holder makes them: SEC and ETH locked in `L1Bridge` on
//! hardhat's node (an Ethereum this project did not write) arrive on a `sec node` started with
//! `--l1-rpc --l1-deployment`, after their confirmations, in the domain they name; the node
//! killed with SIGKILL and restarted credits nothing twice and the next deposit once; what L1
//! locked equals what the domains paid out of their reserves. A deposit that an L1 reorganisation
//! removes before its confirmations is never credited, and the one that takes its nonce is.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use sec_bridge::{L1Client, L1Deployment, deploy_l1, deposit};
use sec_contracts::{
    L1Addresses, L1DeployConfig,
    bindings::{SECToken, VestingVault, bridged_erc20::BridgedERC20},
    predeploy::{L2_BRIDGE, NATIVE_RESERVE, bridged_token_address},
};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

/// Waits until some domain credited L1 deposit `nonce`.
async fn credited(rpc: &jsonrpsee::http_client::HttpClient, nonce: u64) -> Value {
    for _ in 0..300 {
        let d = call(rpc, "sec_getDeposit", vec![json!(format!("{nonce:#x}"))]).await.unwrap();
        if !d.is_null() {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deposit {nonce} was never credited");
}

async fn l2_balance(rpc: &jsonrpsee::http_client::HttpClient, who: Address) -> U256 {
    let v = call(rpc, "eth_getBalance", vec![json!(who), json!("latest")]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

/// Runs `sec bridge ARGS` with `key` against `l1`, deployment `record` and the node at `rpc`.
fn bridge_cli(
    key: &str,
    l1: &str,
    record: &std::path::Path,
    rpc: &str,
    args: &[&str],
) -> (bool, String, String) {
    let record = record.to_string_lossy();
    let head = ["bridge", "--l1-rpc", l1, "--rpc", rpc, "--l1-deployment", record.as_ref()];
    sec_cli(key, &[head.as_slice(), args].concat())
}

/// hardhat's node with the L1 contracts deployed (the SEC of the vesting's first release on
/// the owner, dev account 0), the deployment record, and the `sec node` flags that read it with
/// `confirmations`.
struct Bridged {
    hardhat: HardhatNode,
    owner: L1Client,
    a: L1Addresses,
    dir: tempfile::TempDir,
    record: std::path::PathBuf,
    flags: Vec<String>,
}

async fn bridged(confirmations: u64) -> Bridged {
    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let accounts = dev_signers(DEV_MNEMONIC, 1).unwrap();
    let owner = L1Client::connect(&url, accounts[0].clone()).await.unwrap();
    let now = owner.block(None).await.unwrap().timestamp.to::<u64>();
    let deployment =
        deploy_l1(&owner, &L1DeployConfig::devnet(owner.address(), now)).await.unwrap();
    let a = deployment.addresses;
    owner.send_call(a.angel_vault, VestingVault::releaseCall {}, U256::ZERO).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("l1-deployment.json");
    deployment.save(&record).unwrap();
    assert_eq!(L1Deployment::load(&record).unwrap().addresses.l1_bridge, a.l1_bridge);
    let flags: Vec<String> = vec![
        "--l1-rpc".into(),
        url,
        "--l1-deployment".into(),
        record.to_string_lossy().into_owned(),
        "--l1-confirmations".into(),
        confirmations.to_string(),
    ];
    Bridged { hardhat, owner, a, dir, record, flags }
}

#[tokio::test(flavor = "multi_thread")]
async fn deposits_from_hardhat_arrive_once_across_a_kill() {
    let Bridged { hardhat, owner, a, dir, record, flags } = bridged(1).await;
    let url = hardhat.url();
    let accounts = dev_signers(DEV_MNEMONIC, 2).unwrap();
    let port = free_port();
    let node = NodeProcess::start_with(dir.path(), 2, 0.2, port, &flags);
    let (rpc0, rpc1) = (client(&node.url(0)), client(&node.url(1)));

    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    let d1 = deposit::deposit_sec(&owner, a.l1_bridge, a.token, 1, alice, sec(100)).await.unwrap();
    // the CLI, as a holder runs it: ETH for bob on domain 0
    let key = format!("0x{}", alloy_primitives::hex::encode(accounts[1].to_bytes()));
    let (ok, out, _) = bridge_cli(
        &key,
        &url,
        &record,
        &node.url(0),
        &[
            "deposit",
            "--token",
            "ETH",
            "--amount",
            "2",
            "--domain",
            "0",
            "--to",
            &bob.to_string(),
            "--no-wait",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("deposit 2 locked on L1"), "{out}");
    let d2 = deposit::Deposit { nonce: 2, ..d1.clone() };
    // hardhat mines only on demand: one more block confirms both
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        call(&rpc0, "sec_getDeposit", vec![json!(format!("{:#x}", d2.nonce))]).await.unwrap(),
        Value::Null,
        "credited before its confirmation"
    );
    // a domain that does not exist is refused in words, and nothing is sent
    let (ok, _, err) = bridge_cli(
        &key,
        &url,
        &record,
        &node.url(0),
        &["deposit", "--token", "ETH", "--amount", "1", "--domain", "9", "--no-wait"],
    );
    assert!(!ok && err.contains("refused: domain 9 does not exist"), "{err}");
    owner.request::<Value>("evm_mine", vec![]).await.unwrap();

    let c1 = credited(&rpc0, d1.nonce).await;
    assert_eq!((c1["domain"].as_u64(), c1["status"].as_str()), (Some(1), Some("credited")));
    let c2 = credited(&rpc1, d2.nonce).await;
    assert_eq!((c2["domain"].as_u64(), c2["status"].as_str()), (Some(0), Some("credited")));
    assert_eq!(l2_balance(&rpc1, alice).await, sec(100));
    assert_eq!(l2_balance(&rpc0, alice).await, U256::ZERO);
    let (ok, out, _) = bridge_cli(&key, &url, &record, &node.url(1), &["status", "--deposit", "2"]);
    assert!(ok && out.contains("deposit 2: to") && out.contains("on domain 0"), "{out}");
    assert!(out.contains("locked on L1") && out.contains("(credited)"), "{out}");
    let l2_owner = L1Client::connect(&node.url(0), accounts[1].clone()).await.unwrap();
    let weth = bridged_token_address(Address::ZERO);
    assert_eq!(
        l2_owner.view(weth, BridgedERC20::balanceOfCall { account: bob }).await.unwrap(),
        sec(2)
    );

    // SIGKILL and restart on the same data: nothing twice, the next deposit once
    node.kill9();
    let node = NodeProcess::start_with(dir.path(), 2, 0.2, port, &flags);
    let (rpc0, rpc1) = (client(&node.url(0)), client(&node.url(1)));
    assert_eq!(credited(&rpc0, d1.nonce).await, c1);
    let d3 = deposit::deposit_sec(&owner, a.l1_bridge, a.token, 1, alice, sec(5)).await.unwrap();
    owner.request::<Value>("evm_mine", vec![]).await.unwrap();
    credited(&rpc0, d3.nonce).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(l2_balance(&rpc1, alice).await, sec(105));

    // supply: what L1 locked is what the domains paid out of their native reserves
    let locked =
        owner.view(a.token, SECToken::balanceOfCall { account: a.l1_bridge }).await.unwrap();
    assert_eq!(locked, sec(105));
    let mut paid = U256::ZERO;
    for rpc in [&rpc0, &rpc1] {
        paid += NATIVE_RESERVE - l2_balance(rpc, L2_BRIDGE).await;
    }
    assert_eq!(paid, locked);
}

/// An L1 reorganisation within the confirmation depth, made on hardhat with `evm_snapshot` and
/// `evm_revert`: a deposit is locked, the chain is reverted before it is confirmed and another
/// deposit takes its nonce. The domains credit exactly what L1 finally holds, and the supply
/// audit balances against hardhat's state.
#[tokio::test(flavor = "multi_thread")]
async fn a_deposit_reorganised_away_before_its_confirmations_is_never_credited() {
    let Bridged { hardhat, owner, a, dir, record: _, flags } = bridged(3).await;
    let url = hardhat.url();
    let accounts = dev_signers(DEV_MNEMONIC, 1).unwrap();
    let node = NodeProcess::start_with(dir.path(), 2, 0.2, free_port(), &flags);
    let (rpc0, rpc1) = (client(&node.url(0)), client(&node.url(1)));
    let (carol, dave) = (Address::repeat_byte(0xc0), Address::repeat_byte(0xd0));

    // carol's 10 SEC, locked in L1 block n and one block more: 2 of 3 confirmations
    let snapshot: Value = owner.request("evm_snapshot", vec![]).await.unwrap();
    let gone = deposit::deposit_sec(&owner, a.l1_bridge, a.token, 0, carol, sec(10)).await.unwrap();
    owner.request::<Value>("evm_mine", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let nonce = json!(format!("{:#x}", gone.nonce));
    assert_eq!(call(&rpc0, "sec_getDeposit", vec![nonce.clone()]).await.unwrap(), Value::Null);

    // L1 reorganises: carol's deposit never happened; dave's 7 SEC to domain 1 takes its nonce
    let reverted: bool = owner.request("evm_revert", vec![snapshot]).await.unwrap();
    assert!(reverted);
    // a new client: the old one counted nonces that the revert took back
    let owner = L1Client::connect(&url, accounts[0].clone()).await.unwrap();
    let kept = deposit::deposit_sec(&owner, a.l1_bridge, a.token, 1, dave, sec(7)).await.unwrap();
    assert_eq!(kept.nonce, gone.nonce, "the same nonce, another deposit");
    for _ in 0..3 {
        owner.request::<Value>("evm_mine", vec![]).await.unwrap();
    }
    let c = credited(&rpc0, kept.nonce).await;
    assert_eq!((c["domain"].as_u64(), c["status"].as_str()), (Some(1), Some("credited")), "{c}");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(l2_balance(&rpc1, dave).await, sec(7));
    assert_eq!(l2_balance(&rpc0, carol).await, U256::ZERO, "a reverted deposit is never credited");
    assert_eq!(l2_balance(&rpc1, carol).await, U256::ZERO);

    // the books, read against hardhat: 7 SEC locked, 7 SEC on the domains, nothing in flight
    let report = call(&rpc0, "sec_supplyAudit", vec![]).await.unwrap();
    assert_eq!(report["balanced"], true, "{report}");
    assert_eq!(report["tokens"][0]["l1Locked"], json!(sec(7)), "{report}");
    assert_eq!(report["tokens"][0]["depositsInFlight"], "0x0", "{report}");
}
