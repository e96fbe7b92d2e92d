// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

interface IBurnable {
    function burn(uint256 amount) external;
}

interface ICheckpointTimes {
    function submittedAt(uint64 id) external view returns (uint64);
}

/// @title DPoS stake manager
/// @notice Validators lock SEC (at least `minSelfStake`) and register an ECDSA signing address
/// and a BLS public key; delegators ("trustees") delegate SEC to them. Stake is held as shares
/// of a per-validator pool, so slashing reduces every share of the pool, including shares still
/// unbonding (unbonding takes `unbondingPeriod`, the same window in which evidence is accepted).
/// The active set is the top `activeSetSize` eligible validators by bonded stake.
///
/// Misbehaviour evidence (two consensus messages of one kind for different blocks at one
/// (domain, height, round), or two different checkpoints with one id, both signed by one
/// validator's signer) is submitted by a bonded judge; the validator's pool is slashed by
/// `slashBps`, `burnBps` of that is burned and the rest paid to the judge, and the validator is
/// tombstoned (as in Cosmos): jailed for good, never slashed again, so one offence costs one
/// slash and repeated evidence cannot drain the pool. Its delegators keep the rest and unbond.
/// Evidence older than `unbondingPeriod` is refused: the stake that backed the offence may have
/// left since.
///
/// Signed digests (EIP-712):
/// - consensus messages (Tendermint proposals, prevotes, precommits) under this contract's
///   domain ("SEC StakeManager", "1", chain id, this): `ConsensusVote(uint8 kind,uint32
///   domain,uint64 height,uint32 round,uint64 timestamp,bytes32 blockHash)`, kind 0 = proposal,
///   1 = prevote, 2 = precommit, nil votes with hash and timestamp 0. The round is signed
///   because honest validators may vote for different blocks at one height in different rounds;
///   only two different blocks in the same step (kind, domain, height, round) are an offence;
/// - checkpoints under the checkpoint manager's domain ("SEC CheckpointManager", "1", chain
///   id, checkpointManager): `Checkpoint(uint64 id,bytes32 bodyHash)`;
/// - signer registration under this contract's domain: `SignerRegistration(address validator)`.
contract StakeManager is Ownable2Step, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    bytes32 public constant CONSENSUS_VOTE_TYPEHASH = keccak256(
        "ConsensusVote(uint8 kind,uint32 domain,uint64 height,uint32 round,uint64 timestamp,bytes32 blockHash)"
    );
    /// @notice Highest `ConsensusVote.kind`: 0 proposal, 1 prevote, 2 precommit.
    uint8 public constant MAX_VOTE_KIND = 2;
    bytes32 public constant CHECKPOINT_TYPEHASH = keccak256("Checkpoint(uint64 id,bytes32 bodyHash)");
    bytes32 public constant SIGNER_REGISTRATION_TYPEHASH = keccak256("SignerRegistration(address validator)");
    bytes32 private constant EIP712_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    uint256 public constant MAX_VALIDATORS = 256;
    uint256 public constant MAX_UNBONDINGS = 32;
    uint16 public constant MAX_BPS = 10_000;

    struct Validator {
        address signer;
        uint16 commissionBps;
        bool jailed;
        uint64 jailedUntil;
        // Tokens backing all shares of the pool (bonded and unbonding).
        uint128 stake;
        uint128 shares;
        uint128 unbondingShares;
        // Bonded shares held by the validator itself (its self-stake).
        uint128 selfShares;
        bytes blsKey;
    }

    struct ActiveValidator {
        address validator;
        address signer;
        uint256 stake;
    }

    struct Unbonding {
        address validator;
        uint128 shares;
        uint64 releaseTime;
    }

    struct ConsensusVote {
        uint8 kind;
        uint32 domain;
        uint64 height;
        uint32 round;
        uint64 timestamp;
        bytes32 blockHash;
        bytes signature;
    }

    IERC20 public immutable token;
    address public immutable checkpointManager;
    uint256 public immutable minSelfStake;
    uint64 public immutable unbondingPeriod;
    uint256 public immutable judgeBond;
    uint16 public immutable slashBps;
    uint16 public immutable burnBps;
    /// @notice Jail time for offences that do not tombstone (none is reported on L1 yet: missed
    /// slots will be); equivocation jails for good.
    uint64 public immutable jailPeriod;

    uint256 public activeSetSize;
    mapping(address => Validator) private _validators;
    address[] private _validatorList;
    /// @notice Validator (owner address) of a signer; a signer is never reused.
    mapping(address => address) public validatorOfSigner;
    /// @notice Bonded shares of `delegator` in `validator`'s pool.
    mapping(address => mapping(address => uint256)) public sharesOf;
    mapping(address => Unbonding[]) private _unbondings;
    mapping(address => uint256) public judgeBonds;
    mapping(address => uint64) public judgeUnbondingAt;
    /// @notice Validators slashed for equivocation: jailed for good, never slashed again.
    mapping(address => bool) public tombstoned;

    /// @notice A recorded active set (see `snapshotActiveSet`): the block it was taken in and
    /// its total stake; the stake of each member is in `snapshotStake`.
    struct SetSnapshot {
        uint64 blockNumber;
        uint256 total;
    }

    mapping(bytes32 => SetSnapshot) private _setSnapshots;
    mapping(bytes32 => mapping(address => uint256)) private _snapshotStakes;
    /// @notice The newest recorded set, and the one before it: checkpoints are signed by one of
    /// the two (the previous one covers the hand-over).
    bytes32 public currentSetHash;
    bytes32 public previousSetHash;
    /// @notice An active-set size waiting for its timelock (0: none) and when it may apply.
    uint256 public pendingActiveSetSize;
    uint64 public pendingActiveSetSizeAt;

    error ZeroAddress();
    error BadParameter();
    error AlreadyRegistered(address validator);
    error SignerTaken(address signer);
    error BadSignerProof();
    error BadBlsKey();
    error BelowMinSelfStake(uint256 amount, uint256 minimum);
    error TooManyValidators();
    error UnknownValidator(address validator);
    error ValidatorJailed(address validator);
    error ZeroAmount();
    error InsufficientShares(uint256 requested, uint256 held);
    error TooManyUnbondings();
    error NothingToWithdraw();
    error NotJailed();
    error StillJailed(uint64 until);
    error NotBondedJudge(address caller);
    error JudgeAlreadyBonded();
    error JudgeUnbonding();
    error NotConflicting();
    error InvalidEvidenceSignature();
    error UnknownSigner(address signer);
    error SelfReport();
    error EvidenceTooOld(uint256 evidenceTime);
    error AlreadySlashed(address validator);
    error Tombstoned(address validator);
    error BadVoteKind(uint8 kind);
    error NothingToSlash();
    error NoPendingChange();
    error TimelockActive(uint64 until);

    event ValidatorRegistered(address indexed validator, address indexed signer, bytes blsKey, uint16 commissionBps);
    event Delegated(address indexed validator, address indexed delegator, uint256 amount, uint256 shares);
    event Undelegated(address indexed validator, address indexed delegator, uint256 shares, uint64 releaseTime);
    event Withdrawn(address indexed delegator, uint256 amount);
    event CommissionUpdated(address indexed validator, uint16 commissionBps);
    event Slashed(
        address indexed validator, address indexed judge, uint8 kind, uint256 amount, uint256 burned, uint256 reward
    );
    event Jailed(address indexed validator, uint64 until);
    event Unjailed(address indexed validator);
    event JudgeBonded(address indexed judge, uint256 amount);
    event JudgeUnbonded(address indexed judge, uint256 amount);
    event ActiveSetSizeUpdated(uint256 size);
    event ActiveSetSizeProposed(uint256 size, uint64 applicableAt);
    event ActiveSetRecorded(bytes32 indexed setHash, uint256 total, uint64 blockNumber);

    constructor(
        address token_,
        address owner_,
        address checkpointManager_,
        uint256 minSelfStake_,
        uint64 unbondingPeriod_,
        uint256 judgeBond_,
        uint16 slashBps_,
        uint16 burnBps_,
        uint64 jailPeriod_,
        uint256 activeSetSize_
    ) Ownable(owner_) EIP712("SEC StakeManager", "1") {
        if (token_ == address(0) || checkpointManager_ == address(0)) revert ZeroAddress();
        if (
            minSelfStake_ == 0 || slashBps_ == 0 || slashBps_ >= MAX_BPS || burnBps_ > MAX_BPS || activeSetSize_ == 0
                || activeSetSize_ > MAX_VALIDATORS || judgeBond_ == 0
        ) revert BadParameter();
        token = IERC20(token_);
        checkpointManager = checkpointManager_;
        minSelfStake = minSelfStake_;
        unbondingPeriod = unbondingPeriod_;
        judgeBond = judgeBond_;
        slashBps = slashBps_;
        burnBps = burnBps_;
        jailPeriod = jailPeriod_;
        activeSetSize = activeSetSize_;
    }

    // ---------------------------------------------------------------- views

    function validator(address v) external view returns (Validator memory) {
        return _validators[v];
    }

    function validators() external view returns (address[] memory) {
        return _validatorList;
    }

    function unbondings(address delegator) external view returns (Unbonding[] memory) {
        return _unbondings[delegator];
    }

    /// @notice Tokens backing the bonded (not unbonding) shares of `v`'s pool.
    function bondedStake(address v) public view returns (uint256) {
        Validator storage val = _validators[v];
        if (val.shares == 0) return 0;
        return uint256(val.stake) * (val.shares - val.unbondingShares) / val.shares;
    }

    /// @notice Current value of `v`'s own bonded shares.
    function selfStake(address v) public view returns (uint256) {
        Validator storage val = _validators[v];
        if (val.shares == 0) return 0;
        return uint256(val.stake) * val.selfShares / val.shares;
    }

    /// @notice Value of `delegator`'s bonded shares in `v`'s pool.
    function delegation(address v, address delegator) external view returns (uint256) {
        Validator storage val = _validators[v];
        if (val.shares == 0) return 0;
        return uint256(val.stake) * sharesOf[v][delegator] / val.shares;
    }

    /// @notice The top `n` eligible validators (registered, not jailed, self-stake at least the
    /// minimum) ordered by bonded stake, largest first; ties broken by lower validator address.
    function activeSet(uint256 n) public view returns (ActiveValidator[] memory set) {
        uint256[] memory keys = _rankedKeys();
        uint256 count = keys.length;
        if (n > count) n = count;
        set = new ActiveValidator[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 key = keys[count - 1 - i];
            address v = address(uint160(type(uint160).max - uint160(key)));
            set[i] = ActiveValidator(v, _validators[v].signer, key >> 160);
        }
    }

    /// @notice The active set of `activeSetSize`, as parallel arrays sorted by signer address
    /// ascending (the order checkpoint signatures must be in), and its total stake.
    function activeSigners() public view returns (address[] memory signers, uint256[] memory stakes, uint256 total) {
        uint256[] memory keys = _rankedKeys();
        uint256 count = keys.length;
        uint256 n = activeSetSize < count ? activeSetSize : count;
        // re-key the top n by (signer, stake) and sort ascending by signer
        uint256[] memory bySigner = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 key = keys[count - 1 - i];
            address v = address(uint160(type(uint160).max - uint160(key)));
            bySigner[i] = (uint256(uint160(_validators[v].signer)) << 96) | (key >> 160);
        }
        _sort(bySigner);
        signers = new address[](n);
        stakes = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            signers[i] = address(uint160(bySigner[i] >> 96));
            stakes[i] = bySigner[i] & type(uint96).max;
            total += stakes[i];
        }
    }

    /// @dev Eligible validators as sortable keys `bonded << 160 | (max - validator)`, sorted
    /// ascending (so the best validator is last). Bonded stake always fits 96 bits (the whole
    /// supply is below 2^91), checked anyway.
    function _rankedKeys() private view returns (uint256[] memory keys) {
        uint256 len = _validatorList.length;
        keys = new uint256[](len);
        uint256 count;
        for (uint256 i = 0; i < len; i++) {
            address v = _validatorList[i];
            Validator storage val = _validators[v];
            if (val.jailed) continue;
            uint256 shares = val.shares;
            if (shares == 0) continue;
            uint256 stake = val.stake;
            if (stake * val.selfShares / shares < minSelfStake) continue;
            uint256 bonded = stake * (shares - val.unbondingShares) / shares;
            if (bonded > type(uint96).max) revert BadParameter();
            keys[count++] = (bonded << 160) | (type(uint160).max - uint160(v));
        }
        assembly ("memory-safe") {
            mstore(keys, count)
        }
        _sort(keys);
    }

    function _sort(uint256[] memory a) private pure {
        if (a.length > 1) _quickSort(a, 0, a.length - 1);
    }

    function _quickSort(uint256[] memory a, uint256 lo, uint256 hi) private pure {
        while (lo < hi) {
            uint256 pivot = a[lo + (hi - lo) / 2];
            uint256 i = lo;
            uint256 j = hi;
            while (true) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i >= j) break;
                (a[i], a[j]) = (a[j], a[i]);
                i++;
                j--;
            }
            // Hoare partition: [lo, j] and [j + 1, hi]; recurse on the smaller side
            if (j - lo < hi - j) {
                _quickSort(a, lo, j);
                lo = j + 1;
            } else {
                _quickSort(a, j + 1, hi);
                hi = j;
            }
        }
    }

    /// @notice EIP-712 digest a validator signs for a consensus message (proposal, prevote or
    /// precommit) on an L2 block; precommits of > 2/3 of the stake are a block's finality
    /// certificate.
    function consensusVoteDigest(
        uint8 kind,
        uint32 domain,
        uint64 height,
        uint32 round,
        uint64 timestamp,
        bytes32 blockHash
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(CONSENSUS_VOTE_TYPEHASH, kind, domain, height, round, timestamp, blockHash))
        );
    }

    /// @notice EIP-712 digest a validator signs for a checkpoint (under the checkpoint manager's
    /// domain, so the same digest is checked there and here).
    function checkpointDigest(uint64 id, bytes32 bodyHash) public view returns (bytes32) {
        bytes32 separator = keccak256(
            abi.encode(
                EIP712_DOMAIN_TYPEHASH,
                keccak256("SEC CheckpointManager"),
                keccak256("1"),
                block.chainid,
                checkpointManager
            )
        );
        return MessageHashUtils.toTypedDataHash(separator, keccak256(abi.encode(CHECKPOINT_TYPEHASH, id, bodyHash)));
    }

    /// @notice EIP-712 digest the signer key signs to prove it consents to serve `validator`.
    function signerRegistrationDigest(address v) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SIGNER_REGISTRATION_TYPEHASH, v)));
    }

    // ---------------------------------------------------------------- recorded sets

    /// @notice Records the active set as it is now, under its hash
    /// `keccak256(abi.encode(signers, stakes))` (the `validatorSetHash` checkpoints carry).
    /// Anyone may call it; a checkpoint may use the set only from the next block on, so stake
    /// bought in the block of a checkpoint never signs it. The set becomes the current one and
    /// the current one the previous.
    function snapshotActiveSet() external returns (bytes32 h) {
        (address[] memory signers, uint256[] memory stakes, uint256 total) = activeSigners();
        h = keccak256(abi.encode(signers, stakes));
        if (_setSnapshots[h].blockNumber == 0) {
            _setSnapshots[h] = SetSnapshot(uint64(block.number), total);
            for (uint256 i = 0; i < signers.length; i++) {
                _snapshotStakes[h][signers[i]] = stakes[i];
            }
            emit ActiveSetRecorded(h, total, uint64(block.number));
        }
        if (h != currentSetHash) {
            previousSetHash = currentSetHash;
            currentSetHash = h;
        }
    }

    /// @notice A recorded set: the block it was taken in (0: never recorded) and its total.
    function setSnapshot(bytes32 h) external view returns (uint64 blockNumber, uint256 total) {
        SetSnapshot memory snap = _setSnapshots[h];
        return (snap.blockNumber, snap.total);
    }

    /// @notice `signer`'s stake in recorded set `h` (0: not a member).
    function snapshotStake(bytes32 h, address signer) external view returns (uint256) {
        return _snapshotStakes[h][signer];
    }

    /// @notice Whether `signer` may still sign: registered, and its validator neither jailed
    /// nor tombstoned now (a recorded set keeps its stake, not a slashed validator's voice).
    function signerInGoodStanding(address signer) external view returns (bool) {
        address v = validatorOfSigner[signer];
        return v != address(0) && !_validators[v].jailed && !tombstoned[v];
    }

    // ---------------------------------------------------------------- admin

    /// @notice Proposes a new active-set size; it applies after the unbonding period
    /// (`applyActiveSetSize`), so stakers see a quorum change coming and can leave first.
    function proposeActiveSetSize(uint256 size) external onlyOwner {
        if (size == 0 || size > MAX_VALIDATORS) revert BadParameter();
        pendingActiveSetSize = size;
        pendingActiveSetSizeAt = uint64(block.timestamp) + unbondingPeriod;
        emit ActiveSetSizeProposed(size, pendingActiveSetSizeAt);
    }

    /// @notice Applies the proposed active-set size once its timelock passed.
    function applyActiveSetSize() external onlyOwner {
        uint256 size = pendingActiveSetSize;
        if (size == 0) revert NoPendingChange();
        if (block.timestamp < pendingActiveSetSizeAt) revert TimelockActive(pendingActiveSetSizeAt);
        activeSetSize = size;
        pendingActiveSetSize = 0;
        emit ActiveSetSizeUpdated(size);
    }

    // ---------------------------------------------------------------- validators and delegators

    /// @notice Registers `msg.sender` as a validator with `amount` self-stake. `signerProof` is
    /// the signer's signature over `signerRegistrationDigest(msg.sender)`, so nobody can claim
    /// (and thereby block or frame) a signing key they do not hold.
    function registerValidator(
        address signer,
        bytes calldata blsKey,
        uint16 commissionBps,
        uint256 amount,
        bytes calldata signerProof
    ) external nonReentrant {
        if (signer == address(0)) revert ZeroAddress();
        Validator storage val = _validators[msg.sender];
        if (val.signer != address(0)) revert AlreadyRegistered(msg.sender);
        if (validatorOfSigner[signer] != address(0)) revert SignerTaken(signer);
        if (blsKey.length != 48 && blsKey.length != 96) revert BadBlsKey();
        if (commissionBps > MAX_BPS) revert BadParameter();
        if (amount < minSelfStake) revert BelowMinSelfStake(amount, minSelfStake);
        if (_validatorList.length >= MAX_VALIDATORS) revert TooManyValidators();
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(signerRegistrationDigest(msg.sender), signerProof);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert BadSignerProof();

        val.signer = signer;
        val.commissionBps = commissionBps;
        val.blsKey = blsKey;
        validatorOfSigner[signer] = msg.sender;
        _validatorList.push(msg.sender);
        emit ValidatorRegistered(msg.sender, signer, blsKey, commissionBps);
        _delegate(msg.sender, msg.sender, amount);
    }

    function setCommission(uint16 commissionBps) external {
        Validator storage val = _validators[msg.sender];
        if (val.signer == address(0)) revert UnknownValidator(msg.sender);
        if (commissionBps > MAX_BPS) revert BadParameter();
        val.commissionBps = commissionBps;
        emit CommissionUpdated(msg.sender, commissionBps);
    }

    function delegate(address v, uint256 amount) external nonReentrant {
        Validator storage val = _validators[v];
        if (val.signer == address(0) || val.shares == 0) revert UnknownValidator(v);
        if (val.jailed) revert ValidatorJailed(v);
        _delegate(v, msg.sender, amount);
    }

    function _delegate(address v, address delegator, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        Validator storage val = _validators[v];
        if (val.shares != 0 && val.stake == 0) revert ValidatorJailed(v);
        uint256 newShares = val.shares == 0 ? amount : amount * val.shares / val.stake;
        if (newShares == 0) revert ZeroAmount();
        val.stake += uint128(amount);
        val.shares += uint128(newShares);
        sharesOf[v][delegator] += newShares;
        if (delegator == v) val.selfShares += uint128(newShares);
        emit Delegated(v, delegator, amount, newShares);
        token.safeTransferFrom(delegator, address(this), amount);
    }

    /// @notice Starts unbonding `shares` of the caller's bonded shares in `v`'s pool. They stop
    /// counting as stake at once and stay slashable until withdrawn after `unbondingPeriod`.
    function undelegate(address v, uint256 shares) external {
        if (shares == 0) revert ZeroAmount();
        uint256 held = sharesOf[v][msg.sender];
        if (shares > held) revert InsufficientShares(shares, held);
        if (_unbondings[msg.sender].length >= MAX_UNBONDINGS) revert TooManyUnbondings();
        Validator storage val = _validators[v];
        sharesOf[v][msg.sender] = held - shares;
        val.unbondingShares += uint128(shares);
        if (msg.sender == v) val.selfShares -= uint128(shares);
        uint64 releaseTime = uint64(block.timestamp) + unbondingPeriod;
        _unbondings[msg.sender].push(Unbonding(v, uint128(shares), releaseTime));
        emit Undelegated(v, msg.sender, shares, releaseTime);
    }

    /// @notice Pays out every matured unbonding of the caller at the pools' current share value.
    function withdrawUnbonded() external nonReentrant returns (uint256 amount) {
        Unbonding[] storage list = _unbondings[msg.sender];
        uint256 i = 0;
        while (i < list.length) {
            Unbonding memory u = list[i];
            if (u.releaseTime > block.timestamp) {
                i++;
                continue;
            }
            Validator storage val = _validators[u.validator];
            uint256 value = uint256(val.stake) * u.shares / val.shares;
            val.stake -= uint128(value);
            val.shares -= u.shares;
            val.unbondingShares -= u.shares;
            amount += value;
            if (val.shares == 0) _removeFromList(u.validator);
            list[i] = list[list.length - 1];
            list.pop();
        }
        if (amount == 0) revert NothingToWithdraw();
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function _removeFromList(address v) private {
        uint256 len = _validatorList.length;
        for (uint256 i = 0; i < len; i++) {
            if (_validatorList[i] == v) {
                _validatorList[i] = _validatorList[len - 1];
                _validatorList.pop();
                return;
            }
        }
    }

    function unjail() external {
        Validator storage val = _validators[msg.sender];
        if (val.signer == address(0)) revert UnknownValidator(msg.sender);
        if (!val.jailed) revert NotJailed();
        if (tombstoned[msg.sender]) revert Tombstoned(msg.sender);
        if (block.timestamp < val.jailedUntil) revert StillJailed(val.jailedUntil);
        uint256 own = selfStake(msg.sender);
        if (own < minSelfStake) revert BelowMinSelfStake(own, minSelfStake);
        val.jailed = false;
        emit Unjailed(msg.sender);
    }

    // ---------------------------------------------------------------- judges and slashing

    function bondJudge() external nonReentrant {
        if (judgeBonds[msg.sender] != 0) revert JudgeAlreadyBonded();
        judgeBonds[msg.sender] = judgeBond;
        emit JudgeBonded(msg.sender, judgeBond);
        token.safeTransferFrom(msg.sender, address(this), judgeBond);
    }

    /// @notice Starts (first call) or completes (after `unbondingPeriod`) a judge's exit.
    function unbondJudge() external nonReentrant {
        uint256 bond = judgeBonds[msg.sender];
        if (bond == 0) revert NotBondedJudge(msg.sender);
        uint64 startedAt = judgeUnbondingAt[msg.sender];
        if (startedAt == 0) {
            judgeUnbondingAt[msg.sender] = uint64(block.timestamp);
            return;
        }
        if (block.timestamp < uint256(startedAt) + unbondingPeriod) revert JudgeUnbonding();
        judgeBonds[msg.sender] = 0;
        judgeUnbondingAt[msg.sender] = 0;
        emit JudgeUnbonded(msg.sender, bond);
        token.safeTransfer(msg.sender, bond);
    }

    function _requireJudge() private view {
        if (judgeBonds[msg.sender] == 0 || judgeUnbondingAt[msg.sender] != 0) revert NotBondedJudge(msg.sender);
    }

    /// @notice Evidence: one signer signed two consensus messages of one kind for different
    /// blocks (nil counts as a block) at one (domain, height, round): Tendermint's duplicate
    /// vote. Votes in different rounds are honest and refused as `NotConflicting`. The evidence
    /// is aged by the newer vote's block timestamp (nil votes carry 0).
    function reportDoubleVote(ConsensusVote calldata a, ConsensusVote calldata b) external nonReentrant {
        _requireJudge();
        if (
            a.kind != b.kind || a.domain != b.domain || a.height != b.height || a.round != b.round
                || a.blockHash == b.blockHash
        ) revert NotConflicting();
        if (a.kind > MAX_VOTE_KIND) revert BadVoteKind(a.kind);
        uint256 newest = a.timestamp > b.timestamp ? a.timestamp : b.timestamp;
        if (block.timestamp > newest + unbondingPeriod) revert EvidenceTooOld(newest);
        address signerA = _recover(_voteDigest(a), a.signature);
        address signerB = _recover(_voteDigest(b), b.signature);
        if (signerA != signerB) revert InvalidEvidenceSignature();
        _slash(signerA, 1);
    }

    function _voteDigest(ConsensusVote calldata v) private view returns (bytes32) {
        return consensusVoteDigest(v.kind, v.domain, v.height, v.round, v.timestamp, v.blockHash);
    }

    /// @notice Evidence: one signer signed two different checkpoints with the same id.
    function reportDoubleCheckpoint(
        uint64 id,
        bytes32 bodyHashA,
        bytes calldata signatureA,
        bytes32 bodyHashB,
        bytes calldata signatureB
    ) external nonReentrant {
        _requireJudge();
        if (bodyHashA == bodyHashB) revert NotConflicting();
        uint64 submitted = ICheckpointTimes(checkpointManager).submittedAt(id);
        if (submitted != 0 && block.timestamp > uint256(submitted) + unbondingPeriod) revert EvidenceTooOld(submitted);
        address signerA = _recover(checkpointDigest(id, bodyHashA), signatureA);
        address signerB = _recover(checkpointDigest(id, bodyHashB), signatureB);
        if (signerA != signerB) revert InvalidEvidenceSignature();
        _slash(signerA, 2);
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidEvidenceSignature();
    }

    /// @dev Slashes and tombstones the validator of `signer`: once per validator, whatever the
    /// offence, so further evidence (the same pair, another height, another checkpoint) reverts.
    function _slash(address signer, uint8 kind) private {
        address v = validatorOfSigner[signer];
        if (v == address(0)) revert UnknownSigner(signer);
        if (msg.sender == v || msg.sender == signer) revert SelfReport();
        if (tombstoned[v]) revert AlreadySlashed(v);
        Validator storage val = _validators[v];
        uint256 amount = uint256(val.stake) * slashBps / MAX_BPS;
        if (amount == 0) revert NothingToSlash();
        tombstoned[v] = true;
        uint256 burned = amount * burnBps / MAX_BPS;
        uint256 reward = amount - burned;
        val.stake -= uint128(amount);
        val.jailed = true;
        val.jailedUntil = type(uint64).max;
        emit Slashed(v, msg.sender, kind, amount, burned, reward);
        emit Jailed(v, val.jailedUntil);
        if (burned > 0) IBurnable(address(token)).burn(burned);
        if (reward > 0) token.safeTransfer(msg.sender, reward);
    }
}
