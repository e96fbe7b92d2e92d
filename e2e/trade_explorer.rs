//! The trade and trust pages as users see them: trades made with `sec trade` against `sec node`
//! (one paid from another domain by a cross-domain message, one disputed and upheld), `sec index`
//! following the node and `sec explorer` serving the index, followed link by link in headless
//! Chromium by Playwright.
//! Screenshots are saved under `test-artifacts/explorer/`.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use sec_primitives::{DEV_MNEMONIC, dev_signers};

use crate::{common::*, explorer::spawn, trade::ok};

#[test]
fn trade_and_trust_pages_in_a_real_browser() {
    let js = root().join("e2e/js");
    assert!(
        js.join("node_modules/playwright-core").exists()
            && std::path::Path::new("/usr/bin/chromium").exists(),
        "Playwright or Chromium is missing: run ./scripts/test.sh, which installs both"
    );
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 2, 0.0, free_port());
    let (d0, d1) = (node.url(0), node.url(1));
    let keys = dev_signers(DEV_MNEMONIC, 10).unwrap();
    let key = |i: usize| keys[i].to_bytes().0;
    let (seller, buyer, disputer, cross) = (key(0), key(1), key(2), key(8));

    // The cross-domain buyer's first transaction is in domain 1 (its home there): an offer.
    ok(&d1, Some(&cross), &["offer", "--price", "1", "--description", "plum jam"]);
    // 1: confirmed.
    ok(&d0, Some(&seller), &["offer", "--price", "10", "--description", "a crate of tomatoes"]);
    ok(&d0, Some(&buyer), &["pay", "--offer", "1"]);
    ok(&d0, Some(&seller), &["ship", "--offer", "1", "--tracking", "PARCEL-1"]);
    ok(&d0, Some(&buyer), &["confirm", "--offer", "1"]);
    // 2: bought by domain 1's account, paid from domain 1 by a message; extended, confirmed.
    ok(&d0, Some(&seller), &["offer", "--price", "4", "--description", "basil"]);
    ok(&d0, Some(&cross), &["pay", "--offer", "2", "--from-domain", "1"]);
    ok(&d0, Some(&seller), &["ship", "--offer", "2"]);
    ok(&d0, Some(&cross), &["extend", "--offer", "2"]);
    ok(&d0, Some(&cross), &["confirm", "--offer", "2"]);
    // 3: disputed; three judges of five find fake goods.
    ok(&d0, Some(&seller), &["offer", "--price", "20", "--description", "a designer bag"]);
    ok(&d0, Some(&disputer), &["pay", "--offer", "3"]);
    ok(&d0, Some(&seller), &["ship", "--offer", "3"]);
    for j in 3..8 {
        ok(&d0, Some(&key(j)), &["judge", "bond", "--amount", "1000"]);
    }
    ok(&d0, Some(&disputer), &["dispute", "--offer", "3", "--evidence", "a fake"]);
    for (j, verdict) in
        [(3, "--uphold"), (4, "--uphold"), (5, "--reject"), (6, "--uphold"), (7, "--reject")]
    {
        ok(&d0, Some(&key(j)), &["judge", "vote", "--dispute", "1", verdict]);
    }
    ok(&d0, Some(&buyer), &["judge", "decide", "--dispute", "1"]);
    // 4: the buyer's own offer, left open, settling 30 s after shipping.
    let honey = ["offer", "--price", "2", "--description", "honey", "--auto-confirm", "30s"];
    ok(&d0, Some(&buyer), &honey);

    let rpc = format!("http://127.0.0.1:{}", node.port);
    let db = dir.path().join("index.db");
    let db = db.to_str().unwrap();
    let _indexer = spawn(&["index", "--no-progress", "--rpc", &rpc, "--db", db]);
    let port = free_port();
    let explorer_addr = format!("127.0.0.1:{port}");
    let _explorer = spawn(&["explorer", "--addr", &explorer_addr, "--db", db]);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "explorer did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out_dir = root().join("test-artifacts/explorer");
    let out = Command::new("node")
        .arg(js.join("trade.mjs"))
        .env("EXPLORER_URL", format!("http://{explorer_addr}"))
        .env("SELLER", keys[0].address().to_checksum(None))
        .env("BUYER", keys[1].address().to_checksum(None))
        .env("CROSS_BUYER", keys[8].address().to_checksum(None))
        .env("OUT_DIR", &out_dir)
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser checks failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("all trade browser checks passed"), "{stdout}");
    for shot in ["trade", "offer", "seller", "trust", "graph", "graph-buyer", "offer-by-message"] {
        assert!(out_dir.join(format!("{shot}.png")).exists(), "screenshot {shot}");
    }
    println!("{stdout}");
}
