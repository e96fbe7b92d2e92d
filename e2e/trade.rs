//! `sec trade` against a `sec node`, as a merchant, a buyer and judges would use it: a trade
//! from offer to confirmation moves both trust indexes, a refused step says why in words, and a
//! disputed trade decided by a panel bans the fake-goods seller.

use std::process::{Command, Stdio};

use alloy_primitives::{U256, hex};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

/// One `sec trade` run; `key` goes in `SEC_KEY` (as a wallet would pass it, not on the command
/// line). Returns success, stdout and stderr.
fn trade(rpc: &str, key: Option<&[u8; 32]>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sec"));
    cmd.arg("trade").args(args).args(["--rpc", rpc]).env("RUST_LOG", "warn");
    cmd.env_remove("SEC_KEY");
    if let Some(k) = key {
        cmd.env("SEC_KEY", hex::encode_prefixed(k));
    }
    let out = cmd.stdin(Stdio::null()).output().expect("run sec trade");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if let Some(k) = key {
        let k = hex::encode(k);
        assert!(!stdout.contains(&k) && !stderr.contains(&k), "the key was printed");
    }
    (out.status.success(), stdout, stderr)
}

/// A step that must succeed; its stdout.
pub(crate) fn ok(rpc: &str, key: Option<&[u8; 32]>, args: &[&str]) -> String {
    let (success, out, err) = trade(rpc, key, args);
    assert!(success, "sec trade {args:?} failed:\n{out}\n{err}");
    out
}

/// A step that must be refused; its stderr.
fn refused(rpc: &str, key: Option<&[u8; 32]>, args: &[&str]) -> String {
    let (success, out, err) = trade(rpc, key, args);
    assert!(!success, "sec trade {args:?} should have been refused:\n{out}");
    err
}

async fn trust(rpc: &str, who: alloy_primitives::Address) -> Value {
    call(&client(rpc), "sec_trustIndex", vec![json!(who)]).await.expect("sec_trustIndex")
}

