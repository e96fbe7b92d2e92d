// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

interface ISECMintable {
    function mint(address to, uint256 amount) external;
    function genesisTime() external view returns (uint64);
}

/// @title Merchant issuance
/// @notice The only source of SEC beyond the initial 1.5 billion: registered merchants buy newly
/// minted SEC for ETH at the owner-set price; the ETH goes to the foundation. Issuance per year
/// (years counted from the token's genesis) is capped, so the owner cannot inflate at will.
contract MerchantIssuance is Ownable2Step, ReentrancyGuard {
    uint256 public constant DEFAULT_PRICE = 11_000;
    uint256 public constant YEAR = 365 days;

    ISECMintable public immutable token;
    address public immutable foundation;
    uint256 public immutable yearlyCap;
    uint64 public immutable genesisTime;

    /// @notice SEC (in wei) per wei of ETH.
    uint256 public price = DEFAULT_PRICE;
    mapping(address => bool) public merchants;
    mapping(uint256 => uint256) public issuedInYear;

    error ZeroAddress();
    error ZeroPrice();
    error NotMerchant(address caller);
    error ZeroPayment();
    error Slippage(uint256 amount, uint256 minAmount);
    error YearlyCapExceeded(uint256 year, uint256 available);
    error FoundationPaymentFailed();

    event PriceUpdated(uint256 price);
    event MerchantUpdated(address indexed merchant, bool allowed);
    event Issued(address indexed merchant, uint256 ethPaid, uint256 secMinted, uint256 year);

    constructor(address token_, address owner_, address foundation_, uint256 yearlyCap_)
        Ownable(owner_)
    {
        if (token_ == address(0) || foundation_ == address(0)) revert ZeroAddress();
        token = ISECMintable(token_);
        foundation = foundation_;
        yearlyCap = yearlyCap_;
        genesisTime = ISECMintable(token_).genesisTime();
    }

    function currentYear() public view returns (uint256) {
        return (block.timestamp - genesisTime) / YEAR;
    }

    function setPrice(uint256 newPrice) external onlyOwner {
        if (newPrice == 0) revert ZeroPrice();
        price = newPrice;
        emit PriceUpdated(newPrice);
    }

    function setMerchant(address merchant, bool allowed) external onlyOwner {
        merchants[merchant] = allowed;
        emit MerchantUpdated(merchant, allowed);
    }

    /// @notice Buys `msg.value * price` new SEC; reverts if fewer than `minAmount` (the price
    /// may change between signing and inclusion).
    function buy(uint256 minAmount) external payable nonReentrant returns (uint256 amount) {
        if (!merchants[msg.sender]) revert NotMerchant(msg.sender);
        if (msg.value == 0) revert ZeroPayment();
        amount = msg.value * price;
        if (amount < minAmount) revert Slippage(amount, minAmount);
        uint256 year = currentYear();
        uint256 issued = issuedInYear[year];
        if (issued + amount > yearlyCap) revert YearlyCapExceeded(year, yearlyCap - issued);
        issuedInYear[year] = issued + amount;
        emit Issued(msg.sender, msg.value, amount, year);
        token.mint(msg.sender, amount);
        (bool ok,) = foundation.call{value: msg.value}("");
        if (!ok) revert FoundationPaymentFailed();
    }
}
