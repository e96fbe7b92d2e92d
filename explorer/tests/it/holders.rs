//! A token's holders, largest first, paged by cursor (the API's `/holders` and the token
//! page's "More holders" links), ties broken by holder and token id; and an NFT token's
//! inventory, ids ascending, paged by cursor; over SQLite and PostgreSQL.

use alloy_primitives::{Address, U256};
use sec_explorer::{Explorer, ExplorerConfig};
use sec_indexer::Database;
use serde_json::Value;

use super::{
    common::{fresh_postgres, load_empty_blocks},
    get, json,
};

fn erc20() -> Address {
    Address::repeat_byte(0x20)
}
fn erc1155() -> Address {
    Address::repeat_byte(0x11)
}
fn erc721() -> Address {
    Address::repeat_byte(0x72)
}
fn holder(i: u64) -> Address {
    Address::left_padding_from(&(0x1000 + i).to_be_bytes())
}
fn word(v: u64) -> Vec<u8> {
    U256::from(v).to_be_bytes::<32>().to_vec()
}

/// (token, holder, token id, balance) of every balance row.
fn balances() -> Vec<(Address, Address, Vec<u8>, u64)> {
    let mut out = Vec::new();
    // 130 holders of the ERC-20, in 40 balances: ties broken by holder.
    for i in 0..130 {
        out.push((erc20(), holder(i), Vec::new(), i % 40 + 1));
    }
    // 30 holders of ERC-1155 ids 1 and 2, the same balance of each: ties by holder, then id.
    for i in 0..30 {
        for id in [1u64, 2] {
            out.push((erc1155(), holder(i), word(id), i % 3 + 1));
        }
    }
    out
}

/// The ERC-721's transfers, (block, log index, from, to, id): ids 1 to 60 minted in block 1
/// (in descending order, so that log order is not id order), every third sent on in block 2
/// and again in block 3, every tenth burned in block 4.
fn nft_transfers() -> Vec<(i64, i64, Address, Address, u64)> {
    let mut out = Vec::new();
    for id in (1..=60u64).rev() {
        out.push((1, out.len() as i64, Address::ZERO, holder(id), id));
    }
    for (block, offset) in [(2, 100), (3, 200)] {
        for id in (3..=60u64).step_by(3) {
            let from = out.iter().rev().find(|t| t.4 == id).expect("owner").3;
            out.push((block, out.len() as i64, from, holder(offset + id), id));
        }
    }
    for id in (10..=60u64).step_by(10) {
        let from = out.iter().rev().find(|t| t.4 == id).expect("owner").3;
        out.push((4, out.len() as i64, from, Address::ZERO, id));
    }
    out
}

/// The ERC-721's inventory: (id, owner) of every id not burned, ids ascending.
fn nft_owners() -> Vec<(String, String)> {
    (1..=60u64)
        .filter(|id| id % 10 != 0)
        .map(|id| {
            let owner = nft_transfers().into_iter().rev().find(|t| t.4 == id).expect("owner").3;
            (id.to_string(), owner.to_checksum(None))
        })
        .collect()
}

