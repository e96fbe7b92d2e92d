//! The trade contracts on a node this project did not write (hardhat's): `TrustIndex`,
//! `TradeEscrow` and `Disputes` deployed as ordinary contracts, wired to each other the way the
//! predeploys are (each knows the other two by address, fixed before deployment from the
//! deployer's nonces), then a whole trade (open, pay, ship, confirm), a second one settled by a
//! third party once hardhat's clock has passed the auto-confirm period, and the refusals on the
//! way decoded from hardhat's errors.

use alloy::sol_types::{SolConstructor, SolEvent};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use sec_bridge::{L1Client, Receipt};
use sec_contracts::bindings::{Disputes, TradeEscrow, TrustIndex};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

const COMPLETED: u8 = 5;
const WEEK: u64 = 7 * 86_400;

/// Events of type `E` emitted by `from` in `receipt`.
fn events<E: SolEvent>(receipt: &Receipt, from: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|l| l.address() == from && l.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|l| E::decode_log_data(l.data()).expect("decodable event"))
        .collect()
}

async fn deploy(client: &L1Client, bytecode: &Bytes, args: Vec<u8>) -> Address {
    let init: Bytes = [bytecode.to_vec(), args].concat().into();
    let receipt = client.send(TxKind::Create, init, U256::ZERO).await.expect("deploy");
    receipt.contract_address.expect("created")
}

