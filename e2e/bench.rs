//! `sec bench` as a user runs it against a node: one transaction per request over HTTP and over
//! WebSockets, every transfer counted in and included.

use std::process::{Command, Stdio};

use crate::common::*;

fn bench(node: &NodeProcess, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_sec"))
        .args(["bench", "--senders", "20", "--txs", "300", "--seed"])
        .args(extra)
        .arg("--rpc")
        .arg(node.url(0))
        .arg(node.url(1))
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .expect("bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    stdout
}

#[test]
fn bench_sends_one_transaction_per_request_over_http_and_websockets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start(dir.path(), 2, 0.2, free_port());
    let http = bench(&node, &["1"]);
    assert!(http.contains("one transaction per request, 64 in flight"), "{http}");
    assert!(http.contains("600 submitted, 600 included, 0 rejected, 0 reverted"), "{http}");
    let ws = bench(&node, &["2", "--ws"]);
    assert!(ws.contains("one transaction per request over 4 WebSockets"), "{ws}");
    assert!(ws.contains("600 submitted, 600 included, 0 rejected, 0 reverted"), "{ws}");
}
