//! `sec trade`: the trade-and-trust predeploys (`TradeEscrow`, `TrustIndex`, `Disputes`) from
//! the command line. Each step estimates, signs (EIP-1559), sends, waits for the receipt and
//! says what happened, or why the contract refused, in words.

use alloy::{signers::local::PrivateKeySigner, sol_types::SolInterface};
use alloy_primitives::{
    Address, B256, U256, keccak256,
    utils::{format_units, parse_units},
};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use sec_bridge::{BridgeError, L1Client, Receipt};
use sec_contracts::{
    bindings::{Disputes, TradeEscrow, TrustIndex, bridged_erc20::BridgedERC20},
    predeploy::{DISPUTES, TRADE_ESCROW, TRUST_INDEX},
};

#[derive(Args)]
pub struct TradeArgs {
    /// A domain's JSON-RPC endpoint.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The account's private key (hex). Never printed.
    #[arg(long, global = true, env = "SEC_KEY", hide_env_values = true)]
    key: Option<B256>,
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
        /// Days after shipping until the trade settles by itself (default 7; 1 hour to 90 days).
        #[arg(long)]
        auto_confirm_days: Option<f64>,
        /// Days the seller has to ship once paid (default 14).
        #[arg(long)]
        ship_days: Option<f64>,
        /// Only this account may pay (default: anyone).
        #[arg(long)]
        buyer: Option<Address>,
    },
    /// Pays an offer (the buyer): the price is held in escrow.
    Pay {
        #[arg(long)]
        offer: u64,
    },
    /// Marks a paid offer shipped (the seller); the auto-confirm period starts.
    Ship {
        #[arg(long)]
        offer: u64,
        /// Tracking reference; only its hash goes on chain.
        #[arg(long, default_value = "")]
        tracking: String,
    },
    /// Confirms receipt (the buyer): price and bond go to the seller.
    Confirm {
        #[arg(long)]
        offer: u64,
    },
    /// Settles a shipped trade whose auto-confirm period has passed (anyone).
    Settle {
        #[arg(long)]
        offer: u64,
    },
    /// Disputes a shipped trade (the buyer), paying the dispute fee; a panel of judges decides.
    Dispute {
        #[arg(long)]
        offer: u64,
        /// The complaint; only its hash goes on chain.
        #[arg(long, default_value = "")]
        evidence: String,
    },
    /// Withdraws an unpaid offer (the seller); the bond comes back.
    Cancel {
        #[arg(long)]
        offer: u64,
    },
    /// Refunds the buyer: the seller while paid or shipped, anyone once the ship deadline
    /// passed without shipping. The bond goes back to the seller.
    Refund {
        #[arg(long)]
        offer: u64,
    },
    /// Doubles a shipped trade's auto-confirm period, once (the buyer, goods late in the post).
    Extend {
        #[arg(long)]
        offer: u64,
    },
    /// Judges: bond, vote, decide, claim rewards, unbond, withdraw the bond.
    #[command(subcommand)]
    Judge(JudgeStep),
    /// An offer's stage, parties, amounts, deadlines, dispute and votes, and both trust indexes.
    Status {
        #[arg(long)]
        offer: u64,
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

/// Names of `TradeEscrow.State`, by value.
const STAGES: [&str; 11] = [
    "None",
    "Open",
    "Paid",
    "Shipped",
    "Disputed",
    "Completed",
    "Cancelled",
    "Refunded",
    "Upheld",
    "Rejected",
    "Defaulted",
];

fn stage(state: u8) -> &'static str {
    STAGES.get(state as usize).copied().unwrap_or("Unknown")
}

fn outcome(o: u8) -> &'static str {
    match o {
        1 => "Upheld (fake goods: the buyer is refunded price and bond)",
        2 => "Rejected (the seller is paid; the buyer loses trust)",
        3 => "Defaulted (no majority: the seller is paid, nobody loses trust)",
        _ => "undecided",
    }
}

/// Which contract a refused step was sent to, to read its custom errors first.
#[derive(Clone, Copy)]
enum Target {
    Escrow,
    Disputes,
}