#[tokio::test(flavor = "multi_thread")]
async fn trade_dispute_and_trust_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 1, 0.0, free_port());
    let rpc = node.url(0);
    let keys = dev_signers(DEV_MNEMONIC, 8).unwrap();
    let key = |i: usize| keys[i].to_bytes().0;
    let (seller, buyer, stranger) = (key(0), key(1), key(7));
    let (seller_a, buyer_a) = (keys[0].address(), keys[1].address());

    // offer, pay, ship, confirm
    let out = ok(
        &rpc,
        Some(&seller),
        &["offer", "--price", "10", "--description", "a crate of tomatoes", "--auto-confirm", "2d"],
    );
    assert!(out.contains("offer 1 opened by"), "{out}");
    assert!(out.contains("price 10 SEC, bond 5 SEC posted (50% of the price)"), "{out}");
    assert!(out.contains("auto-confirm 2 days after shipping"), "{out}");
    let out = ok(&rpc, Some(&buyer), &["pay", "--offer", "1"]);
    assert!(out.contains(&format!("offer 1 paid by {buyer_a}: 10 SEC held in escrow")), "{out}");
    let out = ok(&rpc, None, &["status", "--offer", "1"]);
    assert!(out.contains("offer 1: Paid"), "{out}");
    assert!(out.contains("ship by"), "{out}");
    let err = refused(&rpc, Some(&buyer), &["ship", "--offer", "1"]);
    assert!(
        err.contains(&format!("refused: only the seller may do this ({buyer_a} is not)")),
        "{err}"
    );
    let out = ok(&rpc, Some(&seller), &["ship", "--offer", "1", "--tracking", "PARCEL-1"]);
    assert!(out.contains("offer 1 shipped at"), "{out}");
    // a stranger cannot confirm, and nobody can settle before the period ends
    let err = refused(&rpc, Some(&stranger), &["confirm", "--offer", "1"]);
    assert!(
        err.contains(&format!(
            "refused: only the buyer may do this ({} is not)",
            keys[7].address()
        )),
        "{err}"
    );
    let err = refused(&rpc, Some(&stranger), &["settle", "--offer", "1"]);
    assert!(err.contains("refused: too early: possible from"), "{err}");
    let out = ok(&rpc, None, &["status", "--offer", "1"]);
    assert!(out.contains("offer 1: Shipped") && out.contains("settles"), "{out}");
    assert_eq!(trust(&rpc, seller_a).await["index"], 0);
    let out = ok(&rpc, Some(&buyer), &["confirm", "--offer", "1"]);
    assert!(out.contains("offer 1 completed by the buyer's confirmation: 15 SEC"), "{out}");
    assert!(out.contains("trust index 1, 1 completed trade(s)"), "{out}");
    let err = refused(&rpc, Some(&buyer), &["confirm", "--offer", "1"]);
    assert!(err.contains("offer 1 is Completed, so this step is not possible now"), "{err}");
    let out = ok(&rpc, None, &["status", "--offer", "1"]);
    assert!(out.contains("offer 1: Completed"), "{out}");
    assert!(
        out.contains(&format!("seller  {seller_a}: trust index 1, 1 completed trade(s)")),
        "{out}"
    );
    assert!(
        out.contains(&format!("buyer   {buyer_a}: trust index 1, 1 completed trade(s)")),
        "{out}"
    );
    for who in [seller_a, buyer_a] {
        let t = trust(&rpc, who).await;
        assert_eq!((t["index"].clone(), t["completedTrades"].clone()), (json!(1), json!(1)), "{t}");
    }

    // a dispute: no panel can be drawn without judges
    let out =
        ok(&rpc, Some(&seller), &["offer", "--price", "20", "--description", "a designer bag"]);
    assert!(out.contains("offer 2 opened") && out.contains("bond 9.92 SEC"), "{out}");
    ok(&rpc, Some(&buyer), &["pay", "--offer", "2"]);
    ok(&rpc, Some(&seller), &["ship", "--offer", "2"]);
    let err = refused(&rpc, Some(&buyer), &["dispute", "--offer", "2", "--evidence", "a fake"]);
    assert!(err.contains("only 0 judges can be drawn, a panel needs 5"), "{err}");
    let err = refused(&rpc, Some(&key(2)), &["judge", "bond", "--amount", "999"]);
    assert!(err.contains("a judge's bond must total at least 1000 SEC"), "{err}");
    for j in 2..7 {
        let out = ok(&rpc, Some(&key(j)), &["judge", "bond", "--amount", "1000"]);
        assert!(out.contains("bonded 1000 SEC as a judge"), "{out}");
    }
    let out = ok(&rpc, Some(&buyer), &["dispute", "--offer", "2", "--evidence", "a fake"]);
    assert!(out.contains("dispute 1 opened on offer 2 (fee 5 SEC)"), "{out}");
    let out = ok(&rpc, None, &["status", "--offer", "2"]);
    assert!(out.contains("offer 2: Disputed") && out.contains("dispute 1: voting"), "{out}");
    assert_eq!(out.matches(": not voted").count(), 5, "{out}");
    let out =
        ok(&rpc, Some(&seller), &["evidence", "--offer", "2", "--text", "receipt from the maker"]);
    assert!(out.contains(&format!("published on offer 2 by {seller_a}")), "{out}");
    let err = refused(&rpc, Some(&stranger), &["evidence", "--offer", "2", "--text", "me too"]);
    assert!(err.contains("only the buyer or the seller may do this"), "{err}");
    // three judges find fake goods, two do not
    for (j, verdict) in
        [(2, "--uphold"), (3, "--uphold"), (4, "--reject"), (5, "--uphold"), (6, "--reject")]
    {
        ok(&rpc, Some(&key(j)), &["judge", "vote", "--dispute", "1", verdict]);
    }
    let err = refused(&rpc, Some(&key(2)), &["judge", "vote", "--dispute", "1", "--reject"]);
    assert!(err.contains(&format!("{} has already voted", keys[2].address())), "{err}");
    let out = ok(&rpc, Some(&stranger), &["judge", "decide", "--dispute", "1"]);
    assert!(
        out.contains("dispute 1 decided: Upheld") && out.contains("(3 uphold, 2 reject)"),
        "{out}"
    );
    let out = ok(&rpc, None, &["status", "--offer", "2"]);
    assert!(out.contains("offer 2: Upheld"), "{out}");
    assert_eq!(out.matches(": uphold").count(), 3, "{out}");
    assert_eq!(out.matches(": reject").count(), 2, "{out}");
    // the seller lost 20 from 1: banned for good
    let t = trust(&rpc, seller_a).await;
    assert_eq!(
        (t["index"].clone(), t["banned"].clone(), t["disputesLost"].clone()),
        (json!(0), json!(true), json!(1)),
        "{t}"
    );
    assert_eq!(trust(&rpc, buyer_a).await["index"], 1);
    let err = refused(&rpc, Some(&seller), &["offer", "--price", "1", "--description", "again"]);
    assert!(err.contains(&format!("{seller_a} is banned from trading")), "{err}");
    let trades = call(&client(&rpc), "sec_trades", vec![json!(buyer_a)]).await.unwrap();
    let stages: Vec<_> =
        trades["offers"].as_array().unwrap().iter().map(|o| o["stage"].clone()).collect();
    assert_eq!(stages, vec![json!("Upheld"), json!("Completed")]);

    // the buyer (index 1) buys again from another seller, who refunds; an unpaid offer is
    // cancelled; a shipped one is extended once
    let seller2 = key(7);
    ok(&rpc, Some(&seller2), &["offer", "--price", "3", "--description", "jam"]);
    // unpaid, it has no buyer yet
    let err = refused(&rpc, Some(&buyer), &["extend", "--offer", "3"]);
    assert!(err.contains(&format!("only the buyer may do this ({buyer_a} is not)")), "{err}");
    ok(&rpc, Some(&buyer), &["pay", "--offer", "3"]);
    let err = refused(&rpc, Some(&buyer), &["extend", "--offer", "3"]);
    assert!(err.contains("offer 3 is Paid, so this step is not possible now"), "{err}");
    ok(&rpc, Some(&seller2), &["ship", "--offer", "3"]);
    let out = ok(&rpc, Some(&buyer), &["extend", "--offer", "3"]);
    assert!(out.contains("offer 3 extended: it now settles at"), "{out}");
    let err = refused(&rpc, Some(&buyer), &["extend", "--offer", "3"]);
    assert!(err.contains("offer 3 was already extended once"), "{err}");
    let out = ok(&rpc, None, &["status", "--offer", "3"]);
    assert!(out.contains("auto-confirm 14 days (extended once)"), "{out}");
    let out = ok(&rpc, Some(&seller2), &["refund", "--offer", "3"]);
    assert!(
        out.contains(&format!("offer 3 refunded by the seller: 3 SEC back to the buyer {buyer_a}")),
        "{out}"
    );
    ok(&rpc, Some(&seller2), &["offer", "--price", "1", "--description", "honey"]);
    let err = refused(&rpc, Some(&buyer), &["cancel", "--offer", "4"]);
    assert!(err.contains("only the seller may do this"), "{err}");
    let out = ok(&rpc, Some(&seller2), &["cancel", "--offer", "4"]);
    assert!(
        out.contains("offer 4 cancelled: the bond of 0.5 SEC went back to the seller"),
        "{out}"
    );
    assert_eq!(trust(&rpc, keys[7].address()).await["completedTrades"], 0);

    let out = ok(&rpc, Some(&buyer), &["list"]);
    assert!(out.contains(&format!("{buyer_a}: trust index 1, 1 completed trade(s)")), "{out}");
    let rows: Vec<_> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().take(4).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        rows,
        ["offer 3 Refunded buyer", "offer 2 Upheld buyer", "offer 1 Completed buyer"],
        "{out}"
    );
    let out = ok(&rpc, None, &["list", "--account", &keys[7].address().to_string()]);
    assert!(out.contains("offer 4      Cancelled  seller          1 SEC"), "{out}");

    // a step that sends needs a key
    let err = refused(&rpc, None, &["confirm", "--offer", "1"]);
    assert!(err.contains("give --key or set SEC_KEY"), "{err}");
}