async fn load(db: &Database) {
    let supply: u64 = balances().iter().filter(|b| b.0 == erc20()).map(|b| b.3).sum();
    for (token, kind, total) in [
        (erc20(), "ERC-20", Some(word(supply))),
        (erc1155(), "ERC-1155", None),
        (erc721(), "ERC-721", None),
    ] {
        sqlx::query(
            "INSERT INTO tokens (domain, address, kind, name, symbol, decimals, total_supply, \
             first_block) VALUES (0, $1, $2, 'Test', 'TST', 2, $3, 0)",
        )
        .bind(token.to_vec())
        .bind(kind)
        .bind(total)
        .execute(db.pool())
        .await
        .expect("token");
    }
    for (domain, rows) in [(0i64, balances()), (1, balances())] {
        for (token, h, id, balance) in rows {
            sqlx::query(
                "INSERT INTO balances (domain, token, holder, token_id, balance) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(domain)
            .bind(token.to_vec())
            .bind(h.to_vec())
            .bind(id)
            .bind(word(balance + domain as u64 * 1000))
            .execute(db.pool())
            .await
            .expect("balance");
        }
    }
}

async fn load_nft_transfers(db: &Database) {
    for (domain, rows) in [(0i64, nft_transfers()), (1, nft_transfers())] {
        for (block, log_index, from, to, id) in rows {
            sqlx::query(
                "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, \
                 tx_hash, timestamp, token, from_address, to_address, amount, token_id) \
                 VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, NULL, $9)",
            )
            .bind(domain)
            .bind(block)
            .bind(log_index)
            .bind(word(log_index as u64))
            .bind(1_700_000_000 + block)
            .bind(erc721().to_vec())
            .bind(from.to_vec())
            // domain 1's ids go elsewhere: not in domain 0's inventory
            .bind(if domain == 0 { to.to_vec() } else { holder(999).to_vec() })
            .bind(word(id))
            .execute(db.pool())
            .await
            .expect("transfer");
        }
    }
}

/// A TransferBatch of two ids: (block, log index, from, to, [(id, value)]).
type Batch = (i64, i64, Address, Address, [(u64, u64); 2]);

/// ERC-1155 transfers with their transactions in blocks 3 to 5 of domain 0, each a batch of
/// ids 1 and 2.
fn erc1155_transfers() -> Vec<Batch> {
    vec![
        (3, 0, Address::ZERO, holder(1), [(1, 10), (2, 20)]),
        (4, 0, holder(1), holder(2), [(1, 3), (2, 4)]),
        (5, 1, holder(2), holder(3), [(2, 1), (1, 1)]),
    ]
}

/// Blocks 0 to 9 of domain 0, [`erc1155_transfers`] with a transaction each.
async fn load_erc1155_transfers(db: &Database) {
    load_empty_blocks(db, 0, 10, 0).await;
    for (i, (block, log_index, from, to, moves)) in erc1155_transfers().into_iter().enumerate() {
        let tx_hash = word(0xe000 + i as u64);
        sqlx::query(
            "INSERT INTO transactions (domain, block_number, tx_index, hash, from_address, \
             to_address, value, nonce, gas, tx_type, max_fee_per_gas, max_priority_fee_per_gas, \
             input, timestamp, status, gas_used, cumulative_gas_used, effective_gas_price, \
             contract_address, first_log_index, log_count) VALUES (0, $1, 0, $2, $3, $4, $5, $6, \
             90000, 2, NULL, NULL, $7, $8, 1, 50000, 50000, $9, NULL, 0, 2)",
        )
        .bind(block)
        .bind(tx_hash.clone())
        .bind(from.to_vec())
        .bind(erc1155().to_vec())
        .bind(word(0))
        .bind(i as i64)
        .bind(vec![0x2e, 0xb2, 0xc2, 0xd6, 0, 0])
        .bind(1_700_000_000 + block)
        .bind(word(7))
        .execute(db.pool())
        .await
        .expect("transaction");
        for (batch_index, (id, value)) in moves.into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, \
                 tx_hash, timestamp, token, from_address, to_address, amount, token_id) \
                 VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(block)
            .bind(log_index)
            .bind(batch_index as i64)
            .bind(tx_hash.clone())
            .bind(1_700_000_000 + block)
            .bind(erc1155().to_vec())
            .bind(from.to_vec())
            .bind(to.to_vec())
            .bind(word(value))
            .bind(word(id))
            .execute(db.pool())
            .await
            .expect("transfer");
        }
    }
}

