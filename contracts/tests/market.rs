//! The simulated market: 1,000 accounts with home domains, a seeded small-world social graph,
//! thousands of trades through the real `TradeEscrow`, `TrustIndex` and `Disputes` on revm,
//! fake-goods sellers, malicious buyers, bonded judges with absentees, and time running so
//! that periods expire. It checks that every escrow ends in a final state, that no wei is
//! created or lost, that fraud ends in bans and falling trust while honest trust rises, and it
//! measures the share of trades that cross domains with and without domain convergence
//! (contracts/TRADE.md, "Domain convergence").
//!
//! Domains are data here (each account's home in the hub's directory): all contracts run in one
//! chain, because moving a balance between domains needs cross-domain messages. Homes do not
//! change who trades with whom, so one run of the chain yields both measurements on exactly the
//! same trades: the directory that never moves and the one that follows the convergence rule.
//!
//! Size: 4,000 trades offered over 4 periods of 30 days in the suite (about 5 s of CPU in a
//! debug build: the EVM interpreter is instantiated in this crate, so it runs unoptimised;
//! 0.4 s with `--release`). `SEC_MARKET_TRADES` (trades offered per period, default 1,000) and
//! `SEC_MARKET_PERIODS` (default 4) scale it; the runs in BENCHMARKS.md are
//! `SEC_MARKET_PERIODS=12 [SEC_MARKET_TRADES=2500] cargo test --release -p sec-contracts --test market -- --nocapture`.

mod common;

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, U256};
use common::{trade::*, *};
use sec_contracts::{
    bindings::{Disputes, TradeEscrow, TrustIndex},
    predeploy::{DISPUTES, TRADE_ESCROW},
    trade::convergence_target,
};

const ACCOUNTS: usize = 1_000;
const DOMAINS: usize = 4;
/// Each account's friends: a ring lattice of this many neighbours, rewired (Watts-Strogatz).
const RING_NEIGHBOURS: usize = 4;
const REWIRE: f64 = 0.1;
/// Share of trades between friends; the rest are with strangers.
const FRIEND_TRADES: f64 = 0.85;
/// Of the trades with strangers, the share that answer a fake seller's advertisement.
const FAKE_ADS: f64 = 0.25;
const FAKE_SELLERS: usize = 20;
const MALICIOUS_BUYERS: usize = 20;
/// A malicious buyer disputes an honest delivery with this probability (else confirms, to
/// build the trust a later complaint spends).
const MALICIOUS_DISPUTE: f64 = 0.5;
const JUDGES: usize = 30;
/// Judges bond a little over the 1,000 SEC minimum: one absence (10% slashed) takes them under
/// it, off the draw, until they top up.
const JUDGE_STAKE: u64 = 1_100;
/// A drawn judge fails to vote with this probability.
const ABSENT: f64 = 0.1;
/// A seller never ships (the buyer is refunded after the ship period).
const NEVER_SHIPS: f64 = 0.01;
/// A buyer walks away from an offer before paying (the seller cancels it).
const WALKS_AWAY: f64 = 0.01;
/// An honest buyer confirms receipt (else lets the offer settle by itself).
const CONFIRMS: f64 = 0.7;
const PERIOD_DAYS: u64 = 30;
/// Convergence: an account moves home only with at least this many completed trades in the
/// period (TRADE.md, "Domain convergence").
const SEED: u64 = 0x5ec_7ade;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// splitmix64: a small seeded generator, so that the market is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Watts-Strogatz small world: a ring where each account knows its `RING_NEIGHBOURS` nearest,
/// each link rewired to a random account with probability `REWIRE`.
fn small_world(rng: &mut Rng, n: usize) -> Vec<Vec<usize>> {
    let mut friends = vec![Vec::new(); n];
    for i in 0..n {
        for j in 1..=RING_NEIGHBOURS / 2 {
            let mut other = (i + j) % n;
            if rng.chance(REWIRE) {
                other = rng.below(n);
                while other == i || friends[i].contains(&other) {
                    other = rng.below(n);
                }
            }
            if !friends[i].contains(&other) {
                friends[i].push(other);
                friends[other].push(i);
            }
        }
    }
    friends
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Honest,
    FakeSeller,
    MaliciousBuyer,
}

