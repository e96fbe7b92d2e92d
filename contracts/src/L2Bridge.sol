// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Messages} from "./Messages.sol";

interface ICrossDomainOutbox {
    function send(uint32 dstDomain, address to, bytes calldata data) external payable returns (bytes32);
    function nonce() external view returns (uint64);
}

interface IL2TokenFactory {
    function deployToken(address l1Token, string calldata name, string calldata symbol, uint8 decimals)
        external
        returns (address);
    function l1TokenOf(address l2Token) external view returns (address);
    function isBridgedToken(address l2Token) external view returns (bool);
}

interface IBridgedToken {
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
}

/// @title L2 bridge — L2 predeploy
/// @notice Credits ETH and ERC-20 deposits (system transactions from the node mint the bridged
/// token; SEC deposits become native balance without a call) and starts withdrawals: `withdraw`
/// burns the tokens (or takes native SEC as value, burned by the outbox) and sends an L1-bound
/// message whose hash is the withdrawal's identity on L1 (see `Messages`).
contract L2Bridge is ReentrancyGuard {
    /// @notice Sender of the node's system transactions.
    address public constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    ICrossDomainOutbox public immutable crossDomain;
    IL2TokenFactory public immutable factory;
    /// @notice SEC's address on Ethereum (native SEC withdraws as this L1 token).
    address public immutable l1Sec;

    mapping(uint64 => bool) public depositProcessed;

    error NotSystem(address caller);
    error DepositAlreadyProcessed(uint64 nonce);
    error ZeroAddress();
    error ZeroAmount();
    error WrongValue(uint256 value, uint256 amount);
    error UnknownToken(address token);
    error NativeToken();

    event DepositFinalized(uint64 indexed depositNonce, address indexed l1Token, address indexed to, address l2Token, uint256 amount);
    event WithdrawalInitiated(
        bytes32 indexed withdrawalHash, uint64 indexed nonce, address indexed sender, address l1Recipient, address l1Token, uint256 amount
    );

    constructor(address crossDomain_, address factory_, address l1Sec_) {
        crossDomain = ICrossDomainOutbox(crossDomain_);
        factory = IL2TokenFactory(factory_);
        l1Sec = l1Sec_;
    }

    /// @notice Mints the bridged token for an ETH (l1Token = 0) or ERC-20 deposit, once per
    /// L1 deposit nonce.
    function finalizeDeposit(
        uint64 depositNonce,
        address l1Token,
        string calldata name,
        string calldata symbol,
        uint8 decimals,
        address to,
        uint256 amount
    ) external nonReentrant {
        if (msg.sender != SYSTEM) revert NotSystem(msg.sender);
        if (depositProcessed[depositNonce]) revert DepositAlreadyProcessed(depositNonce);
        // SEC arrives as native balance; a bridged SEC token could never withdraw.
        if (l1Token == l1Sec) revert NativeToken();
        depositProcessed[depositNonce] = true;
        address l2Token = factory.deployToken(l1Token, name, symbol, decimals);
        IBridgedToken(l2Token).mint(to, amount);
        emit DepositFinalized(depositNonce, l1Token, to, l2Token, amount);
    }

    /// @notice Withdraws `amount` of `token` to `l1Recipient` on Ethereum. `token` is the L2
    /// token, or address(0) for native SEC (then `msg.value` must equal `amount`).
    function withdraw(address token, address l1Recipient, uint256 amount)
        external
        payable
        nonReentrant
        returns (bytes32 h)
    {
        if (l1Recipient == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        address l1Token;
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(msg.value, amount);
            l1Token = l1Sec;
        } else {
            if (msg.value != 0) revert WrongValue(msg.value, 0);
            if (!factory.isBridgedToken(token)) revert UnknownToken(token);
            l1Token = factory.l1TokenOf(token);
            IBridgedToken(token).burn(msg.sender, amount);
        }
        h = crossDomain.send{value: msg.value}(
            Messages.L1_DOMAIN, l1Recipient, Messages.withdrawalData(l1Token, amount, msg.sender)
        );
        emit WithdrawalInitiated(h, crossDomain.nonce(), msg.sender, l1Recipient, l1Token, amount);
    }
}
