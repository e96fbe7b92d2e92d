//! Indexing a chain with every kind of row, into SQLite and into PostgreSQL; resuming; reorgs.

use alloy_primitives::{Address, U256};
use sec_indexer::{Database, IndexerConfig, schema::read_u256};
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
    // three sent to domain 1, and the system transaction that delivered domain 0's message
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE domain = 1").await, 4);
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE domain = 0").await, 12);
    assert_eq!(count(db, "SELECT COUNT(*) FROM transactions WHERE status = 0").await, 1);
    assert_eq!(count(db, "SELECT COUNT(*) FROM blocks WHERE final = 0").await, 0);
    // the message domain 0 sent, delivered by domain 1
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM message_deliveries WHERE domain = 1 AND success = 1").await,
        1
    );

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

    // Internal transfers: the split's two payments, the funded creation and the withdrawal's
    // value passed to CrossDomain; none of the failed transaction's.
    assert_eq!(count(db, "SELECT COUNT(*) FROM internal_transfers").await, 4);
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

    // The cross-domain message (0 -> 1) and the withdrawal's message (1 -> Ethereum), and the
    // withdrawal itself.
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM messages WHERE source_domain = 0 AND target_domain = 1")
            .await,
        1
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM messages WHERE source_domain = 1").await, 1);
    let w = sqlx::query("SELECT l1_recipient, amount, stage FROM withdrawals WHERE domain = 1")
        .fetch_one(db.pool())
        .await
        .expect("withdrawal row");
    assert_eq!(w.try_get::<Vec<u8>, _>("l1_recipient").unwrap(), built.holders[0].to_vec());
    assert_eq!(read_u256(&w.try_get::<Vec<u8>, _>("amount").unwrap()), ether(1));
    assert_eq!(w.try_get::<String, _>("stage").unwrap(), "initiated");

    // The fresh index was bulk-loaded, and its lookup indexes were built once it caught up.
    let names = sqlite.index_names().await.expect("index names");
    for name in sec_indexer::bulk::LOOKUP_INDEXES {
        assert!(names.iter().any(|n| n == name), "{name} built after the bulk load");
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM deferred_indexes").await, 0);

    // Indexing again finds everything done and changes nothing.
    let before = sqlite.dump().await.expect("dump");
    index(&node, &sqlite, 1_000).await;
    assert_eq!(sqlite.dump().await.expect("dump"), before);

    // Loading with the lookup indexes in place all along ends with the same rows and indexes.
    let indexed = Database::connect(dir.path().join("indexed.db").to_str().expect("path"), 4)
        .await
        .expect("sqlite");
    let config = IndexerConfig { bulk_load: false, ..index_config(&node, "unused", 1_000) };
    sec_indexer::run(config, indexed.clone()).await.expect("indexing succeeds");
    assert_eq!(indexed.dump().await.expect("dump"), before);

    // PostgreSQL, through the same migrations, ends up holding exactly the same rows.
    let postgres = fresh_postgres("sec_index_same", 4).await;
    index(&node, &postgres, 1_000).await;
    assert_eq!(postgres.dump().await.expect("dump"), before);
    // each token's holder count is kept as its balance rows come and go
    assert_holder_counts(&sqlite).await;
    assert_holder_counts(&postgres).await;
}