/// What happens to one offer next.
#[derive(Clone, Copy, Debug)]
enum Step {
    Ship(u64),
    Confirm(u64),
    Settle(u64),
    Refund(u64),
    /// offer id, seller
    Cancel(u64, Address),
    Dispute(u64),
    Vote(u64),
    Decide(u64),
}

#[derive(Clone, Copy)]
struct Trade {
    seller: usize,
    buyer: usize,
    fake: bool,
    /// The buyer disputes (fake goods, or a malicious complaint).
    disputes: bool,
    confirms: bool,
    ships: bool,
}

/// The hub's directory: each account's home domain, and the convergence rule.
#[derive(Clone)]
struct Directory {
    home: Vec<usize>,
    moves: usize,
}

impl Directory {
    fn crosses(&self, a: usize, b: usize) -> bool {
        self.home[a] != self.home[b]
    }

    fn sizes(&self) -> [usize; DOMAINS] {
        let mut s = [0; DOMAINS];
        for &d in &self.home {
            s[d] += 1;
        }
        s
    }

    /// The convergence rule at the end of a period (`convergence_target`): in `order`, each
    /// account that is not banned and completed at least 2 trades in the period, more than half
    /// of them with accounts of one other domain (as the directory stands when it moves), moves
    /// there.
    fn converge(&mut self, completed: &[Vec<usize>], order: &[usize], banned: &[bool]) -> usize {
        let mut moved = 0;
        for &a in order {
            let partners = &completed[a];
            if banned[a] {
                continue;
            }
            let homes: Vec<u32> = partners.iter().map(|&p| self.home[p] as u32).collect();
            let Some(target) = convergence_target(self.home[a] as u32, &homes) else {
                continue;
            };
            let target = target as usize;
            if target != self.home[a] {
                self.home[a] = target;
                moved += 1;
            }
        }
        self.moves += moved;
        moved
    }
}

#[derive(Default, Clone)]
struct PeriodStats {
    trades: usize,
    cross_static: usize,
    cross_converging: usize,
    moves: usize,
    sizes: [usize; DOMAINS],
    honest_mean_index: f64,
}

#[derive(Default)]
struct Tally {
    completed: usize,
    settled: usize,
    refunded: usize,
    cancelled: usize,
    upheld: usize,
    rejected: usize,
    defaulted: usize,
    refused_banned_seller: usize,
    refused_banned_buyer: usize,
    votes: usize,
    absences: usize,
    top_ups: usize,
}

