// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

interface ITrustIndexWriter {
    function isBanned(address account) external view returns (bool);
    function recordLoss(address account, bool fakeGoods) external;
}

interface ITradeEscrow {
    function resolve(uint64 offerId, uint8 outcome) external;
}

/// @title Trade disputes decided by bonded judges — L2 predeploy
/// @notice Judges bond native SEC to be drawn. A buyer's dispute (opened through the escrow,
/// with the dispute fee) draws a panel of `PANEL_SIZE` judges from the bonded ones with
/// `block.prevrandao`, never the buyer or the seller. Judges vote within `VOTE_PERIOD`;
/// `decide` (anyone) applies the outcome once all have voted or the period is over:
/// `MAJORITY` votes to uphold refund the buyer and forfeit the seller's bond to them and cost
/// the seller trust; `MAJORITY` votes to reject pay the seller and cost the buyer trust;
/// otherwise the default applies: the claim is not proven, the seller is paid, nobody loses
/// trust. Absent judges lose `ABSENT_SLASH_BPS` of their bond; fee and slashed bond are split
/// among the judges who voted with the majority (every voter when there is none; the buyer
/// if nobody voted). Rules: contracts/TRADE.md.
contract Disputes is ReentrancyGuardTransient {
    uint256 public constant DISPUTE_FEE = 5 ether;
    uint256 public constant MIN_JUDGE_BOND = 1000 ether;
    uint256 public constant PANEL_SIZE = 5;
    uint256 public constant MAJORITY = 3;
    uint256 public constant VOTE_PERIOD = 3 days;
    uint256 public constant UNBOND_DELAY = 7 days;
    uint256 public constant ABSENT_SLASH_BPS = 1000;

    uint8 public constant OUTCOME_UPHELD = 1;
    uint8 public constant OUTCOME_REJECTED = 2;
    uint8 public constant OUTCOME_DEFAULT = 3;

    uint8 private constant ALL_SEATS = uint8((1 << PANEL_SIZE) - 1);

    enum Status {
        None,
        Voting,
        Decided
    }

    struct Judge {
        uint128 bond;
        uint32 activePanels;
        uint40 unbondAt;
        /// @dev position in `judgeList` plus one; zero when not drawable
        uint32 listSlot;
    }

    struct Dispute {
        address buyer;
        uint40 deadline;
        /// @dev bit i: seat i has voted / voted to uphold
        uint8 votedMask;
        uint8 upholdMask;
        Status status;
        uint8 outcome;
        address seller;
        uint64 offerId;
        address[PANEL_SIZE] panel;
    }

    address public immutable escrow;
    ITrustIndexWriter public immutable trust;

    uint64 public lastDisputeId;
    mapping(uint64 => Dispute) internal disputes;
    mapping(address => Judge) internal judges;
    /// @dev the drawable judges: bonded at least `MIN_JUDGE_BOND`, not unbonding
    address[] internal judgeList;
    /// @notice Judge rewards (and a buyer's fee when no judge voted), taken with `claim`.
    mapping(address => uint256) public claimable;

    error NotEscrow(address caller);
    error Banned(address account);
    error ZeroAmount();
    error BondTooLow(uint256 bond, uint256 minimum);
    error NotJudge(address account);
    error Unbonding(address account);
    error NotUnbonding(address account);
    error OnPanel(address account, uint32 panels);
    error TooEarly(uint256 readyAt);
    error WrongValue(uint256 value, uint256 expected);
    error NotEnoughJudges(uint256 available, uint256 needed);
    error UnknownDispute(uint64 disputeId);
    error AlreadyDecided(uint64 disputeId);
    error VotingClosed(uint256 deadline);
    error NotOnPanel(address account);
    error AlreadyVoted(address judge);
    error NothingToClaim();
    error TransferFailed();

    event JudgeBonded(address indexed judge, uint256 amount, uint256 bond);
    event UnbondRequested(address indexed judge, uint256 availableAt);
    event BondWithdrawn(address indexed judge, uint256 amount);
    event DisputeCreated(
        uint64 indexed disputeId,
        uint64 indexed offerId,
        address indexed buyer,
        address seller,
        address[PANEL_SIZE] panel,
        uint256 deadline
    );
    event Voted(uint64 indexed disputeId, address indexed judge, bool uphold);
    event Decided(uint64 indexed disputeId, uint64 indexed offerId, uint8 outcome, uint8 upholdVotes, uint8 rejectVotes);
    event JudgeRewarded(uint64 indexed disputeId, address indexed judge, uint256 amount);
    event JudgeSlashed(uint64 indexed disputeId, address indexed judge, uint256 amount);
    event FeeReturned(uint64 indexed disputeId, address indexed buyer, uint256 amount);
    event Claimed(address indexed account, uint256 amount);

    constructor(address escrow_, address trust_) {
        escrow = escrow_;
        trust = ITrustIndexWriter(trust_);
    }

    // ---------------------------------------------------------------- judges

    /// @notice Bonds (or tops up) native SEC as a judge; the total must reach `MIN_JUDGE_BOND`.
    function bond() external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (trust.isBanned(msg.sender)) revert Banned(msg.sender);
        Judge storage j = judges[msg.sender];
        if (j.unbondAt != 0) revert Unbonding(msg.sender);
        uint256 total = uint256(j.bond) + msg.value;
        if (total < MIN_JUDGE_BOND) revert BondTooLow(total, MIN_JUDGE_BOND);
        j.bond = uint128(total);
        if (j.listSlot == 0) {
            judgeList.push(msg.sender);
            j.listSlot = uint32(judgeList.length);
        }
        emit JudgeBonded(msg.sender, msg.value, total);
    }

    /// @notice Stops being drawn; the bond can be withdrawn `UNBOND_DELAY` later. Refused while
    /// the judge sits on an undecided panel.
    function requestUnbond() external {
        Judge storage j = judges[msg.sender];
        if (j.bond == 0) revert NotJudge(msg.sender);
        if (j.unbondAt != 0) revert Unbonding(msg.sender);
        if (j.activePanels != 0) revert OnPanel(msg.sender, j.activePanels);
        _unlist(j);
        uint256 availableAt = block.timestamp + UNBOND_DELAY;
        j.unbondAt = uint40(availableAt);
        emit UnbondRequested(msg.sender, availableAt);
    }

    function withdrawBond() external nonReentrant {
        Judge memory j = judges[msg.sender];
        if (j.unbondAt == 0) revert NotUnbonding(msg.sender);
        if (block.timestamp < j.unbondAt) revert TooEarly(j.unbondAt);
        delete judges[msg.sender];
        emit BondWithdrawn(msg.sender, j.bond);
        _send(msg.sender, j.bond);
    }

    // ---------------------------------------------------------------- disputes

    /// @notice Called by the escrow when a buyer disputes; the value is the dispute fee.
    function open(uint64 offerId, address buyer, address seller) external payable returns (uint64 disputeId) {
        if (msg.sender != escrow) revert NotEscrow(msg.sender);
        if (msg.value != DISPUTE_FEE) revert WrongValue(msg.value, DISPUTE_FEE);
        disputeId = ++lastDisputeId;
        address[PANEL_SIZE] memory panel = _draw(disputeId, buyer, seller);
        Dispute storage d = disputes[disputeId];
        d.buyer = buyer;
        d.seller = seller;
        d.offerId = offerId;
        d.status = Status.Voting;
        uint256 deadline = block.timestamp + VOTE_PERIOD;
        d.deadline = uint40(deadline);
        d.panel = panel;
        for (uint256 i = 0; i < PANEL_SIZE; i++) {
            judges[panel[i]].activePanels += 1;
        }
        emit DisputeCreated(disputeId, offerId, buyer, seller, panel, deadline);
    }

    /// @notice A panel judge votes once, before the deadline: `uphold` = the goods were fake.
    function vote(uint64 disputeId, bool uphold) external {
        Dispute storage d = _dispute(disputeId);
        if (d.status != Status.Voting) revert AlreadyDecided(disputeId);
        uint256 seat = _seat(d, msg.sender);
        if (block.timestamp >= d.deadline) revert VotingClosed(d.deadline);
        // a judge banned as a trader since being drawn no longer judges (and counts as absent)
        if (trust.isBanned(msg.sender)) revert Banned(msg.sender);
        uint8 bit = uint8(1 << seat);
        if (d.votedMask & bit != 0) revert AlreadyVoted(msg.sender);
        d.votedMask |= bit;
        if (uphold) d.upholdMask |= bit;
        emit Voted(disputeId, msg.sender, uphold);
    }

    /// @notice Anyone applies the decision once every seat voted or the deadline passed.
    function decide(uint64 disputeId) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        if (d.status != Status.Voting) revert AlreadyDecided(disputeId);
        uint8 voted = d.votedMask;
        if (voted != ALL_SEATS && block.timestamp < d.deadline) revert TooEarly(d.deadline);
        uint8 up = d.upholdMask;
        uint8 down = voted & ~up;
        uint8 ups = _popcount(up);
        uint8 downs = _popcount(down);
        uint8 outcome;
        uint8 winners;
        if (ups >= MAJORITY) {
            (outcome, winners) = (OUTCOME_UPHELD, up);
        } else if (downs >= MAJORITY) {
            (outcome, winners) = (OUTCOME_REJECTED, down);
        } else {
            (outcome, winners) = (OUTCOME_DEFAULT, voted);
        }
        d.status = Status.Decided;
        d.outcome = outcome;
        _payJudges(disputeId, d, voted, winners);
        emit Decided(disputeId, d.offerId, outcome, ups, downs);

        if (outcome == OUTCOME_UPHELD) trust.recordLoss(d.seller, true);
        else if (outcome == OUTCOME_REJECTED) trust.recordLoss(d.buyer, false);
        ITradeEscrow(escrow).resolve(d.offerId, outcome);
    }

    /// @notice Takes the rewards credited by `decide`.
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim();
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @dev Slashes the absent seats and splits fee plus slashes among the `winners` seats
    /// (the first of them takes the rounding remainder); no winner: all to the buyer.
    function _payJudges(uint64 disputeId, Dispute storage d, uint8 voted, uint8 winners) private {
        uint256 pot = DISPUTE_FEE;
        for (uint256 i = 0; i < PANEL_SIZE; i++) {
            address a = d.panel[i];
            Judge storage j = judges[a];
            j.activePanels -= 1;
            if (voted & (1 << i) == 0) {
                uint256 slash = uint256(j.bond) * ABSENT_SLASH_BPS / 10000;
                j.bond -= uint128(slash);
                pot += slash;
                emit JudgeSlashed(disputeId, a, slash);
                if (j.bond < MIN_JUDGE_BOND) _unlist(j);
            }
        }
        uint256 count = _popcount(winners);
        if (count == 0) {
            claimable[d.buyer] += pot;
            emit FeeReturned(disputeId, d.buyer, pot);
            return;
        }
        uint256 share = pot / count;
        uint256 dust = pot - share * count;
        for (uint256 i = 0; i < PANEL_SIZE; i++) {
            if (winners & (1 << i) == 0) continue;
            address a = d.panel[i];
            claimable[a] += share + dust;
            emit JudgeRewarded(disputeId, a, share + dust);
            dust = 0;
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice A judge's bond, undecided panels, unbonding time (0: none) and whether drawable.
    function judgeOf(address account)
        external
        view
        returns (uint256 bonded, uint32 activePanels, uint40 unbondAt, bool drawable)
    {
        Judge memory j = judges[account];
        return (j.bond, j.activePanels, j.unbondAt, j.listSlot != 0);
    }

    function judgeCount() external view returns (uint256) {
        return judgeList.length;
    }

    function disputeOf(uint64 disputeId) external view returns (Dispute memory) {
        return disputes[disputeId];
    }

    /// @notice 0: not on the panel or not voted; 1: voted to uphold; 2: voted to reject.
    function voteOf(uint64 disputeId, address judge) external view returns (uint8) {
        Dispute storage d = disputes[disputeId];
        for (uint256 i = 0; i < PANEL_SIZE; i++) {
            if (d.panel[i] == judge) {
                uint8 bit = uint8(1 << i);
                if (d.votedMask & bit == 0) return 0;
                return d.upholdMask & bit != 0 ? 1 : 2;
            }
        }
        return 0;
    }

    // ---------------------------------------------------------------- internal

    function _dispute(uint64 disputeId) private view returns (Dispute storage d) {
        d = disputes[disputeId];
        if (d.status == Status.None) revert UnknownDispute(disputeId);
    }

    function _seat(Dispute storage d, address judge) private view returns (uint256) {
        for (uint256 i = 0; i < PANEL_SIZE; i++) {
            if (d.panel[i] == judge) return i;
        }
        revert NotOnPanel(judge);
    }

    /// @dev Draws `PANEL_SIZE` distinct drawable judges other than the parties: a partial
    /// Fisher-Yates shuffle of `judgeList` seeded by PREVRANDAO and the dispute id, its swaps
    /// kept in memory (at most `PANEL_SIZE + 2` steps, as only the two parties are skipped).
    function _draw(uint64 disputeId, address buyer, address seller)
        private
        view
        returns (address[PANEL_SIZE] memory panel)
    {
        uint256 n = judgeList.length;
        uint256[PANEL_SIZE + 2] memory keys;
        address[PANEL_SIZE + 2] memory vals;
        uint256 used;
        uint256 picked;
        bytes32 seed = keccak256(abi.encode(block.prevrandao, disputeId));
        for (uint256 i = 0; i < n && picked < PANEL_SIZE; i++) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (n - i);
            address drawn = _at(j, keys, vals, used);
            address displaced = _at(i, keys, vals, used);
            // position i is never read again; position j now holds what was at i
            bool found;
            for (uint256 k = 0; k < used; k++) {
                if (keys[k] == j) {
                    vals[k] = displaced;
                    found = true;
                    break;
                }
            }
            if (!found) {
                keys[used] = j;
                vals[used] = displaced;
                used++;
            }
            if (drawn == buyer || drawn == seller) continue;
            panel[picked++] = drawn;
        }
        if (picked < PANEL_SIZE) revert NotEnoughJudges(n, PANEL_SIZE);
    }

    function _at(uint256 pos, uint256[PANEL_SIZE + 2] memory keys, address[PANEL_SIZE + 2] memory vals, uint256 used)
        private
        view
        returns (address)
    {
        for (uint256 k = 0; k < used; k++) {
            if (keys[k] == pos) return vals[k];
        }
        return judgeList[pos];
    }

    function _unlist(Judge storage j) private {
        uint256 slot = j.listSlot;
        if (slot == 0) return;
        address last = judgeList[judgeList.length - 1];
        judgeList[slot - 1] = last;
        judges[last].listSlot = uint32(slot);
        judgeList.pop();
        j.listSlot = 0;
    }

    function _popcount(uint8 x) private pure returns (uint8 c) {
        while (x != 0) {
            c += x & 1;
            x >>= 1;
        }
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
