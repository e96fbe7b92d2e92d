//! The explorer over a real index of a real node: pages, escaping, 404s, search, the JSON API
//! and the Etherscan-compatible API.

// The chain-building helpers are the indexer tests' own, shared rather than copied.
#[path = "../../../indexer/tests/it/common.rs"]
#[allow(dead_code)]
mod common;
mod holders;
mod limits;
mod lists;
mod more_api;
mod verify;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
};

use alloy_primitives::Address;
use common::*;
use sec_explorer::{Explorer, ExplorerConfig, format::utc};
use sec_indexer::Database;
use serde_json::Value;

/// One raw HTTP/1.1 exchange on a fresh connection: the status, the head as sent, and the body
/// (de-chunked).
fn exchange(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head.split(' ').nth(1).expect("status").parse().expect("code");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

/// PostgreSQL's expression for the integer expression `e` as `bytes` big-endian bytes: how the
/// depth tests fill tables with `generate_series` (hashes, addresses, amounts).
fn pg_bytes(e: &str, bytes: u32) -> String {
    format!("decode(lpad(to_hex({e}), {}, '0'), 'hex')", bytes * 2)
}

/// A GET of `path`: status, head (lowercased, for matching headers) and body.
fn fetch(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let (status, head, body) = exchange(addr, &request);
    (status, head.to_ascii_lowercase(), body)
}

/// A plain HTTP/1.1 GET: status, Location header (as sent), body.
fn get(addr: SocketAddr, path: &str) -> (u16, Option<String>, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let (status, head, body) = exchange(addr, &request);
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .map(String::from);
    (status, location, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

fn json(addr: SocketAddr, path: &str) -> Value {
    let (status, _, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The same pages and APIs, over SQLite and over PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_apis_and_escaping_over_a_real_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 2).await;
    let built = build_chain(&node).await;
    let db_path = dir.path().join("index.db");
    let sqlite = Database::connect(db_path.to_str().unwrap(), 4).await.expect("db");
    index(&node, &sqlite, 1_000).await;
    check_pages(&node, &built, sqlite).await;
    let postgres = fresh_postgres("sec_explorer_pages", 4).await;
    index(&node, &postgres, 1_000).await;
    check_pages(&node, &built, postgres).await;
    node.shutdown().await;
}

async fn check_pages(node: &sec_sequencer::Node, built: &Built, db: Database) {
    // The home page read on every view, so that the checks below see each change at once.
    let config = ExplorerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        home_cache_ms: 0,
        ..Default::default()
    };
    let explorer = Explorer::start(config, db.clone()).await.expect("explorer");
    let addr = explorer.addr();
    let d0 = Sender::new(node, 0);
    let (a, b) = (built.holders[0], built.holders[1]);
    let (token, split_tx) = (built.token, built.split_tx);

    tokio::task::spawn_blocking(move || {
        // Home: both domains.
        let (status, _, home) = get(addr, "/");
        assert_eq!(status, 200);
        assert!(home.contains("Domain 0") && home.contains("Domain 1"), "{home}");
        assert!(!home.contains("id=\"indexing\""), "the bulk load has finished: {home}");

        // The hostile token name is shown as text, never as markup.
        let token_path = format!("/token/0/{}", token);
        let (status, _, page) = get(addr, &token_path);
        assert_eq!(status, 200);
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(!page.contains("<script>alert(1)</script>"));
        assert!(page.contains("<td>0.995</td>"), "supply after the burn, 6 decimals: {page}");
        for path in [format!("/address/{b}"), "/tokens".to_string()] {
            let (_, _, page) = get(addr, &path);
            assert!(!page.contains("<script>alert"), "{path} shows the name as markup");
        }

        // Transaction page: internal transfers of the split.
        let (status, _, tx) = get(addr, &format!("/tx/{}", split_tx));
        assert_eq!(status, 200);
        // Copy buttons beside the hash and the addresses, worked by a script of this origin.
        let button = |v: &str| format!("<button type=\"button\" class=\"copy\" data-copy=\"{v}\"");
        assert!(tx.contains(&button(&split_tx.to_string())), "{tx}");
        assert!(tx.contains(&button(&a.to_checksum(None))), "{tx}");
        assert!(tx.contains("<script src=\"/static/copy.js\" defer></script>"), "{tx}");
        let (_, _, page) = get(addr, &format!("/address/{b}"));
        assert!(page.contains(&button(&b.to_checksum(None))), "{page}");
        let (_, _, page) = get(addr, "/block/0/1");
        let hash = json(addr, "/api/v1/block/0/1")["hash"].as_str().unwrap().to_string();
        assert!(page.contains(&button(&hash)), "{page}");
        let (status, head, script) = fetch(addr, "/static/copy.js");
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/javascript"), "{head}");
        assert!(script.contains("navigator.clipboard") && script.contains("data-copy"));
        // The CSP allows no inline script: none in the pages, no handler attributes.
        for page in [&tx, &page] {
            for at in page.match_indices("<script").map(|(at, _)| at) {
                assert!(page[at..].starts_with("<script src=\"/static/"), "{page}");
            }
            assert!(!page.contains(" onclick="), "{page}");
        }
        assert!(tx.contains("Success") && tx.matches("CALL").count() >= 2, "{tx}");

        // Address page: balances in both domains.
        let (status, _, page) = get(addr, &format!("/address/{b}"));
        assert_eq!(status, 200);
        assert!(page.contains("XSS") && page.contains("CLT"), "{page}");

        // The bridge page lists the withdrawal; the transaction page of the message shows it.
        let (status, _, page) = get(addr, "/bridge");
        assert_eq!(status, 200);
        assert!(page.contains("initiated") && page.contains("Ethereum"), "{page}");
        let bridge = json(addr, "/api/v1/bridge");
        assert_eq!(bridge["withdrawals"].as_array().unwrap().len(), 1);
        assert_eq!(bridge["messages"].as_array().unwrap().len(), 2);
        let message = bridge["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["source"] == "domain 0")
            .expect("the 0 -> 1 message")
            .clone();
        assert_eq!(message["status"], "delivered", "domain 1 delivered it: {message}");
        let message_tx = message["tx_hash"].as_str().unwrap().to_string();
        let (_, _, page) = get(addr, &format!("/tx/{message_tx}"));
        assert!(page.contains("domain 0 → domain 1"), "{page}");
        // CrossDomain is verified out of the box: the call and its event read by name.
        let sent = json(addr, &format!("/api/v1/tx/{message_tx}"));
        assert_eq!(sent["decoded_input"]["signature"], "send(uint32,address,bytes)", "{sent}");
        assert_eq!(sent["decoded_input"]["args"][0]["name"], "dstDomain");
        assert_eq!(sent["decoded_input"]["args"][0]["value"], "1");
        assert_eq!(sent["decoded_input"]["args"][2]["value"], "0x1234");
        assert!(sent["logs"][0]["decoded"]["name"].is_string(), "{sent}");

        assert_eq!(get(addr, "/checkpoints").0, 200);
        assert_eq!(get(addr, "/validators").0, 200);
        assert_eq!(json(addr, "/api/v1/validators")["validators"].as_array().unwrap().len(), 0);
        let domains = json(addr, "/api/v1/domains");
        assert_eq!(domains["domains"][1]["chain_id"], 53501);
        // three sent to domain 1, and the system transaction that delivered domain 0's message
        assert_eq!(domains["domains"][1]["transactions"], 4);
        assert_eq!(get(addr, "/domains").0, 200);
        check_charts(addr, &domains);
        assert_eq!(json(addr, "/api/v1/checkpoints")["checkpoints"].as_array().unwrap().len(), 0);
        // The lists paged by cursor refuse a cursor that is not one, naming the parameter, on
        // the pages and in the API; a well-formed one past the end gives an empty page.
        let token_page = format!("/token/0/{token}");
        for (path, parameter) in [
            ("/checkpoints?before=-1".to_string(), "before"),
            ("/tokens?after=0.1".to_string(), "after"),
            ("/tokens?after=0.1.nothex".to_string(), "after"),
            ("/bridge?deposits_before=x".to_string(), "deposits_before"),
            ("/bridge?withdrawals_before=1.2".to_string(), "withdrawals_before"),
            (format!("{token_page}?transfers_before=1.2.3.4"), "transfers_before"),
            // Page numbers, which these lists once took: refused, naming the cursor to use.
            ("/checkpoints?page=2".to_string(), "page"),
            ("/tokens?page=2".to_string(), "page"),
            ("/bridge?page=2".to_string(), "page"),
            (format!("{token_page}?page=2"), "page"),
        ] {
            let (status, _, body) = get(addr, &path);
            assert_eq!(status, 400, "{path}");
            assert!(body.contains(&format!("{parameter}: ")), "{path}: {body}");
            let api = fetch(addr, &format!("/api/v1{path}"));
            assert_eq!(api.0, 400, "{path}");
            assert!(api.2.contains(&format!("{parameter}: ")), "{path}: {}", api.2);
        }
        let past =
            json(addr, "/api/v1/tokens?after=99.0.0x0000000000000000000000000000000000000000");
        assert_eq!(past["tokens"].as_array().map(Vec::len), Some(0), "{past}");
        assert!(past["page"]["next"].is_null() && past["page"]["first"] == false, "{past}");
        let tokens = json(addr, "/api/v1/tokens");
        assert!(tokens["page"]["first"] == true && tokens["page"]["next"].is_null(), "{tokens}");
        let transfers = json(addr, &format!("/api/v1{token_page}?transfers_before=1.0.0"));
        assert_eq!(transfers["transfers"].as_array().map(Vec::len), Some(0), "{transfers}");

        // Block pages, and 404s for unknown things.
        assert_eq!(get(addr, "/block/0/1").0, 200);
        assert_eq!(get(addr, "/block/0/99999").0, 404);
        assert_eq!(get(addr, "/block/x/y").0, 404);
        assert_eq!(get(addr, &format!("/tx/0x{}", "ab".repeat(32))).0, 404);
        assert_eq!(get(addr, "/tx/nothex").0, 404);
        assert_eq!(get(addr, "/no/such/page").0, 404);
        assert_eq!(get(addr, &format!("/token/0/{}", Address::repeat_byte(9))).0, 404);

        // Search: by symbol, by transaction hash, by address, by block number.
        let (status, location, _) = get(addr, "/search?q=xss");
        assert!(status == 303 || status == 307 || status == 302, "{status}");
        assert_eq!(location.as_deref(), Some(token_path.as_str()));
        let (_, location, _) = get(addr, &format!("/search?q={}", split_tx));
        assert_eq!(location, Some(format!("/tx/{}", split_tx)));
        let (_, location, _) = get(addr, &format!("/search?q={a}"));
        assert_eq!(location, Some(format!("/address/{a}")));
        let (status, _, hits) = get(addr, "/search?q=1");
        assert_eq!(status, 200);
        assert!(
            hits.contains("block 1 of domain 0") && hits.contains("block 1 of domain 1"),
            "{hits}"
        );

        // Address pages: all of A's token transfers on the first page, no next one.
        let first = json(addr, &format!("/api/v1/address/{a}"));
        assert_eq!(first["token_transfers"].as_array().unwrap().len(), 5, "{first}");
        assert!(first["transfers_next"].is_null() && first["transfers_newest"] == true, "{first}");

        // The latest transactions and blocks over a real index: the split is among domain 0's,
        // and every domain's blocks are listed.
        let txs = json(addr, "/api/v1/txs?domain=0&limit=100");
        let listed = txs["transactions"].as_array().unwrap();
        assert!(listed.iter().any(|t| t["hash"] == split_tx.to_string()), "{txs}");
        assert!(txs["next"].is_null(), "{txs}");
        let blocks = json(addr, "/api/v1/blocks?limit=100");
        let domains: std::collections::HashSet<i64> = blocks["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["domain"].as_i64().unwrap())
            .collect();
        assert_eq!(domains.len(), 2, "{blocks}");
        let (status, _, page) = get(addr, "/txs?domain=0&limit=100");
        assert_eq!(status, 200);
        assert!(page.contains(&split_tx.to_string()[..18]), "{page}");

        // JSON API and its description.
        let tx = json(addr, &format!("/api/v1/tx/{}", split_tx));
        assert_eq!(tx["success"], true);
        assert_eq!(tx["internal_transfers"].as_array().unwrap().len(), 2);
        assert_eq!(json(addr, "/api/v1/openapi.json")["openapi"], "3.0.3");
        assert_eq!(get(addr, "/api/v1/block/0/99999").0, 404);
        assert_eq!(get(addr, "/api/v1/address/0x12").0, 400);
    })
    .await
    .expect("page checks");

    // Etherscan-compatible API, against what the node says.
    let balance = json(addr, &format!("/api?module=account&action=balance&address={b}&tag=latest"));
    assert_eq!(balance["status"], "1");
    assert_eq!(balance["result"], d0.balance(b).await.to_string());
    let tb = json(
        addr,
        &format!(
            "/api?module=account&action=tokenbalance&contractaddress={}&address={b}",
            built.token
        ),
    );
    assert_eq!(tb["result"], d0.token_balance(built.token, b).await.to_string());
    let list = json(addr, &format!("/api?module=account&action=txlist&address={a}&sort=asc"));
    assert_eq!(list["result"].as_array().unwrap().len(), 11, "{list}");
    assert_eq!(
        list["result"][0]["contractAddress"].as_str().unwrap().to_lowercase(),
        built.token.to_string().to_lowercase()
    );
    let d1 = json(addr, &format!("/api?module=account&action=txlist&address={a}&chainid=53501"));
    assert_eq!(d1["result"].as_array().unwrap().len(), 1);
    let tt =
        json(addr, &format!("/api?module=account&action=tokentx&contractaddress={}", built.token));
    assert_eq!(tt["result"].as_array().unwrap().len(), 4);
    assert_eq!(tt["result"][0]["tokenSymbol"], "XSS");
    // By address: each of A's transfers once, sent or received, in block order; descending
    // the reverse; a page of one the row at its place; with the contract too, the same rows.
    let by_a = json(addr, &format!("/api?module=account&action=tokentx&address={a}"));
    let rows = by_a["result"].as_array().unwrap().clone();
    let me = format!("{a:#x}");
    assert!(!rows.is_empty(), "{by_a}");
    for r in &rows {
        assert!(r["from"] == me.as_str() || r["to"] == me.as_str(), "{r}");
        assert_eq!(r["tokenDecimal"], "6", "{r}");
    }
    let key = |r: &Value| {
        (r["blockNumber"].as_str().unwrap().parse::<i64>().unwrap(), r["hash"].to_string())
    };
    let mut sorted = rows.clone();
    sorted.sort_by_key(key);
    assert_eq!(rows, sorted, "block order");
    let desc = json(addr, &format!("/api?module=account&action=tokentx&address={a}&sort=desc"));
    let mut reversed = rows.clone();
    reversed.reverse();
    assert_eq!(desc["result"].as_array().unwrap(), &reversed);
    let page =
        json(addr, &format!("/api?module=account&action=tokentx&address={a}&page=2&offset=1"));
    assert_eq!(page["result"].as_array().unwrap(), &rows[1..2]);
    let both = json(
        addr,
        &format!("/api?module=account&action=tokentx&address={a}&contractaddress={}", built.token),
    );
    assert_eq!(both["result"].as_array().unwrap(), &rows);
    check_nfts(addr, built);
    let failed =
        list["result"].as_array().unwrap().iter().find(|t| t["isError"] == "1").expect("failed tx");
    let status = json(
        addr,
        &format!(
            "/api?module=transaction&action=gettxreceiptstatus&txhash={}",
            failed["hash"].as_str().unwrap()
        ),
    );
    assert_eq!(status["result"]["status"], "0");
    let by_time = json(
        addr,
        "/api?module=block&action=getblocknumberbytime&timestamp=1700000000&closest=before",
    );
    assert_eq!(by_time["result"], "0");
    let logs = json(
        addr,
        &format!(
            "/api?module=logs&action=getLogs&address={}&fromBlock=0&toBlock=99999",
            built.token
        ),
    );
    assert_eq!(logs["result"].as_array().unwrap().len(), 4);
    let info =
        json(addr, &format!("/api?module=token&action=tokeninfo&contractaddress={}", built.token));
    assert_eq!(info["result"][0]["divisor"], "6");
    let supply = json(
        addr,
        &format!("/api?module=stats&action=tokensupply&contractaddress={}", built.token),
    );
    assert_eq!(supply["result"], "995000");
    let bad = json(addr, "/api?module=account&action=balance&address=0x12");
    assert_eq!(bad["status"], "0");
    assert_eq!(bad["message"], "NOTOK");
    let unknown = json(addr, "/api?module=nope&action=nope");
    assert_eq!(unknown["status"], "0");

    // Paging past the result window, however large the numbers, is refused as Etherscan
    // refuses it; a number too large to be one is an invalid parameter; an offset above the
    // most a page holds is cut to it.
    let window =
        "Result window is too large, PageNo x Offset size must be less than or equal to 10000";
    for query in [
        format!("module=account&action=txlist&address={a}&page=9223372036854775807&offset=10000"),
        format!("module=account&action=txlist&address={a}&page=3&offset=5000"),
        format!("module=account&action=tokentx&address={a}&page=4611686018427387904&offset=4"),
        format!("module=logs&action=getLogs&address={}&page=11&offset=1000", built.token),
        format!(
            "module=logs&action=getLogs&address={}&page=9223372036854775807&offset=2",
            built.token
        ),
    ] {
        let refused = json(addr, &format!("/api?{query}"));
        assert_eq!(refused["status"], "0", "{query}: {refused}");
        assert_eq!(refused["message"], "NOTOK", "{query}: {refused}");
        assert_eq!(refused["result"], window, "{query}: {refused}");
    }
    let huge = json(
        addr,
        &format!("/api?module=account&action=txlist&address={a}&page=99999999999999999999"),
    );
    assert_eq!((huge["status"].as_str(), huge["message"].as_str()), (Some("0"), Some("NOTOK")));
    let cut = json(
        addr,
        &format!("/api?module=logs&action=getLogs&address={}&page=1&offset=1000000", built.token),
    );
    assert_eq!(cut["result"].as_array().unwrap().len(), 4, "{cut}");
    let second = json(
        addr,
        &format!("/api?module=logs&action=getLogs&address={}&page=2&offset=3", built.token),
    );
    assert_eq!(second["result"].as_array().unwrap().len(), 1, "{second}");
    more_api::check(addr, built, &d0).await;

    // Once Ethereum pays the withdrawal (the L1 follower records it), its message reads
    // finalized too, not "sent" forever.
    let bridge = json(addr, "/api/v1/bridge");
    let hash = bridge["withdrawals"][0]["withdrawal_hash"].as_str().unwrap().to_string();
    let to_l1 = |b: &Value| -> Value {
        b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["target"] == "Ethereum")
            .unwrap()
            .clone()
    };
    assert_eq!(to_l1(&bridge)["status"], "sent");
    let raw = alloy_primitives::hex::decode(&hash).unwrap();
    sqlx::query(
        "INSERT INTO withdrawal_finalizations (withdrawal_hash, checkpoint_id, recipient, token, \
         amount, paid, l1_block, l1_tx_hash) VALUES ($1, 1, $2, $2, $2, 1, 7, $1)",
    )
    .bind(raw.clone())
    .bind(vec![0u8; 20])
    .execute(db.pool())
    .await
    .expect("insert");
    let bridge = json(addr, "/api/v1/bridge");
    assert_eq!(to_l1(&bridge)["status"], "finalized", "{bridge}");
    assert_eq!(bridge["withdrawals"][0]["stage"], "finalized");
    sqlx::query("DELETE FROM withdrawal_finalizations WHERE withdrawal_hash = $1")
        .bind(raw)
        .execute(db.pool())
        .await
        .expect("delete");

    // While a bulk load has indexes to build, the home page says so. An explorer that keeps
    // the home page (`home_cache_ms`) shows the change once that time has passed, on the page
    // and in the API alike.
    let kept = ExplorerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        home_cache_ms: 4_000,
        ..Default::default()
    };
    let kept = Explorer::start(kept, db.clone()).await.expect("explorer");
    assert_eq!(json(addr, "/api/v1/home")["indexes_building"], 0);
    assert_eq!(json(kept.addr(), "/api/v1/home")["indexes_building"], 0);
    assert!(!get(kept.addr(), "/").2.contains("id=\"indexing\""));
    sqlx::query("INSERT INTO deferred_indexes (name) VALUES ('transactions_by_hash')")
        .execute(db.pool())
        .await
        .expect("insert");
    assert_eq!(json(addr, "/api/v1/home")["indexes_building"], 1);
    let (_, _, home) = get(addr, "/");
    assert!(home.contains("id=\"indexing\"") && home.contains("(1 left)"), "{home}");
    assert_eq!(json(kept.addr(), "/api/v1/home")["indexes_building"], 0, "kept");
    assert!(!get(kept.addr(), "/").2.contains("id=\"indexing\""), "kept");
    tokio::time::sleep(std::time::Duration::from_millis(4_100)).await;
    assert_eq!(json(kept.addr(), "/api/v1/home")["indexes_building"], 1);
    assert!(get(kept.addr(), "/").2.contains("(1 left)"));
    kept.stop();

    // The indexer has just reported: the index is current. An hour without word, and the
    // home page says it may be out of date; a node ahead of an index whose latest block is an
    // hour old, and it says how far behind.
    assert!(json(addr, "/api/v1/home")["stale"].is_null());
    assert!(!get(addr, "/").2.contains("id=\"stale\""));
    sqlx::query("UPDATE indexer_status SET checked_at = checked_at - 3600")
        .execute(db.pool())
        .await
        .expect("update");
    let stale = json(addr, "/api/v1/home")["stale"].as_str().unwrap_or_default().to_string();
    assert!(stale.contains("last reported 1 h ago"), "{stale}");
    let (_, _, home) = get(addr, "/");
    assert!(home.contains("id=\"stale\"") && home.contains("last reported 1 h ago"), "{home}");
    sqlx::query(
        "UPDATE indexer_status SET checked_at = checked_at + 3600, node_head = node_head + 50",
    )
    .execute(db.pool())
    .await
    .expect("update");
    sqlx::query("UPDATE blocks SET timestamp = timestamp - 3600")
        .execute(db.pool())
        .await
        .expect("update");
    let stale = json(addr, "/api/v1/home")["stale"].as_str().unwrap_or_default().to_string();
    assert!(stale.contains("Domain 0 is indexed to block"), "{stale}");
    explorer.stop();
}

/// What comes from Ethereum: the bridge page lists deposits, the validators page the validator
/// with its stake and delegator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereum_side_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l1 = L1Chain::start(&dir.path().join("l1")).await;
    let to = dev_key(1).address();
    sec_bridge::deposit::deposit_eth(
        &l1.client,
        l1.deployment.addresses.l1_bridge,
        1,
        to,
        ether(2),
    )
    .await
    .expect("deposit");
    l1.register_and_delegate(ether(200)).await;
    let node = start_node(&dir.path().join("l2"), 2).await;
    let db = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    let mut config = index_config(&node, "unused", 1_000);
    config.ethereum = Some(l1.ethereum_config());
    sec_indexer::run(config.clone(), db.clone()).await.expect("indexing succeeds");
    let owner = l1.client.address();
    let contracts = l1.deployment.addresses;
    check_ethereum_pages(db, to, owner, contracts).await;
    let postgres = fresh_postgres("sec_explorer_ethereum", 4).await;
    sec_indexer::run(config, postgres.clone()).await.expect("indexing succeeds");
    check_ethereum_pages(postgres, to, owner, contracts).await;
    node.shutdown().await;
    l1.node.shutdown().await;
}

async fn check_ethereum_pages(
    db: Database,
    to: Address,
    owner: Address,
    contracts: sec_contracts::L1Addresses,
) {
    let explorer = Explorer::start(
        ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() },
        db,
    )
    .await
    .expect("explorer");
    let addr = explorer.addr();
    tokio::task::spawn_blocking(move || {
        let bridge = json(addr, "/api/v1/bridge");
        assert_eq!(bridge["deposits"][0]["asset"], "ETH");
        assert_eq!(bridge["deposits"][0]["amount"], "2");
        assert_eq!(bridge["deposits"][0]["domain"], 1);
        let (_, _, page) = get(addr, "/bridge");
        assert!(page.contains(&to.to_checksum(None)), "{page}");
        let validators = json(addr, "/api/v1/validators");
        let v = &validators["validators"][0];
        assert_eq!(v["address"], owner.to_checksum(None));
        assert_eq!(v["delegators"], 1);
        assert_eq!(v["commission"], "7.50 %");
        let (_, _, page) = get(addr, "/validators");
        assert!(page.contains("7.50 %") && page.contains("active"), "{page}");
        // The SEC page: six allocations, the angel tranche released, a vesting chart.
        let sec = json(addr, "/api/v1/sec");
        assert_eq!(sec["allocations"].as_array().unwrap().len(), 6);
        assert_eq!(sec["released"], "52,500,000");
        assert!(sec["chart_path"].as_str().unwrap().contains(" V "), "{sec}");
        let (status, _, page) = get(addr, "/sec");
        assert_eq!(status, 200);
        assert!(
            page.contains("<svg class=\"vesting\"") && page.contains("governance-controlled"),
            "{page}"
        );
        // The SEC contracts on Ethereum are verified out of the box (immutables and all).
        for (a, name) in [
            (contracts.l1_bridge, "L1Bridge"),
            (contracts.checkpoint_manager, "CheckpointManager"),
            (contracts.stake_manager, "StakeManager"),
            (contracts.token, "SECToken"),
            (contracts.angel_vault, "VestingVault"),
            (contracts.presale, "Presale"),
            (contracts.business_reserve, "TimelockedReserve"),
        ] {
            let tab = json(addr, &format!("/api/v1/address/{a}/contract"));
            let v = &tab["verified"][0];
            assert_eq!(
                (v["name"].as_str(), v["where_"].as_str(), v["matched"].as_str()),
                (Some(name), Some("Ethereum"), Some("full")),
                "{a}"
            );
        }
        let (_, _, page) = get(addr, &format!("/address/{}/contract", contracts.l1_bridge));
        assert!(page.contains("L1Bridge on Ethereum") && page.contains("contract L1Bridge"));
    })
    .await
    .expect("page checks");
    explorer.stop();
}