/// The Etherscan API's token1155tx: the ERC-1155 transfers of an address or the token, a row
/// per id moved, with Etherscan's fields.
fn check_token1155tx(addr: std::net::SocketAddr) {
    let rows = |query: &str| -> Vec<Value> {
        let answer = json(addr, &format!("/api?module=account&action=token1155tx&{query}"));
        answer["result"].as_array().cloned().unwrap_or_default()
    };
    let lower = |a: Address| a.to_string().to_lowercase();
    let expected = |of: Option<Address>| -> Vec<(String, String, String, String, String)> {
        erc1155_transfers()
            .into_iter()
            .filter(|t| of.is_none_or(|a| t.2 == a || t.3 == a))
            .flat_map(|(block, _, from, to, moves)| {
                moves.map(|(id, value)| {
                    (block.to_string(), lower(from), lower(to), id.to_string(), value.to_string())
                })
            })
            .collect()
    };
    let fields = |rows: &[Value]| -> Vec<(String, String, String, String, String)> {
        rows.iter()
            .map(|r| {
                let f = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k}: {r}")).to_string();
                (f("blockNumber"), f("from"), f("to"), f("tokenID"), f("tokenValue"))
            })
            .collect()
    };
    let by_token = rows(&format!("contractaddress={}", erc1155()));
    assert_eq!(fields(&by_token), expected(None), "every id moved, in block and batch order");
    let first = &by_token[0];
    assert_eq!(first["contractAddress"], lower(erc1155()));
    assert_eq!((&first["tokenName"], &first["tokenSymbol"]), (&"Test".into(), &"TST".into()));
    assert!(first.get("tokenDecimal").is_none(), "{first}");
    assert_eq!(first["methodId"], "0x2eb2c2d6");
    assert_eq!(first["gasUsed"], "50000");
    assert_eq!(first["timeStamp"], "1700000003");
    assert_eq!(first["blockHash"].as_str().map(str::len), Some(66));
    for a in [holder(1), holder(2), holder(3)] {
        assert_eq!(fields(&rows(&format!("address={a}"))), expected(Some(a)), "{a}");
    }
    let desc = rows(&format!("address={}&sort=desc", holder(2)));
    let mut reversed = expected(Some(holder(2)));
    reversed.reverse();
    assert_eq!(fields(&desc), reversed);
    let page = rows(&format!("contractaddress={}&page=2&offset=2", erc1155()));
    assert_eq!(fields(&page), expected(None)[2..4].to_vec());
    // The ERC-1155's transfers are not ERC-721 ones.
    let path = format!("/api?module=account&action=tokennfttx&contractaddress={}", erc1155());
    assert_eq!(json(addr, &path)["message"], "No transactions found");
}

/// Every page of an inventory from the first: the items in the order served.
fn walk_inventory(addr: std::net::SocketAddr, path: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page = json(addr, path);
    for pages in 0.. {
        assert!(pages < 100, "{path}: the walk does not end");
        let items = page["items"].as_array().expect("items").clone();
        let next = page["next"].as_str().map(String::from);
        match &next {
            Some(_) => assert_eq!(items.len(), limit, "{path}: a page before the last is full"),
            None => assert!(items.len() <= limit),
        }
        out.extend(items);
        let Some(cursor) = next else { break };
        page = json(addr, &format!("{path}&after={cursor}"));
    }
    out
}

/// Every page of a holders list from the first: (holder, token id, raw amount) in order served.
fn walk(addr: std::net::SocketAddr, path: &str, limit: usize) -> Vec<(String, Value, String)> {
    let mut out = Vec::new();
    let mut page = json(addr, path);
    let mut pages = 0;
    loop {
        let rows = page["holders"].as_array().expect("holders").clone();
        for (i, h) in rows.iter().enumerate() {
            let rank = if pages == 0 { Value::from(i as i64 + 1) } else { Value::Null };
            assert_eq!(h["rank"], rank, "{path}: {h}");
        }
        let next = page["next"].as_str().map(String::from);
        match &next {
            Some(_) => assert_eq!(rows.len(), limit, "{path}: a page before the last is full"),
            None => assert!(rows.len() <= limit),
        }
        out.extend(rows.iter().map(|h| {
            let amount = h["raw_amount"].as_str().expect("amount").to_string();
            (h["holder"].as_str().expect("holder").to_string(), h["token_id"].clone(), amount)
        }));
        let Some(cursor) = next else { break };
        page = json(addr, &format!("{path}&before={cursor}"));
        pages += 1;
        assert!(pages < 100, "{path}: the walk does not end");
    }
    out
}

