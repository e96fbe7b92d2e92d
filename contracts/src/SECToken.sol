// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";

/// @title SEC token
/// @notice ERC-20 with EIP-2612 permit. The whole initial supply (1.5 billion SEC) is minted
/// once, in the constructor, into the allocation contracts; afterwards only `issuer`
/// (the `MerchantIssuance` contract) can mint. Anyone can burn their own tokens (the stake
/// manager burns slashed stake this way).
contract SECToken is ERC20, ERC20Permit, ERC20Burnable {
    /// @notice 1,500,000,000 SEC with 18 decimals.
    uint256 public constant INITIAL_SUPPLY = 1_500_000_000 ether;

    /// @notice The only address allowed to mint after deployment.
    address public immutable issuer;
    /// @notice Deployment time: T0 of every vesting schedule.
    uint64 public immutable genesisTime;

    error LengthMismatch();
    error ZeroAddress();
    error WrongInitialSupply(uint256 minted);
    error NotIssuer(address caller);

    /// @param recipients allocation contracts receiving the initial supply.
    /// @param amounts amount per recipient; must sum to `INITIAL_SUPPLY`.
    /// @param issuer_ the `MerchantIssuance` contract.
    constructor(address[] memory recipients, uint256[] memory amounts, address issuer_)
        ERC20("SEC", "SEC")
        ERC20Permit("SEC")
    {
        if (recipients.length != amounts.length) revert LengthMismatch();
        if (issuer_ == address(0)) revert ZeroAddress();
        issuer = issuer_;
        genesisTime = uint64(block.timestamp);
        uint256 minted;
        for (uint256 i = 0; i < recipients.length; i++) {
            if (recipients[i] == address(0)) revert ZeroAddress();
            _mint(recipients[i], amounts[i]);
            minted += amounts[i];
        }
        if (minted != INITIAL_SUPPLY) revert WrongInitialSupply(minted);
    }

    /// @notice Mints new SEC; callable only by the merchant issuance contract.
    function mint(address to, uint256 amount) external {
        if (msg.sender != issuer) revert NotIssuer(msg.sender);
        _mint(to, amount);
    }
}
