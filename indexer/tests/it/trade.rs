//! The trade predeploys' events, indexed: offers and their steps, the dispute with its panel and
//! votes, trust index changes and relationship edges; the same rows in SQLite and PostgreSQL.

use alloy_primitives::Address;
use sec_indexer::{Database, schema::read_u256};
use sqlx::Row;

use crate::common::*;

async fn strings(db: &Database, sql: &str, bind: Option<Address>) -> Vec<String> {
    let mut q = sqlx::query(sql);
    if let Some(a) = bind {
        q = q.bind(a.to_vec());
    }
    q.fetch_all(db.pool())
        .await
        .expect(sql)
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<i64, _>(i)
                        .map(|v| v.to_string())
                        .or_else(|_| r.try_get::<String, _>(i))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_events_are_indexed_in_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 2).await;
    let t = build_trades(&node).await;
    let sqlite = Database::connect(dir.path().join("index.db").to_str().expect("path"), 4)
        .await
        .expect("sqlite");
    index(&node, &sqlite, 1_000).await;
    let db = &sqlite;

    // Every offer, with its seller and terms.
    let offers = strings(
        db,
        "SELECT offer_id, auto_confirm_period FROM trade_offers ORDER BY offer_id",
        None,
    )
    .await;
    assert_eq!(offers, ["1 604800", "2 604800", "3 604800", "4 604800", "5 604800"]);
    let row = sqlx::query(
        "SELECT seller, price, bond FROM trade_offers WHERE domain = 0 AND offer_id = 3",
    )
    .fetch_one(db.pool())
    .await
    .expect("offer 3");
    assert_eq!(row.get::<Vec<u8>, _>("seller"), t.seller.to_vec());
    assert_eq!(read_u256(&row.get::<Vec<u8>, _>("price")), ether(20));
    assert_eq!(read_u256(&row.get::<Vec<u8>, _>("bond")), trade_bond(ether(20), 2));

    // Each offer's steps, in order.
    let steps = |id: i64| {
        let sql = format!(
            "SELECT kind FROM trade_events WHERE domain = 0 AND offer_id = {id} ORDER BY block_number, log_index"
        );
        async move { strings(db, &sql, None).await }
    };
    assert_eq!(steps(1).await, ["Open", "Paid", "Shipped", "Completed"]);
    assert_eq!(steps(2).await, ["Open", "Paid", "Shipped", "Extended", "Completed"]);
    assert_eq!(steps(3).await, ["Open", "Paid", "Shipped", "Disputed", "Evidence", "Upheld"]);
    assert_eq!(steps(4).await, ["Open", "Cancelled"]);
    assert_eq!(steps(5).await, ["Open", "Paid", "Refunded"]);
    // Who paid, who got the decision's payout, and who refunded.
    let paid = strings(
        db,
        "SELECT offer_id FROM trade_events WHERE account = $1 AND kind = 'Paid' ORDER BY offer_id",
        Some(t.disputer),
    )
    .await;
    assert_eq!(paid, ["3", "5"]);
    let upheld =
        sqlx::query("SELECT account, amount, flag FROM trade_events WHERE kind = 'Upheld'")
            .fetch_one(db.pool())
            .await
            .expect("upheld");
    assert_eq!(
        upheld.get::<Vec<u8>, _>("account"),
        t.disputer.to_vec(),
        "price and bond to the buyer"
    );
    assert_eq!(
        read_u256(&upheld.get::<Vec<u8>, _>("amount")),
        ether(20) + trade_bond(ether(20), 2)
    );
    assert_eq!(
        strings(db, "SELECT flag FROM trade_events WHERE kind = 'Refunded'", None).await,
        ["1"]
    );
    let completed = sqlx::query(
        "SELECT account, seller FROM trade_events WHERE kind = 'Completed' ORDER BY offer_id",
    )
    .fetch_all(db.pool())
    .await
    .expect("completed");
    assert_eq!(completed[1].get::<Vec<u8>, _>("account"), t.cross_buyer.to_vec());
    assert_eq!(completed[1].get::<Vec<u8>, _>("seller"), t.seller.to_vec());

    // The dispute: its panel is the five judges; three upheld, two rejected; then decided.
    let dispute = sqlx::query("SELECT offer_id, buyer, seller, panel FROM trade_disputes")
        .fetch_one(db.pool())
        .await
        .expect("dispute");
    assert_eq!(dispute.get::<i64, _>("offer_id"), 3);
    assert_eq!(dispute.get::<Vec<u8>, _>("buyer"), t.disputer.to_vec());
    let mut panel: Vec<Address> =
        dispute.get::<Vec<u8>, _>("panel").chunks(20).map(Address::from_slice).collect();
    panel.sort();
    let mut judges = t.judges.clone();
    judges.sort();
    assert_eq!(panel, judges);
    let votes = strings(
        db,
        "SELECT uphold, COALESCE(uphold_votes, -1), COALESCE(reject_votes, -1) FROM trade_votes \
         WHERE domain = 0 AND dispute_id = 1 ORDER BY block_number, log_index",
        None,
    )
    .await;
    assert_eq!(votes, ["1 -1 -1", "1 -1 -1", "1 -1 -1", "0 -1 -1", "0 -1 -1", "1 3 2"]);

    // Trust: the seller rose twice (two new partners), lost 20 to 0 and was banned.
    let seller = strings(
        db,
        "SELECT old_index, new_index, reason FROM trust_changes WHERE account = $1 ORDER BY timestamp, log_index",
        Some(t.seller),
    )
    .await;
    assert_eq!(seller, ["0 1 1", "1 2 1", "2 0 2", "0 0 4"]);
    let buyer =
        strings(db, "SELECT new_index FROM trust_changes WHERE account = $1", Some(t.buyer)).await;
    assert_eq!(buyer, ["1"], "refunding offer 5 changed nothing");
    assert!(
        strings(db, "SELECT reason FROM trust_changes WHERE account = $1", Some(t.disputer))
            .await
            .is_empty()
    );

    // Edges: one renewal for each completed trade.
    let edges = strings(
        db,
        "SELECT trades, was_live FROM trade_edges WHERE seller = $1 ORDER BY block_number",
        Some(t.seller),
    )
    .await;
    assert_eq!(edges, ["1 0", "1 0"]);

    // Offer 2's payment arrived by a message: its Paid step names the message, which the cross
    // buyer sent from domain 1 in the payment's transaction there, and which the step's own
    // transaction delivered. The message that set a home took no step.
    let linked = sqlx::query(
        "SELECT s.offer_id, s.kind, s.source_domain, m.source_domain AS sent_from, m.sender, \
         m.tx_hash AS sent_in, e.tx_hash AS step_tx, x.tx_hash AS delivery_tx \
         FROM trade_step_messages s \
         JOIN trade_events e ON e.domain = s.domain AND e.block_number = s.block_number \
         AND e.log_index = s.log_index \
         JOIN messages m ON m.message_hash = s.message_hash \
         JOIN message_deliveries x ON x.message_hash = s.message_hash",
    )
    .fetch_all(db.pool())
    .await
    .expect("step messages");
    assert_eq!(linked.len(), 1);
    let l = &linked[0];
    assert_eq!((l.get::<i64, _>("offer_id"), l.get::<String, _>("kind")), (2, "Paid".into()));
    assert_eq!((l.get::<i64, _>("source_domain"), l.get::<i64, _>("sent_from")), (1, 1));
    assert_eq!(l.get::<Vec<u8>, _>("sender"), t.cross_buyer.to_vec());
    assert_eq!(l.get::<Vec<u8>, _>("sent_in"), t.cross_payment.to_vec());
    assert_eq!(l.get::<Vec<u8>, _>("step_tx"), l.get::<Vec<u8>, _>("delivery_tx"));

    // The hub's directory, set by each account in turn (the disputer by a message).
    let homes: Vec<(Vec<u8>, i64, i64)> = sqlx::query(
        "SELECT account, home, by_message FROM home_sets WHERE domain = 0 \
         ORDER BY block_number, log_index",
    )
    .fetch_all(db.pool())
    .await
    .expect("homes")
    .iter()
    .map(|r| (r.get("account"), r.get("home"), r.get("by_message")))
    .collect();
    let home = |a: Address, d: i64, m: i64| (a.to_vec(), d, m);
    assert_eq!(
        homes,
        [
            home(t.buyer, 1, 0),
            home(t.cross_buyer, 0, 0),
            home(t.seller, 1, 0),
            home(t.disputer, 1, 1)
        ]
    );

    // The same rows in PostgreSQL.
    let postgres = fresh_postgres("sec_index_trade", 4).await;
    index(&node, &postgres, 1_000).await;
    assert_eq!(postgres.dump().await.expect("dump"), sqlite.dump().await.expect("dump"));
    node.shutdown().await;
}

