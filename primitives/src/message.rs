//! Cross-domain (BGC) messages and L1-bound withdrawals, and how they are hashed.
