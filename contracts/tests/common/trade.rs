//! Trade and trust fixture: `TrustIndex`, `TradeEscrow` and `Disputes` installed at their
//! predeploy addresses on a fresh chain, funded accounts, one-call trade steps, and the books
//! check (each contract holds exactly what its offers, bonds and credits say).

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{
    bindings::{CrossDomain, Disputes, TradeEscrow, TrustIndex, test::test_token::TestToken},
    predeploy::{CROSS_DOMAIN, ChainParams, DISPUTES, TRADE_ESCROW, TRUST_INDEX, predeploys},
};

use super::{Chain, DAY, Outcome, PRODUCER, describe, ether};

pub const OPEN: u8 = 1;
pub const PAID: u8 = 2;
pub const SHIPPED: u8 = 3;
pub const DISPUTED: u8 = 4;
pub const COMPLETED: u8 = 5;
pub const CANCELLED: u8 = 6;
pub const REFUNDED: u8 = 7;
pub const UPHELD: u8 = 8;
pub const REJECTED: u8 = 9;
pub const DEFAULTED: u8 = 10;

pub const WEEK: u64 = 7 * DAY;

pub fn fee() -> U256 {
    ether(5)
}

pub fn judge_bond() -> U256 {
    ether(1_000)
}

pub fn price() -> U256 {
    ether(10)
}

/// The decoded events of type `E` in `out`.
pub fn events<E: SolEvent>(out: &Outcome) -> Vec<E> {
    out.logs
        .iter()
        .filter(|l| l.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|l| E::decode_log_data(&l.data).expect("decodable event"))
        .collect()
}

pub struct Market {
    pub chain: Chain,
    pub accounts: Vec<Address>,
    /// Last message nonce delivered per source domain (see [`Market::deliver`]).
    delivered: [u64; 4],
}

impl Default for Market {
    fn default() -> Self {
        Self::new()
    }
}

impl Market {
    pub fn new() -> Self {
        Self::with_params(ChainParams::new(4, Address::ZERO))
    }

    /// Domain 0 of the chain `params`, its messenger holding a reserve to deliver from.
    pub fn with_params(params: ChainParams) -> Self {
        let mut chain = Chain::new();
        for p in predeploys(0, &params) {
            chain.install(p.address, p.init_code);
        }
        chain.fund(CROSS_DOMAIN, ether(1_000_000));
        Self { chain, accounts: Vec::new(), delivered: [0; 4] }
    }

    /// Delivers a message from `sender` on domain `src` calling the escrow with `call` and
    /// `value`, as the producer's system transaction does (the next nonce of that source).
    pub fn deliver<C: SolCall>(
        &mut self,
        src: u32,
        sender: Address,
        call: C,
        value: U256,
    ) -> Outcome {
        self.deliver_raw(src, sender, call.abi_encode(), value)
    }