/// Two nodes share a prefix of the chain, then fork. Indexing one and then the other rolls back
/// above the fork (rows, tokens, balances) and ends exactly as indexing the second alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_rolls_back_to_the_fork_and_matches_a_clean_index() {
    use alloy_primitives::{Bytes, TxKind};
    let dir = tempfile::tempdir().expect("tempdir");
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b, c) = (dev_key(0), dev_key(1), dev_key(2));

    // The shared prefix: a token and one transfer.
    let node = start_node(&dir_a, 2).await;
    let d0 = Sender::new(&node, 0);
    let token = d0.deploy(&a, named_token("Shared", "SHR", U256::from(1_000u64))).await;
    d0.call(&a, token, U256::ZERO, transferCall { to: b.address(), value: U256::from(10u64) })
        .await;
    let fork = d0.block_number().await;
    node.shutdown().await;
    copy_dir(&dir_a, &dir_b);

    // Branch A: more token transfers, a new token, value to c.
    let node = start_node(&dir_a, 2).await;
    let d0 = Sender::new(&node, 0);
    d0.call(&b, token, U256::ZERO, transferCall { to: c.address(), value: U256::from(4u64) }).await;
    let only_a = d0.deploy(&c, named_token("Branch A", "BRA", U256::from(5u64))).await;
    d0.send(&a, TxKind::Call(c.address()), ether(7), Bytes::new()).await;
    d0.send(&a, TxKind::Call(c.address()), ether(1), Bytes::new()).await;
    let db = Database::connect(dir.path().join("index.db").to_str().expect("path"), 4)
        .await
        .expect("sqlite");
    index(&node, &db, 1_000).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tokens").await, 2);
    // Both tokens' source verified by a user.
    for (at, name) in [(token, "Shared"), (only_a, "Branch A")] {
        let row = sec_indexer::verified::VerifiedContract {
            domain: 0,
            address: at,
            name: name.into(),
            file: "Market.sol".into(),
            full_match: true,
            compiler_version: "v0.8.37+commit.f401782d".into(),
            code_format: "solidity-single-file".into(),
            source: String::new(),
            settings: "{}".into(),
            abi: "[]".into(),
            constructor_args: Vec::new(),
            license: "None".into(),
            code_hash: Vec::new(),
            origin: "user".into(),
        };
        sec_indexer::verified::store(&db, &row, 0).await.expect("verified");
    }
    node.shutdown().await;

    // Branch B: different transactions from the same fork point.
    let node = start_node(&dir_b, 2).await;
    let d0 = Sender::new(&node, 0);
    d0.call(&b, token, U256::ZERO, transferCall { to: a.address(), value: U256::from(3u64) }).await;
    d0.send(&c, TxKind::Call(b.address()), ether(2), Bytes::new()).await;
    assert!(d0.block_number().await > fork);
    index(&node, &db, 1_000).await;

    // The branch-A token is gone with its balances; c's balances are B's.
    let gone = sqlx::query("SELECT COUNT(*) FROM balances WHERE token = $1")
        .bind(only_a.to_vec())
        .fetch_one(db.pool())
        .await
        .expect("count")
        .try_get::<i64, _>(0)
        .unwrap();
    assert_eq!(gone, 0);
    assert_eq!(
        stored_balance(&db, 0, Address::ZERO, c.address()).await,
        d0.balance(c.address()).await
    );
    assert_eq!(stored_balance(&db, 0, token, c.address()).await, U256::ZERO);
    // The branch-A token's verification went with it; the shared token's stays.
    let verified: Vec<Vec<u8>> =
        sqlx::query("SELECT address FROM verified_contracts WHERE origin = 'user'")
            .fetch_all(db.pool())
            .await
            .expect("verified")
            .iter()
            .map(|r| r.try_get::<Vec<u8>, _>("address").unwrap())
            .collect();
    assert_eq!(verified, vec![token.to_vec()]);
    assert_eq!(
        stored_balance(&db, 0, token, a.address()).await,
        d0.token_balance(token, a.address()).await
    );

    assert_matches_fresh_index(&node, &db, dir.path()).await;
    node.shutdown().await;
}

/// Deposits made on an Ethereum chain (the dev chain, with the SEC contracts deployed) are
/// indexed with their nonce, domain, amount and Ethereum transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereum_deposits_are_indexed() {
    use sec_bridge::deposit::deposit_eth;

    let dir = tempfile::tempdir().expect("tempdir");
    let l1 = L1Chain::start(&dir.path().join("l1")).await;
    let bridge = l1.deployment.addresses.l1_bridge;
    let to = dev_key(1).address();
    deposit_eth(&l1.client, bridge, 1, to, ether(2)).await.expect("deposit 1");
    deposit_eth(&l1.client, bridge, 0, to, ether(3)).await.expect("deposit 2");

    // the node credits them (system transactions in their domains) before they are indexed
    let node = start_node_with_l1(&dir.path().join("l2"), 2, &l1).await;
    credited(&node, 1).await;
    credited(&node, 2).await;
    let db = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    let mut config = index_config(&node, "unused", 1_000);
    config.ethereum = Some(l1.ethereum_config());
    sec_indexer::run(config.clone(), db.clone()).await.expect("indexing succeeds");

    let rows =
        sqlx::query("SELECT nonce, domain, to_address, amount, stage FROM deposits ORDER BY nonce")
            .fetch_all(db.pool())
            .await
            .expect("deposits");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].try_get::<i64, _>("domain").unwrap(), 1);
    assert_eq!(rows[1].try_get::<i64, _>("domain").unwrap(), 0);
    assert_eq!(rows[0].try_get::<Vec<u8>, _>("to_address").unwrap(), to.to_vec());
    assert_eq!(read_u256(&rows[1].try_get::<Vec<u8>, _>("amount").unwrap()), ether(3));
    assert_eq!(rows[0].try_get::<String, _>("stage").unwrap(), "deposited");
    // ... and where each was credited: its domain's system transaction
    let credits = sqlx::query("SELECT nonce, domain, success FROM deposit_credits ORDER BY nonce")
        .fetch_all(db.pool())
        .await
        .expect("credits");
    let credits: Vec<(i64, i64, i64)> =
        credits.iter().map(|r| (r.get("nonce"), r.get("domain"), r.get("success"))).collect();
    assert_eq!(credits, vec![(1, 1, 1), (2, 0, 1)]);

    // Validators: the owner registers with the minimum stake; another account delegates to it.
    let min_stake = l1.register_and_delegate(ether(200)).await;

    // A third deposit after a restart is added once; the first two are not read twice.
    deposit_eth(&l1.client, bridge, 1, to, ether(1)).await.expect("deposit 3");
    credited(&node, 3).await;
    sec_indexer::run(config, db.clone()).await.expect("indexing resumes");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deposits").await, 3);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deposit_credits WHERE domain = 1").await, 2);
    let v = sqlx::query("SELECT signer, commission_bps, stake, self_stake FROM validators")
        .fetch_all(db.pool())
        .await
        .expect("validators");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].try_get::<Vec<u8>, _>("signer").unwrap(), dev_key(7).address().to_vec());
    assert_eq!(v[0].try_get::<i64, _>("commission_bps").unwrap(), 750);
    assert_eq!(read_u256(&v[0].try_get::<Vec<u8>, _>("stake").unwrap()), min_stake + ether(200));
    assert_eq!(read_u256(&v[0].try_get::<Vec<u8>, _>("self_stake").unwrap()), min_stake);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM delegations").await, 2);
    // The supply's allocations, as they report themselves: the angel vault has released its
    // first tranche to the owner.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM allocations").await, 6);
    let angel = sqlx::query("SELECT name, released, schedule FROM allocations WHERE contract = $1")
        .bind(l1.deployment.addresses.angel_vault.to_vec())
        .fetch_one(db.pool())
        .await
        .expect("angel allocation");
    assert!(!angel.try_get::<String, _>("name").unwrap().is_empty());
    assert_eq!(read_u256(&angel.try_get::<Vec<u8>, _>("released").unwrap()), ether(52_500_000));
    assert!(angel.try_get::<String, _>("schedule").unwrap().starts_with("[["));
    node.shutdown().await;
    l1.node.shutdown().await;
}