/// A custom error of the trade contracts as a sentence a user can act on.
fn explain(target: Target, data: &[u8]) -> Option<String> {
    use Disputes::DisputesErrors as D;
    use TradeEscrow::TradeEscrowErrors as E;
    let escrow = || {
        E::abi_decode(data).ok().map(|e| match e {
            E::Banned(e) => format!("{} is banned from trading (trust index 0)", e.account),
            E::ZeroPrice(_) => "the price must be more than zero".into(),
            E::PriceTooLarge(_) => "the price is too large".into(),
            E::BadPeriod(e) => {
                format!("a period of {} is outside 1 hour to 90 days", duration(e.period.to()))
            }
            E::NotAToken(e) => format!("{} is not an ERC-20 token", e.token),
            E::UnsupportedToken(e) => {
                format!("{} takes a fee on transfer, which the escrow does not accept", e.token)
            }
            E::WrongValue(e) => format!(
                "the amount sent ({}) is not the amount required ({})",
                sec(e.value),
                sec(e.expected)
            ),
            E::UnknownOffer(e) => format!("there is no offer {}", e.offerId),
            E::WrongState(e) => format!(
                "offer {} is {}, so this step is not possible now",
                e.offerId,
                stage(e.state)
            ),
            E::NotSeller(e) => format!("only the seller may do this ({} is not)", e.caller),
            E::NotBuyer(e) => format!("only the buyer may do this ({} is not)", e.caller),
            E::NotParty(e) => {
                format!("only the buyer or the seller may do this ({} is neither)", e.caller)
            }
            E::NotDesignatedBuyer(e) => {
                format!("this offer is reserved for {}; {} may not pay it", e.buyer, e.caller)
            }
            E::OwnOffer(_) => "a seller cannot buy their own offer".into(),
            E::ShipDeadlinePassed(e) => {
                format!(
                    "the ship deadline passed at {}; the buyer may be refunded",
                    time(e.deadline)
                )
            }
            E::TooEarly(e) => format!("too early: possible from {}", time(e.readyAt)),
            E::DisputeWindowClosed(e) => format!(
                "the dispute window closed at {}; the trade settles as delivered",
                time(e.closedAt)
            ),
            E::NotDisputes(_) => "only the Disputes contract may resolve a dispute".into(),
            E::BadOutcome(e) => format!("{} is not a dispute outcome", e.outcome),
            E::NothingOwed(_) => "nothing is owed to this account".into(),
            E::AlreadyExtended(e) => format!("offer {} was already extended once", e.offerId),
            E::TransferFailed(_) => "a token transfer failed".into(),
            E::ReentrancyGuardReentrantCall(_) => "re-entered the escrow".into(),
            E::SafeERC20FailedOperation(e) => format!("the token {} refused the transfer", e.token),
        })
    };
    let disputes = || {
        D::abi_decode(data).ok().map(|e| match e {
            D::NotEscrow(_) => {
                "disputes are opened through the escrow (`sec trade dispute`)".into()
            }
            D::Banned(e) => format!("{} is banned and cannot be a judge", e.account),
            D::ZeroAmount(_) => "the amount must be more than zero".into(),
            D::BondTooLow(e) => format!(
                "a judge's bond must total at least {} SEC (it would be {} SEC)",
                sec(e.minimum),
                sec(e.bond)
            ),
            D::NotJudge(e) => format!("{} is not a bonded judge", e.account),
            D::Unbonding(e) => format!("{} is already unbonding", e.account),
            D::NotUnbonding(e) => format!("{} has not asked to unbond", e.account),
            D::OnPanel(e) => {
                format!("{} still sits on {} undecided panel(s)", e.account, e.panels)
            }
            D::TooEarly(e) => format!("too early: possible from {}", time(e.readyAt)),
            D::WrongValue(e) => format!(
                "the amount sent ({} SEC) is not the amount required ({} SEC)",
                sec(e.value),
                sec(e.expected)
            ),
            D::NotEnoughJudges(e) => format!(
                "only {} judges can be drawn, a panel needs {}: no dispute can open now",
                e.available, e.needed
            ),
            D::UnknownDispute(e) => format!("there is no dispute {}", e.disputeId),
            D::AlreadyDecided(e) => format!("dispute {} is already decided", e.disputeId),
            D::VotingClosed(e) => format!("voting closed at {}", time(e.deadline)),
            D::NotOnPanel(e) => format!("{} is not on this dispute's panel", e.account),
            D::AlreadyVoted(e) => format!("{} has already voted", e.judge),
            D::NothingToClaim(_) => "nothing to claim".into(),
            D::TransferFailed(_) => "a transfer failed".into(),
            D::ReentrancyGuardReentrantCall(_) => "re-entered the disputes contract".into(),
        })
    };
    match target {
        Target::Escrow => escrow().or_else(disputes),
        Target::Disputes => disputes().or_else(escrow),
    }
    .or_else(|| sec_contracts::decode_revert(data))
}

