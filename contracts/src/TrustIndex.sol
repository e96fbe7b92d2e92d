// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Trust index and relationship edges — L2 predeploy
/// @notice Per account: a trust index in 0..100 and a permanent ban flag. An account that has
/// never completed a trade stands at 0 (not banned). A completed trade raises both parties by
/// one, but only when it starts or renews a lapsed relationship edge (buyer, seller): repeat
/// trades inside the convergence period do not raise it again, so two accounts cannot pump each
/// other by trading back and forth. A dispute decided against an account (fake goods for a
/// seller, a malicious complaint for a buyer) lowers it; reaching 0 that way bans the account
/// from trading forever. Only the escrow and the disputes predeploys may write. Rules and
/// numbers: contracts/TRADE.md.
contract TrustIndex {
    uint8 public constant MAX_INDEX = 100;
    /// @notice Lost by a seller when a fake-goods claim against them is upheld.
    uint8 public constant FAKE_GOODS_PENALTY = 20;
    /// @notice Lost by a buyer when their complaint is rejected as unfounded.
    uint8 public constant MALICIOUS_COMPLAINT_PENALTY = 10;
    /// @notice An edge stays live this long after its last completed trade.
    uint256 public constant CONVERGENCE_PERIOD = 30 days;

    address public immutable escrow;
    address public immutable disputes;

    struct Account {
        uint8 index;
        bool banned;
        uint32 completed;
        uint32 penalties;
    }

    struct Edge {
        uint40 lastTrade;
        uint32 count;
    }

    mapping(address => Account) internal accounts;
    /// @dev keyed by keccak256(buyer, seller)
    mapping(bytes32 => Edge) internal edges;

    error NotAuthorized(address caller);

    /// @notice Reasons in `IndexChanged`: 1 completed trade, 2 fake goods upheld, 3 malicious
    /// complaint.
    event IndexChanged(address indexed account, uint8 oldIndex, uint8 newIndex, uint8 reason);
    event AccountBanned(address indexed account);
    event EdgeRenewed(address indexed buyer, address indexed seller, uint32 count, bool wasLive);

    constructor(address escrow_, address disputes_) {
        escrow = escrow_;
        disputes = disputes_;
    }

    /// @notice Called by the escrow when a trade completes without an upheld dispute.
    function recordTrade(address buyer, address seller) external {
        if (msg.sender != escrow) revert NotAuthorized(msg.sender);
        bytes32 key = _edgeKey(buyer, seller);
        Edge memory e = edges[key];
        bool wasLive = e.lastTrade != 0 && block.timestamp < uint256(e.lastTrade) + CONVERGENCE_PERIOD;
        e.lastTrade = uint40(block.timestamp);
        e.count += 1;
        edges[key] = e;
        emit EdgeRenewed(buyer, seller, e.count, wasLive);
        _credit(buyer, !wasLive);
        _credit(seller, !wasLive);
    }

    /// @notice Called by the disputes contract when a dispute is decided against `account`:
    /// `fakeGoods` for an upheld claim against a seller, otherwise a rejected complaint.
    function recordLoss(address account, bool fakeGoods) external {
        if (msg.sender != disputes) revert NotAuthorized(msg.sender);
        Account memory a = accounts[account];
        a.penalties += 1;
        if (!a.banned) {
            uint8 penalty = fakeGoods ? FAKE_GOODS_PENALTY : MALICIOUS_COMPLAINT_PENALTY;
            uint8 old = a.index;
            a.index = old > penalty ? old - penalty : 0;
            emit IndexChanged(account, old, a.index, fakeGoods ? 2 : 3);
            if (a.index == 0) {
                a.banned = true;
                emit AccountBanned(account);
            }
        }
        accounts[account] = a;
    }

    function _credit(address account, bool raise) private {
        Account memory a = accounts[account];
        a.completed += 1;
        if (raise && !a.banned && a.index < MAX_INDEX) {
            emit IndexChanged(account, a.index, a.index + 1, 1);
            a.index += 1;
        }
        accounts[account] = a;
    }

    function _edgeKey(address buyer, address seller) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(buyer, seller));
    }

    /// @notice The trust index of `account` (0 for a newcomer or a banned account).
    function indexOf(address account) external view returns (uint8) {
        return accounts[account].index;
    }

    function isBanned(address account) external view returns (bool) {
        return accounts[account].banned;
    }

    /// @notice Everything about `account`: index, ban, completed trades, disputes lost.
    function accountOf(address account)
        external
        view
        returns (uint8 index, bool banned, uint32 completed, uint32 penalties)
    {
        Account memory a = accounts[account];
        return (a.index, a.banned, a.completed, a.penalties);
    }

    /// @notice The relationship edge (buyer, seller): live if its last completed trade is less
    /// than `CONVERGENCE_PERIOD` ago; `count` is every completed trade over it, ever.
    function edge(address buyer, address seller) external view returns (bool live, uint40 lastTrade, uint32 count) {
        Edge memory e = edges[_edgeKey(buyer, seller)];
        live = e.lastTrade != 0 && block.timestamp < uint256(e.lastTrade) + CONVERGENCE_PERIOD;
        return (live, e.lastTrade, e.count);
    }
}
