//! The tries' branch hashes stored beside the chain: a restart takes them instead of hashing the
//! state; after a crash it takes all but those on the paths the later blocks changed; a stale
//! file is noticed and the state hashed instead. Proofs at blocks older than the tries kept in
//! memory are made from the head's tries and the changes since.

use std::{path::Path, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use sec_primitives::GenesisAccount;
use sec_sequencer::{
    Domain, DomainConfig, state::AccountProof, storage::ChainStore, trie_store::TrieStore,
};

use crate::common::*;

/// `sstore(calldata[0..32], calldata[32..64])`: every call writes the slot it names.
const STORE_CODE: &str = "602035600035550000";

fn store_contract() -> Address {
    Address::repeat_byte(0x5e)
}

fn account(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[12..])
}

/// 2,000 funded accounts and a contract with 2,000 slots besides the dev accounts, so that both
/// kinds of trie have branches a few levels deep; proofs for the last 1,000 blocks.
fn config(dir: &Path) -> DomainConfig {
    let mut config = domain_config(dir, 30_000_000);
    config.proof_window = 1_000;
    for i in 0..2_000 {
        config.alloc.push((
            account(i),
            GenesisAccount { balance: U256::from(i + 1), ..Default::default() },
        ));
    }
    let storage = (1..=2_000u64)
        .map(|i| (B256::from(U256::from(i)), B256::from(U256::from(i * 7))))
        .collect();
    config.alloc.push((
        store_contract(),
        GenesisAccount {
            code: alloy_primitives::hex::decode(STORE_CODE).unwrap().into(),
            storage,
            ..Default::default()
        },
    ));
    config
}

/// One block: 10 transfers to fresh recipients and 10 slot writes (new slots, changed ones and
/// cleared ones), all from dev account 0 starting at `nonce`.
fn block(domain: &Domain, round: u64, nonce: &mut u64) -> (u64, B256) {
    let key = dev_key(0);
    for i in 0..10u64 {
        let to = account(10_000 + round * 100 + i);
        domain.submit(Tx::transfer(53500, *nonce, to, U256::from(5u64)).eip1559(&key)).unwrap();
        *nonce += 1;
        let slot = match i % 3 {
            0 => 10_000 + round * 10 + i, // new
            1 => 1 + round * 10 + i,      // changed
            _ => 2 + round * 10 + i,      // cleared
        };
        let value = if i % 3 == 2 { 0 } else { round * 1_000 + i + 1 };
        let mut data = U256::from(slot).to_be_bytes::<32>().to_vec();
        data.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
        let mut tx = Tx::call(53500, *nonce, store_contract(), Bytes::from(data));
        tx.gas = 100_000;
        domain.submit(tx.eip1559(&key)).unwrap();
        *nonce += 1;
    }
    let record = domain.produce_block().unwrap().record;
    assert_eq!(record.txs.len(), 20, "block {round} holds every transaction");
    (record.header.number, record.header.state_root)
}

/// Builds the state from disk with the stored hashes that hold at the head: how many branches
/// it had to hash, and whether its root is the head's.
fn load(dir: &Path) -> (usize, usize, bool) {
    let chain = ChainStore::open(&dir.join("chain.redb"), 8 << 20).unwrap();
    let tries = TrieStore::open(&dir.join("trie.redb")).unwrap();
    let reader = chain.reader().unwrap();
    let head = reader.head().unwrap().unwrap();
    let header = reader.header(head).unwrap().unwrap();
    let known = tries.known_at(&reader, (head, header.hash_slow())).unwrap();
    let (mut state, missed) = chain.load_state(&known).unwrap();
    let hashed = missed.iter().map(|(_, p)| p.len()).sum();
    (known.len(), hashed, state.state_root() == header.state_root)
}

/// Checks `proof` of `address` (and of `slots`) against `root`, and returns the balance and
/// slot values it proves.
fn verified(root: B256, address: Address, slots: &[B256], proof: &AccountProof) -> Vec<U256> {
    let leaf = TrieAccount {
        nonce: proof.account.nonce,
        balance: proof.account.balance,
        storage_root: proof.storage_root,
        code_hash: proof.account.code_hash,
    };
    let exists = proof.account.nonce > 0
        || !proof.account.balance.is_zero()
        || proof.storage_root != alloy_trie::EMPTY_ROOT_HASH;
    let expected = exists.then(|| alloy_rlp::encode(leaf));
    verify_proof(root, Nibbles::unpack(keccak256(address)), expected, &proof.account_proof)
        .unwrap_or_else(|e| panic!("account proof of {address}: {e}"));
    let mut values = vec![proof.account.balance];
    for (slot, (key, value, nodes)) in slots.iter().zip(&proof.storage_proofs) {
        assert_eq!(key, slot);
        let expected = (!value.is_zero()).then(|| alloy_rlp::encode(value));
        verify_proof(proof.storage_root, Nibbles::unpack(keccak256(slot)), expected, nodes)
            .unwrap_or_else(|e| panic!("storage proof of {slot}: {e}"));
        values.push(*value);
    }
    values
}

fn slot(i: u64) -> B256 {
    B256::from(U256::from(i))
}

