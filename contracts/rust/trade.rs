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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_follow_the_contract_enum() {
        assert_eq!(offer_stage(0), "None");
        assert_eq!(offer_stage(3), "Shipped");
        assert_eq!(offer_stage(10), "Defaulted");
        assert_eq!(offer_stage(11), "Unknown");
    }
}