struct Sim {
    m: Market,
    rng: Rng,
    traders: Vec<Address>,
    index_of: HashMap<Address, usize>,
    role: Vec<Role>,
    friends: Vec<Vec<usize>>,
    fake_sellers: Vec<usize>,
    judges: Vec<Address>,
    keeper: Address,
    trades: HashMap<u64, Trade>,
    /// dispute id → offer id
    disputes: HashMap<u64, u64>,
    schedule: BTreeMap<u64, Vec<Step>>,
    day: u64,
    /// counterparties of trades completed in the current period, per account
    completed: Vec<Vec<usize>>,
    /// each account's trust index as its `IndexChanged` events say (checked against the
    /// contract at the end), and the highest it reached
    index: Vec<u8>,
    peak: Vec<u8>,
    banned: Vec<bool>,
    tally: Tally,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut m = Market::new();
        let mut rng = Rng(seed);
        let traders: Vec<Address> = (0..ACCOUNTS).map(|_| m.account()).collect();
        let index_of = traders.iter().enumerate().map(|(i, a)| (*a, i)).collect();
        let friends = small_world(&mut rng, ACCOUNTS);
        let mut ids: Vec<usize> = (0..ACCOUNTS).collect();
        rng.shuffle(&mut ids);
        let mut role = vec![Role::Honest; ACCOUNTS];
        let fake_sellers = ids[..FAKE_SELLERS].to_vec();
        for &i in &fake_sellers {
            role[i] = Role::FakeSeller;
        }
        for &i in &ids[FAKE_SELLERS..FAKE_SELLERS + MALICIOUS_BUYERS] {
            role[i] = Role::MaliciousBuyer;
        }
        let judges: Vec<Address> = (0..JUDGES)
            .map(|_| {
                let j = m.account();
                m.chain.must_value(j, DISPUTES, Disputes::bondCall {}, ether(JUDGE_STAKE));
                j
            })
            .collect();
        let keeper = m.account();
        Self {
            m,
            rng,
            traders,
            index_of,
            role,
            friends,
            fake_sellers,
            judges,
            keeper,
            trades: HashMap::new(),
            disputes: HashMap::new(),
            schedule: BTreeMap::new(),
            day: 0,
            completed: vec![Vec::new(); ACCOUNTS],
            index: vec![0; ACCOUNTS],
            peak: vec![0; ACCOUNTS],
            banned: vec![false; ACCOUNTS],
            tally: Tally::default(),
        }
    }

    fn at(&mut self, day: u64, step: Step) {
        self.schedule.entry(day).or_default().push(step);
    }

    /// Follows the trust index from the events of a transaction.
    fn track(&mut self, out: &Outcome) {
        for e in events::<TrustIndex::IndexChanged>(out) {
            if let Some(&i) = self.index_of.get(&e.account) {
                self.index[i] = e.newIndex;
                self.peak[i] = self.peak[i].max(e.newIndex);
            }
        }
        for e in events::<TrustIndex::AccountBanned>(out) {
            if let Some(&i) = self.index_of.get(&e.account) {
                self.banned[i] = true;
            }
        }
    }

    /// Chooses the two parties of a new trade: a buyer, then a friend of theirs, a stranger, or
    /// a fake seller advertising to strangers.
    fn parties(&mut self) -> (usize, usize) {
        let buyer = self.rng.below(ACCOUNTS);
        let seller = if self.rng.chance(FRIEND_TRADES) {
            self.rng.pick(&self.friends[buyer])
        } else if self.rng.chance(FAKE_ADS) {
            self.rng.pick(&self.fake_sellers)
        } else {
            self.rng.below(ACCOUNTS)
        };
        if seller == buyer { self.parties() } else { (buyer, seller) }
    }

    /// Opens and pays one trade; returns the parties if it was paid.
    fn new_trade(&mut self) -> Option<(usize, usize)> {
        let (buyer, seller) = self.parties();
        let (b, s) = (self.traders[buyer], self.traders[seller]);
        let price = ether(1 + self.rng.below(200) as u64);
        let opened = self.m.try_open(s, Market::open_call(Address::ZERO, price));
        let id = match opened {
            Ok(id) => id,
            Err(e) => {
                let err = expect_err::<TradeEscrow::Banned, ()>(Err(e));
                assert_eq!(err.account, s);
                assert!(self.banned[seller], "only a banned seller is refused");
                self.tally.refused_banned_seller += 1;
                return None;
            }
        };
        let next = self.day + 1;
        if self.rng.chance(WALKS_AWAY) {
            self.at(next, Step::Cancel(id, s));
            return None;
        }
        let paid =
            self.m.chain.send_value(b, TRADE_ESCROW, TradeEscrow::payCall { offerId: id }, price);
        if let Err(e) = paid {
            let err = expect_err::<TradeEscrow::Banned, ()>(Err(e));
            assert_eq!(err.account, b);
            assert!(self.banned[buyer], "only a banned buyer is refused");
            self.tally.refused_banned_buyer += 1;
            self.at(next, Step::Cancel(id, s));
            return None;
        }
        let fake = self.role[seller] == Role::FakeSeller;
        let disputes = fake
            || (self.role[buyer] == Role::MaliciousBuyer && self.rng.chance(MALICIOUS_DISPUTE));
        let trade = Trade {
            seller,
            buyer,
            fake,
            disputes,
            confirms: self.rng.chance(CONFIRMS),
            ships: !self.rng.chance(NEVER_SHIPS),
        };
        self.trades.insert(id, trade);
        if trade.ships {
            self.at(next, Step::Ship(id));
        } else {
            self.at(self.day + 14, Step::Refund(id));
        }
        Some((buyer, seller))
    }

    fn complete(&mut self, id: u64, out: &Outcome) {
        let t = self.trades[&id];
        let done = &events::<TradeEscrow::TradeCompleted>(out)[0];
        assert_eq!((done.buyer, done.seller), (self.traders[t.buyer], self.traders[t.seller]));
        self.completed[t.buyer].push(t.seller);
        self.completed[t.seller].push(t.buyer);
        self.track(out);
    }

    fn run_step(&mut self, step: Step) {
        let day = self.day;
        match step {
            Step::Ship(id) => {
                let t = self.trades[&id];
                self.m.ship(self.traders[t.seller], id);
                let later = day + 1 + self.rng.below(3) as u64;
                if t.disputes {
                    self.at(later, Step::Dispute(id));
                } else if t.confirms {
                    let when = day + self.rng.below(5) as u64;
                    self.at(when, Step::Confirm(id));
                } else {
                    self.at(day + 7, Step::Settle(id));
                }
            }
            Step::Confirm(id) => {
                let out = self.m.confirm(self.traders[self.trades[&id].buyer], id);
                self.tally.completed += 1;
                self.complete(id, &out);
            }
            Step::Settle(id) => {
                let out = self.m.chain.must(
                    self.keeper,
                    TRADE_ESCROW,
                    TradeEscrow::settleCall { offerId: id },
                );
                assert!(events::<TradeEscrow::TradeCompleted>(&out)[0].bySettle);
                self.tally.settled += 1;
                self.complete(id, &out);
            }
            Step::Refund(id) => {
                self.m.chain.must(
                    self.keeper,
                    TRADE_ESCROW,
                    TradeEscrow::refundCall { offerId: id },
                );
                self.tally.refunded += 1;
            }
            Step::Cancel(id, seller) => {
                self.m.chain.must(seller, TRADE_ESCROW, TradeEscrow::cancelCall { offerId: id });
                self.tally.cancelled += 1;
            }
            Step::Dispute(id) => {
                let did = self.m.dispute(self.traders[self.trades[&id].buyer], id);
                self.disputes.insert(did, id);
                self.at(day + 1, Step::Vote(did));
            }
            Step::Vote(did) => {
                let fake = self.trades[&self.disputes[&did]].fake;
                let mut all = true;
                for judge in self.m.panel(did) {
                    if self.rng.chance(ABSENT) {
                        all = false;
                        self.tally.absences += 1;
                        continue;
                    }
                    self.m
                        .vote(judge, did, fake)
                        .unwrap_or_else(|e| panic!("vote: {}", describe(&e)));
                    self.tally.votes += 1;
                }
                if all {
                    self.run_step(Step::Decide(did));
                } else {
                    // the deadline: opened + VOTE_PERIOD (3 days), the vote a day after opening
                    self.at(day + 2, Step::Decide(did));
                }
            }
            Step::Decide(did) => {
                let panel = self.m.panel(did);
                let out = self.m.chain.must(
                    Address::repeat_byte(0x99),
                    DISPUTES,
                    Disputes::decideCall { disputeId: did },
                );
                self.track(&out);
                let outcome = events::<Disputes::Decided>(&out)[0].outcome;
                let t = self.trades[&self.disputes[&did]];
                match outcome {
                    1 => {
                        assert!(t.fake, "only fake goods are upheld");
                        self.tally.upheld += 1;
                    }
                    2 => {
                        assert!(!t.fake, "only honest deliveries are rejected");
                        self.tally.rejected += 1;
                    }
                    _ => self.tally.defaulted += 1,
                }
                // judges whose bond an absence took under the minimum top it up
                for judge in panel {
                    let j = self.m.judge(judge);
                    if !j.drawable {
                        let top_up = ether(JUDGE_STAKE) - j.bonded;
                        self.m.chain.must_value(judge, DISPUTES, Disputes::bondCall {}, top_up);
                        assert!(self.m.judge(judge).drawable, "a topped-up judge is drawn again");
                        self.tally.top_ups += 1;
                    }
                }
            }
        }
    }

    /// Runs one day: time moves on a day, then the day's scheduled steps, then new trades.
    fn next_day(&mut self, new_trades: usize, stats: &mut PeriodStats, dirs: [&Directory; 2]) {
        self.day += 1;
        self.m.chain.warp(DAY);
        while let Some(steps) = self.schedule.remove(&self.day) {
            for step in steps {
                self.run_step(step);
            }
        }
        for _ in 0..new_trades {
            if let Some((b, s)) = self.new_trade() {
                stats.trades += 1;
                stats.cross_static += dirs[0].crosses(b, s) as usize;
                stats.cross_converging += dirs[1].crosses(b, s) as usize;
            }
        }
    }

    fn honest_mean_index(&self) -> f64 {
        let honest: Vec<usize> = (0..ACCOUNTS).filter(|&i| self.role[i] == Role::Honest).collect();
        let sum: u64 = honest.iter().map(|&i| self.index[i] as u64).sum();
        sum as f64 / honest.len() as f64
    }
}

