// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Cross-domain (BGC) message and withdrawal hashing
/// @notice One definition shared by the L2 outbox, the L2 bridge and the L1 bridge (and
/// mirrored byte for byte by `sec_primitives::message`).
///
/// `messageHash = keccak256(abi.encode(MESSAGE_TYPEHASH, srcDomain, nonce, sender, dstDomain,
///  to, value, keccak256(data)))`.
///
/// A withdrawal is the L1-bound message the L2 bridge sends: `sender` = the L2 bridge,
/// `dstDomain` = `L1_DOMAIN`, `to` = the L1 recipient, `value` = the amount for SEC (burned
/// native SEC) and 0 otherwise, `data = abi.encode(l1Token, amount, l2Sender)`. Its identity
/// hash is that message's hash, and the withdrawal Merkle tree's leaves are
/// `keccak256(messageHash)` (see `sec_primitives::merkle`).
library Messages {
    /// @notice Destination domain id of messages bound for Ethereum.
    uint32 internal constant L1_DOMAIN = type(uint32).max;

    bytes32 internal constant MESSAGE_TYPEHASH = keccak256(
        "Message(uint32 srcDomain,uint64 nonce,address sender,uint32 dstDomain,address to,uint256 value,bytes data)"
    );

    struct Withdrawal {
        uint32 srcDomain;
        uint64 nonce;
        address sender;
        address recipient;
        address l1Token;
        uint256 amount;
    }

    function messageHash(
        uint32 srcDomain,
        uint64 nonce,
        address sender,
        uint32 dstDomain,
        address to,
        uint256 value,
        bytes memory data
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(MESSAGE_TYPEHASH, srcDomain, nonce, sender, dstDomain, to, value, keccak256(data)));
    }

    function withdrawalData(address l1Token, uint256 amount, address l2Sender) internal pure returns (bytes memory) {
        return abi.encode(l1Token, amount, l2Sender);
    }

    /// @param l2Bridge the L2 bridge predeploy (the message's sender).
    /// @param isSec whether the withdrawal pays SEC (then the message carried `amount` as value).
    function withdrawalHash(Withdrawal memory w, address l2Bridge, bool isSec) internal pure returns (bytes32) {
        return messageHash(
            w.srcDomain,
            w.nonce,
            l2Bridge,
            L1_DOMAIN,
            w.recipient,
            isSec ? w.amount : 0,
            withdrawalData(w.l1Token, w.amount, w.sender)
        );
    }

    /// @notice Leaf of the withdrawal Merkle tree for a message hash. Hashing the 32-byte message
    /// hash once more makes leaves (32-byte preimages) distinct from inner nodes (64-byte
    /// preimages), so an inner node can never be presented as a withdrawal.
    function leaf(bytes32 msgHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(msgHash));
    }
}
