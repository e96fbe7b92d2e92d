// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IAllocation} from "./IAllocation.sol";

/// @title Timelocked reserve
/// @notice Holds a governance-controlled reserve (Business/strategy, Investment/partners).
/// Every release is announced first and can be executed only `DELAY` (7 days) later, so token
/// holders see every movement a week before it happens; the owner can cancel an announcement.
contract TimelockedReserve is IAllocation, Ownable2Step {
    using SafeERC20 for IERC20;

    uint256 public constant DELAY = 7 days;

    struct Release {
        address to;
        uint256 amount;
        uint64 eta;
        bool executed;
        bool cancelled;
    }

    IERC20 public immutable token;
    string private _name;
    Release[] public releases;
    uint256 public released;
    /// @notice Sum of announced, not yet executed or cancelled releases.
    uint256 public pending;

    error ZeroAddress();
    error ZeroAmount();
    error UnknownRelease(uint256 id);
    error ReleaseClosed(uint256 id);
    error TooEarly(uint256 id, uint64 eta);
    error ExceedsReserve(uint256 requested, uint256 available);

    event ReleaseAnnounced(uint256 indexed id, address indexed to, uint256 amount, uint64 eta);
    event ReleaseExecuted(uint256 indexed id, address indexed to, uint256 amount);
    event ReleaseCancelled(uint256 indexed id);

    constructor(address token_, address owner_, string memory name_) Ownable(owner_) {
        if (token_ == address(0)) revert ZeroAddress();
        token = IERC20(token_);
        _name = name_;
    }

    function allocationName() external view returns (string memory) {
        return _name;
    }

    function totalAllocation() external view returns (uint256) {
        return released + token.balanceOf(address(this));
    }

    /// @notice Sum of announced releases whose delay has passed.
    function releasable() external view returns (uint256 amount) {
        for (uint256 i = 0; i < releases.length; i++) {
            Release storage r = releases[i];
            if (!r.executed && !r.cancelled && block.timestamp >= r.eta) amount += r.amount;
        }
    }

    function schedule() external pure returns (uint64[] memory times, uint256[] memory amounts) {
        return (times, amounts);
    }

    function releaseCount() external view returns (uint256) {
        return releases.length;
    }

    /// @notice Announces a release; executable after `DELAY`.
    function announce(address to, uint256 amount) external onlyOwner returns (uint256 id) {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 available = token.balanceOf(address(this)) - pending;
        if (amount > available) revert ExceedsReserve(amount, available);
        uint64 eta = uint64(block.timestamp + DELAY);
        id = releases.length;
        releases.push(Release({to: to, amount: amount, eta: eta, executed: false, cancelled: false}));
        pending += amount;
        emit ReleaseAnnounced(id, to, amount, eta);
    }

    function execute(uint256 id) external onlyOwner {
        if (id >= releases.length) revert UnknownRelease(id);
        Release storage r = releases[id];
        if (r.executed || r.cancelled) revert ReleaseClosed(id);
        if (block.timestamp < r.eta) revert TooEarly(id, r.eta);
        r.executed = true;
        pending -= r.amount;
        released += r.amount;
        emit ReleaseExecuted(id, r.to, r.amount);
        token.safeTransfer(r.to, r.amount);
    }

    function cancel(uint256 id) external onlyOwner {
        if (id >= releases.length) revert UnknownRelease(id);
        Release storage r = releases[id];
        if (r.executed || r.cancelled) revert ReleaseClosed(id);
        r.cancelled = true;
        pending -= r.amount;
        emit ReleaseCancelled(id);
    }
}
