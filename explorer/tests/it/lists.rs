//! The lists of the latest blocks and transactions (`/blocks`, `/txs` and their API), paged by
//! cursor, and the CSV export of an address's transactions; over SQLite and PostgreSQL, with the
//! plan of every statement checked (the Contract tab's and verification's too).

use std::{collections::HashSet, net::SocketAddr};

use alloy_primitives::{Address, B256, U256};
use sec_explorer::{
    Explorer, ExplorerConfig, charts, contract, data, etherscan, format::iso8601, holders, lists,
    nft,
};
use sec_indexer::Database;
use serde_json::Value;

use super::{common::fresh_postgres, fetch, get, json};

const BASE: i64 = 1_700_000_000;
/// Blocks per domain: domain 0 every 2 s, domain 1 two blocks a second-pair (equal times within
/// the domain, and with domain 0's), domain 2 every 3 s.
const HEIGHTS: [i64; 3] = [400, 300, 200];

fn block_time(domain: i64, number: i64) -> i64 {
    match domain {
        0 => BASE + 2 * number,
        1 => BASE + 2 * (number / 2),
        _ => BASE + 3 * number,
    }
}

fn a() -> Address {
    Address::repeat_byte(0xaa)
}
fn b() -> Address {
    Address::repeat_byte(0xbb)
}
fn c() -> Address {
    Address::repeat_byte(0xcc)
}

/// A synthetic transaction, as inserted.
#[derive(Debug, Clone)]
struct Tx {
    domain: i64,
    block: i64,
    index: i64,
    timestamp: i64,
    hash: B256,
    from: Address,
    to: Option<Address>,
    created: Option<Address>,
    value: U256,
    fee: U256,
    success: bool,
}

impl Tx {
    fn key(&self) -> (i64, i64, i64, i64) {
        (self.timestamp, self.domain, self.block, self.index)
    }
}

/// The chain's transactions: `(5n + d) % 13` in block n of domain d, 5,395 in all, every one
/// but a few sent or received by A (most from A to C, a third from B to A, some from A to
/// itself; a fiftieth are contract creations, by A or B).
fn transactions() -> Vec<Tx> {
    let mut out = Vec::new();
    let mut k: u64 = 0;
    for (d, height) in HEIGHTS.iter().enumerate() {
        let d = d as i64;
        for n in 0..*height {
            for i in 0..(5 * n + d) % 13 {
                k += 1;
                let (mut from, mut to, mut created) = if k.is_multiple_of(3) {
                    (b(), Some(a()), None)
                } else {
                    (a(), Some(c()), None)
                };
                if k % 50 == 7 {
                    (to, created) = (None, Some(Address::left_padding_from(&k.to_be_bytes())));
                }
                if k % 97 == 5 {
                    (from, to) = (a(), Some(a()));
                }
                out.push(Tx {
                    domain: d,
                    block: n,
                    index: i,
                    timestamp: block_time(d, n),
                    hash: B256::from(U256::from(k)),
                    from,
                    to,
                    created,
                    value: U256::from(k) * U256::from(10u64.pow(15)),
                    fee: U256::from(10u64.pow(9) * (1 + k % 5)) * U256::from(21_000 + k % 7),
                    success: k % 17 != 3,
                });
            }
        }
    }
    out
}

fn word(v: U256) -> Vec<u8> {
    v.to_be_bytes::<32>().to_vec()
}