async fn check(db: Database) {
    let config = ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    let explorer = Explorer::start(config, db).await.expect("explorer");
    let addr = explorer.addr();
    tokio::task::spawn_blocking(move || {
        let expected = |token: Address| {
            let mut rows: Vec<_> = balances().into_iter().filter(|b| b.0 == token).collect();
            rows.sort_by(|x, y| (y.3, y.1, &y.2).cmp(&(x.3, x.1, &x.2)));
            rows.into_iter()
                .map(|(_, h, id, balance)| {
                    let id = if id.is_empty() {
                        Value::Null
                    } else {
                        Value::from(U256::from_be_slice(&id).to_string())
                    };
                    (h.to_checksum(None), id, balance.to_string())
                })
                .collect::<Vec<_>>()
        };
        let path = format!("/api/v1/token/0/{}/holders?", erc20());
        let served = walk(addr, &path, 25);
        assert_eq!(served.len(), 130);
        assert_eq!(served, expected(erc20()), "every holder once, largest first");
        assert_eq!(walk(addr, &format!("{path}limit=100"), 100), expected(erc20()));
        let first = json(addr, &path);
        assert_eq!(first["holders"][0]["amount"], "0.4", "40 in units of 2 decimals");
        let supply: u64 = (0..130).map(|i| i % 40 + 1).sum();
        let share = format!("{:.4} %", (40.0 / supply as f64 * 1e6).floor() / 1e4);
        assert_eq!(first["holders"][0]["share"], share.as_str());
        assert_eq!(first["token"]["symbol"], "TST");
        let multi = walk(addr, &format!("/api/v1/token/0/{}/holders?limit=7", erc1155()), 7);
        assert_eq!(multi.len(), 60);
        assert_eq!(multi, expected(erc1155()), "ties broken by holder, then token id");

        // The token page shows the largest 25 and links to the next 25, to the last holder.
        let mut seen = Vec::new();
        let mut page_path = format!("/token/0/{}", erc20());
        loop {
            let (status, _, page) = get(addr, &page_path);
            assert_eq!(status, 200, "{page_path}");
            let table = page.split("<table class=\"holders\">").nth(1).expect("holders table");
            let table = &table[..table.find("</table>").expect("table end")];
            seen.extend(table.match_indices("href=\"/address/").map(|(at, m)| {
                let rest = &table[at + m.len()..];
                rest[..rest.find('"').unwrap()].to_string()
            }));
            let Some(at) = page.find("?holders_before=") else { break };
            let end = page[at..].find('#').expect("anchor") + at;
            page_path = format!("/token/0/{}{}", erc20(), &page[at..end]);
        }
        let holders: Vec<String> = expected(erc20()).into_iter().map(|h| h.0).collect();
        assert_eq!(seen, holders, "the token pages' holders");
        let (_, _, page) = get(addr, &format!("/token/0/{}", erc1155()));
        assert!(page.contains("<th>Token id</th>"), "{page}");

        // Malformed parameters are refused, saying which; an unknown token is not found.
        for (path, starts) in [
            (format!("{path}before=zz"), "before"),
            (format!("{path}before=0x{}", "ab".repeat(60)), "before"),
            (format!("{path}limit=0"), "limit"),
            (format!("{path}limit=101"), "limit"),
            (format!("/api/v1/token/0/{}?holders_before=12", erc20()), "holders_before"),
        ] {
            let (status, _, body) = get(addr, &path);
            assert_eq!(status, 400, "{path}: {body}");
            let error: Value = serde_json::from_str(&body).expect("JSON");
            assert!(error["error"].as_str().unwrap().starts_with(starts), "{path}: {error}");
        }
        let (status, _, page) = get(addr, &format!("/token/0/{}?holders_before=x", erc20()));
        assert_eq!(status, 400);
        assert!(page.contains("holders_before"), "{page}");
        // The ERC-721's inventory: each id's latest owner, burned ids left out, ids ascending.
        let path = format!("/api/v1/token/0/{}/inventory?limit=7", erc721());
        let served: Vec<(String, String)> = walk_inventory(addr, &path, 7)
            .iter()
            .map(|i| (i["token_id"].as_str().unwrap().into(), i["owner"].as_str().unwrap().into()))
            .collect();
        assert_eq!(served.len(), 54);
        assert_eq!(served, nft_owners(), "every id not burned once, with its latest owner");
        let first = json(addr, &format!("/api/v1/token/0/{}/inventory", erc721()));
        assert_eq!(first["items"].as_array().map(Vec::len), Some(25));
        assert_eq!(first["items"][2]["last_moved"], sec_explorer::format::utc(1_700_000_003));
        // The token page shows 25 and links to the next 25, to the last id.
        let mut seen = Vec::new();
        let mut page_path = format!("/token/0/{}", erc721());
        loop {
            let (status, _, page) = get(addr, &page_path);
            assert_eq!(status, 200, "{page_path}");
            let table = page.split("<table class=\"inventory\">").nth(1).expect("inventory");
            let table = &table[..table.find("</table>").expect("table end")];
            seen.extend(table.match_indices("<td class=\"mono\">").map(|(at, m)| {
                let rest = &table[at + m.len()..];
                rest[..rest.find('<').unwrap()].to_string()
            }));
            let Some(at) = page.find("?inventory_after=") else { break };
            let end = page[at..].find('#').expect("anchor") + at;
            page_path = format!("/token/0/{}{}", erc721(), &page[at..end]);
        }
        let ids: Vec<String> = nft_owners().into_iter().map(|o| o.0).collect();
        assert_eq!(seen, ids, "the token pages' inventory");
        // The ERC-1155's: each id with its holders, by id then holder.
        let path = format!("/api/v1/token/0/{}/inventory?limit=4", erc1155());
        let served: Vec<(String, String, String)> = walk_inventory(addr, &path, 4)
            .iter()
            .map(|i| {
                let text = |k: &str| i[k].as_str().unwrap().to_string();
                (text("token_id"), text("owner"), text("balance"))
            })
            .collect();
        let mut expected: Vec<(u64, Address, u64)> = balances()
            .into_iter()
            .filter(|b| b.0 == erc1155())
            .map(|b| (U256::from_be_slice(&b.2).to::<u64>(), b.1, b.3))
            .collect();
        expected.sort();
        let expected: Vec<(String, String, String)> = expected
            .into_iter()
            .map(|(id, h, n)| (id.to_string(), h.to_checksum(None), n.to_string()))
            .collect();
        assert_eq!(served, expected, "ERC-1155 ids with their holders");
        for bad in ["zz", "0x12"] {
            let path = format!("/api/v1/token/0/{}/inventory?after={bad}", erc721());
            let (status, _, body) = get(addr, &path);
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body.contains("after: "), "{body}");
            let page = format!("/token/0/{}?inventory_after={bad}", erc721());
            assert_eq!(get(addr, &page).0, 400, "{page}");
        }

        check_token1155tx(addr);

        let unknown = format!("/api/v1/token/0/{}/holders", Address::repeat_byte(9));
        assert_eq!(get(addr, &unknown).0, 404);
        let api = json(addr, "/api/v1/openapi.json");
        assert!(api["paths"]["/api/v1/token/{domain}/{address}/holders"]["get"].is_object());
    })
    .await
    .expect("holder checks");
    explorer.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_holders_and_inventory_page_by_cursor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    load(&sqlite).await;
    load_nft_transfers(&sqlite).await;
    load_erc1155_transfers(&sqlite).await;
    check(sqlite).await;
    let postgres = fresh_postgres("sec_explorer_holders", 4).await;
    load(&postgres).await;
    load_nft_transfers(&postgres).await;
    load_erc1155_transfers(&postgres).await;
    check(postgres).await;
}

