// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Messages} from "./Messages.sol";
import {SystemCall} from "./SystemCall.sol";

/// @title Cross-domain (BGC) outbox and inbox — L2 predeploy
/// @notice `send` appends a message `(srcDomain, nonce, sender, dstDomain, to, value, data)` to
/// this domain's outbox: it emits `MessageSent` (the node collects these into the block's outbox
/// root) and records the message hash. The attached value is burned: it stays locked here
/// forever (there is no way out) and the destination pays it out of its own reserve on delivery.
/// Nonces start at 1 and count every message this domain sends, whatever its destination.
/// Messages to Ethereum (`L1_DOMAIN`) may only come from the L2 bridge.
///
/// `deliver` is the inbox: a system transaction of the destination's producer, once the source
/// block is final, in nonce order per source. It pays the value out of this contract's balance
/// (the native reserve placed here at genesis, as the L2 bridge holds one for deposits) and calls
/// `to` with `data`; during that call `xDomainMessageSender()` names the sender and its domain.
/// A reverted call still credits the value (without running the recipient's code) and leaves the
/// message failed, replayable by anyone with `replay`.
contract CrossDomain is ReentrancyGuard, SystemCall {
    uint32 public constant L1_DOMAIN = Messages.L1_DOMAIN;
    uint256 public constant MAX_MESSAGE_DATA = 32 * 1024;
    /// @notice Gas the recipient's call of a delivered message may use; `replay` forwards all.
    uint256 public constant DELIVERY_CALL_GAS = 1_000_000;

    uint32 public immutable domainId;
    /// @notice Number of domains of the chain: messages go to `0..numDomains` or to Ethereum.
    uint32 public immutable numDomains;
    address public immutable l2Bridge;

    /// @notice Nonce of the last message sent.
    uint64 public nonce;
    /// @notice Native SEC burned by all messages sent from this domain.
    uint256 public totalBurned;
    mapping(bytes32 => bool) public sent;

    /// @notice Per source domain, the nonce of the last message delivered here.
    mapping(uint32 => uint64) public delivered;
    /// @notice Messages delivered here, by hash.
    mapping(bytes32 => bool) public received;
    /// @notice Delivered messages whose call reverted (value credited), until a replay succeeds.
    mapping(bytes32 => bool) public failed;

    address private _xSender = address(1);
    uint32 private _xSrcDomain;

    error SameDomain();
    error UnknownDomain(uint32 domain);
    error OnlyBridgeToL1();
    error ZeroAddress();
    error MessageDataTooLarge(uint256 length);
    error AlreadyDelivered(bytes32 messageHash);
    error OutOfOrder(uint32 srcDomain, uint64 lastDelivered, uint64 nonce);
    error NotFailed(bytes32 messageHash);
    error NotInDelivery();

    event MessageSent(
        bytes32 indexed messageHash,
        uint64 indexed nonce,
        uint32 indexed dstDomain,
        address sender,
        address to,
        uint256 value,
        bytes data
    );
    /// @notice A message from `srcDomain` was delivered; `success` is false when the call to
    /// `to` reverted (its value was credited anyway, and the message can be replayed).
    event MessageDelivered(bytes32 indexed messageHash, uint32 indexed srcDomain, uint64 indexed nonce, bool success);
    /// @notice A failed message's call was run again.
    event MessageReplayed(bytes32 indexed messageHash, address indexed by, bool success);

    constructor(uint32 domainId_, uint32 numDomains_, address l2Bridge_) {
        domainId = domainId_;
        numDomains = numDomains_;
        l2Bridge = l2Bridge_;
    }

    function send(uint32 dstDomain, address to, bytes calldata data) external payable returns (bytes32 h) {
        if (dstDomain == domainId) revert SameDomain();
        if (dstDomain == L1_DOMAIN) {
            if (msg.sender != l2Bridge) revert OnlyBridgeToL1();
        } else if (dstDomain >= numDomains) {
            revert UnknownDomain(dstDomain);
        }
        if (to == address(0)) revert ZeroAddress();
        if (data.length > MAX_MESSAGE_DATA) revert MessageDataTooLarge(data.length);
        uint64 n = ++nonce;
        totalBurned += msg.value;
        h = Messages.messageHash(domainId, n, msg.sender, dstDomain, to, msg.value, data);
        sent[h] = true;
        emit MessageSent(h, n, dstDomain, msg.sender, to, msg.value, data);
    }

    /// @notice Delivers a message sent to this domain by `srcDomain`: exactly once, and after
    /// every earlier message of that source to this domain.
    function deliver(uint32 srcDomain, uint64 nonce_, address sender, address to, uint256 value, bytes calldata data)
        external
        nonReentrant
        onlySystem
    {
        if (srcDomain == domainId || srcDomain >= numDomains) revert UnknownDomain(srcDomain);
        bytes32 h = Messages.messageHash(srcDomain, nonce_, sender, domainId, to, value, data);
        if (received[h]) revert AlreadyDelivered(h);
        uint64 last = delivered[srcDomain];
        if (nonce_ <= last) revert OutOfOrder(srcDomain, last, nonce_);
        delivered[srcDomain] = nonce_;
        received[h] = true;
        bool ok = _call(srcDomain, sender, to, value, data, DELIVERY_CALL_GAS);
        if (!ok) {
            if (value > 0) _forcePay(to, value);
            failed[h] = true;
        }
        emit MessageDelivered(h, srcDomain, nonce_, ok);
    }

    /// @notice Runs a failed message's call again (without value: it was credited on delivery),
    /// with all the gas given. Anyone may; it succeeds at most once.
    function replay(uint32 srcDomain, uint64 nonce_, address sender, address to, uint256 value, bytes calldata data)
        external
        nonReentrant
        returns (bool ok)
    {
        bytes32 h = Messages.messageHash(srcDomain, nonce_, sender, domainId, to, value, data);
        if (!failed[h]) revert NotFailed(h);
        ok = _call(srcDomain, sender, to, 0, data, gasleft() - 40_000);
        if (ok) failed[h] = false;
        emit MessageReplayed(h, msg.sender, ok);
    }

    /// @notice Inside a delivered (or replayed) message's call: who sent it, from which domain.
    function xDomainMessageSender() external view returns (address sender, uint32 srcDomain) {
        if (_xSender == address(1)) revert NotInDelivery();
        return (_xSender, _xSrcDomain);
    }

    function _call(uint32 srcDomain, address sender, address to, uint256 value, bytes calldata data, uint256 gas)
        private
        returns (bool ok)
    {
        (_xSender, _xSrcDomain) = (sender, srcDomain);
        (ok,) = to.call{value: value, gas: gas}(data);
        (_xSender, _xSrcDomain) = (address(1), 0);
    }

    /// @notice The hash `send` would give a message (for off-chain tools and tests).
    function hashMessage(
        uint32 srcDomain,
        uint64 nonce_,
        address sender,
        uint32 dstDomain,
        address to,
        uint256 value,
        bytes calldata data
    ) external pure returns (bytes32) {
        return Messages.messageHash(srcDomain, nonce_, sender, dstDomain, to, value, data);
    }
}
