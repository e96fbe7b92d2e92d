// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Messages} from "./Messages.sol";
import {SystemCall} from "./SystemCall.sol";

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
/// @notice Credits deposits and starts withdrawals. Deposits arrive as system transactions:
/// transactions the block's producer signs, with gas price zero, at the start of a block, each
/// derived from one L1 `Deposit` event that every validator reads itself. ETH and ERC-20
/// deposits mint the bridged token; SEC deposits pay native SEC out of this contract's balance,
/// the native reserve placed here at genesis (as Polygon PoS holds its native token in a
/// genesis contract), so that no execution rule outside the EVM mints money. `withdraw` burns
/// the tokens (or takes native SEC as value, locked for good by the outbox) and sends an
/// L1-bound message whose hash is the withdrawal's identity on L1 (see `Messages`).
contract L2Bridge is ReentrancyGuard, SystemCall {
    /// @notice Gas the recipient's call of a native deposit may use (its `data`, or a plain
    /// transfer when there is none): bounded so that the credit always has gas left to finish.
    uint256 public constant DEPOSIT_CALL_GAS = 300_000;

    ICrossDomainOutbox public immutable crossDomain;
    IL2TokenFactory public immutable factory;
    /// @notice SEC's address on Ethereum (native SEC withdraws as this L1 token).
    address public immutable l1Sec;

    mapping(uint64 => bool) public depositProcessed;

    error DepositAlreadyProcessed(uint64 nonce);
    error ZeroAddress();
    error ZeroAmount();
    error WrongValue(uint256 value, uint256 amount);
    error UnknownToken(address token);
    error NativeToken();

    event DepositFinalized(uint64 indexed depositNonce, address indexed l1Token, address indexed to, address l2Token, uint256 amount);
    /// @notice A native SEC deposit was paid to `to`; `callSucceeded` is false when the
    /// recipient's call reverted (the SEC was then credited without running its code).
    event NativeDepositFinalized(
        uint64 indexed depositNonce, address indexed from, address indexed to, uint256 amount, bool callSucceeded
    );
    event WithdrawalInitiated(
        bytes32 indexed withdrawalHash, uint64 indexed nonce, address indexed sender, address l1Recipient, address l1Token, uint256 amount
    );

    constructor(address crossDomain_, address factory_, address l1Sec_) {
        crossDomain = ICrossDomainOutbox(crossDomain_);
        factory = IL2TokenFactory(factory_);
        l1Sec = l1Sec_;
    }

    /// @notice Pays a native SEC deposit out of the reserve, once per L1 deposit nonce. The
    /// recipient is called with `data` (or a plain transfer) and at most `DEPOSIT_CALL_GAS`;
    /// if that reverts, the SEC is credited anyway, without running the recipient's code, so a
    /// deposit is never lost to a recipient that refuses it.
    function finalizeNativeDeposit(uint64 depositNonce, address from, address to, uint256 amount, bytes calldata data)
        external
        nonReentrant
        onlySystem
    {
        if (depositProcessed[depositNonce]) revert DepositAlreadyProcessed(depositNonce);
        depositProcessed[depositNonce] = true;
        (bool ok,) = to.call{value: amount, gas: DEPOSIT_CALL_GAS}(data);
        if (!ok && amount > 0) _forcePay(to, amount);
        emit NativeDepositFinalized(depositNonce, from, to, amount, ok);
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
    ) external nonReentrant onlySystem {
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
