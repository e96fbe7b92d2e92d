//! The explorer as users see it: `sec node`, `sec index` following it and `sec explorer` serving
//! the index, driven in headless Chromium by Playwright. Screenshots are saved under
//! `test-artifacts/explorer/`.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::*;

pub(crate) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn(args: &[&str]) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_sec"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sec"),
    )
}

#[test]
fn explorer_works_in_a_real_browser() {
    let js = root().join("e2e/js");
    assert!(
        js.join("node_modules/playwright-core").exists()
            && std::path::Path::new("/usr/bin/chromium").exists(),
        "Playwright or Chromium is missing: run ./scripts/test.sh, which installs both"
    );
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProcess::start(dir.path(), 2, 1.0, free_port());
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
    let key = sec_primitives::dev_signers(sec_primitives::DEV_MNEMONIC, 3).unwrap().pop().unwrap();
    let out_dir = root().join("test-artifacts/explorer");
    let out = Command::new("node")
        .arg(js.join("browser.mjs"))
        .env("RPC_URL", node.url(0))
        .env("EXPLORER_URL", format!("http://{explorer_addr}"))
        .env("TOKEN_BIN", root().join("src/bench/BenchToken.bin"))
        .env("PRIVATE_KEY", format!("0x{}", alloy_primitives::hex::encode(key.to_bytes())))
        .env("OUT_DIR", &out_dir)
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser checks failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("all browser checks passed"), "{stdout}");
    for shot in [
        "home",
        "block",
        "transaction",
        "address",
        "token",
        "search",
        "contract",
        "verify",
        "live",
        "phone",
        "dark",
    ] {
        assert!(out_dir.join(format!("{shot}.png")).exists(), "screenshot {shot}");
    }
}
