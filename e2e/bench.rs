//! `sec bench` as a user runs it against a node: one transaction per request over HTTP and over
//! WebSockets, every transfer counted in and included.

use crate::common::*;

/// 300 transfers per domain from 20 senders, with seed `seed` and `extra` arguments.
fn small_bench(node: &NodeProcess, seed: &str, extra: &[&str]) -> String {
    bench(node, &[&["--senders", "20", "--txs", "300", "--seed", seed], extra].concat())
}

#[test]
fn bench_sends_one_transaction_per_request_over_http_and_websockets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start(dir.path(), 2, 0.2, free_port());
    let http = small_bench(&node, "1", &[]);
    assert!(http.contains("one transaction per request, 64 in flight"), "{http}");
    assert!(http.contains("600 submitted, 600 included, 0 rejected, 0 reverted"), "{http}");
    let ws = small_bench(&node, "2", &["--ws"]);
    assert!(ws.contains("one transaction per request over 4 WebSockets"), "{ws}");
    assert!(ws.contains("600 submitted, 600 included, 0 rejected, 0 reverted"), "{ws}");
}