/// Processes opening one new SQLite file at the same time (an indexer and an explorer started
/// together) all end up with the schema; none fails on the other's migrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_openers_share_one_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("index.db").to_str().unwrap().to_string();
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move { Database::connect(&path, 1).await })
        })
        .collect();
    for o in openers {
        let db = o.await.expect("task").expect("every opener succeeds");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM blocks").await, 0);
    }
}

/// Two Ethereum chains share a prefix (the contracts, a deposit, a validator) and then fork: the
/// first makes a deposit right after the fork and runs on 80 blocks; the second makes another
/// deposit with the same nonce. Indexed on the first and then on the second, the index rewinds
/// to the common ancestor however deep the fork, and ends as an index of the second alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ethereum_reorg_rewinds_to_the_common_ancestor() {
    use alloy_primitives::{Bytes, TxKind};
    use sec_bridge::deposit::deposit_eth;

    let dir = tempfile::tempdir().expect("tempdir");
    let (dir_a, dir_b) = (dir.path().join("l1a"), dir.path().join("l1b"));
    let to = dev_key(1).address();
    let l1 = L1Chain::start(&dir_a).await;
    let bridge = l1.deployment.addresses.l1_bridge;
    deposit_eth(&l1.client, bridge, 1, to, ether(2)).await.expect("shared deposit");
    l1.register_and_delegate(ether(200)).await;
    let deployment = l1.deployment.clone();
    l1.node.shutdown().await;
    drop(l1.client);
    copy_dir(&dir_a, &dir_b);

    let node = start_node(&dir.path().join("l2"), 2).await;
    let db = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    let mut config = index_config(&node, "unused", 1_000);

    // Branch A: a deposit just after the fork, then 80 more blocks.
    let a = L1Chain::restart(&dir_a, deployment.clone()).await;
    deposit_eth(&a.client, bridge, 0, to, ether(5)).await.expect("deposit on A");
    for _ in 0..80 {
        a.client.send(TxKind::Call(to), Bytes::new(), U256::from(1u64)).await.expect("filler");
    }
    config.ethereum = Some(a.ethereum_config());
    sec_indexer::run(config.clone(), db.clone()).await.expect("indexing A");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deposits").await, 2);
    a.node.shutdown().await;

    // Branch B: another deposit at the fork, as long a chain and then some.
    let b = L1Chain::restart(&dir_b, deployment).await;
    deposit_eth(&b.client, bridge, 1, to, ether(7)).await.expect("deposit on B");
    for _ in 0..90 {
        b.client.send(TxKind::Call(to), Bytes::new(), U256::from(2u64)).await.expect("filler");
    }
    config.ethereum = Some(b.ethereum_config());
    sec_indexer::run(config.clone(), db.clone()).await.expect("indexing B");

    let rows = sqlx::query("SELECT nonce, domain, amount FROM deposits ORDER BY nonce")
        .fetch_all(db.pool())
        .await
        .expect("deposits");
    let deposits: Vec<(i64, i64, U256)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("nonce").unwrap(),
                r.try_get("domain").unwrap(),
                read_u256(&r.try_get::<Vec<u8>, _>("amount").unwrap()),
            )
        })
        .collect();
    assert_eq!(deposits, vec![(1, 1, ether(2)), (2, 1, ether(7))]);
    let clean =
        Database::connect(dir.path().join("clean.db").to_str().unwrap(), 4).await.expect("db");
    sec_indexer::run(config, clean.clone()).await.expect("indexing B alone");
    assert!(db.dump().await.expect("dump") == clean.dump().await.expect("dump"));
    node.shutdown().await;
    b.node.shutdown().await;
}