/// Deploys a test ERC-20 (`TestToken` or the fee-on-transfer one) and mints `amount` to each of
/// `to`.
async fn deploy_token(
    rpc: &str,
    deployer: alloy::signers::local::PrivateKeySigner,
    fee_on_transfer: bool,
    to: &[alloy_primitives::Address],
    amount: alloy_primitives::U256,
) -> alloy_primitives::Address {
    use alloy::sol_types::SolConstructor;
    use alloy_primitives::{Bytes, TxKind, U256};
    use sec_contracts::bindings::test::{fee_on_transfer_token, test_token};
    let client = sec_bridge::L1Client::connect(rpc, deployer).await.expect("client");
    let code: Vec<u8> = if fee_on_transfer {
        fee_on_transfer_token::FeeOnTransferToken::BYTECODE.to_vec()
    } else {
        let args =
            test_token::TestToken::constructorCall { n: "Tomato Dollar".into(), s: "TMD".into() };
        [test_token::TestToken::BYTECODE.to_vec(), args.abi_encode()].concat()
    };
    let r = client.send(TxKind::Create, Bytes::from(code), U256::ZERO).await.expect("deploy");
    let token = r.contract_address.expect("created");
    for who in to {
        let mint = test_token::TestToken::mintCall { to: *who, amount };
        client.send_call(token, mint, U256::ZERO).await.expect("mint");
    }
    token
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trade_priced_in_an_erc20() {
    use alloy_primitives::U256;
    use sec_contracts::bindings::bridged_erc20::BridgedERC20;
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 1, 0.0, free_port());
    let rpc = node.url(0);
    let keys = dev_signers(DEV_MNEMONIC, 3).unwrap();
    let (seller, buyer) = (keys[0].to_bytes().0, keys[1].to_bytes().0);
    let (seller_a, buyer_a) = (keys[0].address(), keys[1].address());
    let unit = U256::from(10u64).pow(U256::from(18u64));
    let minted = U256::from(1000u64) * unit;
    let token = deploy_token(&rpc, keys[2].clone(), false, &[seller_a, buyer_a], minted).await;
    let t = token.to_string();

    let out = ok(
        &rpc,
        Some(&seller),
        &[
            "offer",
            "--price",
            "100",
            "--token",
            &t,
            "--description",
            "seeds",
            "--buyer",
            &buyer_a.to_string(),
        ],
    );
    assert!(out.contains("price 100 TMD, bond 50 TMD posted"), "{out}");
    assert!(out.contains(&format!("buyer: {buyer_a}")), "{out}");
    // reserved for the buyer: another account cannot pay
    let err = refused(&rpc, Some(&keys[2].to_bytes().0), &["pay", "--offer", "1"]);
    assert!(err.contains(&format!("this offer is reserved for {buyer_a}")), "{err}");
    let out = ok(&rpc, Some(&buyer), &["pay", "--offer", "1"]);
    assert!(out.contains("100 TMD held in escrow"), "{out}");
    ok(&rpc, Some(&seller), &["ship", "--offer", "1"]);
    let out = ok(&rpc, Some(&buyer), &["confirm", "--offer", "1"]);
    assert!(out.contains("150 TMD (price + bond) paid to the seller"), "{out}");
    let status = ok(&rpc, None, &["status", "--offer", "1"]);
    assert!(status.contains("price   100 TMD (token "), "{status}");

    let c = sec_bridge::L1Client::connect(&rpc, keys[0].clone()).await.unwrap();
    let balance = |who| BridgedERC20::balanceOfCall { account: who };
    assert_eq!(c.view(token, balance(seller_a)).await.unwrap(), minted + U256::from(100u64) * unit);
    assert_eq!(c.view(token, balance(buyer_a)).await.unwrap(), minted - U256::from(100u64) * unit);

    // a token that takes a fee on transfer is refused and the bond is not taken (the approval
    // sent before the offer stays)
    let fee = deploy_token(&rpc, keys[2].clone(), true, &[seller_a], minted).await;
    let err = refused(
        &rpc,
        Some(&seller),
        &["offer", "--price", "10", "--token", &fee.to_string(), "--description", "x"],
    );
    assert!(err.contains(&format!("{fee} takes a fee on transfer")), "{err}");
    assert_eq!(c.view(fee, balance(seller_a)).await.unwrap(), minted);
}

