// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAllocation} from "./IAllocation.sol";

interface ISECGenesis {
    function genesisTime() external view returns (uint64);
}

/// @title Tranche vesting vault
/// @notice Holds one allocation and releases it to its beneficiary in fixed tranches at fixed
/// offsets from the token's genesis time (T0). Tranche amounts are absolute, so the schedule
/// shown by `schedule()` is exactly what will be paid.
contract VestingVault is IAllocation {
    using SafeERC20 for IERC20;

    IERC20 public immutable token;
    /// @notice T0 + offset of each tranche.
    uint64[] private _times;
    uint256[] private _amounts;
    uint256 private immutable _total;
    string private _name;

    address public beneficiary;
    address public pendingBeneficiary;
    uint256 public released;

    error ZeroAddress();
    error BadSchedule();
    error NotBeneficiary(address caller);
    error NotPendingBeneficiary(address caller);
    error NothingToRelease();

    event Released(address indexed beneficiary, uint256 amount);
    event BeneficiaryProposed(address indexed current, address indexed proposed);
    event BeneficiaryChanged(address indexed previous, address indexed current);

    /// @param offsets seconds after T0 of each tranche, strictly increasing.
    /// @param amounts amount of each tranche; their sum is the allocation.
    constructor(
        address token_,
        address beneficiary_,
        string memory name_,
        uint64[] memory offsets,
        uint256[] memory amounts
    ) {
        if (token_ == address(0) || beneficiary_ == address(0)) revert ZeroAddress();
        if (offsets.length == 0 || offsets.length != amounts.length) revert BadSchedule();
        uint64 t0 = ISECGenesis(token_).genesisTime();
        uint256 total;
        for (uint256 i = 0; i < offsets.length; i++) {
            if (i > 0 && offsets[i] <= offsets[i - 1]) revert BadSchedule();
            if (amounts[i] == 0) revert BadSchedule();
            _times.push(t0 + offsets[i]);
            _amounts.push(amounts[i]);
            total += amounts[i];
        }
        token = IERC20(token_);
        beneficiary = beneficiary_;
        _name = name_;
        _total = total;
    }

    function allocationName() external view returns (string memory) {
        return _name;
    }

    function totalAllocation() external view returns (uint256) {
        return _total;
    }

    /// @notice Amount unlocked at time `t` (released or not).
    function vestedAt(uint256 t) public view returns (uint256 vested) {
        for (uint256 i = 0; i < _times.length; i++) {
            if (t < _times[i]) break;
            vested += _amounts[i];
        }
    }

    function releasable() public view returns (uint256) {
        return vestedAt(block.timestamp) - released;
    }

    function schedule() external view returns (uint64[] memory times, uint256[] memory amounts) {
        return (_times, _amounts);
    }

    /// @notice Pays everything unlocked so far to the beneficiary. Anyone may trigger it: the
    /// destination is fixed, so there is nothing to gain by calling it for someone else.
    function release() external returns (uint256 amount) {
        amount = releasable();
        if (amount == 0) revert NothingToRelease();
        released += amount;
        emit Released(beneficiary, amount);
        token.safeTransfer(beneficiary, amount);
    }

    /// @notice First step of a beneficiary change (two-step, so a typo cannot lose the tokens).
    function proposeBeneficiary(address next) external {
        if (msg.sender != beneficiary) revert NotBeneficiary(msg.sender);
        if (next == address(0)) revert ZeroAddress();
        pendingBeneficiary = next;
        emit BeneficiaryProposed(beneficiary, next);
    }

    function acceptBeneficiary() external {
        if (msg.sender != pendingBeneficiary) revert NotPendingBeneficiary(msg.sender);
        emit BeneficiaryChanged(beneficiary, msg.sender);
        beneficiary = msg.sender;
        pendingBeneficiary = address(0);
    }
}
