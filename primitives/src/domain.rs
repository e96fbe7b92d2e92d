//! Domain identifiers and their chain ids.

/// Index of a domain: `0..D`. Domain 0 is the hub.
pub type DomainId = u32;

/// The chain id of domain `domain` on a chain whose domains start at `chain_id_base`.
///
/// Distinct chain ids per domain make a transaction signed for one domain invalid on every other
/// (EIP-155 replay protection across domains).
pub const fn domain_chain_id(chain_id_base: u64, domain: DomainId) -> u64 {
    chain_id_base + domain as u64
}