/// A buyer whose SEC is on another domain pays by a message from there, and the trade settles
/// by itself once its (test chain: seconds long) auto-confirm period passed. Two payments sent
/// for one offer before either arrives: the second is refused on arrival and its SEC goes back.
#[tokio::test(flavor = "multi_thread")]
async fn a_trade_paid_from_another_domain_settles_by_itself() {
    use alloy::sol_types::SolCall;
    use sec_bridge::{
        L1Client,
        message::{sent_message_hash, wait_for_delivery},
    };
    use sec_contracts::{
        bindings::{CrossDomain, TradeEscrow},
        predeploy::{CROSS_DOMAIN, TRADE_ESCROW},
    };

    let dir = tempfile::tempdir().unwrap();
    // blocks on a clock (not on demand), so the chain's time moves while nobody sends
    let node = NodeProcess::start(dir.path(), 2, 0.2, free_port());
    let (d0, d1) = (node.url(0), node.url(1));
    let keys = dev_signers(DEV_MNEMONIC, 6).unwrap();
    let key = |i: usize| keys[i].to_bytes().0;
    let (seller, buyer) = (key(0), key(1));
    let buyer_a = keys[1].address();
    let cent = sec(1) / U256::from(100u64);

    // this test chain's shortest period is 2 s (a public chain's is 1 hour)
    let offer = |period: &'static str| {
        ["offer", "--price", "10", "--description", "a dozen eggs", "--auto-confirm", period]
    };
    let err = refused(&d0, Some(&seller), &offer("1s"));
    assert!(err.contains("a period of 1 s is outside 2 s to 90 days on this chain"), "{err}");
    let out = ok(&d0, Some(&seller), &offer("4s"));
    assert!(out.contains("auto-confirm 4 s after shipping"), "{out}");

    // paid from domain 1: the SEC leaves there, nothing is spent on domain 0
    let (on0, on1) = (balance(&d0, buyer_a).await, balance(&d1, buyer_a).await);
    let out = ok(&d0, Some(&buyer), &["pay", "--offer", "1", "--from-domain", "1"]);
    assert!(out.contains("sent from domain 1 as a cross-domain message"), "{out}");
    assert!(out.contains("delivered by transaction"), "{out}");
    assert!(out.contains(&format!("offer 1 paid by {buyer_a}: 10 SEC held in escrow")), "{out}");
    assert_eq!(balance(&d0, buyer_a).await, on0);
    let spent = on1 - balance(&d1, buyer_a).await;
    assert!(spent > sec(10) && spent < sec(10) + cent, "price and fee: {spent}");
    // refused before anything is sent, in words; judges act where the dispute is
    let err = refused(&d0, Some(&key(2)), &["pay", "--offer", "1", "--from-domain", "1"]);
    assert!(err.contains("offer 1 is Paid, so this step is not possible now"), "{err}");
    let bond = ["judge", "bond", "--amount", "1000", "--from-domain", "1"];
    let err = refused(&d0, Some(&key(2)), &bond);
    assert!(err.contains("judges act on the dispute's own domain"), "{err}");
    let err = refused(&d0, Some(&key(2)), &["pay", "--offer", "1", "--from-domain", "0"]);
    assert!(err.contains("already on domain 0"), "{err}");

    // shipped; too early to settle, then settled by a third party once 4 s passed
    ok(&d0, Some(&seller), &["ship", "--offer", "1"]);
    let err = refused(&d0, Some(&key(5)), &["settle", "--offer", "1"]);
    assert!(err.contains("refused: too early"), "{err}");
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let out = ok(&d0, Some(&key(5)), &["settle", "--offer", "1"]);
    assert!(out.contains("offer 1 completed by settlement: 15 SEC"), "{out}");
    assert_eq!(trust(&d0, buyer_a).await["index"], 1);
    assert_eq!(trust(&d0, keys[0].address()).await["index"], 1);

    // two payments for offer 2, both sent before either arrives (raw sends, no check first)
    ok(&d0, Some(&seller), &offer("1h"));
    let mut payers = Vec::new();
    let mut before = Vec::new();
    for k in &keys[2..4] {
        payers.push(L1Client::connect(&d1, k.clone()).await.unwrap());
        before.push(balance(&d1, k.address()).await);
    }
    let pay = || CrossDomain::sendCall {
        dstDomain: 0,
        to: TRADE_ESCROW,
        data: TradeEscrow::payCall { offerId: 2 }.abi_encode().into(),
    };
    let (a, b) = tokio::join!(
        payers[0].send_call(CROSS_DOMAIN, pay(), sec(10)),
        payers[1].send_call(CROSS_DOMAIN, pay(), sec(10)),
    );
    let reader = L1Client::connect(&d0, keys[5].clone()).await.unwrap();
    let mut refused_payers = Vec::new();
    for (i, receipt) in [a.unwrap(), b.unwrap()].iter().enumerate() {
        let hash = sent_message_hash(receipt).unwrap();
        let timeout = std::time::Duration::from_secs(60);
        let d = wait_for_delivery(&payers[i], hash, timeout).await.unwrap();
        assert_eq!(d.status, "delivered", "a refused step is still a delivered message");
        let delivery = reader.wait_for_receipt(d.transaction_hash).await.unwrap();
        if delivery.logs.iter().any(|l| l.log_decode::<TradeEscrow::RelayRefused>().is_ok()) {
            refused_payers.push(i);
        }
    }
    assert_eq!(refused_payers.len(), 1, "exactly one of the two payments is refused");
    let loser = refused_payers[0];
    let offer2 = reader.view(TRADE_ESCROW, TradeEscrow::offerCall { offerId: 2 }).await.unwrap();
    assert_eq!(offer2.buyer, payers[1 - loser].address());
    // the refused payer has its 10 SEC back on domain 1, less only the send's fee
    let started = std::time::Instant::now();
    while before[loser] - balance(&d1, payers[loser].address()).await > cent {
        assert!(started.elapsed().as_secs() < 60, "the refused payment never came back");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
