// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title System transactions and forced native payments — shared by the L2 predeploys
/// @notice A system transaction is sent and signed by the block's producer (its coinbase) with
/// gas price zero, at the start of the block; every validator derives the same list from L1
/// and from the other domains' outboxes and checks it. A contract cannot be `tx.origin`, and
/// no one but the producer signs as the coinbase, so `onlySystem` admits those transactions
/// alone.
abstract contract SystemCall {
    error NotSystem(address caller);
    error ForcedPaymentFailed(address to);

    modifier onlySystem() {
        if (msg.sender != block.coinbase || tx.origin != msg.sender) revert NotSystem(msg.sender);
        _;
    }

    /// @dev Sends `amount` to `to` without calling it: a contract created with the value whose
    /// init code is `PUSH20 to SELFDESTRUCT` (created and destroyed in one transaction, so it
    /// leaves nothing behind, EIP-6780). Credits a recipient that reverts on receiving.
    function _forcePay(address to, uint256 amount) internal {
        bytes memory init = abi.encodePacked(bytes1(0x73), to, bytes1(0xff));
        address created;
        assembly ("memory-safe") {
            created := create(amount, add(init, 0x20), mload(init))
        }
        if (created == address(0)) revert ForcedPaymentFailed(to);
    }
}
