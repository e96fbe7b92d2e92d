// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BridgedERC20} from "./BridgedERC20.sol";

/// @title L2 token factory — L2 predeploy
/// @notice Deploys one `BridgedERC20` per L1 token (address(0) = ETH) with CREATE2, salt = the
/// L1 token address, so every domain and every tool computes the same L2 address.
contract L2TokenFactory {
    address public immutable bridge;

    mapping(address => address) public l1TokenOf;
    mapping(address => address) public l2TokenOf;
    /// @notice Whether an address is a token this factory deployed.
    mapping(address => bool) public isBridgedToken;

    struct Params {
        address l1Token;
        string name;
        string symbol;
        uint8 decimals;
    }

    Params private _params;

    error NotBridge(address caller);

    event TokenDeployed(address indexed l1Token, address indexed l2Token, string name, string symbol, uint8 decimals);

    constructor(address bridge_) {
        bridge = bridge_;
    }

    /// @notice Read by `BridgedERC20`'s constructor during `deployToken`.
    function deploymentParams()
        external
        view
        returns (address l1Token, string memory name, string memory symbol, uint8 decimals, address bridge_)
    {
        Params storage p = _params;
        return (p.l1Token, p.name, p.symbol, p.decimals, bridge);
    }

    function predictAddress(address l1Token) public view returns (address) {
        bytes32 salt = bytes32(uint256(uint160(l1Token)));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, keccak256(type(BridgedERC20).creationCode)));
        return address(uint160(uint256(h)));
    }

    /// @notice Returns the L2 token for `l1Token`, deploying it on first use.
    function deployToken(address l1Token, string calldata name, string calldata symbol, uint8 decimals)
        external
        returns (address token)
    {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        token = l2TokenOf[l1Token];
        if (token != address(0)) return token;
        _params = Params(l1Token, name, symbol, decimals);
        token = address(new BridgedERC20{salt: bytes32(uint256(uint160(l1Token)))}());
        delete _params;
        l2TokenOf[l1Token] = token;
        l1TokenOf[token] = l1Token;
        isBridgedToken[token] = true;
        emit TokenDeployed(l1Token, token, name, symbol, decimals);
    }
}
