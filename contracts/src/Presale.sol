// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAllocation} from "./IAllocation.sol";

/// @title Private placement sale
/// @notice Sells the private-placement allocation to whitelisted buyers at 11,000 SEC per ETH.
/// If the soft cap (19,800 ETH) is not reached by the end, every buyer gets their ETH back and
/// all tokens go to the Business reserve. Otherwise bought tokens are claimable 90 days after
/// the sale closed (end time, or the moment the hard cap of 39,600 ETH was reached), the ETH goes
/// to the treasury and unsold tokens go to the Business reserve.
contract Presale is IAllocation, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant RATE = 11_000;
    uint256 public constant SOFT_CAP = 19_800 ether;
    uint256 public constant HARD_CAP = 39_600 ether;
    uint256 public constant CLAIM_DELAY = 90 days;

    IERC20 public immutable token;
    uint64 public immutable startTime;
    uint64 public immutable endTime;
    address public immutable treasury;
    address public immutable businessReserve;

    mapping(address => bool) public whitelisted;
    mapping(address => uint256) public contributed;
    mapping(address => bool) public claimed;
    uint256 public totalRaised;
    /// @notice Set when the hard cap is reached before `endTime`.
    uint64 public hardCapReachedAt;
    bool public finalized;
    /// @notice Paid out: claims plus unsold tokens sent to the Business reserve.
    uint256 public released;
    uint256 public totalClaimed;
    uint256 private immutable _allocation;

    error ZeroAddress();
    error BadTimes();
    error NotWhitelisted(address buyer);
    error SaleNotOpen();
    error SaleNotClosed();
    error ZeroContribution();
    error HardCapExceeded(uint256 available);
    error AlreadyFinalized();
    error NotFinalized();
    error SoftCapMissed();
    error SoftCapReached();
    error ClaimNotOpen(uint256 opensAt);
    error NothingToClaim();
    error RefundFailed();
    error TreasuryPaymentFailed();

    event WhitelistUpdated(address indexed account, bool allowed);
    event Purchased(address indexed buyer, uint256 ethAmount, uint256 tokenAmount);
    event Finalized(bool success, uint256 raised, uint256 unsoldToReserve);
    event Claimed(address indexed buyer, uint256 tokenAmount);
    event Refunded(address indexed buyer, uint256 ethAmount);
    event ProceedsPending(uint256 ethAmount);

    constructor(
        address token_,
        address owner_,
        uint64 startTime_,
        uint64 endTime_,
        address treasury_,
        address businessReserve_,
        uint256 allocation_
    ) Ownable(owner_) {
        if (token_ == address(0) || treasury_ == address(0) || businessReserve_ == address(0)) {
            revert ZeroAddress();
        }
        if (endTime_ <= startTime_) revert BadTimes();
        token = IERC20(token_);
        startTime = startTime_;
        endTime = endTime_;
        treasury = treasury_;
        businessReserve = businessReserve_;
        _allocation = allocation_;
    }

    // ---- views ----

    /// @notice When buying stopped: the end time, or earlier if the hard cap was reached.
    function closeTime() public view returns (uint64) {
        return hardCapReachedAt != 0 ? hardCapReachedAt : endTime;
    }

    function isClosed() public view returns (bool) {
        return hardCapReachedAt != 0 || block.timestamp >= endTime;
    }

    function claimOpensAt() public view returns (uint256) {
        return uint256(closeTime()) + CLAIM_DELAY;
    }

    function allocationName() external pure returns (string memory) {
        return "Private placement";
    }

    function totalAllocation() external view returns (uint256) {
        return _allocation;
    }

    function releasable() external view returns (uint256) {
        if (!finalized || totalRaised < SOFT_CAP || block.timestamp < claimOpensAt()) return 0;
        return totalRaised * RATE - totalClaimed;
    }

    /// @notice One tranche: everything sold unlocks at `claimOpensAt` (known once closed).
    function schedule() external view returns (uint64[] memory times, uint256[] memory amounts) {
        times = new uint64[](1);
        amounts = new uint256[](1);
        times[0] = uint64(claimOpensAt());
        amounts[0] = totalRaised * RATE;
    }

    // ---- admin ----

    function setWhitelist(address[] calldata accounts, bool allowed) external onlyOwner {
        for (uint256 i = 0; i < accounts.length; i++) {
            whitelisted[accounts[i]] = allowed;
            emit WhitelistUpdated(accounts[i], allowed);
        }
    }

    // ---- sale ----

    function buy() external payable nonReentrant {
        if (!whitelisted[msg.sender]) revert NotWhitelisted(msg.sender);
        if (block.timestamp < startTime || isClosed()) revert SaleNotOpen();
        if (msg.value == 0) revert ZeroContribution();
        uint256 raised = totalRaised + msg.value;
        if (raised > HARD_CAP) revert HardCapExceeded(HARD_CAP - totalRaised);
        totalRaised = raised;
        contributed[msg.sender] += msg.value;
        if (raised == HARD_CAP) hardCapReachedAt = uint64(block.timestamp);
        emit Purchased(msg.sender, msg.value, msg.value * RATE);
    }

    /// @notice Settles the sale once closed: on success pays the ETH to the treasury and the
    /// unsold tokens to the Business reserve; on failure sends every token to the reserve
    /// (buyers then take their ETH back with `refund`). Anyone may call it.
    function finalize() external nonReentrant {
        if (!isClosed()) revert SaleNotClosed();
        if (finalized) revert AlreadyFinalized();
        finalized = true;
        bool success = totalRaised >= SOFT_CAP;
        uint256 sold = success ? totalRaised * RATE : 0;
        uint256 unsold = _allocation - sold;
        released += unsold;
        emit Finalized(success, totalRaised, unsold);
        if (unsold > 0) token.safeTransfer(businessReserve, unsold);
        if (success) {
            // A treasury that cannot receive must not block the buyers' claims: the ETH then
            // stays here until `withdrawProceeds` succeeds.
            uint256 amount = address(this).balance;
            (bool ok,) = treasury.call{value: amount}("");
            if (!ok) emit ProceedsPending(amount);
        }
    }

    /// @notice Retries paying the proceeds of a successful sale to the treasury.
    function withdrawProceeds() external nonReentrant {
        if (!finalized || totalRaised < SOFT_CAP) revert NotFinalized();
        (bool ok,) = treasury.call{value: address(this).balance}("");
        if (!ok) revert TreasuryPaymentFailed();
    }

    function claim() external nonReentrant {
        if (!finalized) revert NotFinalized();
        if (totalRaised < SOFT_CAP) revert SoftCapMissed();
        if (block.timestamp < claimOpensAt()) revert ClaimNotOpen(claimOpensAt());
        if (claimed[msg.sender] || contributed[msg.sender] == 0) revert NothingToClaim();
        claimed[msg.sender] = true;
        uint256 amount = contributed[msg.sender] * RATE;
        released += amount;
        totalClaimed += amount;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function refund() external nonReentrant {
        if (!isClosed()) revert SaleNotClosed();
        if (totalRaised >= SOFT_CAP) revert SoftCapReached();
        uint256 amount = contributed[msg.sender];
        if (amount == 0) revert NothingToClaim();
        contributed[msg.sender] = 0;
        emit Refunded(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert RefundFailed();
    }
}