#[test]
fn restarts_take_the_stored_branch_hashes_and_past_proofs_are_made_from_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let domain = Domain::open(config(path), dev_key(20)).unwrap();
    let mut nonce = 0;
    let blocks: Vec<(u64, B256)> = (0..6).map(|r| block(&domain, r, &mut nonce)).collect();
    domain.close();
    drop(domain);

    // A clean stop stored every branch at the head: nothing is hashed again.
    let (stored, hashed, matches) = load(path);
    assert!(matches);
    assert!(stored > 40, "both tries have branches: {stored}");
    assert_eq!(hashed, 0, "every branch hash was stored");

    // After the restart only the head's tries are in memory; proofs at the earlier blocks are
    // made from the changes since, and verify against those blocks' roots with the values of
    // then: a slot cleared later, one written later, an account created later.
    let domain = Arc::new(Domain::open(config(path), dev_key(20)).unwrap());
    let probes = [slot(2), slot(1), slot(3), slot(10_000), slot(10_050), slot(999_999)];
    let first = blocks[0];
    let proof = domain.proof_at(first.0, &store_contract(), &probes).unwrap();
    let values = verified(first.1, store_contract(), &probes, &proof);
    let then: Vec<U256> = [2u64, 7, 21, 1, 0, 0].into_iter().map(U256::from).collect();
    assert_eq!(values[1..], then[..], "slots 2, 1, 3, 10,000, 10,050 and one never written");
    // Slot 4 was cleared in the first block: 28 at genesis, gone after.
    let cleared = [slot(4)];
    let at_genesis = domain.proof_at(0, &store_contract(), &cleared).unwrap();
    let genesis_root =
        domain.chain_store().reader().unwrap().header(0).unwrap().unwrap().state_root;
    assert_eq!(verified(genesis_root, store_contract(), &cleared, &at_genesis)[1], U256::from(28));
    let after = domain.proof_at(first.0, &store_contract(), &cleared).unwrap();
    assert_eq!(verified(first.1, store_contract(), &cleared, &after)[1], U256::ZERO);
    let head = *blocks.last().unwrap();
    let now = domain.proof_at(head.0, &store_contract(), &probes).unwrap();
    let values = verified(head.1, store_contract(), &probes, &now);
    assert_eq!(values[4], U256::from(1), "slot 10,000 was written in the first block");
    assert_eq!(values[5], U256::from(5_001), "slot 10,050 in the sixth");
    let late = account(10_000 + 500);
    for (number, root) in &blocks {
        let proof = domain.proof_at(*number, &late, &[]).unwrap();
        let values = verified(*root, late, &[], &proof);
        let created = *number >= head.0;
        assert_eq!(values[0], if created { U256::from(5u64) } else { U256::ZERO }, "at {number}");
        let proof = domain.proof_at(*number, &dev_key(0).address(), &[]).unwrap();
        verified(*root, dev_key(0).address(), &[], &proof);
    }
    let genesis = domain.proof_at(0, &account(7), &[]).unwrap();
    assert_eq!(genesis.account.balance, U256::from(8u64));
    assert!(domain.proof_at(head.0 + 1, &account(7), &[]).is_err(), "not made yet");

    // A crash (no close): the file names the block it was stored at, before these three; the
    // restart takes every stored hash but those on the changed keys' paths.
    let more: Vec<(u64, B256)> = (6..9).map(|r| block(&domain, r, &mut nonce)).collect();
    domain.close_journal();
    drop(domain);
    let (stored, hashed, matches) = load(path);
    assert!(matches, "the root is the head's after a crash");
    assert!(hashed > 0 && hashed < stored / 2, "{hashed} of {stored} hashed again");

    // The restart stores what it hashed: the next one hashes nothing.
    let domain = Domain::open(config(path), dev_key(20)).unwrap();
    let proof = domain.proof_at(more[0].0, &store_contract(), &probes).unwrap();
    verified(more[0].1, store_contract(), &probes, &proof);
    domain.close();
    drop(domain);
    assert_eq!(load(path).1, 0);

    // A stale hash (here the account trie's branch at nibble 3) is noticed: the state is hashed
    // instead and the domain opens on the right root.
    {
        let db = redb::Database::open(path.join("trie.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx
                .open_table(redb::TableDefinition::<(&[u8; 32], &[u8]), &[u8]>::new("branches"))
                .unwrap();
            let mut wrong = vec![0xa0];
            wrong.extend_from_slice(&[0x11; 32]);
            t.insert((&[0u8; 32], &[3u8][..]), wrong.as_slice()).unwrap();
        }
        tx.commit().unwrap();
    }
    assert!(!load(path).2, "the stale hash gives another root");
    let domain = Domain::open(config(path), dev_key(20)).unwrap();
    assert_eq!(domain.head().0, more[2].0);
    domain.close();
    drop(domain);
    let (_, hashed, matches) = load(path);
    assert!(matches && hashed == 0, "the hashes were stored again");

    // A file that is not a database at all is started again.
    std::fs::write(path.join("trie.redb"), b"not a database").unwrap();
    let domain = Domain::open(config(path), dev_key(20)).unwrap();
    assert_eq!(domain.head().0, more[2].0);
    domain.close();
    drop(domain);
    let (stored, hashed, matches) = load(path);
    assert!(matches && hashed == 0 && stored > 40, "and written whole");
}