/// A page of holders reads about the rows it shows however deep it is: of 100,000 holders, the
/// page 50,000 down reads as few as the first (an OFFSET would read the 50,000 above it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_pages_read_what_they_show_at_any_depth() {
    use super::common::pg_rows_read;
    use sec_explorer::holders;
    // One connection, so that the statistics read are those of the views' statements.
    let db = fresh_postgres("sec_explorer_holders_depth", 1).await;
    let w = super::pg_bytes;
    let sql = format!(
        "INSERT INTO balances (domain, token, holder, token_id, balance) \
         SELECT 0, {token}, {holder}, ''::bytea, {balance} FROM generate_series(1, 100000) n",
        token = w("32", 20),
        holder = w("n", 20),
        balance = w("n % 1000 + 1", 32),
    );
    sqlx::query(&sql).execute(db.pool()).await.expect("insert");
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");
    let token = Address::with_last_byte(0x20); // to_hex(32)
    let supply = U256::from(50_050_000u64);
    let mut measured = Vec::new();
    let mut cursor = None;
    // The first page, then the one after it 50,000 rows down.
    for (name, skip) in [("first page", 0), ("50,000 down", 50_000)] {
        if skip > 0 {
            // Holder n holds n mod 1000 + 1, so each balance has 100 holders: the top 50,000 rows
            // are balances 1000 down to 501, the last of them holder 500 (the smallest n holding
            // 501); the page after it starts with balance 500.
            let balance = U256::from(501u64).to_be_bytes::<32>();
            let holder = Address::left_padding_from(&500u64.to_be_bytes());
            let hex = alloy_primitives::hex::encode([&balance[..], holder.as_slice()].concat());
            cursor = Some(holders::HolderCursor::parse(&hex).expect("cursor"));
        }
        let before = pg_rows_read(&db, "%").await;
        let page = holders::page(&db, 0, token.as_slice(), cursor.as_ref(), 25, supply, 0)
            .await
            .expect("page");
        let read = pg_rows_read(&db, "%").await - before;
        assert_eq!(page.holders.len(), 25, "{name}");
        assert!(page.next.is_some(), "{name}");
        if skip > 0 {
            assert_eq!(page.holders[0].raw_amount, "500", "{name}");
            let top = Address::left_padding_from(&99_499u64.to_be_bytes()).to_checksum(None);
            assert_eq!(page.holders[0].holder, top, "the largest holder number holding 500");
            assert!(page.holders[0].rank.is_none());
        } else {
            assert_eq!(page.holders[0].raw_amount, "1000");
        }
        assert!(read <= 120, "{name}: read {read} rows");
        measured.push(format!("holders, {name}: {read} rows"));
    }
    println!("{}", measured.join("\n"));
}