    /// [`Market::deliver`] with the call's data already encoded.
    pub fn deliver_raw(
        &mut self,
        src: u32,
        sender: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Outcome {
        self.delivered[src as usize] += 1;
        let deliver = CrossDomain::deliverCall {
            srcDomain: src,
            nonce_: self.delivered[src as usize],
            sender,
            to: TRADE_ESCROW,
            value,
            data: data.into(),
        };
        self.chain.must(PRODUCER, CROSS_DOMAIN, deliver)
    }

    /// A fresh account holding 100,000 SEC.
    pub fn account(&mut self) -> Address {
        let a =
            Address::from_word(B256::from(U256::from(0xacc0_0000u64 + self.accounts.len() as u64)));
        self.chain.fund(a, ether(100_000));
        self.accounts.push(a);
        a
    }

    pub fn open_call(token: Address, price: U256) -> TradeEscrow::openCall {
        TradeEscrow::openCall {
            token,
            price,
            descriptionHash: B256::repeat_byte(0xde),
            autoConfirmPeriod: 0,
            shipPeriod: 0,
            designatedBuyer: Address::ZERO,
        }
    }

    pub fn bond_for(&mut self, seller: Address, price: U256) -> U256 {
        self.chain.view(TRADE_ESCROW, TradeEscrow::bondForCall { seller, price })
    }

    pub fn try_open(&mut self, seller: Address, call: TradeEscrow::openCall) -> Result<u64, Bytes> {
        let value =
            if call.token.is_zero() { self.bond_for(seller, call.price) } else { U256::ZERO };
        self.chain.send_value(seller, TRADE_ESCROW, call, value)
    }

    /// A native offer at `price()`.
    pub fn open(&mut self, seller: Address) -> u64 {
        self.try_open(seller, Self::open_call(Address::ZERO, price()))
            .unwrap_or_else(|e| panic!("open: {}", describe(&e)))
    }

    pub fn offer(&mut self, id: u64) -> TradeEscrow::Offer {
        self.chain.view(TRADE_ESCROW, TradeEscrow::offerCall { offerId: id })
    }

    pub fn state(&mut self, id: u64) -> u8 {
        self.offer(id).state
    }

    pub fn try_pay(&mut self, buyer: Address, id: u64) -> Result<(), Bytes> {
        let o = self.offer(id);
        let value = if o.token.is_zero() { U256::from(o.price) } else { U256::ZERO };
        self.chain
            .send_value(buyer, TRADE_ESCROW, TradeEscrow::payCall { offerId: id }, value)
            .map(|_| ())
    }

    pub fn pay(&mut self, buyer: Address, id: u64) {
        self.try_pay(buyer, id).unwrap_or_else(|e| panic!("pay: {}", describe(&e)));
    }

    pub fn ship(&mut self, seller: Address, id: u64) -> Outcome {
        self.chain.must(
            seller,
            TRADE_ESCROW,
            TradeEscrow::shipCall { offerId: id, trackingHash: B256::repeat_byte(0x70) },
        )
    }

    pub fn confirm(&mut self, buyer: Address, id: u64) -> Outcome {
        self.chain.must(buyer, TRADE_ESCROW, TradeEscrow::confirmCall { offerId: id })
    }

    /// A whole trade at `price()`: open, pay, ship, confirm.
    pub fn trade(&mut self, seller: Address, buyer: Address) -> u64 {
        let id = self.open(seller);
        self.pay(buyer, id);
        self.ship(seller, id);
        self.confirm(buyer, id);
        id
    }

    /// Shipped and paid offer, ready to dispute.
    pub fn shipped(&mut self, seller: Address, buyer: Address) -> u64 {
        let id = self.open(seller);
        self.pay(buyer, id);
        self.ship(seller, id);
        id
    }

    pub fn index(&mut self, a: Address) -> u8 {
        self.chain.view(TRUST_INDEX, TrustIndex::indexOfCall { account: a })
    }

    pub fn trust(&mut self, a: Address) -> TrustIndex::accountOfReturn {
        self.chain.view(TRUST_INDEX, TrustIndex::accountOfCall { account: a })
    }

    pub fn edge(&mut self, buyer: Address, seller: Address) -> TrustIndex::edgeReturn {
        self.chain.view(TRUST_INDEX, TrustIndex::edgeCall { buyer, seller })
    }

    /// Raises `seller` to `target` by trades with fresh buyers.
    pub fn raise(&mut self, seller: Address, target: u8) {
        while self.index(seller) < target {
            let buyer = self.account();
            self.trade(seller, buyer);
        }
    }

    pub fn judges(&mut self, n: usize) -> Vec<Address> {
        (0..n)
            .map(|_| {
                let j = self.account();
                self.chain.must_value(j, DISPUTES, Disputes::bondCall {}, judge_bond());
                j
            })
            .collect()
    }

    pub fn try_dispute(&mut self, buyer: Address, id: u64) -> Result<u64, Bytes> {
        self.chain.send_value(
            buyer,
            TRADE_ESCROW,
            TradeEscrow::disputeCall { offerId: id, evidenceHash: B256::repeat_byte(0xee) },
            fee(),
        )
    }

    pub fn dispute(&mut self, buyer: Address, id: u64) -> u64 {
        self.try_dispute(buyer, id).unwrap_or_else(|e| panic!("dispute: {}", describe(&e)))
    }

    pub fn panel(&mut self, did: u64) -> Vec<Address> {
        self.chain.view(DISPUTES, Disputes::disputeOfCall { disputeId: did }).panel.to_vec()
    }

    pub fn vote(&mut self, judge: Address, did: u64, uphold: bool) -> Result<(), Bytes> {
        self.chain.send(judge, DISPUTES, Disputes::voteCall { disputeId: did, uphold }).map(|_| ())
    }

    pub fn decide(&mut self, did: u64) -> Result<(), Bytes> {
        self.chain
            .send(Address::repeat_byte(0x99), DISPUTES, Disputes::decideCall { disputeId: did })
            .map(|_| ())
    }

    pub fn judge(&mut self, a: Address) -> Disputes::judgeOfReturn {
        self.chain.view(DISPUTES, Disputes::judgeOfCall { account: a })
    }

    pub fn claimable(&mut self, a: Address) -> U256 {
        self.chain.view(DISPUTES, Disputes::claimableCall(a))
    }

    /// Sum of every account's native balance plus both contracts'.
    pub fn total(&self) -> U256 {
        self.accounts.iter().map(|a| self.chain.balance(*a)).sum::<U256>()
            + self.chain.balance(TRADE_ESCROW)
            + self.chain.balance(DISPUTES)
            + self.chain.balance(Address::repeat_byte(0x99))
    }

    /// Asserts both contracts hold exactly what their books say, in native SEC.
    pub fn assert_books(&mut self, token: Address) {
        let last = self.chain.view(TRADE_ESCROW, TradeEscrow::lastOfferIdCall {});
        let mut held = U256::ZERO;
        for id in 1..=last {
            let o = self.offer(id);
            if o.token != token {
                continue;
            }
            if matches!(o.state, PAID | SHIPPED | DISPUTED) {
                held += U256::from(o.price);
            }
            if matches!(o.state, OPEN | PAID | SHIPPED | DISPUTED) {
                held += U256::from(o.bond);
            }
        }
        let accounts = self.accounts.clone();
        for a in &accounts {
            held += self.chain.view(TRADE_ESCROW, TradeEscrow::owedCall { _0: *a, _1: token });
        }
        let escrow_balance = if token.is_zero() {
            self.chain.balance(TRADE_ESCROW)
        } else {
            self.chain.view(token, TestToken::balanceOfCall { account: TRADE_ESCROW })
        };
        assert_eq!(escrow_balance, held, "escrow holds its offers' prices, bonds and owed");
        if !token.is_zero() {
            return;
        }
        let mut bonded = U256::ZERO;
        for a in &accounts {
            bonded += self.judge(*a).bonded + self.claimable(*a);
        }
        let last = self.chain.view(DISPUTES, Disputes::lastDisputeIdCall {});
        for did in 1..=last {
            if self.chain.view(DISPUTES, Disputes::disputeOfCall { disputeId: did }).status == 1 {
                bonded += fee();
            }
        }
        assert_eq!(self.chain.balance(DISPUTES), bonded, "disputes holds bonds, rewards and fees");
    }
}
