//! Source verification over a real index, on SQLite and PostgreSQL: a contract deployed on a
//! test chain verified from its source with the pinned solc (a partial match from a source whose
//! comments differ, a full match from the exact source), refusals with their reasons, the
//! chain's own contracts verified out of the box, Etherscan's `contract` module, and inputs and
//! events decoded on the pages.

use std::{
    net::SocketAddr,
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy::sol_types::SolValue;
use alloy_primitives::{Address, U256, hex};
use sec_contracts::predeploy;
use sec_explorer::{
    Explorer, ExplorerConfig,
    verify::{Compiler, VerifyConfig, VerifyError},
};
use sec_indexer::Database;
use serde_json::{Value, json};

use super::{common::*, exchange, get, json};

/// The fixture contracts' source (`NamedToken` is among them), compiled with the pinned solc's
/// `--optimize`: optimizer on, 200 runs, the compiler's default EVM version.
const MARKET: &str = include_str!("../../../indexer/tests/fixtures/Market.sol");

const SOLC: &str = "v0.8.37+commit.f401782d";

/// Where `npm ci --prefix contracts` put the pinned compiler.
fn pinned_solc() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/solc");
    assert!(
        dir.join("package.json").exists(),
        "the pinned solc is not installed: run `npm ci --prefix contracts` (scripts/test.sh does)"
    );
    dir
}