/// Writes the blocks and transactions, a hundred rows a statement.
async fn load(db: &Database, txs: &[Tx]) {
    let mut blocks = Vec::new();
    for (d, height) in HEIGHTS.iter().enumerate() {
        for n in 0..*height {
            blocks.push((d as i64, n));
        }
    }
    for chunk in blocks.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p: Vec<String> = (1..=14).map(|c| format!("${}", r * 14 + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO blocks (domain, number, hash, parent_hash, timestamp, miner, gas_used, \
             gas_limit, base_fee, tx_count, size, state_root, extra_data, final) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for &(d, n) in chunk {
            let count = (5 * n + d) % 13;
            q = q
                .bind(d)
                .bind(n)
                .bind(word(U256::from((d * 1_000_000 + n) as u64)))
                .bind(word(U256::from((d * 1_000_000 + n) as u64).saturating_sub(U256::from(1))))
                .bind(block_time(d, n))
                .bind(Address::repeat_byte(0x10 + d as u8).to_vec())
                .bind(21_000 * count)
                .bind(30_000_000i64)
                .bind(Some(7i64))
                .bind(count)
                .bind(600i64)
                .bind(word(U256::ZERO))
                .bind(Vec::<u8>::new())
                .bind(0i64);
        }
        q.execute(db.pool()).await.expect("insert blocks");
    }
    for chunk in txs.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p: Vec<String> = (1..=21).map(|c| format!("${}", r * 21 + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO transactions (domain, block_number, tx_index, hash, from_address, \
             to_address, value, nonce, gas, tx_type, max_fee_per_gas, max_priority_fee_per_gas, \
             input, timestamp, status, gas_used, cumulative_gas_used, effective_gas_price, \
             contract_address, first_log_index, log_count) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            let k = U256::from_be_bytes(t.hash.0).to::<u64>();
            let (price, gas) = (10u64.pow(9) * (1 + k % 5), 21_000 + k % 7);
            let input =
                if k.is_multiple_of(2) { vec![0xa9, 0x05, 0x9c, 0xbb, 0, 1] } else { Vec::new() };
            q = q
                .bind(t.domain)
                .bind(t.block)
                .bind(t.index)
                .bind(t.hash.to_vec())
                .bind(t.from.to_vec())
                .bind(t.to.map(|a| a.to_vec()))
                .bind(word(t.value))
                .bind(k as i64)
                .bind(50_000i64)
                .bind(2i64)
                .bind(None::<Vec<u8>>)
                .bind(None::<Vec<u8>>)
                .bind(input)
                .bind(t.timestamp)
                .bind(i64::from(t.success))
                .bind(gas as i64)
                .bind(gas as i64)
                .bind(word(U256::from(price)))
                .bind(t.created.map(|a| a.to_vec()))
                .bind(0i64)
                .bind(0i64);
        }
        q.execute(db.pool()).await.expect("insert transactions");
    }
}

/// Every page of an API list from the first, following `next`: the rows in the order served.
fn walk(addr: SocketAddr, path: &str, rows_key: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page = json(addr, path);
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut pages = 1;
    loop {
        let rows = page[rows_key].as_array().expect("rows").clone();
        let next = page["next"].as_str().map(String::from);
        if next.is_some() {
            assert_eq!(rows.len(), limit, "{path}: a page before the last is full");
        } else {
            assert!(!rows.is_empty() && rows.len() <= limit, "{path}: last page {}", rows.len());
        }
        assert_eq!(page["newest"], pages == 1, "{path}");
        out.extend(rows);
        let Some(cursor) = next else { break };
        let query = page["next_query"].as_str().expect("next_query");
        assert!(query.ends_with(&format!("before={cursor}")), "{query}");
        page = json(addr, &format!("{path}{sep}before={cursor}"));
        pages += 1;
        assert!(pages < 1_000, "{path}: the walk does not end");
    }
    out
}

/// Lists, paging, refusals and the CSV export over one database holding [`load`]'s rows.
async fn check_lists(db: Database, txs: Vec<Tx>) {
    let config = ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    let explorer = Explorer::start(config, db).await.expect("explorer");
    let addr = explorer.addr();
    tokio::task::spawn_blocking(move || {
        // Every block once, newest first by (time, domain, number), each descending.
        let mut expected: Vec<(i64, i64, i64)> = HEIGHTS
            .iter()
            .enumerate()
            .flat_map(|(d, h)| (0..*h).map(move |n| (block_time(d as i64, n), d as i64, n)))
            .collect();
        expected.sort_by(|x, y| y.cmp(x));
        let served: Vec<(i64, i64, i64)> = walk(addr, "/api/v1/blocks", "blocks", 25)
            .iter()
            .map(|b| {
                (
                    b["timestamp"].as_i64().unwrap(),
                    b["domain"].as_i64().unwrap(),
                    b["number"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(served.len(), 900);
        assert_eq!(served, expected, "every block once, in order");
        let first = json(addr, "/api/v1/blocks");
        let top = &first["blocks"][0];
        let (_, d, n) = expected[0];
        assert_eq!((top["domain"].as_i64(), top["number"].as_i64()), (Some(d), Some(n)));
        let count = (5 * n + d) % 13;
        assert_eq!(top["tx_count"], count);
        assert_eq!(top["miner"], Address::repeat_byte(0x10 + d as u8).to_checksum(None));
        let percent = format!("{:.1} %", (21_000 * count) as f64 * 100.0 / 30e6);
        assert_eq!(top["gas_used_percent"], percent);
        for d in 0..3i64 {
            let served: Vec<i64> = walk(addr, &format!("/api/v1/blocks?domain={d}"), "blocks", 25)
                .iter()
                .map(|b| {
                    assert_eq!(b["domain"], d);
                    b["number"].as_i64().unwrap()
                })
                .collect();
            let expected: Vec<i64> = (0..HEIGHTS[d as usize]).rev().collect();
            assert_eq!(served, expected, "domain {d}'s blocks");
        }

        // Every transaction once, newest first by (time, domain, block, index).
        let mut sorted = txs.clone();
        sorted.sort_by_key(|t| std::cmp::Reverse(t.key()));
        let hashes = |rows: &[Value]| -> Vec<String> {
            rows.iter().map(|t| t["hash"].as_str().unwrap().to_string()).collect()
        };
        let all = walk(addr, "/api/v1/txs", "transactions", 25);
        let expected: Vec<String> = sorted.iter().map(|t| t.hash.to_string()).collect();
        assert_eq!(all.len(), 5_395);
        assert_eq!(hashes(&all), expected, "every transaction once, in order");
        assert_eq!(hashes(&walk(addr, "/api/v1/txs?limit=100", "transactions", 100)), expected);
        let one =
            sorted.iter().find(|t| t.created.is_some() && !t.success).expect("a failed creation");
        let row = all.iter().find(|r| r["hash"] == one.hash.to_string()).expect("served");
        assert_eq!(row["from"], one.from.to_checksum(None));
        assert!(row["to"].is_null());
        assert_eq!(row["contract_address"], one.created.unwrap().to_checksum(None));
        assert_eq!(row["value_wei"], one.value.to_string());
        assert_eq!(row["fee_wei"], one.fee.to_string());
        assert_eq!(row["success"], false);
        assert_eq!(
            (row["domain"].as_i64(), row["block_number"].as_i64()),
            (Some(one.domain), Some(one.block))
        );
        let domain1 = walk(addr, "/api/v1/txs?domain=1", "transactions", 25);
        let expected1: Vec<String> =
            sorted.iter().filter(|t| t.domain == 1).map(|t| t.hash.to_string()).collect();
        assert_eq!(hashes(&domain1), expected1, "domain 1's transactions");

        // The HTML pages: linked from the navigation, and their "Older" links walk every row.
        let (status, _, page) = get(addr, "/blocks");
        assert_eq!(status, 200);
        assert!(
            page.contains("<a href=\"/blocks\">Blocks</a>")
                && page.contains("<a href=\"/txs\">Transactions</a>"),
            "{page}"
        );
        assert!(page.contains("Producer") && page.contains("rel=\"next\""), "{page}");
        let mut seen = Vec::new();
        let mut path = "/blocks?domain=2".to_string();
        loop {
            let (status, _, page) = get(addr, &path);
            assert_eq!(status, 200, "{path}");
            seen.extend(page.match_indices("<tr><td><a href=\"/block/2/").map(|(at, m)| {
                let rest = &page[at + m.len()..];
                rest[..rest.find('"').unwrap()].parse::<i64>().unwrap()
            }));
            let Some(at) = page.find("\" rel=\"next\"") else { break };
            let start = page[..at].rfind("href=\"").unwrap() + 6;
            path = page[start..at].replace("&amp;", "&");
        }
        assert_eq!(seen, (0..200).rev().collect::<Vec<i64>>(), "the HTML pages of domain 2");
        let (status, _, page) = get(addr, "/txs?domain=0&limit=100");
        assert_eq!(status, 200);
        assert!(
            page.contains("domain=0&amp;limit=100&amp;before=") && page.contains(" SEC</td>"),
            "{page}"
        );

        // Malformed parameters are refused, saying which.
        for path in [
            "/api/v1/blocks?before=abc",
            "/api/v1/blocks?before=1.2",
            "/api/v1/blocks?before=1.-2.3",
            "/api/v1/txs?before=1700000000.1.2",
            "/api/v1/txs?before=99999999999999999999.0.0.0",
            "/api/v1/txs?limit=1000",
            "/api/v1/txs?limit=x",
            "/api/v1/blocks?domain=x",
            "/api/v1/blocks?domain=1&before=1700000000.0.5",
        ] {
            let (status, _, body) = get(addr, path);
            assert_eq!(status, 400, "{path}: {body}");
            let error: Value = serde_json::from_str(&body).expect("JSON");
            let key = path.split('?').nth(1).unwrap().split('=').next().unwrap();
            let key = if path.contains("domain=1&before") { "before" } else { key };
            assert!(error["error"].as_str().unwrap().starts_with(key), "{path}: {error}");
        }
        let (status, _, page) = get(addr, "/txs?before=nonsense");
        assert_eq!(status, 400);
        assert!(page.contains("Bad request") && page.contains("not a cursor"), "{page}");

        // The API description names the lists and the export.
        let api = json(addr, "/api/v1/openapi.json");
        for p in ["/api/v1/blocks", "/api/v1/txs", "/address/{address}/transactions.csv"] {
            assert!(api["paths"][p]["get"]["summary"].is_string(), "{p}");
        }

        // CSV: linked from the address page; the newest 5,000 of A's, every domain.
        let (_, _, page) = get(addr, &format!("/address/{}", a()));
        assert!(page.contains(&format!("href=\"/address/{}/transactions.csv\"", a())), "{page}");
        let (status, head, csv) = fetch(addr, &format!("/address/{}/transactions.csv", a()));
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/csv"), "{head}");
        assert!(head.contains("content-disposition: attachment; filename="), "{head}");
        let rows = parse_csv(&csv);
        assert_eq!(rows.len(), lists::CSV_ROWS as usize, "capped");
        let of_a: Vec<&Tx> = sorted.iter().filter(|t| t.from == a() || t.to == Some(a())).collect();
        assert!(of_a.len() > 5_000, "{}", of_a.len());
        let newest = &of_a[..5_000];
        check_csv_rows(&rows, newest);
        // B's: every transaction B sent or received, newest first.
        let (status, _, csv) = fetch(addr, &format!("/address/{}/transactions.csv", b()));
        assert_eq!(status, 200);
        let of_b: Vec<&Tx> = sorted.iter().filter(|t| t.from == b() || t.to == Some(b())).collect();
        assert!(of_b.len() > 1_000 && of_b.len() < 5_000);
        check_csv_rows(&parse_csv(&csv), &of_b);
        // The address page's transactions, paged by cursor: B's, every one once, newest first;
        // the HTML page links the next.
        let path = format!("/api/v1/address/{}", b());
        let mut served = Vec::new();
        let mut page = json(addr, &path);
        assert_eq!(page["newest"], true);
        loop {
            let rows = page["transactions"].as_array().expect("rows").clone();
            served.extend(hashes(&rows));
            let Some(cursor) = page["next"].as_str().map(String::from) else { break };
            assert_eq!(rows.len(), 25, "a page before the last is full");
            assert_eq!(page["next_query"], format!("before={cursor}"));
            page = json(addr, &format!("{path}?before={cursor}"));
            assert_eq!(page["newest"], false);
            assert!(served.len() < 10_000, "the walk does not end");
        }
        let expected_b: Vec<String> = of_b.iter().map(|t| t.hash.to_string()).collect();
        assert_eq!(served, expected_b, "B's transactions on the address pages");
        let (status, _, html) = get(addr, &format!("/address/{}", b()));
        assert_eq!(status, 200);
        assert!(html.contains(&format!("href=\"/address/{}?before=", b())), "{html}");
        for bad in ["?before=x", "?before=1.2.3", "?transfers_before=1.2.3.4"] {
            let (status, _, body) = get(addr, &format!("{path}{bad}"));
            assert_eq!(status, 400, "{bad}: {body}");
            let key = &bad[1..bad.find('=').unwrap()];
            let error: Value = serde_json::from_str(&body).expect("JSON");
            assert!(error["error"].as_str().unwrap().starts_with(key), "{bad}: {error}");
            let (status, _, _) = get(addr, &format!("/address/{}{bad}", b()));
            assert_eq!(status, 400, "{bad}");
        }

        // No transactions: the header alone; not an address: 400.
        let (_, _, csv) =
            fetch(addr, &format!("/address/{}/transactions.csv", Address::repeat_byte(7)));
        assert_eq!(csv, format!("{}\r\n", lists::CSV_HEADER));
        assert_eq!(fetch(addr, "/address/0x12/transactions.csv").0, 400);
    })
    .await
    .expect("list checks");
    explorer.stop();
}

/// The CSV's rows, each a map of column to value, after checking its header.
fn parse_csv(csv: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = csv.split("\r\n");
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header.join(","), lists::CSV_HEADER);
    assert!(csv.ends_with("\r\n"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            assert!(!l.contains('"'), "no field needs quotes: {l}");
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header.iter().zip(cells).map(|(h, c)| (h.to_string(), c.to_string())).collect()
        })
        .collect()
}

fn check_csv_rows(rows: &[std::collections::HashMap<String, String>], expected: &[&Tx]) {
    assert_eq!(rows.len(), expected.len());
    let unique: HashSet<&String> = rows.iter().map(|r| &r["hash"]).collect();
    assert_eq!(unique.len(), rows.len(), "each transaction once");
    let sec = |v: U256| sec_explorer::format::units(v, 18).replace(',', "");
    for (row, t) in rows.iter().zip(expected) {
        assert_eq!(row["hash"], t.hash.to_string());
        assert_eq!(row["domain"], t.domain.to_string());
        assert_eq!(row["block_number"], t.block.to_string());
        assert_eq!(row["tx_index"], t.index.to_string());
        assert_eq!(row["timestamp"], t.timestamp.to_string());
        assert_eq!(row["time_utc"], iso8601(t.timestamp as u64));
        assert_eq!(row["from"], t.from.to_checksum(None));
        assert_eq!(row["to"], t.to.map(|a| a.to_checksum(None)).unwrap_or_default());
        assert_eq!(
            row["contract_address"],
            t.created.map(|a| a.to_checksum(None)).unwrap_or_default()
        );
        assert_eq!(row["value_wei"], t.value.to_string());
        assert_eq!(row["value_sec"], sec(t.value));
        assert_eq!(row["fee_wei"], t.fee.to_string());
        assert_eq!(row["fee_sec"], sec(t.fee));
        assert_eq!(row["status"], if t.success { "success" } else { "failed" });
    }
    // The values in SEC are those in wei: 10^15 wei of transaction k is k/1000 SEC.
    let sample = &rows[0];
    let wei: U256 = sample["value_wei"].parse().unwrap();
    let (whole, frac) = sample["value_sec"].split_once('.').unwrap_or((&sample["value_sec"], ""));
    let back = U256::from_str_radix(&format!("{whole}{frac:0<18}"), 10).unwrap();
    assert_eq!(back, wei);
}

/// SQLite's plan of every list statement searches an index and, but for the CSV's merge of its
/// two sides, sorts nothing: a page reads its rows in list order from where the last one ended.
async fn check_sqlite_plans(db: &Database) {
    for (sql, params) in lists::statements()
        .into_iter()
        .chain(data::statements())
        .chain(contract::statements())
        .chain(holders::statements())
        .chain(nft::statements())
        .chain(etherscan::statements())
        .chain(charts::statements())
        .chain(sec_explorer::data::production_statements())
    {
        let plan = explain(db, &format!("EXPLAIN QUERY PLAN {sql}"), params, "detail").await;
        for line in &plan {
            // `SCAN f`, `SCAN t` and the like: the rows of a subquery (the CSV's two sides, the
            // NFT transfers' cut), each already cut through its index.
            let subquery = ["SCAN f", "SCAN t", "SCAN s", "SCAN c"].contains(&line.as_str());
            assert!(
                !line.starts_with("SCAN ") || line.contains("INDEX") || subquery,
                "{sql}\n{plan:?}"
            );
            // A statement whose rows are cut in a subquery may sort those (a page of them).
            if !sql.contains("UNION ALL") && !sql.contains("FROM (") {
                assert!(!line.contains("TEMP B-TREE"), "{sql}\n{plan:?}");
            }
        }
        assert!(plan.iter().any(|l| l.contains("INDEX")), "{sql}\n{plan:?}");
    }
}

/// PostgreSQL's plan of every list statement, with sequential scans and sorts priced out: an
/// index serves each, and the lists need no sort.
async fn check_postgres_plans(db: &Database) {
    let mut conn = db.pool().acquire().await.expect("connection");
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.expect("set");
    sqlx::query("SET enable_sort = off").execute(&mut *conn).await.expect("set");
    for (sql, params) in lists::statements()
        .into_iter()
        .chain(data::statements())
        .chain(contract::statements())
        .chain(holders::statements())
        .chain(nft::statements())
        .chain(etherscan::statements())
        .chain(charts::statements())
        .chain(sec_explorer::data::production_statements())
    {
        let explain = format!("EXPLAIN {sql}");
        let mut query = sqlx::query(&explain);
        for kind in params.chars() {
            query = match kind {
                'a' => query.bind(a().to_vec()),
                'b' => query.bind(vec![1u8; 32]),
                't' => query.bind("guid"),
                _ => query.bind(1i64),
            };
        }
        let plan: Vec<String> = query
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "QUERY PLAN"))
            .collect();
        let text = plan.join("\n");
        assert!(!text.contains("Seq Scan"), "{sql}\n{text}");
        assert!(text.contains("Index"), "{sql}\n{text}");
        if !sql.contains("UNION ALL") && !sql.contains("FROM (") {
            assert!(!text.contains("Sort"), "{sql}\n{text}");
        }
    }
    sqlx::query("RESET ALL").execute(&mut *conn).await.expect("reset");
}

async fn explain(db: &Database, sql: &str, params: &str, column: &str) -> Vec<String> {
    let mut query = sqlx::query(sql);
    for kind in params.chars() {
        query = match kind {
            'a' => query.bind(a().to_vec()),
            'b' => query.bind(vec![1u8; 32]),
            't' => query.bind("guid"),
            _ => query.bind(1i64),
        };
    }
    query
        .fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, column))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_transaction_lists_page_by_cursor_and_export_csv() {
    let txs = transactions();
    assert_eq!(txs.len(), 5_395);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    load(&sqlite, &txs).await;
    check_sqlite_plans(&sqlite).await;
    check_lists(sqlite, txs.clone()).await;
    let postgres = fresh_postgres("sec_explorer_lists", 4).await;
    load(&postgres, &txs).await;
    sqlx::query("ANALYZE").execute(postgres.pool()).await.expect("analyze");
    check_postgres_plans(&postgres).await;
    check_lists(postgres, txs).await;
}

/// A page of either list reads about the rows it shows however deep it is: over 100,000 blocks
/// and 100,000 transactions, the page 2,000 pages down reads as few rows as the first (an OFFSET
/// would read the 50,000 before it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_read_what_they_show_at_any_depth() {
    use super::common::{load_empty_blocks, pg_rows_read};
    // One connection, so that the statistics read are those of the views' statements.
    let db = fresh_postgres("sec_explorer_lists_depth", 1).await;
    load_empty_blocks(&db, 0, 100_000, 10).await;
    load_empty_blocks(&db, 1, 1_000, 0).await;
    let w = |e: &str| super::pg_bytes(e, 32);
    let sql = format!(
        "INSERT INTO transactions SELECT n % 2, n, 0, {h}, {from}, \
         NULL, {z}, 0, 21000, 2, NULL, NULL, ''::bytea, 1600000000 + n, 1, 21000, 21000, {z}, NULL, 0, 0 \
         FROM generate_series(1, 100000) n",
        h = w("n"),
        from = super::pg_bytes("n % 100 + 1", 20),
        z = w("0")
    );
    sqlx::query(&sql).execute(db.pool()).await.expect("insert");
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");

    let query = |domain: Option<&str>, before: Option<String>| lists::ListQuery {
        domain: domain.map(Into::into),
        before,
        limit: None,
    };
    let mut measured = Vec::new();
    for (name, q) in [
        ("newest blocks", query(None, None)),
        ("blocks 50,000 down", query(None, Some(format!("{}.0.50000", 1_700_050_000)))),
        ("domain 0's blocks 50,000 down", query(Some("0"), Some("1700050000.0.50000".into()))),
    ] {
        let request = q.parse::<3>().expect("request");
        let before = pg_rows_read(&db, "%").await;
        let page = lists::blocks(&db, &request).await.expect("blocks");
        let read = pg_rows_read(&db, "%").await - before;
        assert_eq!(page.blocks.len(), 25, "{name}");
        assert!(page.next.is_some(), "{name}");
        if let Some([_, _, n]) = request.before {
            assert_eq!(page.blocks[0].block.number, n - 1, "{name}");
            assert_eq!(page.blocks[0].block.domain, 0, "{name}");
        }
        assert!(read <= 120, "{name}: read {read} rows");
        measured.push(format!("{name}: {read} rows"));
    }
    for (name, q) in [
        ("newest transactions", query(None, None)),
        ("transactions 50,000 down", query(None, Some("1600050000.0.50000.0".into()))),
        (
            "domain 0's transactions 25,000 down",
            query(Some("0"), Some("1600050000.0.50000.0".into())),
        ),
    ] {
        let request = q.parse::<4>().expect("request");
        let before = pg_rows_read(&db, "%").await;
        let page = lists::transactions(&db, &request).await.expect("transactions");
        let read = pg_rows_read(&db, "%").await - before;
        assert_eq!(page.transactions.len(), 25, "{name}");
        if request.before.is_some() {
            let step = if request.domain.is_some() { 2 } else { 1 };
            assert_eq!(page.transactions[0].tx.block_number, 50_000 - step, "{name}");
        }
        assert!(read <= 120, "{name}: read {read} rows");
        measured.push(format!("{name}: {read} rows"));
    }
    println!("{}", measured.join("\n"));
}

