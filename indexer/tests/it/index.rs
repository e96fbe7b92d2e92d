//! Indexing a chain with every kind of row, into SQLite and into PostgreSQL; resuming; reorgs.

use alloy_primitives::{Address, U256};
use sec_indexer::{Database, schema::read_u256};
use sqlx::Row;

use crate::common::*;

async fn count(db: &Database, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.pool()).await.expect(sql).try_get::<i64, _>(0).expect("count")
}

async fn stored_balance(db: &Database, domain: u32, token: Address, holder: Address) -> U256 {
    let row = sqlx::query(
        "SELECT balance FROM balances WHERE domain = $1 AND token = $2 AND holder = $3 AND token_id = $4",
    )
    .bind(i64::from(domain))
    .bind(token.to_vec())
    .bind(holder.to_vec())
    .bind(Vec::<u8>::new())
    .fetch_optional(db.pool())
    .await
    .expect("balance query");
    row.map(|r| read_u256(&r.try_get::<Vec<u8>, _>("balance").expect("bytes"))).unwrap_or_default()
}

/// The PostgreSQL server the test command starts.
fn postgres_url() -> String {
    std::env::var("SEC_TEST_POSTGRES").expect(
        "SEC_TEST_POSTGRES must name a PostgreSQL database (./scripts/test.sh installs and starts one)",
    )
}

/// A fresh, empty PostgreSQL database for one test.
async fn fresh_postgres(name: &str) -> Database {
    let admin = postgres_url();
    sec_indexer::Database::connect(&admin, 1).await.expect("postgres reachable");
    let pool = sqlx::PgPool::connect(&admin).await.expect("admin connection");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&pool).await.expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create");
    let (base, _) = admin.rsplit_once('/').expect("url with a database");
    Database::connect(&format!("{base}/{name}"), 4).await.expect("connect fresh database")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_hold_the_same_complete_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 2).await;
    let built = build_chain(&node).await;
    let d0 = Sender::new(&node, 0);
    let d1 = Sender::new(&node, 1);
    let head0 = d0.block_number().await;
    let head1 = d1.block_number().await;

    let sqlite = Database::connect(dir.path().join("index.db").to_str().expect("path"), 4)
        .await
        .expect("sqlite");
    index(&node, &sqlite, 1_000).await;
    let db = &sqlite;

    // Every block of both domains, every transaction, with receipts.
    assert_eq!(count(db, "SELECT COUNT(*) FROM blocks WHERE domain = 0").await, head0 as i64 + 1);
    assert_eq!(count(db, "SELECT COUNT(*) FROM blocks WHERE domain = 1").await, head1 as i64 + 1);
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE domain = 1").await, 2);
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE domain = 0").await, 11);
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE status = 0").await, 1);
    assert_eq!(count(db, "SELECT COUNT(*) FROM blocks WHERE final = 0").await, 0);

    // Tokens: kind and metadata read from the contract; the hostile name is stored verbatim.
    let token = sqlx::query(
        "SELECT kind, name, symbol, decimals, total_supply FROM tokens WHERE address = $1",
    )
    .bind(built.token.to_vec())
    .fetch_one(db.pool())
    .await
    .expect("token row");
    assert_eq!(token.try_get::<String, _>("kind").unwrap(), "ERC-20");
    assert_eq!(token.try_get::<String, _>("name").unwrap(), HOSTILE_NAME);
    assert_eq!(token.try_get::<String, _>("symbol").unwrap(), "XSS");
    assert_eq!(token.try_get::<i64, _>("decimals").unwrap(), 6);
    let supply = read_u256(&token.try_get::<Vec<u8>, _>("total_supply").unwrap());
    assert_eq!(supply, U256::from(995_000u64), "supply after the burn");
    let nft = sqlx::query("SELECT kind FROM tokens WHERE address = $1")
        .bind(built.collectible.to_vec())
        .fetch_one(db.pool())
        .await
        .expect("collectible row");
    assert_eq!(nft.try_get::<String, _>("kind").unwrap(), "ERC-721");

    // Token transfers: mint, two transfers, burn; NFT mint and transfer.
    assert_eq!(count(db, "SELECT COUNT(*) FROM token_transfers").await, 6);
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM token_transfers WHERE token_id IS NOT NULL").await,
        2
    );

    // Balances equal what the node says, native and token, in both domains.
    for holder in &built.holders {
        assert_eq!(
            stored_balance(db, 0, built.token, *holder).await,
            d0.token_balance(built.token, *holder).await
        );
        assert_eq!(stored_balance(db, 0, Address::ZERO, *holder).await, d0.balance(*holder).await);
        assert_eq!(stored_balance(db, 1, Address::ZERO, *holder).await, d1.balance(*holder).await);
    }
    assert_eq!(stored_balance(db, 0, built.collectible, built.holders[1]).await, U256::from(1u64));
    assert_eq!(stored_balance(db, 0, built.collectible, built.holders[0]).await, U256::ZERO);

    // Internal transfers: the split's two payments and the funded creation; none of the failed
    // transaction's.
    assert_eq!(count(db, "SELECT COUNT(*) FROM internal_transfers").await, 3);
    let split_rows = sqlx::query("SELECT COUNT(*) FROM internal_transfers WHERE tx_hash = $1")
        .bind(built.split_tx.to_vec())
        .fetch_one(db.pool())
        .await
        .expect("split")
        .try_get::<i64, _>(0)
        .unwrap();
    assert_eq!(split_rows, 2);
    // Contracts: three deployed by transactions, one created inside one, with code.
    assert_eq!(count(db, "SELECT COUNT(*) FROM contracts").await, 4);
    let child_creator = sqlx::query("SELECT COUNT(*) FROM contracts WHERE creator = $1")
        .bind(built.forwarder.to_vec())
        .fetch_one(db.pool())
        .await
        .expect("child")
        .try_get::<i64, _>(0)
        .unwrap();
    assert_eq!(child_creator, 1);

    // Indexing again finds everything done and changes nothing.
    let before = sqlite.dump().await.expect("dump");
    index(&node, &sqlite, 1_000).await;
    assert_eq!(sqlite.dump().await.expect("dump"), before);

    // PostgreSQL, through the same migrations, ends up holding exactly the same rows.
    let postgres = fresh_postgres("sec_index_same").await;
    index(&node, &postgres, 1_000).await;
    assert_eq!(postgres.dump().await.expect("dump"), before);
}