/// The Etherscan API's tokennfttx by address reads the address's NFT transfers, neither the
/// ERC-20 transfers it also has nor other accounts' NFT transfers: of an account with 20,000
/// ERC-20 transfers and 3 NFT transfers, among 20,000 NFT transfers of others, a few dozen rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nft_transfers_by_address_skip_erc20_transfers() {
    use super::common::pg_rows_read;
    let db = fresh_postgres("sec_explorer_nft_depth", 1).await;
    load_empty_blocks(&db, 0, 10, 0).await;
    let w = super::pg_bytes;
    // Holder 1 (0x…01) sends an ERC-20 (0x…20) 20,000 times, in blocks 1 to 9.
    let sql = format!(
        "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, tx_hash, \
           timestamp, token, from_address, to_address, amount, token_id) \
         SELECT 0, n % 9 + 1, n, 0, {hash}, 1700000000 + n % 9 + 1, {token}, {from}, {to}, \
           {amount}, NULL FROM generate_series(1, 20000) n",
        hash = w("n", 32),
        token = w("32", 20),
        from = w("1", 20),
        to = w("n + 1000", 20),
        amount = w("1", 32),
    );
    sqlx::query(&sql).execute(db.pool()).await.expect("ERC-20 transfers");
    // Other accounts move 20,000 ids of the ERC-721 among themselves.
    let sql = format!(
        "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, tx_hash, \
           timestamp, token, from_address, to_address, amount, token_id) \
         SELECT 0, n % 9 + 1, 100000 + n, 0, {hash}, 1700000000 + n % 9 + 1, $1, {from}, \
           {to}, NULL, {id} FROM generate_series(1, 20000) n",
        hash = w("n + 100000", 32),
        from = w("n + 50000", 20),
        to = w("n + 90000", 20),
        id = w("n + 100", 32),
    );
    sqlx::query(&sql).bind(erc721().to_vec()).execute(db.pool()).await.expect("other NFTs");
    for (token, kind) in [(Address::with_last_byte(0x20), "ERC-20"), (erc721(), "ERC-721")] {
        sqlx::query(
            "INSERT INTO tokens (domain, address, kind, name, symbol, first_block) \
             VALUES (0, $1, $2, 'T', 'T', 0)",
        )
        .bind(token.to_vec())
        .bind(kind)
        .execute(db.pool())
        .await
        .expect("token");
    }
    // Holder 1 receives ids 1 to 3 of the ERC-721 in block 9, a transaction each.
    for id in 1..=3u64 {
        let hash = word(0xf000 + id);
        sqlx::query(
            "INSERT INTO token_transfers (domain, block_number, log_index, batch_index, tx_hash, \
             timestamp, token, from_address, to_address, amount, token_id) \
             VALUES (0, 9, $1, 0, $2, 1700000009, $3, $4, $5, NULL, $6)",
        )
        .bind(30_000 + id as i64)
        .bind(hash.clone())
        .bind(erc721().to_vec())
        .bind(Address::ZERO.to_vec())
        .bind(Address::with_last_byte(1).to_vec())
        .bind(word(id))
        .execute(db.pool())
        .await
        .expect("NFT transfer");
        sqlx::query(
            "INSERT INTO transactions (domain, block_number, tx_index, hash, from_address, \
             to_address, value, nonce, gas, tx_type, input, timestamp, status, gas_used, \
             cumulative_gas_used, effective_gas_price, first_log_index, log_count) \
             VALUES (0, 9, $1, $2, $3, $4, $5, 0, 90000, 2, $6, 1700000009, 1, 50000, 50000, \
             $5, 0, 1)",
        )
        .bind(id as i64)
        .bind(hash)
        .bind(Address::with_last_byte(1).to_vec())
        .bind(erc721().to_vec())
        .bind(word(0))
        .bind(Vec::<u8>::new())
        .execute(db.pool())
        .await
        .expect("transaction");
    }
    sqlx::query("ANALYZE").execute(db.pool()).await.expect("analyze");
    let config = ExplorerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    let explorer = Explorer::start(config, db.clone()).await.expect("explorer");
    let addr = explorer.addr();
    let path =
        format!("/api?module=account&action=tokennfttx&address={}", Address::with_last_byte(1));
    let answer = tokio::task::spawn_blocking(move || json(addr, &path)).await.expect("request");
    let ids: Vec<&str> = answer["result"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["tokenID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3"], "{answer}");
    // The rows its statement reads, run here (the explorer's own connections report their
    // statistics later): the by-address statement, ascending, a page of 100.
    let (sql, kinds) = sec_explorer::etherscan::statements().swap_remove(1);
    assert_eq!(kinds, "aitiiiii", "the by-address statement");
    let before = pg_rows_read(&db, "%").await;
    let rows = sqlx::query(&sql)
        .bind(Address::with_last_byte(1).to_vec())
        .bind(0i64)
        .bind("ERC-721")
        .bind(0i64)
        .bind(i64::MAX)
        .bind(100i64)
        .bind(100i64)
        .bind(0i64)
        .fetch_all(db.pool())
        .await
        .expect("tokennfttx");
    let read = pg_rows_read(&db, "%").await - before;
    assert_eq!(rows.len(), 3);
    assert!(read <= 100, "tokennfttx read {read} rows");
    println!(
        "tokennfttx of an address with 20,000 ERC-20 transfers among 20,000 others' NFT transfers: {read} rows"
    );
    explorer.stop();
}
