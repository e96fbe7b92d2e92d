//! The Etherscan calls added for wallets and tools beyond the first set (`balancemulti`,
//! `txlistinternal` by address and by transaction, POST requests) and the security headers of
//! every answer.

use std::net::SocketAddr;

use serde_json::Value;

use super::{common::*, exchange, fetch, json};

pub(crate) async fn check(addr: SocketAddr, built: &Built, d0: &Sender) {
    let (a, b, c) = (built.holders[0], built.holders[1], built.holders[2]);

    // balancemulti: each address with its balance, as the node says
    let multi = json(addr, &format!("/api?module=account&action=balancemulti&address={a},{b},{c}"));
    assert_eq!(multi["status"], "1", "{multi}");
    let rows = multi["result"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (row, who) in rows.iter().zip([a, b, c]) {
        assert_eq!(row["account"], who.to_checksum(None));
        assert_eq!(row["balance"], d0.balance(who).await.to_string());
    }
    let many = vec![a.to_string(); 21].join(",");
    let refused = json(addr, &format!("/api?module=account&action=balancemulti&address={many}"));
    assert_eq!(
        (refused["status"].as_str(), refused["message"].as_str()),
        (Some("0"), Some("NOTOK"))
    );
    let bad = json(addr, &format!("/api?module=account&action=balancemulti&address={a},0x12"));
    assert_eq!(bad["status"], "0", "{bad}");

    // txlistinternal by transaction: the split's two calls carrying SEC out of the forwarder
    let by_tx =
        json(addr, &format!("/api?module=account&action=txlistinternal&txhash={}", built.split_tx));
    let calls = by_tx["result"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{by_tx}");
    for call in calls {
        assert_eq!(call["from"].as_str().unwrap(), built.forwarder.to_string().to_lowercase());
        assert_eq!(call["type"], "call");
        assert_eq!(call["hash"].as_str().unwrap(), built.split_tx.to_string());
        assert_ne!(call["value"], "0");
    }
    let to: Vec<&str> = calls.iter().map(|c| c["to"].as_str().unwrap()).collect();
    assert!(to.contains(&b.to_string().to_lowercase().as_str()), "{to:?}");
    // by address: what came in to c inside transactions, and the creation the forwarder made
    let by_address = json(addr, &format!("/api?module=account&action=txlistinternal&address={c}"));
    let rows = by_address["result"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["to"].as_str().unwrap() == c.to_string().to_lowercase()));
    assert!(!rows.is_empty(), "{by_address}");
    let forwarder = json(
        addr,
        &format!("/api?module=account&action=txlistinternal&address={}&sort=asc", built.forwarder),
    );
    let created: Vec<&Value> = forwarder["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"].as_str().unwrap().starts_with("create"))
        .collect();
    assert_eq!(created.len(), 1, "{forwarder}");
    assert_eq!(created[0]["to"], "");
    assert_eq!(created[0]["contractAddress"].as_str().unwrap().len(), 42);
    let none = json(
        addr,
        "/api?module=account&action=txlistinternal&address=0x00000000000000000000000000000000000000ee",
    );
    assert_eq!(
        (none["status"].as_str(), none["message"].as_str()),
        (Some("0"), Some("No transactions found"))
    );

    // POST, form-encoded, answers as GET does
    let body = format!("module=account&action=balance&address={b}");
    let (status, head, answer) = exchange(
        addr,
        &format!(
            "POST /api HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 200, "{head}\n{answer}");
    let posted: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(posted["result"], d0.balance(b).await.to_string());

    // every answer carries the security headers, pages and APIs alike
    for path in ["/", "/api/v1/home", "/api?module=nope&action=nope", "/no-such-page"] {
        let (_, head, _) = fetch(addr, path);
        assert!(
            head.contains("content-security-policy: default-src 'self'; script-src 'self'"),
            "{path}: {head}"
        );
        assert!(head.contains("frame-ancestors 'none'"), "{path}: {head}");
        assert!(head.contains("x-content-type-options: nosniff"), "{path}: {head}");
        assert!(head.contains("x-frame-options: deny"), "{path}: {head}");
    }
}