/// The statements a reorg rollback runs on the trade tables are served by indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_rollback_statements_use_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::connect(dir.path().join("index.db").to_str().expect("path"), 1)
        .await
        .expect("sqlite");
    for sql in sec_indexer::trade::ROLLBACK {
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .bind(0i64)
            .bind(10i64)
            .fetch_all(db.pool())
            .await
            .expect("plan")
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect();
        assert!(
            plan.iter().all(|p| !p.starts_with("SCAN"))
                && plan.iter().any(|p| p.contains("block_number>?")),
            "{sql}: {plan:?}"
        );
    }
}

/// Two nodes share an offer paid, then fork: on one the trade completes (trust changes, an
/// edge), confirmed by a message from domain 1, the seller sets its home on the hub and a second
/// offer opens; on the other the seller refunds and the buyer sends the seller a plain message
/// from domain 1 (so that both branches touch the same accounts there). Indexing the first and
/// then the second leaves exactly the second's trade rows, as indexing it alone does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_rolls_back_trade_rows() {
    use alloy::sol_types::SolCall;
    use alloy_primitives::{B256, U256};
    use sec_contracts::{
        bindings::{HomeDirectory as H, TradeEscrow as E},
        predeploy::{CROSS_DOMAIN, HOME_DIRECTORY, TRADE_ESCROW},
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    let (seller, buyer) = (dev_key(0), dev_key(1));
    let open = || E::openCall {
        token: Address::ZERO,
        price: ether(10),
        descriptionHash: B256::repeat_byte(1),
        autoConfirmPeriod: 0,
        shipPeriod: 0,
        designatedBuyer: Address::ZERO,
    };
    let ok = |r: serde_json::Value| assert_eq!(r["status"], "0x1", "{r}");

    // The shared prefix: offer 1, paid.
    let node = start_node(&dir_a, 2).await;
    let d0 = Sender::new(&node, 0);
    ok(d0.call(&seller, TRADE_ESCROW, trade_bond(ether(10), 0), open()).await);
    ok(d0.call(&buyer, TRADE_ESCROW, ether(10), E::payCall { offerId: 1 }).await);
    let fork = d0.block_number().await;
    node.shutdown().await;
    copy_dir(&dir_a, &dir_b);

    // Branch A: shipped, confirmed from domain 1; the seller's home set; offer 2 opened by the
    // seller, now at index 1.
    let node = start_node(&dir_a, 2).await;
    let d0 = Sender::new(&node, 0);
    let ship = E::shipCall { offerId: 1, trackingHash: B256::ZERO };
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, ship).await);
    let confirm = sendCall {
        dstDomain: 0,
        to: TRADE_ESCROW,
        data: E::confirmCall { offerId: 1 }.abi_encode().into(),
    };
    let sent = Sender::new(&node, 1).call(&buyer, CROSS_DOMAIN, U256::ZERO, confirm).await;
    ok(sent.clone());
    d0.delivered(sent["logs"][0]["topics"][1].clone()).await;
    ok(d0.call(&seller, HOME_DIRECTORY, U256::ZERO, H::setHomeCall { domain: 1 }).await);
    ok(d0.call(&seller, TRADE_ESCROW, trade_bond(ether(10), 1), open()).await);
    let db = Database::connect(dir.path().join("index.db").to_str().expect("path"), 4)
        .await
        .expect("sqlite");
    index(&node, &db, 1_000).await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { strings(&db, sql, None).await }
    };
    assert_eq!(count("SELECT COUNT(*) FROM trade_offers").await, ["2"]);
    assert_eq!(count("SELECT COUNT(*) FROM trade_edges").await, ["1"]);
    assert_eq!(count("SELECT COUNT(*) FROM trust_changes").await, ["2"]);
    assert_eq!(count("SELECT kind FROM trade_step_messages").await, ["Completed"]);
    assert_eq!(count("SELECT home FROM home_sets").await, ["1"]);
    node.shutdown().await;

    // Branch B: the seller refunds.
    let node = start_node(&dir_b, 2).await;
    let d0 = Sender::new(&node, 0);
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, E::refundCall { offerId: 1 }).await);
    let note = sendCall { dstDomain: 0, to: seller.address(), data: Default::default() };
    let sent = Sender::new(&node, 1).call(&buyer, CROSS_DOMAIN, U256::ZERO, note).await;
    ok(sent.clone());
    d0.delivered(sent["logs"][0]["topics"][1].clone()).await;
    assert!(d0.block_number().await > fork);
    index(&node, &db, 1_000).await;
    let steps = count(
        "SELECT kind FROM trade_events WHERE domain = 0 AND offer_id = 1 ORDER BY block_number, log_index",
    )
    .await;
    assert_eq!(steps, ["Open", "Paid", "Refunded"]);
    assert_eq!(count("SELECT COUNT(*) FROM trade_offers").await, ["1"]);
    assert_eq!(count("SELECT COUNT(*) FROM trade_edges").await, ["0"]);
    assert_eq!(count("SELECT COUNT(*) FROM trust_changes").await, ["0"]);
    assert_eq!(count("SELECT COUNT(*) FROM trade_step_messages").await, ["0"]);
    assert_eq!(count("SELECT COUNT(*) FROM home_sets").await, ["0"]);
    assert_eq!(count("SELECT COUNT(*) FROM messages").await, ["1"], "branch B's message only");

    assert_matches_fresh_index(&node, &db, dir.path()).await;
    node.shutdown().await;
}
