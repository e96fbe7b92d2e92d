//! Names of the trade contracts' enums, by value, as the Solidity declares them: the node's
//! `sec_trades`, the CLI and any other client show the same words.

/// Names of `TradeEscrow.State`, by value.
pub const OFFER_STAGES: [&str; 11] = [
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

/// The name of an offer's stage (`TradeEscrow.State`); "Unknown" past the enum.
pub fn offer_stage(state: u8) -> &'static str {
    OFFER_STAGES.get(state as usize).copied().unwrap_or("Unknown")
}

/// Completed trades an account needs in a period before the convergence rule moves it.
pub const MIN_TRADES_TO_MOVE: usize = 2;

/// The domain convergence rule (`contracts/TRADE.md`, "Domain convergence"): where an account
/// whose home is `home` moves at the end of a period, given the home of the counterparty of
/// each trade it completed in the period (one entry per trade); `None` to stay. With at least
/// [`MIN_TRADES_TO_MOVE`] trades, a domain holding a strict majority of them (there is at most
/// one) other than its home. Whether the account is banned is the caller's to check.
pub fn convergence_target(home: u32, partner_homes: &[u32]) -> Option<u32> {
    if partner_homes.len() < MIN_TRADES_TO_MOVE {
        return None;
    }
    let mut counts = std::collections::BTreeMap::<u32, usize>::new();
    for &d in partner_homes {
        *counts.entry(d).or_default() += 1;
    }
    counts
        .into_iter()
        .find(|&(_, n)| 2 * n > partner_homes.len())
        .map(|(d, _)| d)
        .filter(|&d| d != home)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_moves_on_a_strict_majority_elsewhere_only() {
        assert_eq!(convergence_target(0, &[]), None);
        assert_eq!(convergence_target(0, &[2]), None, "one trade never moves an account");
        assert_eq!(convergence_target(0, &[2, 2]), Some(2));
        assert_eq!(convergence_target(0, &[2, 1]), None, "no majority");
        assert_eq!(convergence_target(0, &[2, 2, 1, 1]), None, "half is not a majority");
        assert_eq!(convergence_target(0, &[2, 2, 1]), Some(2));
        assert_eq!(convergence_target(2, &[2, 2, 1]), None, "the majority is at home");
        assert_eq!(convergence_target(3, &[0, 1, 1, 1, 0]), Some(1));
    }

    #[test]
    fn stage_names_follow_the_contract_enum() {
        assert_eq!(offer_stage(0), "None");
        assert_eq!(offer_stage(3), "Shipped");
        assert_eq!(offer_stage(10), "Defaulted");
        assert_eq!(offer_stage(11), "Unknown");
    }
}
