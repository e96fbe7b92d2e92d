// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A contract account that trades: forwards calls (with value) as itself, can refuse
/// incoming SEC, and can re-enter a target with preset calldata when it receives SEC.
contract TradeActor {
    bool public refusing;
    address public reenterTarget;
    bytes public reenterData;
    bool public reentrySucceeded;
    bytes public reentryResult;

    function setRefusing(bool r) external {
        refusing = r;
    }

    function armReentry(address target, bytes calldata data) external {
        reenterTarget = target;
        reenterData = data;
    }

    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        require(!refusing, "refused");
        address t = reenterTarget;
        if (t != address(0)) {
            reenterTarget = address(0);
            (bool ok, bytes memory ret) = t.call(reenterData);
            reentrySucceeded = ok;
            reentryResult = ret;
        }
    }
}
