//! `sec trade`: the trade-and-trust predeploys (`TradeEscrow`, `TrustIndex`, `Disputes`) from
//! the command line: the commands and what they print. Sending, reading and the refusals in
//! words are `sec-trade`'s.

use alloy::{signers::local::PrivateKeySigner, sol_types::SolCall};
use alloy_primitives::{Address, B256, U256, keccak256, utils::parse_units};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use sec_bridge::Receipt;
use sec_contracts::bindings::{Disputes, TradeEscrow};
use sec_trade::{
    Target, TokenInfo, TradeClient, event, hash_text,
    words::{duration, outcome, parse_duration, sec, stage, time, units},
};

#[derive(Args)]
pub struct TradeArgs {
    /// A domain's JSON-RPC endpoint.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The account's private key (hex). Never printed.
    #[arg(long, global = true, env = "SEC_KEY", hide_env_values = true)]
    key: Option<B256>,
    /// Take the step from this domain, where the account's SEC is: it goes to the offer's
    /// domain (`--rpc`) as a cross-domain message, and a payment the escrow refuses on arrival
    /// comes back.
    #[arg(long, global = true)]
    from_domain: Option<u32>,
    #[command(subcommand)]
    step: Step,
}

#[derive(Subcommand)]
enum Step {
    /// Opens an offer (the seller), posting the bond the seller's trust index requires.
    Offer {
        /// Price in whole units of the token ("12.5").
        #[arg(long)]
        price: String,
        /// `SEC` (native) or an ERC-20 address.
        #[arg(long, default_value = "SEC")]
        token: String,
        /// What is sold; only its keccak256 hash goes on chain.
        #[arg(long)]
        description: String,
        /// Time after shipping until the trade settles by itself: `7d`, `12h`, `30m`, `45s`
        /// (default 7 days; the chain's minimum, 1 hour on a public chain, to 90 days).
        #[arg(long, value_parser = period)]
        auto_confirm: Option<u32>,
        /// Time the seller has to ship once paid, as `--auto-confirm` (default 14 days).
        #[arg(long, value_parser = period)]
        ship_within: Option<u32>,
        /// Only this account may pay (default: anyone).
        #[arg(long)]
        buyer: Option<Address>,
    },
    /// Pays an offer (the buyer): the price is held in escrow.
    Pay {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Marks a paid offer shipped (the seller); the auto-confirm period starts.
    Ship {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
        /// Tracking reference; only its hash goes on chain.
        #[arg(long, default_value = "")]
        tracking: String,
    },
    /// Confirms receipt (the buyer): price and bond go to the seller.
    Confirm {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Settles a shipped trade whose auto-confirm period has passed (anyone).
    Settle {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Disputes a shipped trade (the buyer), paying the dispute fee; a panel of judges decides.
    Dispute {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
        /// The complaint; only its hash goes on chain.
        #[arg(long, default_value = "")]
        evidence: String,
    },
    /// Withdraws an unpaid offer (the seller); the bond comes back.
    Cancel {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Refunds the buyer: the seller while paid or shipped, anyone once the ship deadline
    /// passed without shipping. The bond goes back to the seller.
    Refund {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Doubles a shipped trade's auto-confirm period, once (the buyer, goods late in the post).
    Extend {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// Publishes evidence for the judges of a disputed trade (the buyer or the seller).
    Evidence {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
        /// The evidence (or a link to it); only its hash goes on chain.
        #[arg(long)]
        text: String,
    },
    /// Judges: bond, vote, decide, claim rewards, unbond, withdraw the bond.
    #[command(subcommand)]
    Judge(JudgeStep),
    /// An offer's stage, parties, amounts, deadlines, dispute and votes, and both trust indexes.
    Status {
        /// The offer's id (printed by `sec trade offer`).
        #[arg(long)]
        offer: u64,
    },
    /// An account's trust index and its offers as seller or buyer, newest first (the node's
    /// `sec_trades`).
    List {
        /// Default: the key's account.
        #[arg(long)]
        account: Option<Address>,
    },
}

#[derive(Subcommand)]
enum JudgeStep {
    /// Bonds native SEC as a judge (at least 1,000 SEC in total).
    Bond {
        /// Whole SEC.
        #[arg(long)]
        amount: String,
    },
    /// Votes on a dispute whose panel you sit on.
    Vote {
        /// The dispute's id (printed by `sec trade dispute` and `status`).
        #[arg(long)]
        dispute: u64,
        /// Fake goods: the buyer's complaint is upheld.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        uphold: bool,
        /// The complaint is rejected: the seller is paid.
        #[arg(long)]
        reject: bool,
    },
    /// Decides a dispute once all voted or its deadline passed (anyone).
    Decide {
        /// The dispute's id (printed by `sec trade dispute` and `status`).
        #[arg(long)]
        dispute: u64,
    },
    /// Takes judge rewards.
    Claim,
    /// Stops being drawn; the bond can be withdrawn 7 days later.
    Unbond,
    /// Withdraws the bond after the unbonding delay.
    Withdraw,
}

fn period(text: &str) -> Result<u32, String> {
    parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a period: write 7d, 12h, 30m or 45s"))
}

/// Sends one step and says which transaction and block carried it.
async fn send<C: SolCall>(
    s: &TradeClient,
    target: Target,
    call: C,
    value: U256,
) -> Result<Receipt> {
    let from = s.sent_from();
    if let Some(from) = from {
        println!("  sent from domain {from} as a cross-domain message; waiting for its delivery");
    }
    let r = s.send(target, call, value).await?;
    let how = if from.is_some() { "delivered by transaction" } else { "transaction" };
    println!("  {how} {} in block {}", r.transaction_hash, r.block());
    Ok(r)
}

async fn trust_line(s: &TradeClient, who: Address) -> Result<String> {
    let a = s.standing(who).await?;
    Ok(format!(
        "trust index {}{}, {} completed trade(s), {} dispute(s) lost",
        a.index,
        if a.banned { " (BANNED)" } else { "" },
        a.completed,
        a.penalties
    ))
}

pub async fn run(args: TradeArgs) -> Result<()> {
    let signer =
        args.key.map(|k| PrivateKeySigner::from_bytes(&k).context("invalid --key")).transpose()?;
    let s = match (args.from_domain, signer) {
        (Some(from), Some(signer)) => {
            let urls = crate::bridge::domain_urls(&args.rpc).await?;
            let from_rpc = urls.get(from as usize).with_context(|| format!("no domain {from}"))?;
            TradeClient::connect_from(&args.rpc, signer, from_rpc).await
        }
        (Some(_), None) => bail!("--from-domain sends the step: give --key or set SEC_KEY"),
        (None, signer) => TradeClient::connect(&args.rpc, signer).await,
    }
    .with_context(|| format!("connecting to {}", args.rpc))?;
    match args.step {
        Step::Offer { price, token, description, auto_confirm, ship_within, buyer } => {
            let token = if token.eq_ignore_ascii_case("SEC") {
                Address::ZERO
            } else {
                token.parse().with_context(|| format!("--token {token}: SEC or an address"))?
            };
            let TokenInfo { symbol, decimals } = s.token(token).await?;
            let price: U256 =
                parse_units(&price, decimals).with_context(|| format!("--price {price}"))?.into();
            let bond = s.bond_for(s.address(), price).await?;
            s.approve(token, bond).await?;
            let call = TradeEscrow::openCall {
                token,
                price,
                descriptionHash: keccak256(description.as_bytes()),
                autoConfirmPeriod: auto_confirm.unwrap_or_default(),
                shipPeriod: ship_within.unwrap_or_default(),
                designatedBuyer: buyer.unwrap_or_default(),
            };
            let value = if token == Address::ZERO { bond } else { U256::ZERO };
            let r = send(&s, Target::Escrow, call, value).await?;
            let e = event::<TradeEscrow::OfferOpened>(&r)?;
            println!("offer {} opened by {}", e.offerId, e.seller);
            println!(
                "  price {} {symbol}, bond {} {symbol} posted ({}% of the price)",
                units(e.price, decimals),
                units(e.bond, decimals),
                units(e.bond * U256::from(10_000u64) / e.price, 2)
            );
            println!(
                "  auto-confirm {} after shipping, ship within {} of payment, buyer: {}",
                duration(e.autoConfirmPeriod.into()),
                duration(e.shipPeriod.into()),
                if e.designatedBuyer == Address::ZERO {
                    "anyone".to_string()
                } else {
                    e.designatedBuyer.to_string()
                }
            );
        }
        Step::Pay { offer } => {
            let o = s.offer(offer).await?;
            let price = U256::from(o.price);
            s.approve(o.token, price).await?;
            let value = if o.token == Address::ZERO { price } else { U256::ZERO };
            let r =
                send(&s, Target::Escrow, TradeEscrow::payCall { offerId: offer }, value).await?;
            let e = event::<TradeEscrow::OfferPaid>(&r)?;
            let TokenInfo { symbol, decimals } = s.token(o.token).await?;
            let o = s.offer(offer).await?;
            println!(
                "offer {offer} paid by {}: {} {symbol} held in escrow",
                e.buyer,
                units(e.price, decimals)
            );
            println!(
                "  the seller must ship by {}",
                time(U256::from(o.paidAt.to::<u64>() + u64::from(o.shipPeriod)))
            );
        }
        Step::Ship { offer, tracking } => {
            let call = TradeEscrow::shipCall { offerId: offer, trackingHash: hash_text(&tracking) };
            send(&s, Target::Escrow, call, U256::ZERO).await?;
            let o = s.offer(offer).await?;
            let settles = o.shippedAt.to::<u64>() + u64::from(o.autoConfirmPeriod);
            println!("offer {offer} shipped at {}", time(U256::from(o.shippedAt.to::<u64>())));
            println!(
                "  settles by itself at {} unless the buyer confirms or disputes before",
                time(U256::from(settles))
            );
        }
        Step::Confirm { offer } => {
            let r =
                send(&s, Target::Escrow, TradeEscrow::confirmCall { offerId: offer }, U256::ZERO)
                    .await?;
            completed(&s, offer, &r).await?;
        }
        Step::Settle { offer } => {
            let r =
                send(&s, Target::Escrow, TradeEscrow::settleCall { offerId: offer }, U256::ZERO)
                    .await?;
            completed(&s, offer, &r).await?;
        }
        Step::Dispute { offer, evidence } => {
            let fee = s.dispute_fee().await?;
            let call =
                TradeEscrow::disputeCall { offerId: offer, evidenceHash: hash_text(&evidence) };
            let r = send(&s, Target::Escrow, call, fee).await?;
            let e = event::<Disputes::DisputeCreated>(&r)?;
            println!("dispute {} opened on offer {offer} (fee {} SEC)", e.disputeId, sec(fee));
            println!(
                "  panel: {}",
                e.panel.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            );
            println!("  votes close at {}", time(e.deadline));
        }
        Step::Cancel { offer } => {
            send(&s, Target::Escrow, TradeEscrow::cancelCall { offerId: offer }, U256::ZERO)
                .await?;
            let o = s.offer(offer).await?;
            let TokenInfo { symbol, decimals } = s.token(o.token).await?;
            println!(
                "offer {offer} cancelled: the bond of {} {symbol} went back to the seller",
                units(U256::from(o.bond), decimals)
            );
        }
        Step::Refund { offer } => {
            let r =
                send(&s, Target::Escrow, TradeEscrow::refundCall { offerId: offer }, U256::ZERO)
                    .await?;
            let e = event::<TradeEscrow::TradeRefunded>(&r)?;
            let o = s.offer(offer).await?;
            let TokenInfo { symbol, decimals } = s.token(o.token).await?;
            println!(
                "offer {offer} refunded{}: {} {symbol} back to the buyer {}, the bond to the seller",
                if e.bySeller { " by the seller" } else { " (not shipped in time)" },
                units(U256::from(o.price), decimals),
                e.buyer
            );
        }
        Step::Extend { offer } => {
            let r =
                send(&s, Target::Escrow, TradeEscrow::extendCall { offerId: offer }, U256::ZERO)
                    .await?;
            let e = event::<TradeEscrow::ConfirmationExtended>(&r)?;
            println!(
                "offer {offer} extended: it now settles at {} (disputes possible until then)",
                time(e.settlesAt)
            );
        }
        Step::Evidence { offer, text } => {
            let call =
                TradeEscrow::submitEvidenceCall { offerId: offer, evidenceHash: hash_text(&text) };
            let r = send(&s, Target::Escrow, call, U256::ZERO).await?;
            let e = event::<TradeEscrow::Evidence>(&r)?;
            println!("evidence {} published on offer {offer} by {}", e.evidenceHash, e.party);
        }
        Step::Judge(step) => judge(&s, step).await?,
        Step::Status { offer } => status(&s, offer).await?,
        Step::List { account } => {
            let who = match account {
                Some(a) => a,
                None if args.key.is_some() => s.address(),
                None => bail!("give --account, or --key for your own"),
            };
            list(&s, who).await?
        }
    }
    Ok(())
}

async fn completed(s: &TradeClient, offer: u64, r: &Receipt) -> Result<()> {
    let e = event::<TradeEscrow::TradeCompleted>(r)?;
    let o = s.offer(offer).await?;
    let TokenInfo { symbol, decimals } = s.token(o.token).await?;
    println!(
        "offer {offer} completed{}: {} {symbol} (price + bond) paid to the seller",
        if e.bySettle { " by settlement" } else { " by the buyer's confirmation" },
        units(U256::from(o.price) + U256::from(o.bond), decimals)
    );
    println!("  seller {}: {}", e.seller, trust_line(s, e.seller).await?);
    println!("  buyer  {}: {}", e.buyer, trust_line(s, e.buyer).await?);
    Ok(())
}

async fn judge(s: &TradeClient, step: JudgeStep) -> Result<()> {
    match step {
        JudgeStep::Bond { amount } => {
            let value: U256 = parse_units(&amount, 18).context("--amount")?.into();
            let r = send(s, Target::Disputes, Disputes::bondCall {}, value).await?;
            let e = event::<Disputes::JudgeBonded>(&r)?;
            println!(
                "{} bonded {} SEC as a judge (bond now {} SEC)",
                e.judge,
                sec(e.amount),
                sec(e.bond)
            );
        }
        JudgeStep::Vote { dispute, uphold, reject } => {
            let uphold = uphold && !reject;
            let call = Disputes::voteCall { disputeId: dispute, uphold };
            send(s, Target::Disputes, call, U256::ZERO).await?;
            println!(
                "voted to {} on dispute {dispute}",
                if uphold { "uphold (fake goods)" } else { "reject the complaint" }
            );
        }
        JudgeStep::Decide { dispute } => {
            let r =
                send(s, Target::Disputes, Disputes::decideCall { disputeId: dispute }, U256::ZERO)
                    .await?;
            let e = event::<Disputes::Decided>(&r)?;
            println!(
                "dispute {dispute} decided: {} ({} uphold, {} reject)",
                outcome(e.outcome),
                e.upholdVotes,
                e.rejectVotes
            );
        }
        JudgeStep::Claim => {
            let r = send(s, Target::Disputes, Disputes::claimCall {}, U256::ZERO).await?;
            let e = event::<Disputes::Claimed>(&r)?;
            println!("claimed {} SEC", sec(e.amount));
        }
        JudgeStep::Unbond => {
            let r = send(s, Target::Disputes, Disputes::requestUnbondCall {}, U256::ZERO).await?;
            let e = event::<Disputes::UnbondRequested>(&r)?;
            println!(
                "unbonding: no longer drawn; the bond can be withdrawn from {}",
                time(e.availableAt)
            );
        }
        JudgeStep::Withdraw => {
            let r = send(s, Target::Disputes, Disputes::withdrawBondCall {}, U256::ZERO).await?;
            let e = event::<Disputes::BondWithdrawn>(&r)?;
            println!("withdrew a bond of {} SEC", sec(e.amount));
        }
    }
    Ok(())
}

async fn status(s: &TradeClient, id: u64) -> Result<()> {
    let o = s.offer(id).await?;
    let now = s.now().await?;
    let TokenInfo { symbol, decimals } = s.token(o.token).await?;
    let at = |t: u64| {
        let when = if t > now {
            format!("in {}", duration(t - now))
        } else {
            format!("{} ago", duration(now - t))
        };
        format!("{} ({when})", time(U256::from(t)))
    };
    println!("offer {id}: {}", stage(o.state));
    println!("  seller  {}: {}", o.seller, trust_line(s, o.seller).await?);
    if o.buyer != Address::ZERO {
        let label = if o.state == 1 || o.state == 6 { "reserved for" } else { "buyer  " };
        println!("  {label} {}: {}", o.buyer, trust_line(s, o.buyer).await?);
    } else {
        println!("  buyer   anyone may pay");
    }
    println!(
        "  price   {} {symbol}{}",
        units(U256::from(o.price), decimals),
        if o.token == Address::ZERO { String::new() } else { format!(" (token {})", o.token) }
    );
    println!(
        "  bond    {} {symbol} ({}% of the price)",
        units(U256::from(o.bond), decimals),
        units(U256::from(o.bondBps), 2)
    );
    println!("  description hash {}", o.descriptionHash);
    let period = u64::from(o.autoConfirmPeriod) * if o.extended { 2 } else { 1 };
    println!(
        "  auto-confirm {}{}, ship period {}",
        duration(period),
        if o.extended { " (extended once)" } else { "" },
        duration(o.shipPeriod.into())
    );
    let paid_at = o.paidAt.to::<u64>();
    let shipped_at = o.shippedAt.to::<u64>();
    if paid_at != 0 {
        println!("  paid    {}", at(paid_at));
        if o.state == 2 {
            println!("  ship by {}", at(paid_at + u64::from(o.shipPeriod)));
        }
    }
    if shipped_at != 0 {
        println!("  shipped {}", at(shipped_at));
        if o.state == 3 {
            println!("  settles {} (disputes possible until then)", at(shipped_at + period));
        }
    }
    if o.disputeId != 0 {
        let d = s.dispute(o.disputeId).await?;
        let deadline = d.deadline.to::<u64>();
        println!(
            "  dispute {}: {}, votes close {}",
            o.disputeId,
            if d.status == 2 { outcome(d.outcome) } else { "voting" },
            at(deadline)
        );
        for (i, judge) in d.panel.iter().enumerate() {
            let bit = 1u8 << i;
            let vote = if d.votedMask & bit == 0 {
                "not voted"
            } else if d.upholdMask & bit != 0 {
                "uphold"
            } else {
                "reject"
            };
            println!("    judge {judge}: {vote}");
        }
    }
    Ok(())
}

/// Most pages of `sec_trades` one `list` follows (5,000 offers each).
const MAX_PAGES: usize = 20;

async fn list(s: &TradeClient, who: Address) -> Result<()> {
    println!("{who}: {}", trust_line(s, who).await?);
    let mut before: Option<u64> = None;
    for _ in 0..MAX_PAGES {
        let mut params = vec![serde_json::json!(who), serde_json::json!("latest")];
        if let Some(b) = before {
            params.push(serde_json::json!(b));
        }
        let page: serde_json::Value = s.rpc().request("sec_trades", params).await?;
        for o in page["offers"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let token: Address = serde_json::from_value(o["token"].clone()).unwrap_or_default();
            let price: U256 = serde_json::from_value(o["price"].clone()).unwrap_or_default();
            let TokenInfo { symbol, decimals } = s.token(token).await?;
            println!(
                "  offer {:<6} {:<10} {:<15} {} {symbol}",
                o["offerId"].as_u64().unwrap_or_default(),
                o["stage"].as_str().unwrap_or("?"),
                o["role"].as_str().unwrap_or("?"),
                units(price, decimals)
            );
        }
        match page["before"].as_u64() {
            Some(b) if page["complete"] != true => before = Some(b),
            _ => return Ok(()),
        }
    }
    println!("  (older offers not listed)");
    Ok(())
}