fn open_call(price: U256) -> TradeEscrow::openCall {
    TradeEscrow::openCall {
        token: Address::ZERO,
        price,
        descriptionHash: B256::repeat_byte(0xde),
        autoConfirmPeriod: 0,
        shipPeriod: 0,
        designatedBuyer: Address::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trade_contracts_on_hardhat() {
    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let keys = dev_signers(DEV_MNEMONIC, 5).unwrap();
    let deployer = L1Client::connect(&url, keys[0].clone()).await.unwrap();
    let seller = deployer.with_signer(keys[1].clone()).await.unwrap();
    let buyer = deployer.with_signer(keys[2].clone()).await.unwrap();
    let other = deployer.with_signer(keys[3].clone()).await.unwrap();
    let second_buyer = deployer.with_signer(keys[4].clone()).await.unwrap();

    // ---------------------------------------------------------------- deployment
    // the three refer to each other by immutables: their addresses follow from the nonces
    let nonce = deployer.next_nonce().await;
    let at = |n: u64| deployer.address().create(n);
    let (trust, escrow, disputes) = (at(nonce), at(nonce + 1), at(nonce + 2));
    let deployed = deploy(
        &deployer,
        &TrustIndex::BYTECODE,
        TrustIndex::constructorCall { escrow_: escrow, disputes_: disputes }.abi_encode(),
    )
    .await;
    assert_eq!(deployed, trust);
    let deployed = deploy(
        &deployer,
        &TradeEscrow::BYTECODE,
        // no cross-domain messenger on a single chain; the public chain's 1 hour minimum
        TradeEscrow::constructorCall {
            trust_: trust,
            disputes_: disputes,
            crossDomain_: Address::ZERO,
            minPeriod_: 3_600,
        }
        .abi_encode(),
    )
    .await;
    assert_eq!(deployed, escrow);
    let deployed = deploy(
        &deployer,
        &Disputes::BYTECODE,
        Disputes::constructorCall { escrow_: escrow, trust_: trust }.abi_encode(),
    )
    .await;
    assert_eq!(deployed, disputes);
    assert_eq!(deployer.view(escrow, TradeEscrow::trustCall {}).await.unwrap(), trust);
    assert_eq!(deployer.view(escrow, TradeEscrow::disputesCall {}).await.unwrap(), disputes);
    assert_eq!(deployer.view(trust, TrustIndex::escrowCall {}).await.unwrap(), escrow);
    assert_eq!(deployer.view(disputes, Disputes::escrowCall {}).await.unwrap(), escrow);

    // ---------------------------------------------------------------- one whole trade
    let price = sec(2);
    let bond = seller
        .view(escrow, TradeEscrow::bondForCall { seller: seller.address(), price })
        .await
        .unwrap();
    assert_eq!(bond, sec(1), "a newcomer bonds 50%");
    let receipt = seller.send_call(escrow, open_call(price), bond).await.unwrap();
    let opened = &events::<TradeEscrow::OfferOpened>(&receipt, escrow)[0];
    assert_eq!((opened.seller, opened.price, opened.bond), (seller.address(), price, bond));
    let id = opened.offerId;

    // refusals, decoded from hardhat's errors: nothing is sent, so nonces do not move
    let other_nonce = other.next_nonce().await;
    let err = other
        .send_call(escrow, TradeEscrow::confirmCall { offerId: id }, U256::ZERO)
        .await
        .unwrap_err();
    let e = err.revert_as::<TradeEscrow::NotBuyer>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.caller, other.address(), "confirm by a non-buyer");
    let err = buyer
        .send_call(escrow, TradeEscrow::payCall { offerId: id }, price - U256::from(1))
        .await
        .unwrap_err();
    let e = err.revert_as::<TradeEscrow::WrongValue>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!((e.value, e.expected), (price - U256::from(1), price));
    let err =
        seller.send_call(escrow, TradeEscrow::payCall { offerId: id }, price).await.unwrap_err();
    assert!(err.revert_as::<TradeEscrow::OwnOffer>().is_some(), "{err}");

    let receipt =
        buyer.send_call(escrow, TradeEscrow::payCall { offerId: id }, price).await.unwrap();
    assert_eq!(events::<TradeEscrow::OfferPaid>(&receipt, escrow)[0].buyer, buyer.address());
    assert_eq!(deployer.balance(escrow).await.unwrap(), price + bond);
    let err =
        other.send_call(escrow, TradeEscrow::payCall { offerId: id }, price).await.unwrap_err();
    assert!(err.revert_as::<TradeEscrow::WrongState>().is_some(), "pay twice: {err}");
    let err = other
        .send_call(
            escrow,
            TradeEscrow::shipCall { offerId: id, trackingHash: B256::repeat_byte(0x70) },
            U256::ZERO,
        )
        .await
        .unwrap_err();
    let e = err.revert_as::<TradeEscrow::NotSeller>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.caller, other.address(), "ship by a non-seller");

    seller
        .send_call(
            escrow,
            TradeEscrow::shipCall { offerId: id, trackingHash: B256::repeat_byte(0x70) },
            U256::ZERO,
        )
        .await
        .unwrap();
    let err = seller
        .send_call(escrow, TradeEscrow::confirmCall { offerId: id }, U256::ZERO)
        .await
        .unwrap_err();
    let e = err.revert_as::<TradeEscrow::NotBuyer>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.caller, seller.address(), "the seller cannot confirm their own sale");
    assert_eq!(other.next_nonce().await, other_nonce, "no refused call was sent");

    let seller_before = deployer.balance(seller.address()).await.unwrap();
    let receipt = buyer
        .send_call(escrow, TradeEscrow::confirmCall { offerId: id }, U256::ZERO)
        .await
        .unwrap();
    let done = &events::<TradeEscrow::TradeCompleted>(&receipt, escrow)[0];
    assert_eq!(
        (done.buyer, done.seller, done.bySettle),
        (buyer.address(), seller.address(), false)
    );
    let edge = &events::<TrustIndex::EdgeRenewed>(&receipt, trust)[0];
    assert_eq!((edge.count, edge.wasLive), (1, false));
    assert_eq!(deployer.balance(escrow).await.unwrap(), U256::ZERO);
    assert_eq!(
        deployer.balance(seller.address()).await.unwrap(),
        seller_before + price + bond,
        "the seller (who sent nothing) received price and bond"
    );
    let o = deployer.view(escrow, TradeEscrow::offerCall { offerId: id }).await.unwrap();
    assert_eq!(o.state, COMPLETED);
    for who in [seller.address(), buyer.address()] {
        assert_eq!(
            deployer.view(trust, TrustIndex::indexOfCall { account: who }).await.unwrap(),
            1
        );
    }
    let e = deployer
        .view(trust, TrustIndex::edgeCall { buyer: buyer.address(), seller: seller.address() })
        .await
        .unwrap();
    assert!(e.live && e.count == 1);
    let err = buyer
        .send_call(escrow, TradeEscrow::confirmCall { offerId: id }, U256::ZERO)
        .await
        .unwrap_err();
    assert!(err.revert_as::<TradeEscrow::WrongState>().is_some(), "confirm twice: {err}");

    // ---------------------------------------------------------------- settled by anyone
    // the seller's index is now 1: the bond falls to 49.6%
    let bond = seller
        .view(escrow, TradeEscrow::bondForCall { seller: seller.address(), price })
        .await
        .unwrap();
    assert_eq!(bond, price * U256::from(4960) / U256::from(10_000));
    let receipt = seller.send_call(escrow, open_call(price), bond).await.unwrap();
    let id = events::<TradeEscrow::OfferOpened>(&receipt, escrow)[0].offerId;
    second_buyer.send_call(escrow, TradeEscrow::payCall { offerId: id }, price).await.unwrap();
    seller
        .send_call(
            escrow,
            TradeEscrow::shipCall { offerId: id, trackingHash: B256::repeat_byte(0x71) },
            U256::ZERO,
        )
        .await
        .unwrap();
    let err = other
        .send_call(escrow, TradeEscrow::settleCall { offerId: id }, U256::ZERO)
        .await
        .unwrap_err();
    let e = err.revert_as::<TradeEscrow::TooEarly>().unwrap_or_else(|| panic!("{err}"));
    let shipped_at = deployer.view(escrow, TradeEscrow::offerCall { offerId: id }).await.unwrap();
    assert_eq!(e.readyAt, U256::from(shipped_at.shippedAt.to::<u64>() + WEEK));
    let _: Value = deployer.request("evm_increaseTime", vec![json!(WEEK)]).await.unwrap();
    let _: Value = deployer.request("evm_mine", vec![]).await.unwrap();
    let seller_before = deployer.balance(seller.address()).await.unwrap();
    let receipt =
        other.send_call(escrow, TradeEscrow::settleCall { offerId: id }, U256::ZERO).await.unwrap();
    assert!(events::<TradeEscrow::TradeCompleted>(&receipt, escrow)[0].bySettle);
    assert_eq!(deployer.balance(seller.address()).await.unwrap(), seller_before + price + bond);
    assert_eq!(deployer.balance(escrow).await.unwrap(), U256::ZERO);
    assert_eq!(
        deployer.view(trust, TrustIndex::indexOfCall { account: seller.address() }).await.unwrap(),
        2,
        "a second counterparty raises the seller again"
    );
    drop(hardhat);
}
