// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Messages} from "./Messages.sol";

/// @title Cross-domain (BGC) outbox — L2 predeploy
/// @notice `send` appends a message `(srcDomain, nonce, sender, dstDomain, to, value, data)` to
/// this domain's outbox: it emits `MessageSent` (the node collects these into the block's outbox
/// root) and records the message hash. The attached value is burned: it stays locked here
/// forever (there is no way out) and the destination's node mints it on delivery.
/// Nonces start at 1 and count every message this domain sends, whatever its destination.
/// Messages to Ethereum (`L1_DOMAIN`) may only come from the L2 bridge.
contract CrossDomain {
    uint32 public constant L1_DOMAIN = Messages.L1_DOMAIN;
    uint256 public constant MAX_MESSAGE_DATA = 32 * 1024;

    uint32 public immutable domainId;
    address public immutable l2Bridge;

    /// @notice Nonce of the last message sent.
    uint64 public nonce;
    /// @notice Native SEC burned by all messages sent from this domain.
    uint256 public totalBurned;
    mapping(bytes32 => bool) public sent;

    error SameDomain();
    error OnlyBridgeToL1();
    error ZeroAddress();
    error MessageDataTooLarge(uint256 length);

    event MessageSent(
        bytes32 indexed messageHash,
        uint64 indexed nonce,
        uint32 indexed dstDomain,
        address sender,
        address to,
        uint256 value,
        bytes data
    );

    constructor(uint32 domainId_, address l2Bridge_) {
        domainId = domainId_;
        l2Bridge = l2Bridge_;
    }

    function send(uint32 dstDomain, address to, bytes calldata data) external payable returns (bytes32 h) {
        if (dstDomain == domainId) revert SameDomain();
        if (dstDomain == L1_DOMAIN && msg.sender != l2Bridge) revert OnlyBridgeToL1();
        if (to == address(0)) revert ZeroAddress();
        if (data.length > MAX_MESSAGE_DATA) revert MessageDataTooLarge(data.length);
        uint64 n = ++nonce;
        totalBurned += msg.value;
        h = Messages.messageHash(domainId, n, msg.sender, dstDomain, to, msg.value, data);
        sent[h] = true;
        emit MessageSent(h, n, dstDomain, msg.sender, to, msg.value, data);
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