/// The charts: every block of the index counted in its day, of every domain and of one.
fn check_charts(addr: SocketAddr, domains: &Value) {
    // Every block, walked from the list: (day, transactions, gas).
    let mut walked = Vec::new();
    let mut path = "/api/v1/blocks?limit=100".to_string();
    loop {
        let page = json(addr, &path);
        for b in page["blocks"].as_array().expect("blocks") {
            let day = b["timestamp"].as_i64().expect("time") / 86_400;
            walked.push((
                day,
                b["tx_count"].as_i64().expect("count"),
                b["gas_used"].as_i64().unwrap(),
            ));
        }
        let Some(next) = page["next"].as_str() else { break };
        path = format!("/api/v1/blocks?limit=100&before={next}");
    }
    let total: i64 = domains["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["transactions"].as_i64().unwrap())
        .sum();
    assert_eq!(walked.iter().map(|b| b.1).sum::<i64>(), total);
    // The charts' 30 days end on the latest block's (genesis blocks may be older).
    let last = walked.iter().map(|b| b.0).max().expect("blocks");
    let shown: Vec<_> = walked.iter().filter(|b| b.0 > last - 30).collect();
    let blocks = shown.len() as i64;
    let txs: i64 = shown.iter().map(|b| b.1).sum();
    let gas: i64 = shown.iter().map(|b| b.2).sum();
    assert!(txs > 0);
    let charts = json(addr, "/api/v1/charts");
    let days = charts["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    assert_eq!(charts["total_transactions"], txs);
    assert_eq!(charts["total_gas_used"], gas);
    let day_blocks: i64 = days.iter().map(|d| d["blocks"].as_i64().unwrap()).sum();
    assert_eq!(day_blocks, blocks);
    let today = days.last().unwrap();
    assert!(today["transactions"].as_i64().unwrap() > 0, "{today}");
    let busiest = days.iter().map(|d| d["transactions"].as_i64().unwrap()).max().unwrap();
    assert_eq!(charts["max_transactions"], busiest);
    let tallest = days.iter().find(|d| d["transactions"] == busiest).unwrap();
    assert_eq!((tallest["tx_height"].as_f64(), tallest["tx_y"].as_f64()), (Some(200.0), Some(0.0)));
    let one = json(addr, "/api/v1/charts?domain=1&days=7");
    assert_eq!(one["days"].as_array().map(Vec::len), Some(7));
    assert_eq!(one["total_transactions"], domains["domains"][1]["transactions"]);

    let (status, _, page) = get(addr, "/charts");
    assert_eq!(status, 200);
    assert!(page.contains("<a href=\"/charts\">Charts</a>"), "linked from the navigation");
    for chart in ["activity-chart transactions", "activity-chart gas"] {
        let svg = page.split(&format!("<svg class=\"{chart}\"")).nth(1).expect(chart);
        let svg = &svg[..svg.find("</svg>").expect("end")];
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 30, "{chart}");
    }
    let date = today["date"].as_str().unwrap();
    assert!(page.contains(&format!("<title>{date}: {} transactions in ", today["transactions"])));
    for bad in ["/api/v1/charts?days=0", "/api/v1/charts?days=400", "/api/v1/charts?domain=x"] {
        let (status, _, body) = get(addr, bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(get(addr, "/charts?days=abc").0, 400);
}

/// The collectible's inventory (id 7, minted to A and sent to B) on its token page and in the
/// API, and its transfers in the Etherscan API's tokennfttx, by address and by contract.
fn check_nfts(addr: SocketAddr, built: &Built) {
    let (a, b, c) = (built.holders[0], built.holders[1], built.holders[2]);
    let nft = built.collectible;
    let inventory = json(addr, &format!("/api/v1/token/0/{nft}/inventory"));
    assert_eq!(inventory["items"].as_array().map(Vec::len), Some(1), "{inventory}");
    assert_eq!(inventory["items"][0]["token_id"], "7");
    assert_eq!(inventory["items"][0]["owner"], b.to_checksum(None));
    assert!(inventory["next"].is_null());
    assert_eq!(inventory["token"]["kind"], "ERC-721");
    let (status, _, page) = get(addr, &format!("/token/0/{nft}"));
    assert_eq!(status, 200);
    let table = page.split("<table class=\"inventory\">").nth(1).expect("inventory: {page}");
    let table = &table[..table.find("</table>").expect("end")];
    assert!(table.contains(">7</td>") && table.contains(&b.to_checksum(None)), "{table}");
    // Not an NFT: no inventory.
    let erc20 = json(addr, &format!("/api/v1/token/0/{}/inventory", built.token));
    assert_eq!(erc20["items"].as_array().map(Vec::len), Some(0));

    let lower = |x: Address| x.to_string().to_lowercase();
    let nfttx = |query: &str| json(addr, &format!("/api?module=account&action=tokennfttx&{query}"));
    let of_a = nfttx(&format!("address={a}"));
    let rows = of_a["result"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "the mint and the transfer: {of_a}");
    let (mint, sent) = (&rows[0], &rows[1]);
    assert_eq!(mint["from"], lower(Address::ZERO));
    assert_eq!(mint["to"], lower(a));
    assert_eq!((&sent["from"], &sent["to"]), (&lower(a).into(), &lower(b).into()));
    for row in rows {
        assert_eq!(row["contractAddress"], lower(nft));
        assert_eq!(row["tokenID"], "7");
        assert_eq!(row["tokenName"], "Collectible");
        assert_eq!(row["tokenSymbol"], "CLT");
        assert_eq!(row["tokenDecimal"], "0");
        assert_eq!(row["input"], "deprecated");
        for field in [
            "blockNumber",
            "timeStamp",
            "nonce",
            "gas",
            "gasPrice",
            "gasUsed",
            "cumulativeGasUsed",
            "transactionIndex",
            "confirmations",
        ] {
            let text = row[field].as_str().unwrap_or_else(|| panic!("{field}: {row}"));
            assert!(text.parse::<u64>().is_ok(), "{field}: {row}");
        }
        assert_eq!(row["hash"].as_str().map(str::len), Some(66));
        assert_eq!(row["blockHash"].as_str().map(str::len), Some(66));
        assert_eq!(row["methodId"].as_str().map(str::len), Some(10));
    }
    let mint_block: u64 = mint["blockNumber"].as_str().unwrap().parse().unwrap();
    let sent_block: u64 = sent["blockNumber"].as_str().unwrap().parse().unwrap();
    assert!(mint_block < sent_block);
    let desc = nfttx(&format!("address={a}&sort=desc"));
    assert_eq!(desc["result"][0], *sent);
    assert_eq!(desc["result"][1], *mint);
    assert_eq!(nfttx(&format!("address={b}"))["result"], serde_json::json!([sent]));
    assert_eq!(nfttx(&format!("contractaddress={nft}"))["result"], serde_json::json!([mint, sent]));
    assert_eq!(
        nfttx(&format!("contractaddress={nft}&address={b}"))["result"],
        serde_json::json!([sent])
    );
    let paged = nfttx(&format!("contractaddress={nft}&page=2&offset=1"));
    assert_eq!(paged["result"], serde_json::json!([sent]));
    let range = nfttx(&format!("address={a}&startblock={sent_block}&endblock={sent_block}"));
    assert_eq!(range["result"], serde_json::json!([sent]));
    // C only moved the ERC-20; ERC-1155 transfers there are none of.
    for query in
        [format!("action=tokennfttx&address={c}"), format!("action=token1155tx&address={a}")]
    {
        let none = json(addr, &format!("/api?module=account&{query}"));
        assert_eq!(
            (&none["status"], &none["message"]),
            (&"0".into(), &"No transactions found".into())
        );
    }
    let missing = json(addr, "/api?module=account&action=tokennfttx");
    assert_eq!(missing["result"], "Error! Missing address or contractaddress");
}

/// The home page (every view, and every two seconds per open tab) and the domains page read a
/// few rows whatever the chain's height: on 100,000 indexed blocks, as few as on a new chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_and_domains_read_a_few_rows_at_any_height() {
    // One connection, so that the statistics read are those of the views' statements.
    let db = fresh_postgres("sec_explorer_height", 1).await;
    load_empty_blocks(&db, 0, 100_000, 10).await;
    load_empty_blocks(&db, 1, 1_000, 0).await;
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");

    let before = pg_rows_read(&db, "%").await;
    let home = sec_explorer::data::home(&db, 30).await.expect("home");
    let read = pg_rows_read(&db, "%").await - before;
    assert!(read <= 300, "the home view read {read} rows");
    assert_eq!(home.domains.len(), 2);
    assert_eq!(home.domains[0].head, Some(99_999));
    assert_eq!(home.domains[0].finalized, Some(99_989));
    assert_eq!(home.domains[1].finalized, Some(999));

    let before = pg_rows_read(&db, "%").await;
    let rows = sec_explorer::data::domain_rows(&db, 53500).await.expect("domains");
    let read = pg_rows_read(&db, "%").await - before;
    assert!(read <= 300, "the domains view read {read} rows");
    let expected: i64 = (0..100_000i64).map(|n| n % 3).sum();
    assert_eq!(rows[0].transactions, expected);
    assert_eq!(rows[1].chain_id, 53501);
}

/// The trade and trust pages over an index of real trades: an offer with its steps and its
/// dispute's votes, trust indexes with their chart, a seller's offers, the relationship graph and
/// the cross-domain share; each over SQLite and PostgreSQL, and each statement served by an
/// index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_and_trust_pages_over_a_real_index() {
    use sec_contracts::{bindings::TradeEscrow as E, predeploy::TRADE_ESCROW};
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 2).await;
    let t = build_trades(&node).await;
    // One offer left open: the refunding seller (index 1) offers again, settling an hour and a
    // half after shipping.
    let open = E::openCall {
        token: Address::ZERO,
        price: ether(3),
        descriptionHash: alloy_primitives::B256::repeat_byte(1),
        autoConfirmPeriod: 5_400,
        shipPeriod: 0,
        designatedBuyer: Address::ZERO,
    };
    let r =
        Sender::new(&node, 0).call(&dev_key(1), TRADE_ESCROW, trade_bond(ether(3), 1), open).await;
    assert_eq!(r["status"], "0x1", "{r}");

    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    index(&node, &sqlite, 1_000).await;
    check_plans(&sqlite).await;
    check_trade_pages(&t, sqlite).await;
    let postgres = fresh_postgres("sec_explorer_trade", 4).await;
    index(&node, &postgres, 1_000).await;
    check_trade_pages(&t, postgres).await;
    node.shutdown().await;
}