/// An amount of 18-decimal units, without trailing zeros.
fn sec(v: U256) -> String {
    units(v, 18)
}

fn units(v: U256, decimals: u8) -> String {
    let s = format_units(v, decimals).unwrap_or_else(|_| v.to_string());
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A duration in days, hours and minutes.
fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, 0) => format!("{d} days"),
        (d, h, _) => format!("{d} days {h} h"),
    }
}

/// A unix time as `YYYY-MM-DD HH:MM:SS UTC`.
fn time(ts: U256) -> String {
    let ts = ts.saturating_to::<u64>();
    let days = (ts / 86_400) as i64;
    // days since 1970-01-01 to a civil date (H. Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = ts % 86_400;
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", s / 3600, s % 3600 / 60, s % 60)
}

fn days_to_secs(days: Option<f64>) -> Result<u32> {
    match days {
        None => Ok(0),
        Some(d) if d.is_finite() && d > 0.0 && d * 86_400.0 < u32::MAX as f64 => {
            Ok((d * 86_400.0).round() as u32)
        }
        Some(d) => bail!("{d} days is not a period"),
    }
}

/// One connected account (or a read-only view when no key is given).
struct Session {
    client: L1Client,
    has_key: bool,
}

impl Session {
    async fn connect(rpc: &str, key: Option<B256>) -> Result<Self> {
        let (signer, has_key) = match key {
            Some(k) => (PrivateKeySigner::from_bytes(&k).context("invalid --key")?, true),
            // views only: any address will do as the caller
            None => (PrivateKeySigner::random(), false),
        };
        let client =
            L1Client::connect(rpc, signer).await.with_context(|| format!("connecting to {rpc}"))?;
        Ok(Self { client, has_key })
    }

    fn me(&self) -> Address {
        self.client.address()
    }

