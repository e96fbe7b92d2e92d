// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

interface IActiveSigners {
    function setSnapshot(bytes32 h) external view returns (uint64 blockNumber, uint256 total);
    function snapshotStake(bytes32 h, address signer) external view returns (uint256);
    function currentSetHash() external view returns (bytes32);
    function previousSetHash() external view returns (bytes32);
    function signerInGoodStanding(address signer) external view returns (bool);
}

/// @title Checkpoint manager
/// @notice Anchors SEC checkpoints on Ethereum. A checkpoint commits, for every domain, the last
/// covered block (number, hash, state root), plus the Merkle root of all L1-bound messages
/// (withdrawals) in the covered range and the hash of the validator set that signed it.
///
/// Checkpoint `k + 1` is accepted only after `k`, with ECDSA signatures of signers holding
/// strictly more than 2/3 of the stake of the set the checkpoint names (`validatorSetHash`):
/// a set `StakeManager` recorded in an earlier block (so stake bought in the checkpoint's block
/// never counts), its current or previous one; a signer jailed or tombstoned since does not
/// count. Signers are passed explicitly, sorted ascending, so duplicates, ordering, membership
/// and stake are all checked before any signature is recovered.
///
/// Digest (EIP-712, domain "SEC CheckpointManager", "1", chain id, this contract):
/// `Checkpoint(uint64 id,bytes32 bodyHash)` with
/// `bodyHash = keccak256(abi.encode(domains, withdrawalRoot, validatorSetHash))`.
contract CheckpointManager is EIP712 {
    bytes32 public constant CHECKPOINT_TYPEHASH = keccak256("Checkpoint(uint64 id,bytes32 bodyHash)");
    uint256 public constant MAX_DOMAINS = 256;

    struct DomainState {
        uint32 domain;
        uint64 blockNumber;
        bytes32 blockHash;
        bytes32 stateRoot;
    }

    struct Checkpoint {
        uint64 id;
        DomainState[] domains;
        bytes32 withdrawalRoot;
        bytes32 validatorSetHash;
    }

    struct Signature {
        address signer;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    struct Record {
        bytes32 withdrawalRoot;
        bytes32 validatorSetHash;
        uint64 submittedAt;
    }

    IActiveSigners public immutable stakeManager;
    uint64 public lastId;
    mapping(uint64 => Record) private _records;
    mapping(uint64 => mapping(uint32 => DomainState)) private _domainStates;

    error ZeroAddress();
    error NonConsecutiveId(uint64 expected, uint64 got);
    error ZeroRoot();
    error NoDomains();
    error DomainsNotSorted();
    error NoSignatures();
    error SignersNotSorted(uint256 index);
    error DuplicateSigner(address signer);
    error UnknownSigner(address signer);
    error InsufficientStake(uint256 signed, uint256 total);
    error InvalidSignature(address signer);
    error UnknownCheckpoint(uint64 id);
    error UnknownDomain(uint64 id, uint32 domain);
    error UnknownValidatorSet(bytes32 setHash);
    error ValidatorSetTooNew(bytes32 setHash);
    error StaleValidatorSet(bytes32 setHash);

    event CheckpointSubmitted(
        uint64 indexed id, bytes32 withdrawalRoot, bytes32 validatorSetHash, bytes32 bodyHash, uint256 signedStake
    );

    constructor(address stakeManager_) EIP712("SEC CheckpointManager", "1") {
        if (stakeManager_ == address(0)) revert ZeroAddress();
        stakeManager = IActiveSigners(stakeManager_);
    }

    // ---------------------------------------------------------------- hashing

    function bodyHash(Checkpoint calldata cp) public pure returns (bytes32) {
        return keccak256(abi.encode(cp.domains, cp.withdrawalRoot, cp.validatorSetHash));
    }

    /// @notice The EIP-712 digest validators sign for checkpoint `id` with body `bodyHash_`.
    function checkpointDigest(uint64 id, bytes32 bodyHash_) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CHECKPOINT_TYPEHASH, id, bodyHash_)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- submission

    function submitCheckpoint(Checkpoint calldata cp, Signature[] calldata signatures) external {
        _checkStructure(cp, signatures); // 1. cheap structural checks
        uint256 signed = _checkStake(cp.validatorSetHash, signatures); // 2. membership and stake
        bytes32 body = bodyHash(cp);
        _checkSignatures(checkpointDigest(cp.id, body), signatures); // 3. signatures
        _store(cp); // 4. effects (the body hash and domain list live in the event)
        emit CheckpointSubmitted(cp.id, cp.withdrawalRoot, cp.validatorSetHash, body, signed);
    }

    function _checkStructure(Checkpoint calldata cp, Signature[] calldata signatures) private view {
        uint64 expected = lastId + 1;
        if (cp.id != expected) revert NonConsecutiveId(expected, cp.id);
        if (cp.withdrawalRoot == bytes32(0) || cp.validatorSetHash == bytes32(0)) revert ZeroRoot();
        uint256 nd = cp.domains.length;
        if (nd == 0) revert NoDomains();
        if (nd > MAX_DOMAINS) revert DomainsNotSorted();
        for (uint256 i = 0; i < nd; i++) {
            DomainState calldata d = cp.domains[i];
            if (d.blockHash == bytes32(0) || d.stateRoot == bytes32(0)) revert ZeroRoot();
            if (i > 0 && d.domain <= cp.domains[i - 1].domain) revert DomainsNotSorted();
        }
        uint256 ns = signatures.length;
        if (ns == 0) revert NoSignatures();
        for (uint256 i = 1; i < ns; i++) {
            address prev = signatures[i - 1].signer;
            address cur = signatures[i].signer;
            if (cur == prev) revert DuplicateSigner(cur);
            if (cur < prev) revert SignersNotSorted(i);
        }
    }

    /// @dev Stakes come from the recorded set, never from live stake.
    function _checkStake(bytes32 setHash, Signature[] calldata signatures) private view returns (uint256 signed) {
        (uint64 recordedAt, uint256 total) = stakeManager.setSnapshot(setHash);
        if (recordedAt == 0) revert UnknownValidatorSet(setHash);
        if (recordedAt >= block.number) revert ValidatorSetTooNew(setHash);
        if (setHash != stakeManager.currentSetHash() && setHash != stakeManager.previousSetHash()) {
            revert StaleValidatorSet(setHash);
        }
        for (uint256 i = 0; i < signatures.length; i++) {
            address s = signatures[i].signer;
            uint256 stake = stakeManager.snapshotStake(setHash, s);
            if (stake == 0 || !stakeManager.signerInGoodStanding(s)) revert UnknownSigner(s);
            signed += stake;
        }
        if (signed * 3 <= total * 2) revert InsufficientStake(signed, total);
    }

    function _checkSignatures(bytes32 digest, Signature[] calldata signatures) private pure {
        for (uint256 i = 0; i < signatures.length; i++) {
            Signature calldata sig = signatures[i];
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, sig.v, sig.r, sig.s);
            if (err != ECDSA.RecoverError.NoError || recovered != sig.signer) revert InvalidSignature(sig.signer);
        }
    }

    function _store(Checkpoint calldata cp) private {
        uint64 id = cp.id;
        lastId = id;
        _records[id] = Record(cp.withdrawalRoot, cp.validatorSetHash, uint64(block.timestamp));
        for (uint256 i = 0; i < cp.domains.length; i++) {
            DomainState calldata d = cp.domains[i];
            _domainStates[id][d.domain] = d;
        }
    }

    // ---------------------------------------------------------------- views

    function withdrawalRoot(uint64 id) external view returns (bytes32) {
        return _records[id].withdrawalRoot;
    }

    /// @notice Block time the checkpoint was accepted; 0 if not (yet) accepted.
    function submittedAt(uint64 id) external view returns (uint64) {
        return _records[id].submittedAt;
    }

    function checkpoint(uint64 id) external view returns (Record memory) {
        return _records[id];
    }

    /// @notice The state of `domain` covered by checkpoint `id` (zero roots are never stored,
    /// so an empty entry means the checkpoint did not cover that domain).
    function domainState(uint64 id, uint32 domain) external view returns (DomainState memory state) {
        if (_records[id].submittedAt == 0) revert UnknownCheckpoint(id);
        state = _domainStates[id][domain];
        if (state.blockHash == bytes32(0)) revert UnknownDomain(id, domain);
    }
}