#[test]
fn a_simulated_market_settles_everything_loses_nothing_and_converges_domains() {
    let trades_per_period = env_or("SEC_MARKET_TRADES", 1000);
    let periods = env_or("SEC_MARKET_PERIODS", 4);
    let started = std::time::Instant::now();
    let mut sim = Sim::new(SEED);
    let total = sim.m.total();

    // home domains: uniform at random, as accounts arrive; the same start for both directories
    let home: Vec<usize> = (0..ACCOUNTS).map(|_| sim.rng.below(DOMAINS)).collect();
    let fixed = Directory { home: home.clone(), moves: 0 };
    let mut converging = Directory { home, moves: 0 };

    let mut stats = Vec::new();
    for _ in 0..periods {
        let mut s = PeriodStats::default();
        for d in 0..PERIOD_DAYS as usize {
            // spread the period's trades evenly over its days
            let n = trades_per_period * (d + 1) / PERIOD_DAYS as usize
                - trades_per_period * d / PERIOD_DAYS as usize;
            sim.next_day(n, &mut s, [&fixed, &converging]);
            assert_eq!(sim.m.total(), total, "no wei created or lost (day {})", sim.day);
        }
        let mut order: Vec<usize> = (0..ACCOUNTS).collect();
        sim.rng.shuffle(&mut order);
        s.moves = converging.converge(&sim.completed, &order, &sim.banned);
        s.sizes = converging.sizes();
        s.honest_mean_index = sim.honest_mean_index();
        sim.completed.iter_mut().for_each(Vec::clear);
        // the books, with trades under way (the end checks the escrow empty directly)
        if stats.len() == periods / 2 {
            sim.m.assert_books(Address::ZERO);
        }
        stats.push(s);
    }
    // no new trades: run until nothing is left to do
    while !sim.schedule.is_empty() {
        let mut s = PeriodStats::default();
        sim.next_day(0, &mut s, [&fixed, &converging]);
    }
    let elapsed = started.elapsed();

    println!(
        "market: {ACCOUNTS} accounts, {DOMAINS} domains, {periods} periods of {PERIOD_DAYS} days, \
         {trades_per_period} trades offered per period, seed {SEED:#x}, {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "| period | trades | cross-domain, no convergence | cross-domain, convergence | moves | accounts per domain | honest mean index |"
    );
    println!("|---:|---:|---:|---:|---:|---|---:|");
    for (p, s) in stats.iter().enumerate() {
        println!(
            "| {} | {} | {:.1}% | {:.1}% | {} | {:?} | {:.2} |",
            p + 1,
            s.trades,
            100.0 * s.cross_static as f64 / s.trades as f64,
            100.0 * s.cross_converging as f64 / s.trades as f64,
            s.moves,
            s.sizes,
            s.honest_mean_index
        );
    }
    let t = &sim.tally;
    println!(
        "outcomes: {} confirmed, {} settled, {} refunded, {} cancelled; disputes {} upheld, {} \
         rejected, {} defaulted; refused: {} banned sellers, {} banned buyers; votes {}, \
         absences {}, judge top-ups {}",
        t.completed,
        t.settled,
        t.refunded,
        t.cancelled,
        t.upheld,
        t.rejected,
        t.defaulted,
        t.refused_banned_seller,
        t.refused_banned_buyer,
        t.votes,
        t.absences,
        t.top_ups
    );

    // every escrow ended settled or decided, the escrow is empty, no wei created or lost
    let last = sim.m.chain.view(TRADE_ESCROW, TradeEscrow::lastOfferIdCall {});
    assert!(last as usize >= trades_per_period * periods * 9 / 10);
    for id in 1..=last {
        let state = sim.m.state(id);
        assert!(
            matches!(state, COMPLETED | CANCELLED | REFUNDED | UPHELD | REJECTED | DEFAULTED),
            "offer {id} stuck in state {state}"
        );
    }
    assert_eq!(sim.m.chain.balance(TRADE_ESCROW), U256::ZERO);
    assert_eq!(sim.m.total(), total, "no wei created or lost");
    for j in sim.judges.clone() {
        if sim.m.claimable(j) > U256::ZERO {
            sim.m.chain.must(j, DISPUTES, Disputes::claimCall {});
        }
    }
    let bonds: U256 = sim.judges.clone().iter().map(|j| sim.m.judge(*j).bonded).sum();
    let claims: U256 = sim.m.accounts.clone().iter().map(|a| sim.m.claimable(*a)).sum();
    assert_eq!(sim.m.chain.balance(DISPUTES), bonds + claims, "disputes holds bonds and claims");
    assert_eq!(sim.m.total(), total, "no wei created or lost after the claims");
    assert!(t.upheld > 0 && t.rejected > 0 && t.settled > 0 && t.refunded > 0);
    assert!(
        t.absences > 0 && t.top_ups > 0,
        "absent judges were slashed off the draw and came back"
    );

    // fraud ends in bans and falling trust; honest trust only rises
    for i in 0..ACCOUNTS {
        let a = sim.m.trust(sim.traders[i]);
        assert_eq!((a.index, a.banned), (sim.index[i], sim.banned[i]), "events follow state");
        match sim.role[i] {
            Role::FakeSeller => {
                assert!(a.banned, "fake seller {i} banned");
                assert_eq!(a.index, 0);
                assert!(a.penalties >= 1);
            }
            Role::MaliciousBuyer => {
                if a.penalties > 0 {
                    assert!(
                        a.banned || a.index < sim.peak[i],
                        "malicious buyer {i}: index {} peak {}",
                        a.index,
                        sim.peak[i]
                    );
                }
            }
            Role::Honest => {
                assert!(!a.banned && a.penalties == 0, "honest account {i} never loses");
                if a.completed > 0 {
                    assert!(a.index >= 1, "honest account {i} with trades has trust");
                }
            }
        }
    }
    let malicious: Vec<usize> =
        (0..ACCOUNTS).filter(|&i| sim.role[i] == Role::MaliciousBuyer).collect();
    let penalised =
        malicious.iter().filter(|&&i| sim.m.trust(sim.traders[i]).penalties > 0).count();
    assert!(penalised * 2 > malicious.len(), "most malicious buyers lost a complaint");
    for w in stats.windows(2) {
        assert!(w[1].honest_mean_index > w[0].honest_mean_index, "honest trust rises");
    }

    // convergence: the same trades cross domains far less often once homes follow them
    let share = |s: &PeriodStats, c: usize| c as f64 / s.trades as f64;
    let first = &stats[0];
    assert_eq!(first.cross_static, first.cross_converging, "the first period is the same");
    let last = stats.last().unwrap();
    let (off, on) = (share(last, last.cross_static), share(last, last.cross_converging));
    assert!(off > 0.65, "without convergence about 3/4 of trades cross: {off}");
    assert!(on < off - 0.12, "convergence cuts the cross-domain share: {on} vs {off}");
    for s in &stats[1..] {
        let (off, on) = (share(s, s.cross_static), share(s, s.cross_converging));
        assert!(on < off, "after the first period convergence always helps: {on} vs {off}");
    }
    assert!(converging.moves > 0 && fixed.moves == 0);
}
