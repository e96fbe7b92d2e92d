//! The SEC chain as Malachite sees it: heights are block numbers of one domain, a value is a
//! block (its hash and timestamp), validators are Ethereum signer addresses weighted by stake,
//! and every proposal and vote is signed over `StakeManager`'s EIP-712 `ConsensusVote`.

use std::{fmt, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256};
use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types::{
    self as mal, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use sec_primitives::{DomainId, validator::ValidatorSet as StakeSet, vote::SigningDomain};

/// A block number of one domain.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mal::Height for Height {
    const ZERO: Self = Self(0);
    const INITIAL: Self = Self(1);

    fn increment_by(&self, n: u64) -> Self {
        Self(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Self)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's signer address: what its signatures recover to, and its identity in votes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValidatorAddress(pub Address);

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mal::Address for ValidatorAddress {}

impl BorshSerialize for ValidatorAddress {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(self.0.as_slice())
    }
}

impl BorshDeserialize for ValidatorAddress {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let bytes = <[u8; 20]>::deserialize_reader(reader)?;
        Ok(Self(Address::from(bytes)))
    }
}

/// What is decided: a block, named by its hash and header timestamp (the timestamp is part of
/// what validators sign, so evidence can be aged on L1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId {
    /// Block hash.
    pub hash: B256,
    /// Header timestamp.
    pub timestamp: u64,
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.hash, self.timestamp)
    }
}

impl mal::Value for BlockId {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        *self
    }
}

impl BorshSerialize for BlockId {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        writer.write_all(self.hash.as_slice())?;
        self.timestamp.serialize(writer)
    }
}

impl BorshDeserialize for BlockId {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let hash = B256::from(<[u8; 32]>::deserialize_reader(reader)?);
        Ok(Self { hash, timestamp: u64::deserialize_reader(reader)? })
    }
}

/// A 65-byte secp256k1 signature `r ‖ s ‖ v` (v = 27 or 28), as `ecrecover` takes it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Sig(pub [u8; 65]);

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", alloy_primitives::hex::encode(self.0))
    }
}

/// The signing scheme: ECDSA over secp256k1 with the signer's address as its public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdsaScheme;

impl mal::SigningScheme for EcdsaScheme {
    type DecodingError = String;
    type Signature = Sig;
    type PublicKey = ValidatorAddress;
    type PrivateKey = B256;

    fn decode_signature(bytes: &[u8]) -> Result<Sig, String> {
        let bytes: [u8; 65] =
            bytes.try_into().map_err(|_| format!("signature of {} bytes, not 65", bytes.len()))?;
        Ok(Sig(bytes))
    }

    fn encode_signature(signature: &Sig) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<ValidatorAddress, String> {
        let bytes: [u8; 20] =
            bytes.try_into().map_err(|_| format!("address of {} bytes, not 20", bytes.len()))?;
        Ok(ValidatorAddress(Address::from(bytes)))
    }

    fn encode_public_key(public_key: &ValidatorAddress) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

/// One validator of an epoch, with its voting power scaled from stake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Signer address (identity and public key).
    pub address: ValidatorAddress,
    /// Bonded stake in wei, exact.
    pub stake: U256,
    /// Stake / 10^9: the engine's u64 voting power (the whole SEC supply fits with room for
    /// the engine's `× 3`).
    pub power: VotingPower,
    /// BLS key the block randomness verifies against.
    pub bls_key: Bytes,
}

impl mal::Validator<SecContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &ValidatorAddress {
        &self.address
    }

    fn voting_power(&self) -> VotingPower {
        self.power
    }
}

/// The validators deciding one height: an epoch's set in signer order, the epoch's producer
/// schedule, and the slot of round 0, so that [`SecContext::select_proposer`] needs nothing
/// else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// Members by signer address, ascending.
    pub members: Vec<Validator>,
    /// The producer order: indexes into `members`.
    pub schedule: Vec<usize>,
    /// The slot a block decided in round 0 of this height takes (the parent's slot plus one).
    pub base_slot: u64,
    /// The epoch whose set this is.
    pub epoch: u64,
    /// That set as L1 reported it, exact stakes included: what certificates are checked
    /// against.
    pub set: Arc<StakeSet>,
    total: VotingPower,
}

/// Wei per unit of voting power.
const POWER_UNIT: u64 = 1_000_000_000;

impl Validators {
    /// The engine's view of `set` (epoch `epoch`) for a height whose round 0 is slot
    /// `base_slot`; producers in signer order, or shuffled by `seed` (see [`shuffle`]).
    pub fn new(set: Arc<StakeSet>, epoch: u64, base_slot: u64, seed: Option<B256>) -> Self {
        let members: Vec<Validator> = set
            .members()
            .iter()
            .map(|m| Validator {
                address: ValidatorAddress(m.signer),
                stake: m.stake,
                power: (m.stake / U256::from(POWER_UNIT)).saturating_to::<u64>().max(1),
                bls_key: m.bls_key.clone(),
            })
            .collect();
        let total = members.iter().map(|m| m.power).fold(0u64, u64::saturating_add);
        let mut schedule: Vec<usize> = (0..members.len()).collect();
        if let Some(seed) = seed {
            shuffle(&mut schedule, seed);
        }
        Self { members, schedule, base_slot, epoch, set, total }
    }

