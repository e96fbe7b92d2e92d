//! `sec home` and `sec pay` against `sec node`: an account tells the hub where it lives by a
//! message from its domain, and a payment from another domain is routed there as a
//! cross-domain message and delivered; a payment to an account without a home, or to one
//! living on the payer's domain, is a plain transfer; an account moves home with its SEC; a
//! command whose reader goes away ends by SIGPIPE, not a panic.

use alloy_primitives::U256;
use sec_primitives::{DEV_MNEMONIC, dev_signers};

use crate::common::*;

/// `sec ARGS` with `key`; success and everything it printed.
fn run(key: &str, args: &[&str]) -> (bool, String) {
    let (ok, stdout, stderr) = sec_cli(key, args);
    (ok, stdout + &stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_finds_the_domain_its_recipient_lives_in() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 3, 0.2, free_port());
    let keys = dev_signers(DEV_MNEMONIC, 3).unwrap();
    let hex = |i: usize| format!("0x{}", alloy_primitives::hex::encode(keys[i].to_bytes()));
    let (alice, bob) = (keys[1].address(), keys[2].address());

    // alice lives on domain 2: she says so from there, by a message to the hub
    let (ok, out) = run(&hex(1), &["home", "--rpc", &node.url(2), "set"]);
    assert!(ok && out.contains("lives on domain 2"), "{out}");
    let (ok, out) =
        run(&hex(0), &["home", "--rpc", &node.url(1), "get", "--address", &alice.to_string()]);
    assert!(ok && out.contains("lives on domain 2"), "{out}");

    // bob pays her from domain 1: routed to domain 2 and delivered there
    let before = balance(&node.url(2), alice).await;
    let before_here = balance(&node.url(1), alice).await;
    let (ok, out) =
        run(&hex(2), &["pay", "--rpc", &node.url(1), "--to", &alice.to_string(), "--amount", "3"]);
    assert!(ok && out.contains("home domain 2") && out.contains("delivered on domain 2"), "{out}");
    let three = U256::from(3u64) * U256::from(10u64).pow(U256::from(18));
    assert_eq!(balance(&node.url(2), alice).await, before + three);
    assert_eq!(balance(&node.url(1), alice).await, before_here);

    // on her own domain, or to someone without a home: a plain transfer where the payer is
    let (ok, out) =
        run(&hex(0), &["pay", "--rpc", &node.url(2), "--to", &alice.to_string(), "--amount", "1"]);
    assert!(ok && out.contains("on domain 2") && out.contains("(its home)"), "{out}");
    let (ok, out) =
        run(&hex(1), &["pay", "--rpc", &node.url(0), "--to", &bob.to_string(), "--amount", "1"]);
    assert!(ok && out.contains("has no home"), "{out}");

    // bob moves to domain 2 with 5 SEC: the value goes by message, then the hub follows
    let on_2 = balance(&node.url(2), bob).await;
    let (ok, out) =
        run(&hex(2), &["home", "--rpc", &node.url(1), "move", "--to", "2", "--amount", "5"]);
    assert!(ok && out.contains("moved 5 SEC from domain 1 to domain 2"), "{out}");
    assert!(out.contains("lives on domain 2"), "{out}");
    // 5 SEC arrived; the message to the hub cost bob a fee there
    let five = three / U256::from(3u64) * U256::from(5u64);
    let now_2 = balance(&node.url(2), bob).await;
    assert!(now_2 < on_2 + five && now_2 > on_2 + five - five / U256::from(1_000u64), "{now_2}");
    let (ok, out) =
        run(&hex(0), &["home", "--rpc", &node.url(0), "get", "--address", &bob.to_string()]);
    assert!(ok && out.contains("lives on domain 2"), "{out}");

    // a reader that goes away (`sec home get … | head -0`) ends the command quietly, by
    // SIGPIPE as Unix tools end, not by a panic in its printing
    use std::os::unix::process::ExitStatusExt;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sec"))
        .args(["home", "--rpc", &node.url(0), "get", "--address", &bob.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(13), "SIGPIPE: {:?} {stderr}", out.status);
}

/// Domain convergence as a wallet applies it: an account on domain 1 that bought twice from
/// sellers living on domain 2 (paying from home, by messages) moves there; one trade is not
/// enough.
#[tokio::test(flavor = "multi_thread")]
async fn an_account_trading_mostly_with_another_domain_moves_there() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 3, 0.2, free_port());
    let keys = dev_signers(DEV_MNEMONIC, 4).unwrap();
    let hex = |i: usize| format!("0x{}", alloy_primitives::hex::encode(keys[i].to_bytes()));
    let buyer = keys[1].address();
    let (d1, d2) = (node.url(1), node.url(2));
    for (i, url) in [(1, &d1), (2, &d2), (3, &d2)] {
        let (ok, out) = run(&hex(i), &["home", "--rpc", url, "set"]);
        assert!(ok, "{out}");
    }
    // one purchase from each seller of domain 2, paid and confirmed from domain 1
    let buy = |seller: usize, offer: &str| {
        let trade = |key: usize, args: &[&str]| {
            let mut all = vec!["trade", "--rpc", d2.as_str()];
            all.extend_from_slice(args);
            let (ok, out) = run(&hex(key), &all);
            assert!(ok, "{all:?}: {out}");
        };
        trade(seller, &["offer", "--price", "2", "--description", "apples"]);
        trade(1, &["pay", "--offer", offer, "--from-domain", "1"]);
        trade(seller, &["ship", "--offer", offer]);
        trade(1, &["confirm", "--offer", offer, "--from-domain", "1"]);
    };
    buy(2, "1");
    let (ok, out) = run(&hex(1), &["home", "--rpc", &d1, "converge", "--dry-run"]);
    assert!(
        ok && out.contains("1 trade(s) completed in the last 30 days: 1 with domain 2"),
        "{out}"
    );
    assert!(out.contains("stays"), "{out}");
    buy(3, "2");
    let (ok, out) = run(&hex(1), &["home", "--rpc", &d1, "converge", "--dry-run"]);
    assert!(ok && out.contains("would move to domain 2"), "{out}");
    let (ok, out) = run(&hex(1), &["home", "--rpc", &d1, "converge"]);
    assert!(
        ok && out.contains("moves to domain 2") && out.contains("from domain 1 to domain 2"),
        "{out}"
    );
    let (ok, out) =
        run(&hex(0), &["home", "--rpc", &node.url(0), "get", "--address", &buyer.to_string()]);
    assert!(ok && out.contains("lives on domain 2"), "{out}");
    // its SEC went with it: what is left on domain 1 is dust
    assert!(balance(&d1, buyer).await < U256::from(10u64).pow(U256::from(16u64)));
    // and once there, the rule keeps it there
    let (ok, out) = run(&hex(1), &["home", "--rpc", &d2, "converge"]);
    assert!(ok && out.contains("stays"), "{out}");
}
