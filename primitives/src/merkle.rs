//! Binary Merkle tree over message and withdrawal hashes (roots checked on Ethereum).
//!
//! Compatible with OpenZeppelin's `MerkleProof` (sorted-pair hashing), which `L1Bridge` uses:
//!
//! - leaf of a message hash `h`: `keccak256(h)` — a 32-byte preimage, while inner nodes have
//!   64-byte preimages, so an inner node can never pass as a leaf (nor a leaf as a node);
//! - inner node: `keccak256(min(a, b) ‖ max(a, b))`;
//! - levels are built left to right by pairing adjacent nodes; an odd last node moves up
//!   unchanged (its proof simply has no sibling at that level);
//! - the root of an empty tree is [`EMPTY_ROOT`] (`keccak256("")`), never zero, because the
//!   checkpoint manager refuses zero roots.
//!
//! Proofs are the sibling hashes from the leaf up; no index is needed.

use alloy_primitives::{B256, keccak256};

/// Root of a tree without leaves: `keccak256("")`.
pub const EMPTY_ROOT: B256 = alloy_primitives::KECCAK256_EMPTY;

/// The leaf for a message (or withdrawal) hash.
pub fn leaf_hash(message_hash: B256) -> B256 {
    keccak256(message_hash)
}

/// The parent of two nodes (sorted-pair, commutative).
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// A Merkle tree over message hashes, keeping every level for proof generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<B256>>,
}

impl MerkleTree {
    /// Builds the tree over `message_hashes`, in order.
    pub fn new(message_hashes: &[B256]) -> Self {
        let mut levels = vec![message_hashes.iter().copied().map(leaf_hash).collect::<Vec<_>>()];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let prev = levels.last().map(Vec::as_slice).unwrap_or_default();
            let next = prev
                .chunks(2)
                .map(|pair| if pair.len() == 2 { hash_pair(pair[0], pair[1]) } else { pair[0] })
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The root ([`EMPTY_ROOT`] when empty).
    pub fn root(&self) -> B256 {
        match self.levels.last().and_then(|l| l.first()) {
            Some(root) => *root,
            None => EMPTY_ROOT,
        }
    }

    /// The proof for the leaf at `index`, or `None` if out of range.
    pub fn proof(&self, index: usize) -> Option<Vec<B256>> {
        if index >= self.len() {
            return None;
        }
        let mut proof = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if let Some(node) = level.get(sibling) {
                proof.push(*node);
            }
            i /= 2;
        }
        Some(proof)
    }
}

/// The root a proof leads to from `message_hash` (OpenZeppelin `processProof`).
pub fn process_proof(proof: &[B256], message_hash: B256) -> B256 {
    proof.iter().fold(leaf_hash(message_hash), |node, sibling| hash_pair(node, *sibling))
}

/// Whether `proof` shows `message_hash` under `root`.
pub fn verify_proof(proof: &[B256], root: B256, message_hash: B256) -> bool {
    process_proof(proof, message_hash) == root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(n: usize) -> Vec<B256> {
        (0..n).map(|i| keccak256((i as u64).to_be_bytes())).collect()
    }

    #[test]
    fn every_leaf_proves_for_every_size() {
        for n in 1..=17 {
            let hs = hashes(n);
            let tree = MerkleTree::new(&hs);
            for (i, h) in hs.iter().enumerate() {
                let proof = tree.proof(i).unwrap();
                assert!(verify_proof(&proof, tree.root(), *h), "n={n} i={i}");
                // a missing or extra sibling breaks it
                if !proof.is_empty() {
                    assert!(!verify_proof(&proof[..proof.len() - 1], tree.root(), *h));
                }
                let mut extra = proof.clone();
                extra.push(B256::repeat_byte(7));
                assert!(!verify_proof(&extra, tree.root(), *h));
            }
            assert!(tree.proof(n).is_none());
            // a hash not in the tree does not prove
            assert!(!verify_proof(&tree.proof(0).unwrap(), tree.root(), B256::repeat_byte(1)));
        }
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(MerkleTree::new(&[]).root(), EMPTY_ROOT);
        assert!(!EMPTY_ROOT.is_zero());
        let h = B256::repeat_byte(5);
        assert_eq!(MerkleTree::new(&[h]).root(), leaf_hash(h));
    }

    #[test]
    fn inner_node_is_not_a_leaf() {
        let hs = hashes(4);
        let tree = MerkleTree::new(&hs);
        // the parent of leaves 0 and 1 with the sibling subtree as proof reaches the root as a
        // node, but presented as a message hash it is hashed again and fails
        let inner = hash_pair(leaf_hash(hs[0]), leaf_hash(hs[1]));
        let sibling = hash_pair(leaf_hash(hs[2]), leaf_hash(hs[3]));
        assert_eq!(hash_pair(inner, sibling), tree.root());
        assert!(!verify_proof(&[sibling], tree.root(), inner));
    }
}
