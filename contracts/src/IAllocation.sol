// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Allocation reporting
/// @notice Every contract holding one allocation of the initial SEC supply reports it the same
/// way, so wallets, the explorer and the CLI can show vesting without knowing the contract kind.
interface IAllocation {
    /// @notice Human-readable allocation name (e.g. "Angel investment").
    function allocationName() external view returns (string memory);
    /// @notice Everything this allocation ever held: released plus still held.
    function totalAllocation() external view returns (uint256);
    /// @notice Amount already paid out of this allocation.
    function released() external view returns (uint256);
    /// @notice Amount that could be paid out right now.
    function releasable() external view returns (uint256);
    /// @notice The full release schedule: unlock times and the amount unlocking at each.
    /// Governance-controlled reserves return empty arrays (no fixed schedule).
    function schedule() external view returns (uint64[] memory times, uint256[] memory amounts);
}
