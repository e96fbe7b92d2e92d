// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

interface ICrossDomainSender {
    function xDomainMessageSender() external view returns (address sender, uint32 srcDomain);
}

/// @title Home directory — L2 predeploy, kept on the hub (domain 0)
/// @notice Which domain an account lives in, so that a payment to it can be routed there (a
/// wallet reads `homeOf` on domain 0 and sends through `CrossDomain` when the recipient lives
/// elsewhere). An account sets its own entry: on the hub with `setHome(domain)`, or from the
/// domain it lives in by sending the hub a message that calls `setHomeFromMessage()`, which
/// makes that source domain its home (no gas on the hub needed).
contract HomeDirectory {
    struct Home {
        uint32 domain;
        bool set;
        uint64 since;
    }

    ICrossDomainSender public immutable crossDomain;
    uint32 public immutable numDomains;

    mapping(address => Home) private _homes;

    error UnknownDomain(uint32 domain);
    error NotCrossDomain(address caller);

    event HomeSet(address indexed account, uint32 indexed domain, bool byMessage);

    constructor(address crossDomain_, uint32 numDomains_) {
        crossDomain = ICrossDomainSender(crossDomain_);
        numDomains = numDomains_;
    }

    /// @notice Sets the caller's home domain.
    function setHome(uint32 domain) external {
        if (domain >= numDomains) revert UnknownDomain(domain);
        _set(msg.sender, domain, false);
    }

    /// @notice Called by a delivered cross-domain message: the message's sender lives in the
    /// domain it was sent from.
    function setHomeFromMessage() external {
        if (msg.sender != address(crossDomain)) revert NotCrossDomain(msg.sender);
        (address sender, uint32 src) = crossDomain.xDomainMessageSender();
        _set(sender, src, true);
    }

    /// @notice `account`'s home domain; `set` is false (and `domain` 0, the hub) until it chose.
    function homeOf(address account) external view returns (uint32 domain, bool set, uint64 since) {
        Home memory h = _homes[account];
        return (h.domain, h.set, h.since);
    }

    function _set(address account, uint32 domain, bool byMessage) private {
        _homes[account] = Home(domain, true, uint64(block.timestamp));
        emit HomeSet(account, domain, byMessage);
    }
}
