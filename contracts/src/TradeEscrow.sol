// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

interface ITrustIndex {
    function indexOf(address account) external view returns (uint8);
    function isBanned(address account) external view returns (bool);
    function recordTrade(address buyer, address seller) external;
}

interface IDisputes {
    function open(uint64 offerId, address buyer, address seller) external payable returns (uint64);
}

interface ICrossDomain {
    function send(uint32 dstDomain, address to, bytes calldata data) external payable returns (bytes32);
    function xDomainMessageSender() external view returns (address sender, uint32 srcDomain);
}

/// @title Trade escrow — L2 predeploy
/// @notice A seller opens an offer (price in native SEC or an ERC-20, a description hash, an
/// auto-confirm period) and posts a bond in the price's token that falls as their trust index
/// rises; a buyer pays the price into it; the seller marks it shipped; the buyer confirms, or
/// anyone settles it once the auto-confirm period since shipping has passed, and the seller
/// receives price and bond. Before that the buyer may dispute it (the `Disputes` predeploy
/// decides), or extend the period once (late delivery). Escape hatches: the seller cancels an
/// unpaid offer (bond back), the seller refunds a paid one, anyone refunds the buyer once the
/// ship deadline passed unshipped.
/// Payouts are pushed; one that fails (a recipient that refuses it) is kept for that account
/// to `withdraw`, so no counterparty can block a settlement.
///
/// Every step may also come from another domain, as a `CrossDomain` message whose sender acts
/// (a buyer paying from home). Such a step runs as a self-call that may fail without failing
/// the delivery: a refused step sends the value it carried back to the sender's domain, so a
/// payment into an offer that is gone is never stranded here. Rules: contracts/TRADE.md.
contract TradeEscrow is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint32 public constant DEFAULT_AUTO_CONFIRM = 7 days;
    uint32 public constant DEFAULT_SHIP_PERIOD = 14 days;
    uint32 public constant MAX_PERIOD = 90 days;
    /// @notice Bond in basis points of the price: `BOND_BASE_BPS - BOND_STEP_BPS * index`,
    /// 50% for a newcomer down to 10% at index 100.
    uint256 public constant BOND_BASE_BPS = 5000;
    uint256 public constant BOND_STEP_BPS = 40;

    enum State {
        None,
        Open,
        Paid,
        Shipped,
        Disputed,
        Completed,
        Cancelled,
        Refunded,
        Upheld,
        Rejected,
        Defaulted
    }

    /// @notice Dispute outcomes reported by `Disputes.decide`.
    uint8 public constant OUTCOME_UPHELD = 1;
    uint8 public constant OUTCOME_REJECTED = 2;
    uint8 public constant OUTCOME_DEFAULT = 3;

    struct Offer {
        // slot 0
        address seller;
        State state;
        uint32 autoConfirmPeriod;
        uint32 shipPeriod;
        uint16 bondBps;
        /// @dev the buyer has used their one extension of the auto-confirm period
        bool extended;
        // slot 1: the designated buyer (zero: anyone) until paid, then the buyer
        address buyer;
        uint40 paidAt;
        uint40 shippedAt;
        // slot 2
        address token;
        uint64 disputeId;
        // slot 3
        uint128 price;
        uint128 bond;
        // slot 4
        bytes32 descriptionHash;
    }

    /// @notice Gas kept back from a relayed step so that returning its value always fits.
    uint256 public constant RELAY_RESERVE = 100_000;

    ITrustIndex public immutable trust;
    address public immutable disputes;
    ICrossDomain public immutable crossDomain;
    /// @notice Shortest auto-confirm and ship period, a chain parameter: 1 hour on a public
    /// chain, shorter on a development chain so a trade settles while one watches.
    uint32 public immutable minPeriod;

    /// @dev Set while a step that came from another domain runs as a self-call.
    bool private transient _relaying;

    uint64 public lastOfferId;
    mapping(uint64 => Offer) internal offers;
    /// @notice Payouts that could not be pushed: account => token (zero: SEC) => amount.
    mapping(address => mapping(address => uint256)) public owed;

    error Banned(address account);
    error ZeroPrice();
    error PriceTooLarge();
    error BadPeriod(uint256 period, uint256 min, uint256 max);
    error NotAToken(address token);
    error UnsupportedToken(address token);
    error WrongValue(uint256 value, uint256 expected);
    error UnknownOffer(uint64 offerId);
    error WrongState(uint64 offerId, State state);
    error NotSeller(address caller);
    error NotBuyer(address caller);
    error NotParty(address caller);
    error NotDesignatedBuyer(address caller, address buyer);
    error OwnOffer();
    error ShipDeadlinePassed(uint256 deadline);
    error TooEarly(uint256 readyAt);
    error DisputeWindowClosed(uint256 closedAt);
    error NotDisputes(address caller);
    error BadOutcome(uint8 outcome);
    error NothingOwed();
    error AlreadyExtended(uint64 offerId);
    error TransferFailed();

    event OfferOpened(
        uint64 indexed offerId,
        address indexed seller,
        address indexed token,
        uint256 price,
        uint256 bond,
        bytes32 descriptionHash,
        address designatedBuyer,
        uint32 autoConfirmPeriod,
        uint32 shipPeriod
    );
    event OfferCancelled(uint64 indexed offerId);
    event OfferPaid(uint64 indexed offerId, address indexed buyer, uint256 price);
    event OfferShipped(uint64 indexed offerId, bytes32 trackingHash);
    event ConfirmationExtended(uint64 indexed offerId, uint256 settlesAt);
    /// @notice `bySettle`: settled by anyone after the auto-confirm period, not confirmed.
    event TradeCompleted(uint64 indexed offerId, address indexed buyer, address indexed seller, bool bySettle);
    event TradeRefunded(uint64 indexed offerId, address indexed buyer, bool bySeller);
    event DisputeOpened(uint64 indexed offerId, uint64 indexed disputeId, bytes32 evidenceHash);
    event Evidence(uint64 indexed offerId, address indexed party, bytes32 evidenceHash);
    event DisputeResolved(uint64 indexed offerId, uint8 outcome, address indexed paidTo, uint256 amount);
    event PayoutDeferred(address indexed to, address indexed token, uint256 amount);
    event Withdrawn(address indexed to, address indexed token, uint256 amount);
    /// @notice A step sent from domain `srcDomain` by `sender` was refused with `reason` (the
    /// step's own error); the `value` it carried went back to the sender there.
    event RelayRefused(
        address indexed sender, uint32 indexed srcDomain, bytes4 indexed selector, uint256 value, bytes reason
    );

    constructor(address trust_, address disputes_, address crossDomain_, uint32 minPeriod_) {
        if (minPeriod_ == 0 || minPeriod_ > DEFAULT_AUTO_CONFIRM) revert BadPeriod(minPeriod_, 1, DEFAULT_AUTO_CONFIRM);
        trust = ITrustIndex(trust_);
        disputes = disputes_;
        crossDomain = ICrossDomain(crossDomain_);
        minPeriod = minPeriod_;
    }

    /// @dev A step delivered from another domain (a call from `CrossDomain`) runs again as a
    /// self-call (`_relay`), where `_actor()` is the message's sender; it never reverts the
    /// delivery, so value is never left here by a refused step.
    modifier relayable() {
        if (msg.sender == address(crossDomain) && !_relaying) {
            _relay();
            return;
        }
        _;
    }

    // ---------------------------------------------------------------- seller

    /// @notice Opens an offer. `token` zero prices it in native SEC (send the bond as value);
    /// otherwise the bond is pulled in `token` (approve it first). Periods of zero take the
    /// defaults. `designatedBuyer` zero lets anyone pay.
    function open(
        address token,
        uint256 price,
        bytes32 descriptionHash,
        uint32 autoConfirmPeriod,
        uint32 shipPeriod,
        address designatedBuyer
    ) external payable relayable nonReentrant returns (uint64 offerId) {
        address me = _actor();
        if (trust.isBanned(me)) revert Banned(me);
        if (price == 0) revert ZeroPrice();
        if (price > type(uint128).max) revert PriceTooLarge();
        if (autoConfirmPeriod == 0) autoConfirmPeriod = DEFAULT_AUTO_CONFIRM;
        if (shipPeriod == 0) shipPeriod = DEFAULT_SHIP_PERIOD;
        _checkPeriod(autoConfirmPeriod);
        _checkPeriod(shipPeriod);
        if (designatedBuyer == me) revert OwnOffer();
        uint16 bps = uint16(bondBps(trust.indexOf(me)));
        uint256 bond = (price * bps + 9999) / 10000;

        offerId = ++lastOfferId;
        offers[offerId] = Offer({
            seller: me,
            state: State.Open,
            autoConfirmPeriod: autoConfirmPeriod,
            shipPeriod: shipPeriod,
            bondBps: bps,
            extended: false,
            buyer: designatedBuyer,
            paidAt: 0,
            shippedAt: 0,
            token: token,
            disputeId: 0,
            price: uint128(price),
            bond: uint128(bond),
            descriptionHash: descriptionHash
        });
        emit OfferOpened(
            offerId, me, token, price, bond, descriptionHash, designatedBuyer, autoConfirmPeriod, shipPeriod
        );
        _collect(token, me, bond);
    }

    /// @notice The seller withdraws an unpaid offer and takes the bond back.
    function cancel(uint64 offerId) external relayable nonReentrant {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.seller) revert NotSeller(me);
        if (o.state != State.Open) revert WrongState(offerId, o.state);
        o.state = State.Cancelled;
        emit OfferCancelled(offerId);
        _pay(o.token, o.seller, o.bond);
    }

    /// @notice The seller marks a paid offer shipped (before the ship deadline); the
    /// auto-confirm period starts now.
    function ship(uint64 offerId, bytes32 trackingHash) external relayable {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.seller) revert NotSeller(me);
        if (o.state != State.Paid) revert WrongState(offerId, o.state);
        uint256 deadline = uint256(o.paidAt) + o.shipPeriod;
        if (block.timestamp >= deadline) revert ShipDeadlinePassed(deadline);
        o.state = State.Shipped;
        o.shippedAt = uint40(block.timestamp);
        emit OfferShipped(offerId, trackingHash);
    }

    // ---------------------------------------------------------------- buyer

    /// @notice Pays the price into the offer (native: as value; ERC-20: pulled, approve first).
    function pay(uint64 offerId) external payable relayable nonReentrant {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (o.state != State.Open) revert WrongState(offerId, o.state);
        if (me == o.seller) revert OwnOffer();
        address designated = o.buyer;
        if (designated != address(0) && designated != me) revert NotDesignatedBuyer(me, designated);
        if (trust.isBanned(me)) revert Banned(me);
        o.state = State.Paid;
        o.buyer = me;
        o.paidAt = uint40(block.timestamp);
        emit OfferPaid(offerId, me, o.price);
        _collect(o.token, me, o.price);
    }

    /// @notice The buyer confirms receipt (also before shipping is marked: a hand-over in
    /// person): the seller receives price and bond.
    function confirm(uint64 offerId) external relayable nonReentrant {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.buyer) revert NotBuyer(me);
        if (o.state != State.Paid && o.state != State.Shipped) revert WrongState(offerId, o.state);
        _complete(offerId, o, false);
    }

    /// @notice Anyone completes a shipped trade once its auto-confirm period has passed.
    function settle(uint64 offerId) external relayable nonReentrant {
        Offer storage o = _offer(offerId);
        if (o.state != State.Shipped) revert WrongState(offerId, o.state);
        uint256 readyAt = _readyAt(o);
        if (block.timestamp < readyAt) revert TooEarly(readyAt);
        _complete(offerId, o, true);
    }

    /// @notice Refunds the buyer: by the seller while paid or shipped, or by anyone once the
    /// ship deadline passed without shipping. The seller's bond returns to the seller.
    function refund(uint64 offerId) external relayable nonReentrant {
        address me = _actor();
        Offer storage o = _offer(offerId);
        bool bySeller = me == o.seller;
        if (bySeller) {
            if (o.state != State.Paid && o.state != State.Shipped) revert WrongState(offerId, o.state);
        } else {
            if (o.state != State.Paid) revert WrongState(offerId, o.state);
            uint256 deadline = uint256(o.paidAt) + o.shipPeriod;
            if (block.timestamp < deadline) revert TooEarly(deadline);
        }
        o.state = State.Refunded;
        emit TradeRefunded(offerId, o.buyer, bySeller);
        _pay(o.token, o.buyer, o.price);
        _pay(o.token, o.seller, o.bond);
    }

    /// @notice The buyer disputes a shipped trade within its auto-confirm period, paying the
    /// dispute fee (native SEC, `Disputes.DISPUTE_FEE`) that pays the judges.
    function dispute(uint64 offerId, bytes32 evidenceHash) external payable relayable nonReentrant returns (uint64 disputeId) {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.buyer) revert NotBuyer(me);
        if (o.state != State.Shipped) revert WrongState(offerId, o.state);
        uint256 closesAt = _readyAt(o);
        if (block.timestamp >= closesAt) revert DisputeWindowClosed(closesAt);
        o.state = State.Disputed;
        disputeId = IDisputes(disputes).open{value: msg.value}(offerId, o.buyer, o.seller);
        o.disputeId = disputeId;
        emit DisputeOpened(offerId, disputeId, evidenceHash);
    }

    /// @notice The buyer extends a shipped trade's auto-confirm period once, by the period
    /// again (goods late in the post): settlement and the dispute window move with it.
    function extend(uint64 offerId) external relayable {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.buyer) revert NotBuyer(me);
        if (o.state != State.Shipped) revert WrongState(offerId, o.state);
        if (o.extended) revert AlreadyExtended(offerId);
        uint256 readyAt = _readyAt(o);
        if (block.timestamp >= readyAt) revert DisputeWindowClosed(readyAt);
        o.extended = true;
        emit ConfirmationExtended(offerId, _readyAt(o));
    }

    /// @notice Buyer or seller publishes evidence (a hash of off-chain material) for the judges.
    function submitEvidence(uint64 offerId, bytes32 evidenceHash) external relayable {
        address me = _actor();
        Offer storage o = _offer(offerId);
        if (me != o.buyer && me != o.seller) revert NotParty(me);
        if (o.state != State.Disputed) revert WrongState(offerId, o.state);
        emit Evidence(offerId, me, evidenceHash);
    }

    // ---------------------------------------------------------------- disputes

    /// @notice Applies a decided dispute: upheld pays the buyer price and bond; rejected or no
    /// majority pays the seller price and bond.
    function resolve(uint64 offerId, uint8 outcome) external nonReentrant {
        if (msg.sender != disputes) revert NotDisputes(msg.sender);
        Offer storage o = _offer(offerId);
        if (o.state != State.Disputed) revert WrongState(offerId, o.state);
        address to;
        if (outcome == OUTCOME_UPHELD) {
            o.state = State.Upheld;
            to = o.buyer;
        } else if (outcome == OUTCOME_REJECTED) {
            o.state = State.Rejected;
            to = o.seller;
        } else if (outcome == OUTCOME_DEFAULT) {
            o.state = State.Defaulted;
            to = o.seller;
        } else {
            revert BadOutcome(outcome);
        }
        uint256 amount = uint256(o.price) + o.bond;
        emit DisputeResolved(offerId, outcome, to, amount);
        _pay(o.token, to, amount);
    }

    // ---------------------------------------------------------------- payouts

    /// @notice Takes a payout that could not be pushed earlier.
    function withdraw(address token) external relayable nonReentrant {
        address me = _actor();
        uint256 amount = owed[me][token];
        if (amount == 0) revert NothingOwed();
        owed[me][token] = 0;
        emit Withdrawn(me, token, amount);
        if (token == address(0)) {
            (bool ok,) = me.call{value: amount}("");
            if (!ok) revert TransferFailed();
        } else {
            IERC20(token).safeTransfer(me, amount);
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice Bond in basis points of the price for a seller with trust index `index`.
    function bondBps(uint8 index) public pure returns (uint256) {
        uint256 i = index > 100 ? 100 : index;
        return BOND_BASE_BPS - BOND_STEP_BPS * i;
    }

    /// @notice The bond `seller` would post for an offer at `price` now.
    function bondFor(address seller, uint256 price) external view returns (uint256) {
        return (price * bondBps(trust.indexOf(seller)) + 9999) / 10000;
    }

    function offer(uint64 offerId) external view returns (Offer memory) {
        return offers[offerId];
    }

    // ---------------------------------------------------------------- internal

    /// @dev Runs the delivered step (this call's data and value) as a self-call marked as
    /// relayed. If it fails, the value goes back to the sender's domain by a message and the
    /// refusal is logged; the delivery itself succeeds either way. Gas is held back for that.
    function _relay() private {
        (address sender, uint32 srcDomain) = crossDomain.xDomainMessageSender();
        uint256 gas = gasleft();
        bool ok;
        bytes memory reason;
        if (gas > RELAY_RESERVE) {
            _relaying = true;
            (ok, reason) = address(this).delegatecall{gas: gas - RELAY_RESERVE}(msg.data);
            _relaying = false;
        }
        if (!ok) {
            if (msg.value > 0) crossDomain.send{value: msg.value}(srcDomain, sender, "");
            emit RelayRefused(sender, srcDomain, msg.sig, msg.value, reason);
        }
    }

    /// @dev Who takes the step: the caller, or the sender of the message being delivered.
    function _actor() private view returns (address) {
        if (msg.sender != address(crossDomain)) return msg.sender;
        (address sender,) = crossDomain.xDomainMessageSender();
        return sender;
    }

    function _checkPeriod(uint32 period) private view {
        if (period < minPeriod || period > MAX_PERIOD) revert BadPeriod(period, minPeriod, MAX_PERIOD);
    }

    function _offer(uint64 offerId) private view returns (Offer storage o) {
        o = offers[offerId];
        if (o.state == State.None) revert UnknownOffer(offerId);
    }

    /// @dev When a shipped offer settles by itself (and the buyer's dispute window closes).
    function _readyAt(Offer storage o) private view returns (uint256) {
        uint256 period = o.autoConfirmPeriod;
        return uint256(o.shippedAt) + (o.extended ? 2 * period : period);
    }

    function _complete(uint64 offerId, Offer storage o, bool bySettle) private {
        o.state = State.Completed;
        address buyer = o.buyer;
        address seller = o.seller;
        emit TradeCompleted(offerId, buyer, seller, bySettle);
        trust.recordTrade(buyer, seller);
        _pay(o.token, seller, uint256(o.price) + o.bond);
    }

    /// @dev Takes exactly `amount` from `from`: native as `msg.value`, ERC-20 pulled (a token
    /// that delivers less, e.g. fee-on-transfer, is refused: the escrow would be short).
    function _collect(address token, address from, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(msg.value, amount);
            return;
        }
        if (msg.value != 0) revert WrongValue(msg.value, 0);
        if (token.code.length == 0) revert NotAToken(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        if (IERC20(token).balanceOf(address(this)) - before != amount) revert UnsupportedToken(token);
    }

    /// @dev Pushes a payout; if the recipient refuses it, keeps it in `owed` for `withdraw`.
    function _pay(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (token == address(0)) {
            (ok,) = to.call{value: amount}("");
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            owed[to][token] += amount;
            emit PayoutDeferred(to, token, amount);
        }
    }
}