    /// Sends a call to `to`; a refusal becomes an error saying why, in words.
    async fn send<C: alloy::sol_types::SolCall>(
        &self,
        target: Target,
        call: C,
        value: U256,
    ) -> Result<Receipt> {
        if !self.has_key {
            bail!("this step sends a transaction: give --key or set SEC_KEY");
        }
        let to = match target {
            Target::Escrow => TRADE_ESCROW,
            Target::Disputes => DISPUTES,
        };
        match self.client.send_call(to, call, value).await {
            Ok(r) => {
                println!("  transaction {} in block {}", r.transaction_hash, r.block());
                Ok(r)
            }
            Err(BridgeError::Reverted { reason, data, .. }) => {
                let words = explain(target, &data).unwrap_or(reason);
                Err(anyhow!("refused: {words}"))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn offer(&self, id: u64) -> Result<TradeEscrow::Offer> {
        let o = self.client.view(TRADE_ESCROW, TradeEscrow::offerCall { offerId: id }).await?;
        if o.state == 0 {
            bail!("there is no offer {id}");
        }
        Ok(o)
    }

    /// The token's symbol and decimals (`SEC`, 18 for native).
    async fn token(&self, token: Address) -> Result<(String, u8)> {
        if token == Address::ZERO {
            return Ok(("SEC".into(), 18));
        }
        let symbol = self.client.view(token, BridgedERC20::symbolCall {}).await?;
        let decimals = self.client.view(token, BridgedERC20::decimalsCall {}).await?;
        Ok((symbol, decimals))
    }

    /// Approves the escrow to pull `amount` of an ERC-20 (nothing for native SEC).
    async fn approve(&self, token: Address, amount: U256) -> Result<()> {
        if token == Address::ZERO {
            return Ok(());
        }
        let call = BridgedERC20::approveCall { spender: TRADE_ESCROW, value: amount };
        self.client.send_call(token, call, U256::ZERO).await.context("approving the escrow")?;
        Ok(())
    }

    async fn trust_line(&self, who: Address) -> Result<String> {
        let a = self.client.view(TRUST_INDEX, TrustIndex::accountOfCall { account: who }).await?;
        Ok(format!(
            "trust index {}{}, {} completed trade(s), {} dispute(s) lost",
            a.index,
            if a.banned { " (BANNED)" } else { "" },
            a.completed,
            a.penalties
        ))
    }

    async fn now(&self) -> Result<u64> {
        Ok(self.client.block(None).await?.timestamp.to())
    }
}

fn event<E: alloy::sol_types::SolEvent>(r: &Receipt) -> Option<E> {
    r.logs.iter().find_map(|l| l.log_decode::<E>().ok()).map(|l| l.inner.data)
}

fn hash_text(text: &str) -> B256 {
    if text.is_empty() { B256::ZERO } else { keccak256(text.as_bytes()) }
}

pub async fn run(args: TradeArgs) -> Result<()> {
    let s = Session::connect(&args.rpc, args.key).await?;
    match args.step {
        Step::Offer { price, token, description, auto_confirm_days, ship_days, buyer } => {
            let token = if token.eq_ignore_ascii_case("SEC") {
                Address::ZERO
            } else {
                token.parse().with_context(|| format!("--token {token}: SEC or an address"))?
            };
            let (symbol, decimals) = s.token(token).await?;
            let price: U256 =
                parse_units(&price, decimals).with_context(|| format!("--price {price}"))?.into();
            let bond = s
                .client
                .view(TRADE_ESCROW, TradeEscrow::bondForCall { seller: s.me(), price })
                .await?;
            s.approve(token, bond).await?;
            let call = TradeEscrow::openCall {
                token,
                price,
                descriptionHash: keccak256(description.as_bytes()),
                autoConfirmPeriod: days_to_secs(auto_confirm_days)?,
                shipPeriod: days_to_secs(ship_days)?,
                designatedBuyer: buyer.unwrap_or_default(),
            };
            let value = if token == Address::ZERO { bond } else { U256::ZERO };
            let r = s.send(Target::Escrow, call, value).await?;
            let e = event::<TradeEscrow::OfferOpened>(&r).context("no OfferOpened event")?;
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
            let r = s.send(Target::Escrow, TradeEscrow::payCall { offerId: offer }, value).await?;
            let e = event::<TradeEscrow::OfferPaid>(&r).context("no OfferPaid event")?;
            let (symbol, decimals) = s.token(o.token).await?;
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
            s.send(Target::Escrow, call, U256::ZERO).await?;
            let o = s.offer(offer).await?;
            let settles = o.shippedAt.to::<u64>() + u64::from(o.autoConfirmPeriod);
            println!("offer {offer} shipped at {}", time(U256::from(o.shippedAt.to::<u64>())));
            println!(
                "  settles by itself at {} unless the buyer confirms or disputes before",
                time(U256::from(settles))
            );
        }
        Step::Confirm { offer } => {
            let r = s
                .send(Target::Escrow, TradeEscrow::confirmCall { offerId: offer }, U256::ZERO)
                .await?;
            completed(&s, offer, &r).await?;
        }
        Step::Settle { offer } => {
            let r = s
                .send(Target::Escrow, TradeEscrow::settleCall { offerId: offer }, U256::ZERO)
                .await?;
            completed(&s, offer, &r).await?;
        }
        Step::Dispute { offer, evidence } => {
            let fee = s.client.view(DISPUTES, Disputes::DISPUTE_FEECall {}).await?;
            let call =
                TradeEscrow::disputeCall { offerId: offer, evidenceHash: hash_text(&evidence) };
            let r = s.send(Target::Escrow, call, fee).await?;
            let e = event::<Disputes::DisputeCreated>(&r).context("no DisputeCreated event")?;
            println!("dispute {} opened on offer {offer} (fee {} SEC)", e.disputeId, sec(fee));
            println!(
                "  panel: {}",
                e.panel.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            );
            println!("  votes close at {}", time(e.deadline));
        }
        Step::Cancel { offer } => {
            s.send(Target::Escrow, TradeEscrow::cancelCall { offerId: offer }, U256::ZERO).await?;
            let o = s.offer(offer).await?;
            let (symbol, decimals) = s.token(o.token).await?;
            println!(
                "offer {offer} cancelled: the bond of {} {symbol} went back to the seller",
                units(U256::from(o.bond), decimals)
            );
        }
        Step::Refund { offer } => {
            let r = s
                .send(Target::Escrow, TradeEscrow::refundCall { offerId: offer }, U256::ZERO)
                .await?;
            let e = event::<TradeEscrow::TradeRefunded>(&r).context("no TradeRefunded event")?;
            let o = s.offer(offer).await?;
            let (symbol, decimals) = s.token(o.token).await?;
            println!(
                "offer {offer} refunded{}: {} {symbol} back to the buyer {}, the bond to the seller",
                if e.bySeller { " by the seller" } else { " (not shipped in time)" },
                units(U256::from(o.price), decimals),
                e.buyer
            );
        }
        Step::Extend { offer } => {
            let r = s
                .send(Target::Escrow, TradeEscrow::extendCall { offerId: offer }, U256::ZERO)
                .await?;
            let e = event::<TradeEscrow::ConfirmationExtended>(&r)
                .context("no ConfirmationExtended event")?;
            println!(
                "offer {offer} extended: it now settles at {} (disputes possible until then)",
                time(e.settlesAt)
            );
        }
        Step::Judge(step) => judge(&s, step).await?,
        Step::Status { offer } => status(&s, offer).await?,
    }
    Ok(())
}

async fn completed(s: &Session, offer: u64, r: &Receipt) -> Result<()> {
    let e = event::<TradeEscrow::TradeCompleted>(r).context("no TradeCompleted event")?;
    let o = s.offer(offer).await?;
    let (symbol, decimals) = s.token(o.token).await?;
    println!(
        "offer {offer} completed{}: {} {symbol} (price + bond) paid to the seller",
        if e.bySettle { " by settlement" } else { " by the buyer's confirmation" },
        units(U256::from(o.price) + U256::from(o.bond), decimals)
    );
    println!("  seller {}: {}", e.seller, s.trust_line(e.seller).await?);
    println!("  buyer  {}: {}", e.buyer, s.trust_line(e.buyer).await?);
    Ok(())
}

async fn judge(s: &Session, step: JudgeStep) -> Result<()> {
    match step {
        JudgeStep::Bond { amount } => {
            let value: U256 = parse_units(&amount, 18).context("--amount")?.into();
            let r = s.send(Target::Disputes, Disputes::bondCall {}, value).await?;
            let e = event::<Disputes::JudgeBonded>(&r).context("no JudgeBonded event")?;
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
            s.send(Target::Disputes, call, U256::ZERO).await?;
            println!(
                "voted to {} on dispute {dispute}",
                if uphold { "uphold (fake goods)" } else { "reject the complaint" }
            );
        }
        JudgeStep::Decide { dispute } => {
            let r = s
                .send(Target::Disputes, Disputes::decideCall { disputeId: dispute }, U256::ZERO)
                .await?;
            let e = event::<Disputes::Decided>(&r).context("no Decided event")?;
            println!(
                "dispute {dispute} decided: {} ({} uphold, {} reject)",
                outcome(e.outcome),
                e.upholdVotes,
                e.rejectVotes
            );
        }
        JudgeStep::Claim => {
            let r = s.send(Target::Disputes, Disputes::claimCall {}, U256::ZERO).await?;
            let e = event::<Disputes::Claimed>(&r).context("no Claimed event")?;
            println!("claimed {} SEC", sec(e.amount));
        }
        JudgeStep::Unbond => {
            let r = s.send(Target::Disputes, Disputes::requestUnbondCall {}, U256::ZERO).await?;
            let e = event::<Disputes::UnbondRequested>(&r).context("no UnbondRequested event")?;
            println!(
                "unbonding: no longer drawn; the bond can be withdrawn from {}",
                time(e.availableAt)
            );
        }
        JudgeStep::Withdraw => {
            let r = s.send(Target::Disputes, Disputes::withdrawBondCall {}, U256::ZERO).await?;
            let e = event::<Disputes::BondWithdrawn>(&r).context("no BondWithdrawn event")?;
            println!("withdrew a bond of {} SEC", sec(e.amount));
        }
    }
    Ok(())
}

async fn status(s: &Session, id: u64) -> Result<()> {
    let o = s.offer(id).await?;
    let now = s.now().await?;
    let (symbol, decimals) = s.token(o.token).await?;
    let at = |t: u64| {
        let when = if t > now {
            format!("in {}", duration(t - now))
        } else {
            format!("{} ago", duration(now - t))
        };
        format!("{} ({when})", time(U256::from(t)))
    };
    println!("offer {id}: {}", stage(o.state));
    println!("  seller  {}: {}", o.seller, s.trust_line(o.seller).await?);
    if o.buyer != Address::ZERO {
        let label = if o.state == 1 || o.state == 6 { "reserved for" } else { "buyer  " };
        println!("  {label} {}: {}", o.buyer, s.trust_line(o.buyer).await?);
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
        let d = s.client.view(DISPUTES, Disputes::disputeOfCall { disputeId: o.disputeId }).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolError;

    #[test]
    fn dates_and_durations_read_as_people_write_them() {
        assert_eq!(time(U256::ZERO), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(U256::from(1_700_000_000u64)), "2023-11-14 22:13:20 UTC");
        assert_eq!(time(U256::from(951_782_400u64)), "2000-02-29 00:00:00 UTC");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(7 * 86_400), "7 days");
        assert_eq!(duration(90), "1 min");
        assert_eq!(sec(U256::from(5_500_000_000_000_000_000u128)), "5.5");
        assert_eq!(sec(U256::from(10u64).pow(U256::from(19u64))), "10");
        assert_eq!(days_to_secs(Some(7.0)).unwrap(), 604_800);
        assert_eq!(days_to_secs(None).unwrap(), 0);
        assert!(days_to_secs(Some(-1.0)).is_err());
    }

    #[test]
    fn refusals_are_explained_in_words() {
        let who = Address::repeat_byte(7);
        let data = TradeEscrow::NotBuyer { caller: who }.abi_encode();
        assert_eq!(
            explain(Target::Escrow, &data).unwrap(),
            format!("only the buyer may do this ({who} is not)")
        );
        let data = TradeEscrow::WrongState { offerId: 3, state: 5 }.abi_encode();
        assert_eq!(
            explain(Target::Escrow, &data).unwrap(),
            "offer 3 is Completed, so this step is not possible now"
        );
        // the same selector in both contracts reads as the contract called
        let data = Disputes::TooEarly { readyAt: U256::ZERO }.abi_encode();
        assert!(explain(Target::Disputes, &data).unwrap().starts_with("too early"));
        let data = Disputes::NotEnoughJudges { available: U256::from(2), needed: U256::from(5) }
            .abi_encode();
        assert!(explain(Target::Escrow, &data).unwrap().contains("only 2 judges"));
        assert_eq!(explain(Target::Escrow, &[1, 2, 3, 4]), None);
    }
}
