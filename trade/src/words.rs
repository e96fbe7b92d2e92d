//! The trade contracts' states, outcomes and refusals, and amounts and times, as a person
//! reads them: what the CLI prints and what any other client can show.

use alloy::sol_types::SolInterface;
use alloy_primitives::{U256, utils::format_units};
use sec_contracts::bindings::{Disputes, TradeEscrow};

/// The name of an offer's stage (`TradeEscrow.State`).
pub use sec_contracts::trade::offer_stage as stage;

/// A dispute outcome (`Disputes.OUTCOME_*`) in words.
pub fn outcome(o: u8) -> &'static str {
    match o {
        1 => "Upheld (fake goods: the buyer is refunded price and bond)",
        2 => "Rejected (the seller is paid; the buyer loses trust)",
        3 => "Defaulted (no majority: the seller is paid, nobody loses trust)",
        _ => "undecided",
    }
}

/// Which contract a refused step was sent to, to read its custom errors first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `TradeEscrow`.
    Escrow,
    /// `Disputes`.
    Disputes,
}

/// A custom error of the trade contracts as a sentence a user can act on.
pub fn explain(target: Target, data: &[u8]) -> Option<String> {
    use Disputes::DisputesErrors as D;
    use TradeEscrow::TradeEscrowErrors as E;
    let escrow = || {
        E::abi_decode(data).ok().map(|e| match e {
            E::Banned(e) => format!("{} is banned from trading (trust index 0)", e.account),
            E::ZeroPrice(_) => "the price must be more than zero".into(),
            E::PriceTooLarge(_) => "the price is too large".into(),
            E::BadPeriod(e) => format!(
                "a period of {} is outside {} to {} on this chain",
                duration(e.period.saturating_to()),
                duration(e.min.saturating_to()),
                duration(e.max.saturating_to())
            ),
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
pub fn sec(v: U256) -> String {
    units(v, 18)
}

/// An amount of `decimals`-decimal units, without trailing zeros.
pub fn units(v: U256, decimals: u8) -> String {
    let s = format_units(v, decimals).unwrap_or_else(|_| v.to_string());
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A duration in days, hours and minutes.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) if s > 0 => format!("{m} min {s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, 0) => format!("{d} days"),
        (d, h, _) => format!("{d} days {h} h"),
    }
}

/// A period written as a number and a unit, `30s`, `15m`, `12h`, `7d` or `1.5d`, in seconds.
pub fn parse_duration(text: &str) -> Option<u32> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let unit_secs = match unit.trim() {
        "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hour" | "hours" => 3_600.0,
        "d" | "day" | "days" => 86_400.0,
        _ => return None,
    };
    let secs = number.parse::<f64>().ok()? * unit_secs;
    (secs.is_finite() && secs >= 1.0 && secs <= f64::from(u32::MAX)).then(|| secs.round() as u32)
}

/// A unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time(ts: U256) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolError;
    use alloy_primitives::Address;

    #[test]
    fn dates_and_durations_read_as_people_write_them() {
        assert_eq!(time(U256::ZERO), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(U256::from(1_700_000_000u64)), "2023-11-14 22:13:20 UTC");
        assert_eq!(time(U256::from(951_782_400u64)), "2000-02-29 00:00:00 UTC");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(7 * 86_400), "7 days");
        assert_eq!(duration(90), "1 min 30 s");
        assert_eq!(duration(30), "30 s");
        assert_eq!(duration(120), "2 min");
        for (text, secs) in [("30s", 30), ("15m", 900), ("12h", 43_200), ("7d", 604_800)] {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
        assert_eq!(parse_duration("1.5 days"), Some(129_600));
        for bad in ["", "7", "d", "-1d", "0s", "3 weeks", "1e9d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(sec(U256::from(5_500_000_000_000_000_000u128)), "5.5");
        assert_eq!(sec(U256::from(10u64).pow(U256::from(19u64))), "10");
    }

    #[test]
    fn refusals_are_explained_in_words() {
        let who = Address::repeat_byte(7);
        let data = TradeEscrow::NotBuyer { caller: who }.abi_encode();
        assert_eq!(
            explain(Target::Escrow, &data).unwrap(),
            format!("only the buyer may do this ({who} is not)")
        );
        let data = TradeEscrow::BadPeriod {
            period: U256::from(10),
            min: U256::from(30),
            max: U256::from(90 * 86_400),
        }
        .abi_encode();
        assert_eq!(
            explain(Target::Escrow, &data).unwrap(),
            "a period of 10 s is outside 30 s to 90 days on this chain"
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
