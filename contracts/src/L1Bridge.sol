// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Messages} from "./Messages.sol";

interface ICheckpointRoots {
    function withdrawalRoot(uint64 id) external view returns (bytes32);
    function submittedAt(uint64 id) external view returns (uint64);
}

/// @title L1 bridge
/// @notice Locks ETH, SEC and ERC-20 deposits bound for a SEC domain (each with a nonce and a
/// `Deposit` event the nodes read), and pays out withdrawals proven against a checkpoint's
/// withdrawal root after the challenge window.
///
/// Safety rules: a withdrawal is spent by its identity hash (never by its proof), effects
/// precede the payout, every entry point is non-reentrant, a failed payout stays claimable,
/// a guardian can pause (the pause expires by itself) and each token has a daily outflow limit.
contract L1Bridge is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 public constant KIND_ETH = 0;
    uint8 public constant KIND_SEC = 1;
    uint8 public constant KIND_ERC20 = 2;
    uint256 public constant MAX_DEPOSIT_DATA = 4096;
    uint256 public constant PAUSE_COOLDOWN = 1 days;

    ICheckpointRoots public immutable checkpoints;
    address public immutable sec;
    /// @notice The L2 bridge predeploy: the only sender whose L1-bound messages pay out here.
    address public immutable l2Bridge;
    uint64 public immutable challengeWindow;
    uint64 public immutable maxPauseDuration;

    uint32 public numDomains;
    address public guardian;
    uint64 public pausedUntil;
    uint64 public depositNonce;
    /// @notice Withdrawals paid out or recorded as failed, by identity hash.
    mapping(bytes32 => bool) public finalized;
    /// @notice Finalized withdrawals whose payout failed and can be retried.
    mapping(bytes32 => bool) public failedPayout;
    /// @notice Per token (address(0) = ETH) maximum outflow per UTC day; 0 = unlimited.
    mapping(address => uint256) public dailyLimit;
    mapping(address => mapping(uint256 => uint256)) public outflow;

    error ZeroAddress();
    error ZeroAmount();
    error UnknownDomain(uint32 domain);
    error DepositDataTooLarge(uint256 length);
    error UseDepositSEC();
    error BridgePaused(uint64 until);
    error NotGuardian(address caller);
    error PauseCooldown(uint256 until);
    error UnknownCheckpoint(uint64 id);
    error ChallengeWindowOpen(uint256 until);
    error AlreadyFinalized(bytes32 withdrawalHash);
    error InvalidProof();
    error DailyLimitExceeded(address token, uint256 available);
    error NoFailedPayout(bytes32 withdrawalHash);
    error NotRecipient(address caller);
    error PayoutFailed(bytes32 withdrawalHash);

    event Deposit(
        uint64 indexed nonce,
        uint32 indexed domain,
        address indexed token,
        uint8 kind,
        address from,
        address to,
        uint256 amount,
        bytes data,
        bytes tokenMetadata
    );
    event WithdrawalFinalized(
        bytes32 indexed withdrawalHash, uint64 indexed checkpointId, address indexed recipient, address token, uint256 amount, bool paid
    );
    event FailedPayoutClaimed(bytes32 indexed withdrawalHash, address to);
    event Paused(address indexed guardian, uint64 until);
    event Unpaused(address indexed by);
    event GuardianUpdated(address indexed guardian);
    event DailyLimitUpdated(address indexed token, uint256 limit);
    event NumDomainsUpdated(uint32 numDomains);

    constructor(
        address owner_,
        address guardian_,
        address checkpoints_,
        address sec_,
        address l2Bridge_,
        uint32 numDomains_,
        uint64 challengeWindow_,
        uint64 maxPauseDuration_
    ) Ownable(owner_) {
        if (checkpoints_ == address(0) || sec_ == address(0) || l2Bridge_ == address(0)) revert ZeroAddress();
        checkpoints = ICheckpointRoots(checkpoints_);
        sec = sec_;
        l2Bridge = l2Bridge_;
        guardian = guardian_;
        numDomains = numDomains_;
        challengeWindow = challengeWindow_;
        maxPauseDuration = maxPauseDuration_;
    }

    modifier whenNotPaused() {
        if (block.timestamp < pausedUntil) revert BridgePaused(pausedUntil);
        _;
    }

    // ---------------------------------------------------------------- admin

    function paused() external view returns (bool) {
        return block.timestamp < pausedUntil;
    }

    /// @notice Guardian emergency stop. Expires by itself after `maxPauseDuration`, and cannot
    /// be renewed until `PAUSE_COOLDOWN` after it expired, so a guardian cannot lock funds.
    function pause() external {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        if (block.timestamp < pausedUntil) revert BridgePaused(pausedUntil);
        if (pausedUntil != 0 && block.timestamp < uint256(pausedUntil) + PAUSE_COOLDOWN) {
            revert PauseCooldown(uint256(pausedUntil) + PAUSE_COOLDOWN);
        }
        pausedUntil = uint64(block.timestamp) + maxPauseDuration;
        emit Paused(msg.sender, pausedUntil);
    }

    function unpause() external {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
        pausedUntil = uint64(block.timestamp);
        emit Unpaused(msg.sender);
    }

    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianUpdated(guardian_);
    }

    function setDailyLimit(address token, uint256 limit) external onlyOwner {
        dailyLimit[token] = limit;
        emit DailyLimitUpdated(token, limit);
    }

    function setNumDomains(uint32 numDomains_) external onlyOwner {
        numDomains = numDomains_;
        emit NumDomainsUpdated(numDomains_);
    }

    // ---------------------------------------------------------------- deposits

    function depositETH(uint32 domain, address to, bytes calldata data) external payable nonReentrant whenNotPaused {
        _checkDeposit(domain, to, msg.value, data);
        _emitDeposit(domain, address(0), KIND_ETH, to, msg.value, data, "");
    }

    function depositSEC(uint32 domain, address to, uint256 amount, bytes calldata data)
        external
        nonReentrant
        whenNotPaused
    {
        _checkDeposit(domain, to, amount, data);
        uint256 received = _pull(sec, amount);
        _emitDeposit(domain, sec, KIND_SEC, to, received, data, "");
    }

    /// @notice Deposits an ERC-20. Credits what actually arrived (balance difference), so
    /// fee-on-transfer tokens cannot mint more on L2 than is locked here.
    function depositERC20(address token, uint32 domain, address to, uint256 amount, bytes calldata data)
        external
        nonReentrant
        whenNotPaused
    {
        if (token == address(0)) revert ZeroAddress();
        if (token == sec) revert UseDepositSEC();
        _checkDeposit(domain, to, amount, data);
        uint256 received = _pull(token, amount);
        _emitDeposit(domain, token, KIND_ERC20, to, received, data, _metadata(token));
    }

    function _checkDeposit(uint32 domain, address to, uint256 amount, bytes calldata data) private view {
        if (domain >= numDomains) revert UnknownDomain(domain);
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (data.length > MAX_DEPOSIT_DATA) revert DepositDataTooLarge(data.length);
    }

    function _pull(address token, uint256 amount) private returns (uint256 received) {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
    }

    function _emitDeposit(
        uint32 domain,
        address token,
        uint8 kind,
        address to,
        uint256 amount,
        bytes calldata data,
        bytes memory metadata
    ) private {
        uint64 nonce = ++depositNonce;
        emit Deposit(nonce, domain, token, kind, msg.sender, to, amount, data, metadata);
    }

    /// @dev abi.encode(name, symbol, decimals); missing or broken getters give ("", "", 18).
    function _metadata(address token) private view returns (bytes memory) {
        string memory name;
        string memory symbol;
        uint8 decimals = 18;
        try IERC20Metadata(token).name() returns (string memory n) {
            name = n;
        } catch {}
        try IERC20Metadata(token).symbol() returns (string memory s) {
            symbol = s;
        } catch {}
        try IERC20Metadata(token).decimals() returns (uint8 d) {
            decimals = d;
        } catch {}
        return abi.encode(name, symbol, decimals);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice The identity hash of a withdrawal (the hash of its L1-bound message).
    function withdrawalHash(Messages.Withdrawal calldata w) public view returns (bytes32) {
        return Messages.withdrawalHash(w, l2Bridge, w.l1Token == sec);
    }

    /// @notice Pays out `w` if `proof` shows its leaf under checkpoint `checkpointId`'s
    /// withdrawal root and the challenge window has passed. A payout that fails (reverting
    /// recipient or token) marks the withdrawal as failed, to be retried with `retryPayout`.
    function finalizeWithdrawal(Messages.Withdrawal calldata w, uint64 checkpointId, bytes32[] calldata proof)
        external
        nonReentrant
        whenNotPaused
    {
        uint64 submitted = checkpoints.submittedAt(checkpointId);
        if (submitted == 0) revert UnknownCheckpoint(checkpointId);
        if (block.timestamp < uint256(submitted) + challengeWindow) {
            revert ChallengeWindowOpen(uint256(submitted) + challengeWindow);
        }
        bytes32 h = withdrawalHash(w);
        if (finalized[h]) revert AlreadyFinalized(h);
        if (!MerkleProof.verifyCalldata(proof, checkpoints.withdrawalRoot(checkpointId), Messages.leaf(h))) {
            revert InvalidProof();
        }
        if (w.amount == 0) revert ZeroAmount();
        address token = w.l1Token;
        _consumeLimit(token, w.amount);

        finalized[h] = true;
        bool paid = _pay(token, w.recipient, w.amount);
        if (!paid) failedPayout[h] = true;
        emit WithdrawalFinalized(h, checkpointId, w.recipient, token, w.amount, paid);
    }

    /// @notice Retries a failed payout to the original recipient. Anyone may call it.
    function retryPayout(Messages.Withdrawal calldata w) external nonReentrant whenNotPaused {
        _claimFailed(w, w.recipient);
    }

    /// @notice Lets the recipient of a failed payout take it to another address (e.g. a contract
    /// recipient that cannot receive ETH).
    function claimFailedPayoutTo(Messages.Withdrawal calldata w, address to) external nonReentrant whenNotPaused {
        if (msg.sender != w.recipient) revert NotRecipient(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        _claimFailed(w, to);
    }

    function _claimFailed(Messages.Withdrawal calldata w, address to) private {
        bytes32 h = withdrawalHash(w);
        if (!failedPayout[h]) revert NoFailedPayout(h);
        failedPayout[h] = false;
        if (!_pay(w.l1Token, to, w.amount)) revert PayoutFailed(h);
        emit FailedPayoutClaimed(h, to);
    }

    function _consumeLimit(address token, uint256 amount) private {
        uint256 limit = dailyLimit[token];
        if (limit == 0) return;
        uint256 day = block.timestamp / 1 days;
        uint256 used = outflow[token][day];
        if (used + amount > limit) revert DailyLimitExceeded(token, limit - used);
        outflow[token][day] = used + amount;
    }

    /// @dev Never reverts: reports failure instead. ETH is sent without copying return data,
    /// so a recipient cannot make the bridge run out of gas with a huge revert reason.
    function _pay(address token, address to, uint256 amount) private returns (bool ok) {
        if (token == address(0)) {
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
            return ok;
        }
        return IERC20(token).trySafeTransfer(to, amount);
    }
}