/// The address page's lists and the block page's transactions read about what they show however
/// deep the page: over 50,000 transactions and 50,000 token transfers of one address, in one
/// block, the page 30,000 rows down reads as few rows as the first (an OFFSET would read the
/// 30,000 above it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_and_block_pages_read_what_they_show_at_any_depth() {
    use super::common::{load_empty_blocks, pg_rows_read};
    let db = fresh_postgres("sec_explorer_address_depth", 1).await;
    load_empty_blocks(&db, 0, 100, 0).await;
    let w = |e: &str| super::pg_bytes(e, 32);
    let (h, z) = (w("n"), w("0"));
    let aa = "decode(repeat('aa', 20), 'hex')";
    for sql in [
        format!(
            "INSERT INTO transactions SELECT 0, 50, n, {h}, {aa}, NULL, {z}, 0, 21000, 2, NULL, \
             NULL, ''::bytea, 1600000000 + n, 1, 21000, 21000, {z}, NULL, 0, 0 \
             FROM generate_series(1, 50000) n"
        ),
        format!(
            "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, tx_hash, \
             timestamp, token, from_address, to_address, amount) \
             SELECT 0, 50, n, 0, {h}, 1600000000 + n, decode(repeat('77', 20), 'hex'), {aa}, \
             decode(repeat('cc', 20), 'hex'), {z} FROM generate_series(1, 50000) n"
        ),
    ] {
        sqlx::query(&sql).execute(db.pool()).await.expect("insert");
    }
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");

    let mut measured = Vec::new();
    for (name, cursors) in [
        ("the address's newest", data::AddressCursors::default()),
        (
            "the address's lists 30,000 down",
            data::AddressCursors {
                before: Some([1_600_020_000, 0, 50, 20_000]),
                transfers_before: Some([1_600_020_000, 0, 50, 20_000, 0]),
            },
        ),
    ] {
        let before = pg_rows_read(&db, "%").await;
        let page = data::address_page(&db, a().as_slice(), cursors).await.expect("address");
        let read = pg_rows_read(&db, "%").await - before;
        assert_eq!(page.transactions.len(), 25, "{name}");
        assert_eq!(page.token_transfers.len(), 25, "{name}");
        let top = if cursors.before.is_some() { 19_999 } else { 50_000 };
        assert_eq!(page.transactions[0].tx_index, top, "{name}");
        assert_eq!(page.transactions[0].timestamp, 1_600_000_000 + top, "{name}");
        assert_eq!(page.token_transfers[0].timestamp, 1_600_000_000 + top, "{name}");
        let next = format!("{}.0.50.{}", 1_600_000_000 + top - 24, top - 24);
        assert_eq!(page.next.as_deref(), Some(next.as_str()), "{name}");
        assert_eq!(page.transfers_next, Some(format!("{next}.0")), "{name}");
        assert!(read <= 200, "{name}: read {read} rows");
        measured.push(format!("{name}: {read} rows"));
    }
    for (name, after) in [("the block's first", None), ("the block 40,000 down", Some(40_000))] {
        let before = pg_rows_read(&db, "%").await;
        let page = data::block(&db, 0, 50, after).await.expect("block").expect("indexed");
        let read = pg_rows_read(&db, "%").await - before;
        assert_eq!(page.transactions.len(), 25, "{name}");
        let first = after.map_or(1, |i| i + 1);
        assert_eq!(page.transactions[0].tx_index, first, "{name}");
        assert_eq!(page.next, Some((first + 24).to_string()), "{name}");
        assert!(read <= 200, "{name}: read {read} rows");
        measured.push(format!("{name}: {read} rows"));
    }
    println!("{}", measured.join("\n"));
}

