//! Deposits end to end, as a token holder makes them: SEC and ETH locked in `L1Bridge` on
//! hardhat's node (an Ethereum this project did not write) arrive on a `sec node` started with
//! `--l1-rpc --l1-deployment`, after their confirmations, in the domain they name; the node
//! killed with SIGKILL and restarted credits nothing twice and the next deposit once; what L1
//! locked equals what the domains paid out of their reserves.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use sec_bridge::{L1Client, L1Deployment, deploy_l1, deposit};
use sec_contracts::{
    L1DeployConfig,
    bindings::{SECToken, VestingVault, bridged_erc20::BridgedERC20},
    predeploy::{L2_BRIDGE, NATIVE_RESERVE, bridged_token_address},
};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

fn sec(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

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

#[tokio::test(flavor = "multi_thread")]
async fn deposits_from_hardhat_arrive_once_across_a_kill() {
    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let accounts = dev_signers(DEV_MNEMONIC, 2).unwrap();
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
        url.clone(),
        "--l1-deployment".into(),
        record.to_string_lossy().into_owned(),
        "--l1-confirmations".into(),
        "1".into(),
    ];
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
