//! The committed artifacts in `contracts/out` are exactly what the pinned compiler produces.

use std::{path::Path, process::Command};

#[test]
fn committed_artifacts_match_a_fresh_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("node_modules").join("solc").exists() {
        eprintln!(
            "SKIPPED: contracts/node_modules is absent; run `npm ci --prefix contracts` to check the artifacts"
        );
        return;
    }
    let out = Command::new("node")
        .arg(root.join("scripts").join("compile.js"))
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "artifacts differ from a fresh compile:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_artifact_has_code_and_abi() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("out");
    let mut seen = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(json["abi"].is_array(), "{path:?}");
            assert!(json["bytecode"].as_str().unwrap().len() > 2, "{path:?}");
            assert!(json["deployedBytecode"].as_str().unwrap().len() > 2, "{path:?}");
            assert!(json["storageLayout"]["storage"].is_array(), "{path:?}");
            assert_eq!(json["compiler"]["settings"]["evmVersion"], "prague");
            seen += 1;
        }
    }
    assert!(seen >= 12);
}