/// The bridge page's deposits and withdrawals, the checkpoints, the token list and a token's
/// transfers are paged by cursor: a page 40,000 rows down reads about what the first does, and
/// starts right below (or after) where the page before ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_token_and_checkpoint_lists_read_what_they_show_at_any_depth() {
    use super::common::pg_rows_read;
    let db = fresh_postgres("sec_explorer_list_depth", 1).await;
    let w = |e: &str| super::pg_bytes(e, 32);
    let (h, z) = (w("n"), w("0"));
    let (aa, token) = ("decode(repeat('aa', 20), 'hex')", "decode(repeat('77', 20), 'hex')");
    for sql in [
        // Withdrawals of two domains, nonces counting up in each, two at each second (one of
        // each domain: the time ties, the domain breaks it).
        format!(
            "INSERT INTO withdrawals SELECT {h}, n % 2, n / 2, {aa}, {aa}, {aa}, {z}, n, {h}, 0, \
             1600000000 + n / 2, 'initiated' FROM generate_series(1, 50000) n"
        ),
        format!(
            "INSERT INTO deposits SELECT n, 0, {aa}, 0, {aa}, {aa}, {z}, n, {h}, 'initiated' \
             FROM generate_series(1, 50000) n"
        ),
        format!(
            "INSERT INTO checkpoints SELECT n, {h}, {h}, {h}, {z}, n, {h} \
             FROM generate_series(1, 50000) n"
        ),
        // A token's transfers: two logs a block, the second an ERC-1155 batch of two.
        format!(
            "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, tx_hash, \
             timestamp, token, from_address, to_address, amount) \
             SELECT 0, n / 4, (n % 4) / 2, n % 2, {h}, 1600000000 + n, {token}, {aa}, {aa}, {z} \
             FROM generate_series(0, 49999) n"
        ),
        // Tokens: 50,000 of domain 0, ten first seen in each block, and the one above.
        format!(
            "INSERT INTO tokens SELECT 0, {}, 'ERC-20', 'T' || n, 'T', 18, NULL, n / 10 \
             FROM generate_series(1, 50000) n",
            super::pg_bytes("n", 20)
        ),
        format!("INSERT INTO tokens VALUES (0, {token}, 'ERC-20', 'N', 'N', 18, NULL, 0)"),
    ] {
        sqlx::query(&sql).execute(db.pool()).await.expect("insert");
    }
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");

    let mut measured = Vec::new();
    let mut check = |name: &str, read: i64| {
        assert!(read <= 200, "{name}: read {read} rows");
        measured.push(format!("{name}: {read} rows"));
    };
    for (name, cursors) in [
        ("the bridge page's newest", data::BridgeCursors::default()),
        (
            "the bridge page 40,000 down",
            data::BridgeCursors {
                deposits_before: Some(10_001),
                withdrawals_before: Some([1_600_005_000, 1, 5_000]),
            },
        ),
    ] {
        let before = pg_rows_read(&db, "%").await;
        let page = data::bridge(&db, cursors).await.expect("bridge");
        check(name, pg_rows_read(&db, "%").await - before);
        let top = if cursors.deposits_before.is_some() { 10_000 } else { 50_000 };
        assert_eq!(page.deposits.len(), 25, "{name}");
        assert_eq!(page.deposits[0].nonce, top, "{name}");
        assert_eq!(page.deposits_page.next, Some((top - 24).to_string()), "{name}");
        assert_eq!(page.deposits_page.first, cursors.deposits_before.is_none());
        assert_eq!(page.withdrawals.len(), 25, "{name}");
        assert_eq!(page.withdrawals[0].block_number, top, "{name}");
        let last = top - 24;
        let next = format!("{}.{}.{}", 1_600_000_000 + last / 2, last % 2, last / 2);
        assert_eq!(page.withdrawals_page.next, Some(next), "{name}");
    }
    for (name, before) in
        [("the newest checkpoints", None), ("checkpoints 40,000 down", Some(10_001))]
    {
        let read_before = pg_rows_read(&db, "%").await;
        let (list, page) = data::checkpoints(&db, before).await.expect("checkpoints");
        check(name, pg_rows_read(&db, "%").await - read_before);
        let top = before.map_or(50_000, |b| b - 1);
        assert_eq!(list.len(), 25, "{name}");
        assert_eq!(list[0].id, top, "{name}");
        assert_eq!(page.next, Some((top - 24).to_string()), "{name}");
    }
    // The last page says so.
    let (list, page) = data::checkpoints(&db, Some(3)).await.expect("checkpoints");
    assert_eq!((list.len(), page.next), (2, None));

    for (name, before) in
        [("a token's newest transfers", None), ("its transfers 40,000 down", Some([2_500, 0, 0]))]
    {
        let read_before = pg_rows_read(&db, "%").await;
        let cursors = data::TokenCursors { transfers_before: before, ..Default::default() };
        let page = data::token(&db, 0, &[0x77; 20], &cursors).await.expect("token");
        let page = page.expect("indexed");
        check(name, pg_rows_read(&db, "%").await - read_before);
        // Transfer n is block n / 4, log (n % 4) / 2, batch n % 2.
        let top: i64 = if before.is_some() { 9_999 } else { 49_999 };
        assert_eq!(page.transfers.len(), 25, "{name}");
        assert_eq!(page.transfers[0].timestamp, 1_600_000_000 + top, "{name}");
        let last = top - 24;
        let next = format!("{}.{}.{}", last / 4, (last % 4) / 2, last % 2);
        assert_eq!(page.transfers_page.next, Some(next), "{name}");
    }

    // The token list from the first page on: each page starts after the one before, in the
    // order the tokens first appeared, and a page 40,000 tokens down reads what the first does.
    let mut expected: Vec<(i64, Address)> = (1..=50_000i64)
        .map(|n| (n / 10, Address::left_padding_from(&n.to_be_bytes())))
        .chain([(0, Address::repeat_byte(0x77))])
        .collect();
    expected.sort();
    let read_before = pg_rows_read(&db, "%").await;
    let (mut seen, page) = data::tokens(&db, None).await.expect("tokens");
    check("the first tokens", pg_rows_read(&db, "%").await - read_before);
    assert!(page.first);
    let mut next = page.next;
    for _ in 0..3 {
        let cursor = data::TokensCursor::parse(next.as_deref().expect("more")).expect("cursor");
        let (list, page) = data::tokens(&db, Some(&cursor)).await.expect("tokens");
        assert!(!page.first);
        seen.extend(list);
        next = page.next;
    }
    let seen: Vec<String> = seen.iter().map(|t| t.address.to_lowercase()).collect();
    let want: Vec<String> =
        expected[..100].iter().map(|(_, a)| a.to_string().to_lowercase()).collect();
    assert_eq!(seen, want, "every token once, in (first block, address) order");
    let (block, token) = expected[99];
    assert_eq!(next, Some(format!("0.{block}.{}", token.to_checksum(None))));
    let cursor = data::TokensCursor::parse(&format!("0.4000.{}", Address::ZERO)).expect("cursor");
    let read_before = pg_rows_read(&db, "%").await;
    let (deep, _) = data::tokens(&db, Some(&cursor)).await.expect("tokens");
    check("tokens 40,000 down", pg_rows_read(&db, "%").await - read_before);
    assert_eq!(deep[0].name.as_deref(), Some("T40000"));
    println!("{}", measured.join("\n"));
}
