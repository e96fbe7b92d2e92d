// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface ITokenDeploymentParams {
    function deploymentParams()
        external
        view
        returns (address l1Token, string memory name, string memory symbol, uint8 decimals, address bridge);
}

/// @title Bridged ERC-20 — one per L1 token, deployed by `L2TokenFactory`
/// @notice Has no constructor arguments (it reads them back from the factory), so its CREATE2
/// address depends only on the factory and the L1 token. Only the L2 bridge mints and burns.
contract BridgedERC20 is ERC20 {
    address public immutable l1Token;
    address public immutable bridge;
    uint8 private immutable _decimals;
    string private _tokenName;
    string private _tokenSymbol;

    error NotBridge(address caller);

    constructor() ERC20("", "") {
        (address l1, string memory n, string memory s, uint8 d, address b) =
            ITokenDeploymentParams(msg.sender).deploymentParams();
        l1Token = l1;
        bridge = b;
        _decimals = d;
        _tokenName = n;
        _tokenSymbol = s;
    }

    function name() public view override returns (string memory) {
        return _tokenName;
    }

    function symbol() public view override returns (string memory) {
        return _tokenSymbol;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _mint(to, amount);
    }

    function burn(address from, uint256 amount) external {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _burn(from, amount);
    }
}
