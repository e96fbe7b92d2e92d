// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Reverts on receiving ETH while `blocked`.
contract RevertingRecipient {
    bool public blocked = true;

    function setBlocked(bool b) external {
        blocked = b;
    }

    receive() external payable {
        require(!blocked, "blocked");
    }
}

/// @notice On receiving ETH calls back into `target` with preset calldata (e.g. the same
/// finalizeWithdrawal) and records the outcome; accepts the ETH either way.
contract ReentrantRecipient {
    address public target;
    bytes public callData;
    bool public reentrySucceeded;
    bytes public reentryResult;
    uint256 public received;

    function arm(address target_, bytes calldata data) external {
        target = target_;
        callData = data;
    }

    receive() external payable {
        received += msg.value;
        if (target != address(0)) {
            address t = target;
            target = address(0);
            (bool ok, bytes memory ret) = t.call(callData);
            reentrySucceeded = ok;
            reentryResult = ret;
        }
    }
}

/// @notice Sends the same call twice in one transaction (both must succeed or all reverts).
contract DoubleCaller {
    function callTwice(address target, bytes calldata data) external {
        (bool ok1, bytes memory r1) = target.call(data);
        if (!ok1) _bubble(r1);
        (bool ok2, bytes memory r2) = target.call(data);
        if (!ok2) _bubble(r2);
    }

    function _bubble(bytes memory ret) private pure {
        assembly ("memory-safe") {
            revert(add(ret, 32), mload(ret))
        }
    }
}