/// SQLite's plan of every trade statement searches an index (the per-domain `chain_heads` alone
/// is read whole: a row per domain).
async fn check_plans(db: &Database) {
    for (sql, params) in sec_explorer::trade::statements() {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query(&explain);
        for kind in params.chars() {
            query = match kind {
                'a' => query.bind(Address::repeat_byte(1).to_vec()),
                _ => query.bind(1i64),
            };
        }
        let plan: Vec<String> = query
            .fetch_all(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect();
        for line in &plan {
            let full_scan = line.starts_with("SCAN ") && !line.contains("INDEX");
            assert!(!full_scan || line == "SCAN h", "{sql}\n{plan:?}");
        }
        assert!(plan.iter().any(|l| l.contains("INDEX")), "{sql}\n{plan:?}");
    }
}

async fn check_trade_pages(t: &Trades, db: Database) {
    let config = ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    let explorer = Explorer::start(config, db).await.expect("explorer");
    let addr = explorer.addr();
    let (seller, buyer, disputer, cross) = (t.seller, t.buyer, t.disputer, t.cross_buyer);
    let cross_payment = t.cross_payment;
    let judge = t.judges[0];
    tokio::task::spawn_blocking(move || {
        // The disputed offer: every stage with its time, the panel's votes, the decision.
        let o = json(addr, "/api/v1/trade/0/3");
        assert_eq!(o["stage"], "Upheld");
        assert_eq!((o["price"].as_str(), o["bond"].as_str()), (Some("20 SEC"), Some("9.84 SEC")));
        assert_eq!(o["seller"], seller.to_checksum(None));
        assert_eq!(o["buyer"], disputer.to_checksum(None));
        let kinds: Vec<_> =
            o["steps"].as_array().unwrap().iter().map(|s| s["kind"].clone()).collect();
        assert_eq!(kinds, ["Open", "Paid", "Shipped", "Disputed", "Evidence", "Upheld"]);
        assert!(
            o["steps"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["time"].as_str().unwrap().ends_with("UTC"))
        );
        let d = &o["dispute"];
        assert_eq!(
            (d["outcome"].as_str(), d["uphold_votes"].as_i64(), d["reject_votes"].as_i64()),
            (Some("Upheld"), Some(3), Some(2))
        );
        let votes: Vec<_> = d["panel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["vote"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(votes.iter().filter(|v| *v == "uphold").count(), 3, "{votes:?}");
        assert_eq!(votes.iter().filter(|v| *v == "reject").count(), 2, "{votes:?}");
        let (status, _, page) = get(addr, "/trade/0/3");
        assert_eq!(status, 200);
        assert!(
            page.contains("<td id=\"stage\">Upheld</td>")
                && page.contains("<td id=\"tally\">3 uphold, 2 reject</td>"),
            "{page}"
        );
        assert_eq!(page.matches("<td class=\"vote\">uphold</td>").count(), 3, "{page}");
        let settled = json(addr, "/api/v1/trade/0/2");
        assert_eq!(settled["steps"][3]["kind"], "Extended");
        assert!(settled["steps"][3]["note"].as_str().unwrap().starts_with("auto-confirm doubled"));
        assert_eq!(settled["steps"][4]["note"], "confirmed by the buyer");
        assert_eq!(settled["steps"][2]["detail"], format!("0x{}", "7a".repeat(32)));
        assert_eq!(o["steps"][3]["detail"], format!("0x{}", "ee".repeat(32)));
        assert!(settled["dispute"].is_null());
        // Paid, shipped, then extended once: it ships within 14 days of payment and settles
        // twice the 7-day period after shipping.
        let at = |i: usize| settled["steps"][i]["timestamp"].as_u64().unwrap();
        assert_eq!(settled["ship_by"], utc(at(1) + 14 * 86_400));
        assert_eq!(settled["settles_at"], utc(at(2) + 14 * 86_400));
        let first = json(addr, "/api/v1/trade/0/1");
        assert_eq!(
            first["settles_at"],
            utc(first["steps"][2]["timestamp"].as_u64().unwrap() + 7 * 86_400)
        );
        let unpaid = json(addr, "/api/v1/trade/0/6");
        assert!(unpaid["ship_by"].is_null() && unpaid["settles_at"].is_null());

        // Periods as they are said, and exactly in seconds; the days fields as they were.
        let periods = |o: &Value| {
            ["auto_confirm", "auto_confirm_secs", "auto_confirm_days", "ship_within", "ship_secs"]
                .map(|f| o[f].to_string())
        };
        assert_eq!(
            periods(&o),
            ["\"7 days\"", "604800", "\"7\"", "\"14 days\"", "1209600"].map(String::from)
        );
        assert_eq!(
            periods(&unpaid),
            ["\"1 h 30 min\"", "5400", "\"0.06\"", "\"14 days\"", "1209600"].map(String::from)
        );
        let (_, _, page) = get(addr, "/trade/0/6");
        assert!(
            page.contains("<td id=\"auto-confirm\">1 h 30 min after shipping</td>")
                && page.contains("<td>14 days of payment</td>"),
            "{page}"
        );

        // Offer 2 was paid by a message from domain 1: its Paid step names it, and links to
        // the transaction that sent it, whose page lists it.
        let steps = settled["steps"].as_array().unwrap();
        let message = &steps[1]["message"];
        assert_eq!(steps[1]["kind"], "Paid");
        assert_eq!(message["source_domain"], 1);
        assert_eq!(message["sender"], cross.to_checksum(None));
        assert_eq!(message["source_tx_hash"], cross_payment.to_string());
        let hash = message["message_hash"].as_str().unwrap().to_string();
        assert_eq!(hash.len(), 66);
        let link = format!("/tx/{cross_payment}#message-{hash}");
        assert_eq!(message["url"], link);
        assert!(steps.iter().filter(|s| !s["message"].is_null()).count() == 1, "{settled}");
        assert!(o["steps"].as_array().unwrap().iter().all(|s| s["message"].is_null()));
        let (_, _, page) = get(addr, "/trade/0/2");
        assert!(
            page.contains(&format!(
                "<span class=\"by-message\">from domain 1 by a <a class=\"message\" href=\"{link}\""
            )),
            "{page}"
        );
        assert_eq!(page.matches("by a cross-domain message").count(), 0, "linked: {page}");
        assert_eq!(page.matches("cross-domain message</a>").count(), 1, "{page}");
        let (status, _, sent) = get(addr, &format!("/tx/{cross_payment}"));
        assert_eq!(status, 200);
        assert!(
            sent.contains(&format!("<div id=\"message-{hash}\">"))
                && sent.contains("domain 1 → domain 0"),
            "{sent}"
        );
        assert!(!get(addr, "/trade/0/3").2.contains("by-message"));

        let (_, _, page) = get(addr, "/trade/0/2");
        assert!(
            page.contains(&format!("<td id=\"settles-at\">{}", utc(at(2) + 14 * 86_400))),
            "{page}"
        );
        assert_eq!(get(addr, "/trade/0/99").0, 404);
        assert_eq!(get(addr, "/trade/x/1").0, 404);
        assert_eq!(get(addr, "/api/v1/trade/0/99").0, 404);
        assert_eq!(get(addr, "/api/v1/trade/0/x").0, 400);

        // Trust: the seller rose to 2, fell to 0, banned; the chart steps through 1 and 2.
        let trust = json(addr, &format!("/api/v1/trust/{seller}"));
        assert_eq!(trust["domains"][0]["index"], 0);
        assert_eq!(trust["domains"][0]["banned"], true);
        assert_eq!(trust["completed_trades"], 2);
        let reasons: Vec<_> = trust["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reason"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(reasons, ["banned", "fake goods upheld", "completed trade", "completed trade"]);
        let path = trust["domains"][0]["path"].as_str().unwrap();
        assert!(
            path.starts_with("M 0 200.0")
                && path.contains(" V 180.0")
                && path.contains(" V 160.0")
                && path.ends_with(" V 200.0 H 600")
                && !path.ends_with("H 600.0 V 200.0 H 600")
                && trust["top"] == 10,
            "{path}"
        );
        let (_, _, page) = get(addr, &format!("/trust/{seller}"));
        assert!(
            page.contains("<path class=\"trust-line\" data-domain=\"0\"")
                && page.contains(">banned<"),
            "{page}"
        );
        let buyer_trust = json(addr, &format!("/api/v1/trust/{buyer}"));
        assert_eq!(
            (
                buyer_trust["domains"][0]["index"].as_i64(),
                buyer_trust["domains"][0]["banned"].as_bool()
            ),
            (Some(1), Some(false))
        );
        let (_, _, page) = get(addr, &format!("/trust/{judge}"));
        assert!(page.contains("id=\"no-trust\""), "{page}");
        for path in ["/trust/0x12", "/seller/0x12", "/graph/nothex"] {
            assert_eq!(get(addr, path).0, 404, "{path}");
        }
        for path in ["/api/v1/trust/0x12", "/api/v1/seller/0x12", "/api/v1/graph/nothex"] {
            assert_eq!(get(addr, path).0, 400, "{path}");
        }

        // The seller: two completed, one upheld against it, nothing open; the refunding
        // seller has its new offer open.
        let s = json(addr, &format!("/api/v1/seller/{seller}"));
        let ids = |list: &Value| {
            list.as_array()
                .unwrap()
                .iter()
                .map(|o| o["offer_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&s["open"]), Vec::<i64>::new());
        assert_eq!(ids(&s["completed"]), [2, 1]);
        assert_eq!(ids(&s["other"]), [3]);
        assert_eq!(s["disputes"][0]["outcome"], "Upheld");
        assert_eq!(s["disputes"][0]["buyer"], disputer.to_checksum(None));
        let b = json(addr, &format!("/api/v1/seller/{buyer}"));
        assert_eq!(ids(&b["open"]), [6]);
        assert_eq!(b["open"][0]["stage"], "Open");
        assert_eq!(ids(&b["other"]), [5]);
        assert_eq!(ids(&b["bought"]), [1]);
        let d = json(addr, &format!("/api/v1/seller/{disputer}"));
        assert_eq!(d["other"][0]["stage"], "Cancelled");
        assert_eq!(ids(&d["bought"]), [5, 3]);
        let (_, _, page) = get(addr, &format!("/seller/{buyer}"));
        assert!(
            page.contains("<a href=\"/trade/0/6\">0/6</a></td><td class=\"stage\">Open</td>"),
            "{page}"
        );

        // The relationship graph: the seller in the centre, its two buyers around it.
        let g = json(addr, &format!("/api/v1/graph/{seller}"));
        assert_eq!((g["counterparties"].as_i64(), g["trades"].as_i64()), (Some(2), Some(2)));
        let mut others: Vec<_> = g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["address"].as_str().unwrap().to_string())
            .collect();
        others.sort();
        let mut expected = vec![buyer.to_checksum(None), cross.to_checksum(None)];
        expected.sort();
        assert_eq!(others, expected);
        assert!(
            g["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["sold_to"] == 1 && n["bought_from"] == 0 && n["live"] == true)
        );
        let (_, _, page) = get(addr, &format!("/graph/{seller}"));
        assert!(page.contains("<svg class=\"graph\""), "{page}");
        assert_eq!(page.matches("<line class=\"edge\"").count(), 2, "{page}");
        assert_eq!(json(addr, &format!("/api/v1/graph/{buyer}"))["nodes"][0]["bought_from"], 1);

        // The cross-domain share: both completed trades crossed. Offer 1's buyer made its first
        // transaction in domain 0, as the seller did, but had set its home to domain 1 on the
        // hub; offer 2's buyer had set its home to the seller's, domain 0, but paid by a message
        // from domain 1. The seller moved its home to domain 1 after both: that changes neither.
        let home = json(addr, "/api/v1/trade");
        assert_eq!((home["trades"].as_i64(), home["cross_domain"].as_i64()), (Some(2), Some(2)));
        assert_eq!(home["share"], 100.0);
        assert_eq!(home["latest"].as_array().unwrap().len(), 6);
        assert!(home["definition"].as_str().unwrap().contains("hub's directory"));
        let (_, _, page) = get(addr, "/trade");
        assert!(page.contains("2 of 2 completed trades crossed domains (100.0 %)"), "{page}");
        assert!(
            page.contains("payment arrived by a cross-domain message")
                && page.contains("(HomeDirectory, on domain 0)")
                && !page.contains("not on chain yet"),
            "{page}"
        );
        assert!(page.contains("<path class=\"share-line\""), "{page}");

        // Linked from the nav and from address pages.
        let (_, _, page) = get(addr, &format!("/address/{seller}"));
        assert!(
            page.contains(&format!("href=\"/trust/{seller}\""))
                && page.contains(&format!("href=\"/graph/{seller}\"")),
            "{page}"
        );
        assert!(page.contains("<a href=\"/trade\">Trade</a>"));
        let paths = json(addr, "/api/v1/openapi.json")["paths"].clone();
        assert!(paths["/api/v1/trust/{address}"].is_object());
    })
    .await
    .expect("trade page checks");
    explorer.stop();
}

/// The trade views read rows in proportion to what they show, not to the index: over 50,000
/// offers of 1,000 sellers (150,000 offer events, a tenth paid by a cross-domain message; a
/// tenth of the accounts, and 9,800 that never traded, with a home in the hub's directory), an
/// account's views read a few hundred rows, and the overview's chart the newest 5,000 completed
/// trades and their parties' homes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_views_read_what_they_show_at_any_size() {
    use sec_explorer::trade;
    // One connection, so that the statistics read are those of the views' statements.
    let db = fresh_postgres("sec_explorer_trade_scale", 1).await;
    let addr = |e: &str| pg_bytes(e, 20);
    let word = |e: &str| pg_bytes(e, 32);
    let (seller, buyer) = (addr("n % 1000 + 1"), addr("1001 + (n * 7) % 1000"));
    let n = 50_000;
    for sql in [
        format!(
            "INSERT INTO trade_offers SELECT 0, n, {seller}, decode(repeat('00', 20), 'hex'), {w}, {w}, {w}, \
             NULL, 604800, 1209600, n, {w}, 1700000000 + n * 10 FROM generate_series(1, {n}) n",
            w = word("n")
        ),
        format!(
            "INSERT INTO trade_events SELECT 0, n, k, n, (ARRAY['Open', 'Paid', 'Completed'])[k + 1], 1, \
             CASE WHEN k = 0 THEN NULL ELSE {buyer} END, CASE WHEN k = 2 THEN {seller} END, \
             NULL, NULL, NULL, 0, NULL, {w}, 1700000000 + n * 10 \
             FROM generate_series(1, {n}) n, generate_series(0, 2) k",
            w = word("n")
        ),
        format!(
            "INSERT INTO trade_edges SELECT 0, n, 3, {buyer}, {seller}, 1, 0, {w}, 1700000000 + n * 10 \
             FROM generate_series(1, {n}) n",
            w = word("n")
        ),
        format!(
            "INSERT INTO trust_changes SELECT 0, n, 4 + k, CASE WHEN k = 0 THEN {seller} ELSE {buyer} END, \
             0, 1, 1, {w}, 1700000000 + n * 10 FROM generate_series(1, {n}) n, generate_series(0, 1) k",
            w = word("n")
        ),
        // Every tenth offer paid by a message from domain 1 (its Paid event is at log index 1).
        format!(
            "INSERT INTO trade_step_messages SELECT 0, n, 1, n, 'Paid', {w}, 1 \
             FROM generate_series(10, {n}, 10) n",
            w = word("n")
        ),
        // Every tenth account set its home in the hub's directory, before trading (accounts
        // 1-2,000 trade, the others never did).
        format!(
            "INSERT INTO home_sets SELECT 0, n, 0, {a}, n / 10 % 3, 0, {w}, 1600000000 + n \
             FROM generate_series(10, 100000, 10) n",
            a = addr("n"),
            w = word("n")
        ),
        // Each account's first transaction, in domain 0 or 1.
        format!(
            "INSERT INTO transactions SELECT n % 3 % 2, n, 0, {w}, {a}, NULL, {z}, 0, 21000, 2, NULL, NULL, \
             ''::bytea, 1600000000 + n, 1, 21000, 21000, {z}, NULL, 0, 0 FROM generate_series(1, 2000) n",
            w = word("n"),
            a = addr("n"),
            z = word("0")
        ),
        "ANALYZE".to_string(),
    ] {
        sqlx::query(&sql).execute(db.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // Seller 42 sold offers 41, 1041, ...; buyer 1008 bought offers 1, 1001, ... (7n = 7 mod 1000).
    let one_seller = Address::left_padding_from(&42u16.to_be_bytes());
    let one_buyer = Address::left_padding_from(&1008u16.to_be_bytes());

    let mut measured = Vec::new();
    macro_rules! measure {
        ($name:expr, $bound:expr, $view:expr) => {{
            let before = pg_rows_read(&db, "%").await;
            let started = std::time::Instant::now();
            let view = $view.await.expect($name);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let read = pg_rows_read(&db, "%").await - before;
            assert!(read <= $bound, "the {} view read {read} rows", $name);
            measured.push(format!("{}: {read} rows, {ms:.1} ms", $name));
            view
        }};
    }
    let s = measure!("seller", 600, trade::seller(&db, one_seller.as_slice()));
    assert_eq!(s.completed.len(), 50);
    assert!(s.open.is_empty() && s.other.is_empty());
    let o = measure!("offer", 50, trade::offer(&db, 0, 41)).expect("offer 41");
    assert_eq!(o.stage, "Completed");
    assert_eq!(o.steps.len(), 3);
    let o = measure!("offer paid by a message", 50, trade::offer(&db, 0, 40)).expect("offer 40");
    assert_eq!(o.steps[1].message.as_ref().map(|m| m.source_domain), Some(1));
    let t = measure!("trust", 400, trade::trust(&db, one_seller.as_slice()));
    assert_eq!((t.history.len(), t.completed_trades), (50, 50));
    let g = measure!("graph", 300, trade::graph(&db, one_seller.as_slice()));
    assert_eq!(g.trades, 50);
    let b = measure!("buyer's graph", 300, trade::graph(&db, one_buyer.as_slice()));
    assert_eq!(b.trades, 50);
    let home = measure!("trade overview", 7 * trade::SHARE_TRADES, trade::trade_home(&db));
    assert_eq!(home.trades, trade::SHARE_TRADES);
    assert!(home.cross_domain > 0 && home.cross_domain < home.trades, "{}", home.cross_domain);
    println!("{}", measured.join("\n"));
}
