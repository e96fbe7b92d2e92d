//! ethers.js v6 (from npm, pinned in e2e/js/package-lock.json) against a running node.

use std::process::Command;

use crate::common::*;

#[test]
fn ethers_v6_works_against_the_node() {
    let js = root().join("e2e/js");
    assert!(
        js.join("node_modules/ethers").exists(),
        "e2e/js/node_modules is missing: run ./scripts/test.sh, which installs the pinned npm packages"
    );
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 2, 0.2, free_port());
    let key = sec_primitives::dev_signers(sec_primitives::DEV_MNEMONIC, 2).unwrap().pop().unwrap();
    let out = Command::new("node")
        .arg(js.join("compat.mjs"))
        .env("RPC_URL", node.url(1))
        .env("WS_URL", node.url(1).replacen("http", "ws", 1))
        .env("TOKEN_BIN", root().join("src/bench/BenchToken.bin"))
        .env("PRIVATE_KEY", format!("0x{}", alloy_primitives::hex::encode(key.to_bytes())))
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ethers checks failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("all ethers checks passed"), "{stdout}");
}
