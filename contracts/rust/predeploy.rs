//! L2 predeploys: contracts present in every domain's genesis at fixed addresses.
//!
//! Genesis installs each one by running its creation code (with the constructor arguments
//! below) and copying the resulting runtime code and storage to the fixed address; immutables
//! live in the code, so the constructor must run with the final addresses as arguments.

use alloy::sol_types::SolConstructor;
use alloy_primitives::{Address, Bytes, U256, address, uint};
use sec_primitives::{DomainId, GenesisAccount};

use crate::{
    ContractsError,
    bindings::{
        CrossDomain, Disputes, HomeDirectory, L2Bridge, L2TokenFactory, TradeEscrow, TrustIndex,
    },
    sandbox::{BlockContext, Sandbox},
};

/// `CrossDomain`: the BGC outbox (`send(dstDomain, to, data)` payable).
pub const CROSS_DOMAIN: Address = address!("0x5ec0000000000000000000000000000000000001");
/// `L2Bridge`: deposits (system calls) and `withdraw(token, l1Recipient, amount)`.
pub const L2_BRIDGE: Address = address!("0x5ec0000000000000000000000000000000000002");
/// `L2TokenFactory`: one `BridgedERC20` per L1 token at a CREATE2 address.
pub const L2_TOKEN_FACTORY: Address = address!("0x5ec0000000000000000000000000000000000003");
/// `TrustIndex`: per-account trust index (0..100, permanent ban) and relationship edges.
pub const TRUST_INDEX: Address = address!("0x5ec0000000000000000000000000000000000004");
/// `TradeEscrow`: escrowed offers (open, pay, ship, confirm or settle, refund, dispute).
pub const TRADE_ESCROW: Address = address!("0x5ec0000000000000000000000000000000000005");
/// `Disputes`: bonded judges, panels drawn with PREVRANDAO, votes and decisions.
pub const DISPUTES: Address = address!("0x5ec0000000000000000000000000000000000006");
/// `HomeDirectory`: account -> home domain, kept on the hub (domain 0), for routing payments.
pub const HOME_DIRECTORY: Address = address!("0x5ec0000000000000000000000000000000000007");
/// Native SEC that `L2Bridge` (for deposits) and `CrossDomain` (for delivered messages) each
/// hold at genesis in every domain (10^12 SEC, far above any supply L1 can lock): native SEC is
/// never minted outside the EVM. A domain's circulating supply is therefore its total balances
/// less what these two contracts hold (the reserves' remainder, and what sends locked).
pub const NATIVE_RESERVE: U256 = uint!(1_000_000_000_000_000_000_000_000_000_000_U256);

/// The chain-wide parameters the predeploys are built with (immutables in their code, so part
/// of every domain's genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainParams {
    /// Number of domains of the chain.
    pub domains: u32,
    /// The SEC token on Ethereum, which the L2 bridge credits as native SEC.
    pub l1_sec: Address,
    /// `TradeEscrow.minPeriod`: the shortest auto-confirm and ship period of an offer, in
    /// seconds. [`ChainParams::PUBLIC_TRADE_MIN_PERIOD`] (1 hour) unless a development chain
    /// wants trades to settle while one watches.
    pub trade_min_period: u32,
}

impl ChainParams {
    /// The trade minimum period of a public chain: 1 hour.
    pub const PUBLIC_TRADE_MIN_PERIOD: u32 = 3_600;

    /// A chain of `domains` domains over the SEC token `l1_sec`, with the public trade minimum.
    pub fn new(domains: u32, l1_sec: Address) -> Self {
        Self { domains, l1_sec, trade_min_period: Self::PUBLIC_TRADE_MIN_PERIOD }
    }
}

/// One predeploy: where it lives and the creation code (with constructor arguments) to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predeploy {
    /// Contract name.
    pub name: &'static str,
    /// Fixed address in every domain.
    pub address: Address,
    /// Creation bytecode followed by the ABI-encoded constructor arguments.
    pub init_code: Bytes,
}