    /// The producer due in `round` on `domain`: `schedule[(slot + domain) mod N]`.
    pub fn producer(&self, domain: DomainId, round: Round) -> Option<&Validator> {
        let n = self.schedule.len() as u64;
        if n == 0 {
            return None;
        }
        let slot = self.slot(round);
        let i = self.schedule[((slot + u64::from(domain)) % n) as usize];
        self.members.get(i)
    }

    /// The sum of the members' voting power.
    pub fn total_power(&self) -> VotingPower {
        self.total
    }

    /// The slot of `round`.
    pub fn slot(&self, round: Round) -> u64 {
        self.base_slot + u64::from(round.as_u32().unwrap_or_default())
    }
}

/// Fisher–Yates driven by keccak: position `i` swaps with `keccak(seed ‖ i) mod (i + 1)`.
/// Every node with the seed derives the same producer order.
pub fn shuffle<T>(items: &mut [T], seed: B256) {
    for i in (1..items.len()).rev() {
        let r = U256::from_be_bytes(
            alloy_primitives::keccak256([seed.as_slice(), &(i as u64).to_be_bytes()].concat()).0,
        );
        let j = (r % U256::from(i + 1)).saturating_to::<usize>();
        items.swap(i, j);
    }
}

impl mal::ValidatorSet<SecContext> for Validators {
    fn count(&self) -> usize {
        self.members.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.total
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.members.binary_search_by_key(address, |m| m.address).ok().map(|i| &self.members[i])
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.members.get(index)
    }
}

/// The proposer's proposal of a block for a height and round.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block.
    pub value: BlockId,
    /// Round of the polka that unlocked this value (`Nil`: a new value).
    pub pol_round: Round,
    /// The proposer.
    pub proposer: ValidatorAddress,
}

impl mal::Proposal<SecContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockId {
        &self.value
    }

    fn take_value(self) -> BlockId {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.proposer
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub validator: ValidatorAddress,
}

impl mal::Vote<SecContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<SecContext>> {
        None
    }

    fn take_extension(&mut self) -> Option<SignedExtension<SecContext>> {
        None
    }

    fn extend(self, _: SignedExtension<SecContext>) -> Self {
        // SEC votes carry no extensions (the policy is disabled)
        self
    }
}

/// The block of a proposal, streamed to the other validators in one part.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProposalPart {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// For a block proposed again, the round of the polka it carries (`Nil` for a new one).
    pub pol_round: Round,
    /// Who proposes it (the round's proposer; a block proposed again keeps its producer).
    pub proposer: ValidatorAddress,
    /// The block, RLP of `sec_sequencer::domain::Proposal`.
    pub block: Vec<u8>,
}

impl mal::ProposalPart<SecContext> for ProposalPart {
    fn is_first(&self) -> bool {
        true
    }

    fn is_last(&self) -> bool {
        true
    }
}

/// Vote extensions are not used.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NoExtension;

impl mal::Extension for NoExtension {
    fn size_bytes(&self) -> usize {
        0
    }
}

/// The context of one domain's engine.
#[derive(Clone, Debug)]
pub struct SecContext {
    /// The domain decided.
    pub domain: DomainId,
    /// The deployment votes are signed for.
    pub signing: SigningDomain,
}

impl mal::Context for SecContext {
    type Address = ValidatorAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = Validators;
    type Timeouts = LinearTimeouts;
    type Value = BlockId;
    type Vote = Vote;
    type Extension = NoExtension;
    type SigningScheme = EcdsaScheme;

    fn select_proposer<'a>(&self, set: &'a Validators, _: Height, round: Round) -> &'a Validator {
        // Malachite never starts a height with an empty set; the first member stands in so
        // that this cannot panic.
        set.producer(self.domain, round).unwrap_or(&set.members[0])
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockId,
        pol_round: Round,
        proposer: ValidatorAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator: ValidatorAddress,
    ) -> Vote {
        Vote { kind: VoteType::Prevote, height, round, value, validator }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator: ValidatorAddress,
    ) -> Vote {
        Vote { kind: VoteType::Precommit, height, round, value, validator }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_fixes_a_permutation() {
        let order = |seed: u8| {
            let mut v: Vec<usize> = (0..21).collect();
            shuffle(&mut v, B256::repeat_byte(seed));
            v
        };
        let a = order(1);
        assert_eq!(a, order(1), "deterministic");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..21).collect::<Vec<_>>(), "a permutation");
        assert_ne!(a, order(2), "another seed, another order");
        assert_ne!(a, (0..21).collect::<Vec<_>>());
    }
}