/// Percent-encodes a form value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// POSTs `fields` form-encoded to `path`: status, head, body.
fn post(addr: SocketAddr, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let body = body.join("&");
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Etherscan's `verifysourcecode`, as hardhat-verify sends it; the GUID, or the refusal.
fn submit(addr: SocketAddr, fields: &[(&str, &str)]) -> Result<String, String> {
    let mut all = vec![("module", "contract"), ("action", "verifysourcecode")];
    all.extend_from_slice(fields);
    let (status, _, body) = post(addr, "/api", &all);
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    let result = answer["result"].as_str().expect("result").to_string();
    if answer["status"] == "1" { Ok(result) } else { Err(result) }
}

/// Polls `checkverifystatus` until the request is no longer pending: (status, result).
fn outcome(addr: SocketAddr, guid: &str) -> (String, String) {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let answer =
            json(addr, &format!("/api?module=contract&action=checkverifystatus&guid={guid}"));
        let result = answer["result"].as_str().expect("result").to_string();
        if result != "Pending in queue" {
            return (answer["status"].as_str().expect("status").to_string(), result);
        }
        assert!(Instant::now() < until, "request {guid} still pending");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Submits a single-file verification of `contract` in `source` at `address` and waits for
/// its end.
fn single_file(
    addr: SocketAddr,
    address: Address,
    source: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    let address = address.to_string();
    let mut fields = vec![
        ("contractaddress", address.as_str()),
        ("codeformat", "solidity-single-file"),
        ("contractname", "NamedToken"),
        ("compilerversion", SOLC),
        ("optimizationUsed", "1"),
        ("runs", "200"),
        ("sourceCode", source),
    ];
    fields.extend_from_slice(extra);
    let guid = submit(addr, &fields).expect("queued");
    assert_eq!(guid.len(), 50, "{guid}");
    outcome(addr, &guid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_are_verified_and_their_calls_decoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 1).await;
    let d0 = Sender::new(&node, 0);
    let (a, b) = (dev_key(0), dev_key(1).address());
    let supply = U256::from(1_000_000u64);
    let token = d0.deploy(&a, named_token("Verified", "VRF", supply)).await;
    let sent =
        d0.call(&a, token, U256::ZERO, transferCall { to: b, value: U256::from(1234u64) }).await;
    assert_eq!(sent["status"], "0x1");
    let transfer: String = sent["transactionHash"].as_str().expect("hash").into();
    let args = hex::encode(("Verified".to_string(), "VRF".to_string(), supply).abi_encode_params());
    let sqlite = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.unwrap();
    index(&node, &sqlite, 1_000).await;
    check_verification(sqlite, token, a.address(), b, &transfer, &args).await;
    let postgres = fresh_postgres("sec_explorer_verify", 4).await;
    index(&node, &postgres, 1_000).await;
    check_verification(postgres, token, a.address(), b, &transfer, &args).await;
    node.shutdown().await;
}

async fn check_verification(
    db: Database,
    token: Address,
    sender: Address,
    recipient: Address,
    transfer: &str,
    constructor_args: &str,
) {
    let verify = VerifyConfig {
        solc: pinned_solc(),
        max_input_bytes: 200_000,
        queue: 1,
        ..Default::default()
    };
    let config =
        ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), verify, ..Default::default() };
    // A request an earlier run left pending: its input is gone with that run.
    sqlx::query(
        "INSERT INTO verification_jobs (guid, address, status, reason, submitted_at) \
         VALUES ('earlier', $1, 'pending', '', 1)",
    )
    .bind(token.to_vec())
    .execute(db.pool())
    .await
    .expect("insert");
    let explorer = Explorer::start(config, db).await.expect("explorer");
    let addr = explorer.addr();
    let transfer = transfer.to_string();
    let constructor_args = constructor_args.to_string();
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            outcome(addr, "earlier").1,
            "Fail - Unable to verify. the explorer restarted before the request was compiled"
        );
        let unknown = json(addr, "/api?module=contract&action=checkverifystatus&guid=nosuch");
        assert_eq!((unknown["status"].as_str(), unknown["result"].as_str()), (Some("0"), Some("Unknown UID")));

        // The chain's own contracts are verified out of the box, from the committed build.
        for p in [
            predeploy::CROSS_DOMAIN,
            predeploy::L2_BRIDGE,
            predeploy::L2_TOKEN_FACTORY,
            predeploy::TRUST_INDEX,
            predeploy::TRADE_ESCROW,
            predeploy::DISPUTES,
            predeploy::HOME_DIRECTORY,
        ] {
            let tab = json(addr, &format!("/api/v1/address/{p}/contract"));
            assert_eq!(tab["verified"].as_array().unwrap().len(), 1, "{p}: {tab}");
            assert_eq!(tab["verified"][0]["matched"], "full", "{tab}");
            assert_eq!(tab["verified"][0]["origin"], "system", "{tab}");
        }
        let bridge = predeploy::L2_BRIDGE;
        let source = json(addr, &format!("/api?module=contract&action=getsourcecode&address={bridge}"));
        assert_eq!(source["status"], "1", "{source}");
        let record = &source["result"][0];
        let fields: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
        let expected = [
            "SourceCode", "ABI", "ContractName", "CompilerVersion", "OptimizationUsed", "Runs",
            "ConstructorArguments", "EVMVersion", "Library", "LicenseType", "Proxy",
            "Implementation", "SwarmSource",
        ];
        assert_eq!(fields, expected, "Etherscan's fields in its order, no more");
        assert_eq!(record["ContractName"], "L2Bridge");
        assert_eq!(record["CompilerVersion"], SOLC);
        assert_eq!((record["OptimizationUsed"].as_str(), record["Runs"].as_str()), (Some("1"), Some("200")));
        assert_eq!(record["EVMVersion"], "prague");
        assert_eq!(record["LicenseType"], "Apache-2.0");
        assert_eq!(record["Proxy"], "0");
        let code = record["SourceCode"].as_str().unwrap();
        assert!(code.starts_with("{{") && code.ends_with("}}"), "standard JSON in double braces");
        let input: Value = serde_json::from_str(&code[1..code.len() - 1]).expect("standard JSON");
        assert!(input["sources"]["src/L2Bridge.sol"]["content"].as_str().unwrap().contains("contract L2Bridge"));
        assert!(input["sources"]["src/Messages.sol"].is_object(), "its imports too");
        let abi = json(addr, &format!("/api?module=contract&action=getabi&address={}", predeploy::TRUST_INDEX));
        assert_eq!(abi["status"], "1");
        let abi: Value = serde_json::from_str(abi["result"].as_str().unwrap()).expect("ABI JSON");
        assert!(abi.as_array().unwrap().iter().any(|i| i["name"] == "IndexChanged"));
        let (status, _, page) = get(addr, &format!("/address/{bridge}/contract"));
        assert_eq!(status, 200);
        assert!(page.contains("L2Bridge on domain 0") && page.contains("Verified (full match)"), "{page}");
        assert!(page.contains("contract L2Bridge"), "the source is shown");
        let (_, _, page) = get(addr, &format!("/address/{bridge}"));
        assert!(page.contains("✓ Verified (full match)"), "{page}");

        // An unverified contract answers as on Etherscan.
        let source = json(addr, &format!("/api?module=contract&action=getsourcecode&address={token}"));
        assert_eq!(source["status"], "1");
        assert_eq!(source["result"][0]["ABI"], "Contract source code not verified");
        assert_eq!(source["result"][0]["SourceCode"], "");
        let abi = json(addr, &format!("/api?module=contract&action=getabi&address={token}"));
        assert_eq!(
            (abi["status"].as_str(), abi["message"].as_str(), abi["result"].as_str()),
            (Some("0"), Some("NOTOK"), Some("Contract source code not verified"))
        );
        let (_, _, page) = get(addr, &format!("/address/{token}/contract"));
        assert!(page.contains("not verified") && page.contains("/verify?address="), "{page}");

        // Refusals, each with its reason.
        let changed = MARKET.replace("decimals = 6", "decimals = 7");
        let (status, reason) = single_file(addr, token, &changed, &[]);
        assert_eq!(status, "0");
        assert!(reason.starts_with("Fail - Unable to verify. bytecode mismatch: the runtime code of NamedToken"), "{reason}");
        let broken = format!("{MARKET}\ncontract Broken {{ function f() public {{ x = ; }} }}\n");
        let (_, reason) = single_file(addr, token, &broken, &[]);
        assert!(reason.starts_with("Fail - Unable to verify. compile error:") && reason.contains("ParserError"), "{reason}");
        let (_, reason) = single_file(addr, Address::repeat_byte(0x42), MARKET, &[]);
        assert!(reason.contains("no contract code at 0x4242"), "{reason}");
        let (_, reason) = single_file(addr, token, MARKET, &[("compilerversion", "v0.8.20+commit.a1b79de6")]);
        assert!(reason.contains("compiler v0.8.20+commit.a1b79de6 is not available here: this explorer compiles with v0.8.37"), "{reason}");
        let (_, reason) = single_file(addr, token, MARKET, &[("contractname", "Nope")]);
        assert!(reason.contains("the source has no contract Nope"), "{reason}");
        // Nothing is read from the explorer's disk: a source given by path or URL is refused.
        let by_path = json!({
            "language": "Solidity",
            "sources": { "Market.sol": { "urls": ["/etc/hostname"] } },
        })
        .to_string();
        let guid = submit(addr, &[
            ("contractaddress", token.to_string().as_str()),
            ("codeformat", "solidity-standard-json-input"),
            ("contractname", "Market.sol:NamedToken"),
            ("sourceCode", by_path.as_str()),
        ])
        .expect("queued");
        let (_, reason) = outcome(addr, &guid);
        assert!(reason.contains("compile error") && reason.contains("import not found: /etc/hostname"), "{reason}");
        let huge = format!("{MARKET}\n//{}\n", "x".repeat(200_000));
        let token_text = token.to_string();
        let refused = submit(addr, &[
            ("contractaddress", token_text.as_str()),
            ("codeformat", "solidity-single-file"),
            ("contractname", "NamedToken"),
            ("sourceCode", huge.as_str()),
        ]);
        assert!(refused.unwrap_err().contains("this explorer compiles at most 200000"));
        assert_eq!(json(addr, &format!("/api?module=contract&action=getabi&address={token}"))["status"], "0");

        // A source whose comments differ compiles to the same program: a partial match.
        let commented = json!({
            "language": "Solidity",
            "sources": { "Market.sol": { "content": format!("{MARKET}\n// published here\n") } },
            "settings": { "optimizer": { "enabled": true, "runs": 200 } },
        })
        .to_string();
        let guid = submit(addr, &[
            ("contractaddress", token_text.as_str()),
            ("codeformat", "solidity-standard-json-input"),
            ("contractname", "Market.sol:NamedToken"),
            ("compilerversion", SOLC),
            ("sourceCode", commented.as_str()),
        ])
        .expect("queued");
        assert_eq!(outcome(addr, &guid), ("1".to_string(), "Pass - Verified".to_string()));
        let tab = json(addr, &format!("/api/v1/address/{token}/contract"));
        assert_eq!(tab["verified"][0]["matched"], "partial", "{}", &tab.to_string()[..300]);
        let record = json(addr, &format!("/api?module=contract&action=getsourcecode&address={token}"))["result"][0].clone();
        assert_eq!(record["ContractName"], "NamedToken");
        assert_eq!(record["CompilerVersion"], SOLC);
        assert_eq!(record["ConstructorArguments"], constructor_args, "read from the creation");
        assert_eq!(record["EVMVersion"], "Default");
        assert_eq!(record["LicenseType"], "Apache-2.0");
        assert!(record["SourceCode"].as_str().unwrap().contains("published here"));

        // The exact source as one file: still partial, since the file's name (in the metadata)
        // is not the one it was compiled under; it is given back as it came.
        assert_eq!(single_file(addr, token, MARKET, &[]), ("1".to_string(), "Pass - Verified".to_string()));
        let tab = json(addr, &format!("/api/v1/address/{token}/contract"));
        assert_eq!(tab["verified"][0]["matched"], "partial", "{}", &tab.to_string()[..300]);
        let record = json(addr, &format!("/api?module=contract&action=getsourcecode&address={token}"))["result"][0].clone();
        assert_eq!(record["SourceCode"], MARKET, "a single file is given back as it came");

        // The exact source under its own name and settings: a full match, which replaces the
        // partial one.
        let exact = json!({
            "language": "Solidity",
            "sources": { "Market.sol": { "content": MARKET } },
            "settings": { "optimizer": { "enabled": true, "runs": 200 } },
        })
        .to_string();
        let guid = submit(addr, &[
            ("contractaddress", token_text.as_str()),
            ("codeformat", "solidity-standard-json-input"),
            ("contractname", "Market.sol:NamedToken"),
            ("compilerversion", SOLC),
            ("sourceCode", exact.as_str()),
        ])
        .expect("queued");
        assert_eq!(outcome(addr, &guid), ("1".to_string(), "Pass - Verified".to_string()));
        let tab = json(addr, &format!("/api/v1/address/{token}/contract"));
        assert_eq!(tab["verified"][0]["matched"], "full", "{}", &tab.to_string()[..300]);
        let abi = json(addr, &format!("/api?module=contract&action=getabi&address={token}"));
        let abi: Value = serde_json::from_str(abi["result"].as_str().unwrap()).unwrap();
        assert!(abi.as_array().unwrap().iter().any(|i| i["name"] == "burn"));
        let (_, _, page) = get(addr, &format!("/address/{token}/contract"));
        assert!(page.contains("NamedToken on domain 0") && page.contains("Verified (full match)"), "{page}");

        // Its calls and events are decoded, on the transaction page and in the address's list.
        let tx = json(addr, &format!("/api/v1/tx/{transfer}"));
        let input = &tx["decoded_input"];
        assert_eq!(input["signature"], "transfer(address,uint256)", "{tx}");
        assert_eq!(input["args"][0], json!({ "name": "to", "type": "address", "value": recipient.to_checksum(None), "indexed": false }));
        assert_eq!(input["args"][1]["value"], "1234");
        let event = &tx["logs"][0]["decoded"];
        assert_eq!(event["name"], "Transfer", "{tx}");
        let named: Vec<(&str, bool)> = event["args"].as_array().unwrap().iter().map(|a| (a["name"].as_str().unwrap(), a["indexed"].as_bool().unwrap())).collect();
        assert_eq!(named, [("from", true), ("to", true), ("value", false)]);
        assert_eq!(event["args"][0]["value"], sender.to_checksum(None));
        let (_, _, page) = get(addr, &format!("/tx/{transfer}"));
        assert!(page.contains("transfer(address,uint256)") && page.contains("Transfer(address,address,uint256)"), "{page}");
        assert!(page.contains("<td class=\"mono wrap\">1234</td>"), "{page}");
        let (_, _, page) = get(addr, &format!("/address/{sender}"));
        assert!(page.contains("<td class=\"method\">transfer</td>"), "{page}");
        let list = json(addr, &format!("/api?module=account&action=txlist&address={sender}&sort=desc"));
        let call = &list["result"][0];
        assert_eq!(call["hash"], transfer.as_str());
        assert_eq!(call["methodId"], "0xa9059cbb");
        assert_eq!(call["functionName"], "transfer(address to, uint256 value)");
        assert_eq!(list["result"][1]["functionName"], "", "a creation calls no function");
        // The Contract tab lists its latest events, decoded: the transfer, then the mint.
        let tab = json(addr, &format!("/api/v1/address/{token}/contract"));
        let events = tab["verified"][0]["latest_events"].as_array().unwrap().clone();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0]["tx_hash"], transfer.as_str());
        assert_eq!(events[0]["decoded"]["args"][2], json!({ "name": "value", "type": "uint256", "value": "1234", "indexed": false }));
        assert_eq!(events[1]["decoded"]["args"][0]["value"], Address::ZERO.to_checksum(None));
        let (_, _, page) = get(addr, &format!("/address/{token}/contract"));
        assert!(page.contains("<td class=\"event-name\">Transfer</td>"), "{page}");

        // The form: the same verification from a browser, and its status page.
        let (status, _, form) = get(addr, &format!("/verify?address={token}"));
        assert_eq!(status, 200);
        assert!(form.contains("name=\"sourceCode\"") && form.contains(&token_text), "{form}");
        let (status, head, _) = post(addr, "/verify", &[
            ("address", token_text.as_str()),
            ("codeformat", "solidity-single-file"),
            ("contractname", "NamedToken"),
            ("optimizationUsed", "1"),
            ("runs", "200"),
            ("sourceCode", MARKET),
        ]);
        assert_eq!(status, 303, "{head}");
        let location = head.lines().find_map(|l| l.strip_prefix("location: ")).expect("location");
        let guid = location.trim().strip_prefix("/verify/").expect("status page").to_string();
        outcome(addr, &guid);
        let (status, _, page) = get(addr, &format!("/verify/{guid}"));
        assert_eq!(status, 200);
        assert!(page.contains("Pass - Verified"), "{page}");
        assert_eq!(json(addr, &format!("/api/v1/verify/{guid}"))["status"], "pass");
        let (status, _, page) = post(addr, "/verify", &[("address", "0x12"), ("codeformat", "solidity-single-file"), ("contractname", "A"), ("sourceCode", "x")]);
        assert_eq!(status, 400);
        assert!(page.contains("That is not an address."), "{page}");
        assert_eq!(get(addr, "/verify/nosuchrequest").0, 404);

        // One compilation at a time, and a short queue: a burst is partly refused, not queued
        // without bound.
        let refusals = (0..4)
            .map(|_| submit(addr, &[
                ("contractaddress", token_text.as_str()),
                ("codeformat", "solidity-single-file"),
                ("contractname", "NamedToken"),
                ("optimizationUsed", "1"),
                ("sourceCode", MARKET),
            ]))
            .filter_map(Result::err)
            .collect::<Vec<_>>();
        assert!(!refusals.is_empty(), "a queue of one took a burst of four");
        assert!(refusals.iter().all(|r| r.contains("too many verification requests")), "{refusals:?}");
    })
    .await
    .expect("verification checks");
    explorer.stop();
}

/// A compilation past its time limit is stopped (the child process killed) and says so.
#[tokio::test]
async fn a_compilation_past_its_time_limit_is_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake_node = dir.path().join("node");
    std::fs::write(&fake_node, "#!/bin/sh\nexec sleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake_node, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    let compiler = Compiler::new(&VerifyConfig {
        node: fake_node,
        solc: dir.path().to_path_buf(),
        timeout_secs: 1,
        ..Default::default()
    });
    let started = Instant::now();
    let result = compiler.compile(&json!({})).await;
    assert!(matches!(result, Err(VerifyError::Timeout(1))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let missing =
        Compiler::new(&VerifyConfig { solc: dir.path().join("nothing"), ..Default::default() });
    let result = missing.version().await;
    assert!(
        matches!(result, Err(VerifyError::CompilerUnavailable(ref m)) if m.contains("npm ci --prefix contracts")),
        "{result:?}"
    );
}
