// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Messages} from "../Messages.sol";

/// @notice Exposes the on-chain hashing so tests compare it with the Rust implementation.
contract HashHarness {
    function messageHash(
        uint32 srcDomain,
        uint64 nonce,
        address sender,
        uint32 dstDomain,
        address to,
        uint256 value,
        bytes calldata data
    ) external pure returns (bytes32) {
        return Messages.messageHash(srcDomain, nonce, sender, dstDomain, to, value, data);
    }

    function withdrawalHash(Messages.Withdrawal calldata w, address l2Bridge, bool isSec)
        external
        pure
        returns (bytes32)
    {
        return Messages.withdrawalHash(w, l2Bridge, isSec);
    }

    function leaf(bytes32 msgHash) external pure returns (bytes32) {
        return Messages.leaf(msgHash);
    }

    function processProof(bytes32[] calldata proof, bytes32 leafHash) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leafHash);
    }
}