/// The predeploys of domain `domain` of the chain `chain`.
pub fn predeploys(domain: DomainId, chain: &ChainParams) -> Vec<Predeploy> {
    let ChainParams { domains, l1_sec, trade_min_period } = *chain;
    vec![
        Predeploy {
            name: "CrossDomain",
            address: CROSS_DOMAIN,
            init_code: init_code(
                &CrossDomain::BYTECODE,
                CrossDomain::constructorCall {
                    domainId_: domain,
                    numDomains_: domains,
                    l2Bridge_: L2_BRIDGE,
                }
                .abi_encode(),
            ),
        },
        Predeploy {
            name: "L2Bridge",
            address: L2_BRIDGE,
            init_code: init_code(
                &L2Bridge::BYTECODE,
                L2Bridge::constructorCall {
                    crossDomain_: CROSS_DOMAIN,
                    factory_: L2_TOKEN_FACTORY,
                    l1Sec_: l1_sec,
                }
                .abi_encode(),
            ),
        },
        Predeploy {
            name: "L2TokenFactory",
            address: L2_TOKEN_FACTORY,
            init_code: init_code(
                &L2TokenFactory::BYTECODE,
                L2TokenFactory::constructorCall { bridge_: L2_BRIDGE }.abi_encode(),
            ),
        },
        Predeploy {
            name: "TrustIndex",
            address: TRUST_INDEX,
            init_code: init_code(
                &TrustIndex::BYTECODE,
                TrustIndex::constructorCall { escrow_: TRADE_ESCROW, disputes_: DISPUTES }
                    .abi_encode(),
            ),
        },
        Predeploy {
            name: "TradeEscrow",
            address: TRADE_ESCROW,
            init_code: init_code(
                &TradeEscrow::BYTECODE,
                TradeEscrow::constructorCall {
                    trust_: TRUST_INDEX,
                    disputes_: DISPUTES,
                    crossDomain_: CROSS_DOMAIN,
                    minPeriod_: trade_min_period,
                }
                .abi_encode(),
            ),
        },
        Predeploy {
            name: "Disputes",
            address: DISPUTES,
            init_code: init_code(
                &Disputes::BYTECODE,
                Disputes::constructorCall { escrow_: TRADE_ESCROW, trust_: TRUST_INDEX }
                    .abi_encode(),
            ),
        },
        Predeploy {
            name: "HomeDirectory",
            address: HOME_DIRECTORY,
            init_code: init_code(
                &HomeDirectory::BYTECODE,
                HomeDirectory::constructorCall { crossDomain_: CROSS_DOMAIN, numDomains_: domains }
                    .abi_encode(),
            ),
        },
    ]
}

/// Account that runs the predeploys' creation code in [`genesis_alloc`]; it exists only there.
const GENESIS_DEPLOYER: Address = address!("0x5ec000000000000000000000000000000000dead");

/// The genesis accounts of domain `domain`'s predeploys, ready for the genesis state: each
/// predeploy's creation code is executed (revm, Prague, block 0, timestamp 0) and the runtime
/// code and non-zero storage it leaves are placed at the predeploy's fixed address, with the
/// nonce (1, EIP-161) a real creation leaves and a zero balance, except `L2Bridge` and
/// `CrossDomain`, which hold the [`NATIVE_RESERVE`]. Sorted by address.
///
/// The creation runs at a temporary CREATE address and is then moved, so a constructor that
/// captured `address(this)` (in an immutable) would leave the wrong address in the code; that
/// is checked and refused rather than installed. The result is the same for every chain id:
/// no predeploy constructor reads `block.chainid` (constructors here see chain id 0), which
/// keeps genesis a function of the domain and the chain parameters only.
pub fn genesis_alloc(
    domain: DomainId,
    chain: &ChainParams,
) -> Result<Vec<(Address, GenesisAccount)>, ContractsError> {
    let mut sandbox = Sandbox::new(0);
    let mut alloc = Vec::new();
    for (nonce, p) in predeploys(domain, chain).into_iter().enumerate() {
        let block = BlockContext { number: 0, timestamp: 0 };
        let created = sandbox.create(p.name, GENESIS_DEPLOYER, nonce as u64, p.init_code, block)?;
        let mut account = sandbox.account(created);
        if p.address == L2_BRIDGE || p.address == CROSS_DOMAIN {
            account.balance = NATIVE_RESERVE;
        }
        if account.code.windows(20).any(|w| w == created.as_slice()) {
            return Err(ContractsError::AddressCaptured { name: p.name });
        }
        alloc.push((
            p.address,
            GenesisAccount {
                balance: account.balance,
                nonce: account.nonce,
                code: account.code,
                storage: account.storage,
            },
        ));
    }
    alloc.sort_by_key(|(address, _)| *address);
    Ok(alloc)
}

/// The L2 address of the bridged token for `l1_token` (address zero = ETH), as computed by
/// `L2TokenFactory.predictAddress`.
pub fn bridged_token_address(l1_token: Address) -> Address {
    let salt = l1_token.into_word();
    let code_hash =
        alloy_primitives::keccak256(&crate::bindings::bridged_erc20::BridgedERC20::BYTECODE);
    L2_TOKEN_FACTORY.create2(salt, code_hash)
}

pub(crate) fn init_code(bytecode: &Bytes, args: Vec<u8>) -> Bytes {
    let mut code = bytecode.to_vec();
    code.extend_from_slice(&args);
    code.into()
}
