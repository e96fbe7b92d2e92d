//! The deployment plan of the Ethereum side: token, vesting vaults, presale, reserves, merchant
//! issuance, stake manager, checkpoint manager and bridge, in one call.
//!
//! The token mints the whole supply in its constructor into the allocation contracts, which in
//! turn need the token's address; the plan resolves this by deploying the token first with the
//! CREATE addresses the deployer's next nonces will give the other contracts. The steps must
//! therefore be sent in order, from `deployer`, with consecutive nonces from `start_nonce`.

use alloy::{
    rpc::types::{TransactionInput, TransactionRequest},
    sol_types::SolConstructor,
};
use alloy_primitives::{Address, Bytes, TxKind, U256};

use crate::{
    bindings::{
        CheckpointManager, L1Bridge, MerchantIssuance, Presale, SECToken, StakeManager,
        TimelockedReserve, VestingVault,
    },
    predeploy::{L2_BRIDGE, init_code},
};

const DAY: u64 = 86_400;
const SEC: u128 = 1_000_000_000_000_000_000;

/// Allocation sizes in whole SEC (DESIGN's token table).
pub mod allocation {
    /// Angel investment.
    pub const ANGEL: u128 = 105_000_000;
    /// Private placement (sold by `Presale`).
    pub const PRIVATE_PLACEMENT: u128 = 495_000_000;
    /// Foundation (technical iteration).
    pub const FOUNDATION: u128 = 150_000_000;
    /// Business / strategy reserve.
    pub const BUSINESS: u128 = 300_000_000;
    /// Founding team.
    pub const TEAM: u128 = 150_000_000;
    /// Investment, partners and communities reserve.
    pub const INVESTMENT: u128 = 300_000_000;
    /// Sum of all: 1.5 billion.
    pub const TOTAL: u128 = ANGEL + PRIVATE_PLACEMENT + FOUNDATION + BUSINESS + TEAM + INVESTMENT;
}

/// Tranches (offset from T0 in seconds, amount in wei) of a vesting allocation.
pub type Tranches = Vec<(u64, U256)>;

fn sec(whole: u128) -> U256 {
    U256::from(whole) * U256::from(SEC)
}

/// Angel: 50% at T0, 50% at T0 + 90 days.
pub fn angel_tranches() -> Tranches {
    vec![(0, sec(allocation::ANGEL / 2)), (90 * DAY, sec(allocation::ANGEL / 2))]
}

/// Foundation: 20% at T0, then 80% in three equal tranches at T0 + 365, 730, 1095 days.
pub fn foundation_tranches() -> Tranches {
    let first = allocation::FOUNDATION / 5;
    let rest = (allocation::FOUNDATION - first) / 3;
    vec![(0, sec(first)), (365 * DAY, sec(rest)), (730 * DAY, sec(rest)), (1095 * DAY, sec(rest))]
}

/// Team: 25% at T0 and at T0 + 365, 730, 1095 days.
pub fn team_tranches() -> Tranches {
    let q = allocation::TEAM / 4;
    vec![(0, sec(q)), (365 * DAY, sec(q)), (730 * DAY, sec(q)), (1095 * DAY, sec(q))]
}

/// Everything the L1 deployment needs to know. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1DeployConfig {
    /// Owner (governance) of presale, reserves, issuance, stake manager and bridge.
    pub owner: Address,
    /// Bridge guardian (may pause, for at most `max_pause_duration`).
    pub guardian: Address,
    /// Beneficiary of the angel vault.
    pub angel_beneficiary: Address,
    /// Beneficiary of the foundation vault.
    pub foundation_beneficiary: Address,
    /// Beneficiary of the team vault.
    pub team_beneficiary: Address,
    /// Receives the presale's ETH on success.
    pub presale_treasury: Address,
    /// Receives merchant issuance proceeds.
    pub foundation_treasury: Address,
    /// Presale opening time.
    pub presale_start: u64,
    /// Presale end time.
    pub presale_end: u64,
    /// Maximum SEC (wei) merchant issuance may mint per year.
    pub merchant_yearly_cap: U256,
    /// Minimum validator self-stake (wei).
    pub min_self_stake: U256,
    /// Unbonding period and evidence window, seconds.
    pub unbonding_period: u64,
    /// SEC (wei) a judge bonds before reporting.
    pub judge_bond: U256,
    /// Fraction of a validator pool slashed, basis points (1..10000).
    pub slash_bps: u16,
    /// Fraction of the slashed amount burned, basis points; the rest pays the judge.
    pub burn_bps: u16,
    /// Minimum time a slashed validator stays jailed, seconds.
    pub jail_period: u64,
    /// Size of the active validator set.
    pub active_set_size: u64,
    /// Number of L2 domains deposits may target.
    pub num_domains: u32,
    /// Seconds after a checkpoint before its withdrawals can be finalized.
    pub challenge_window: u64,
    /// Longest guardian pause, seconds.
    pub max_pause_duration: u64,
    /// The L2 bridge predeploy (sender of L1-bound withdrawal messages).
    pub l2_bridge: Address,
}

impl L1DeployConfig {
    /// Devnet defaults: every role held by `owner`, presale open from `now` for 30 days,
    /// 4 validators, 4 domains, 10 s unbonding, no challenge window.
    pub fn devnet(owner: Address, now: u64) -> Self {
        Self {
            owner,
            guardian: owner,
            angel_beneficiary: owner,
            foundation_beneficiary: owner,
            team_beneficiary: owner,
            presale_treasury: owner,
            foundation_treasury: owner,
            presale_start: now,
            presale_end: now + 30 * DAY,
            merchant_yearly_cap: sec(15_000_000),
            min_self_stake: sec(10_000),
            unbonding_period: 10,
            judge_bond: sec(1_000),
            slash_bps: 1_000,
            burn_bps: 5_000,
            jail_period: 60,
            active_set_size: 4,
            num_domains: 4,
            challenge_window: 0,
            max_pause_duration: 3 * DAY,
            l2_bridge: L2_BRIDGE,
        }
    }

    /// Production-like defaults (7-day unbonding, 1-hour challenge window, 21 validators).
    pub fn mainnet_like(
        owner: Address,
        guardian: Address,
        presale_start: u64,
        presale_end: u64,
    ) -> Self {
        Self {
            guardian,
            presale_start,
            presale_end,
            min_self_stake: sec(100_000),
            unbonding_period: 7 * DAY,
            jail_period: 7 * DAY,
            active_set_size: 21,
            challenge_window: 3_600,
            ..Self::devnet(owner, presale_start)
        }
    }

    fn validate(&self) -> Result<(), DeployError> {
        let addresses = [
            ("owner", self.owner),
            ("angel_beneficiary", self.angel_beneficiary),
            ("foundation_beneficiary", self.foundation_beneficiary),
            ("team_beneficiary", self.team_beneficiary),
            ("presale_treasury", self.presale_treasury),
            ("foundation_treasury", self.foundation_treasury),
            ("l2_bridge", self.l2_bridge),
        ];
        if let Some((name, _)) = addresses.iter().find(|(_, a)| a.is_zero()) {
            return Err(DeployError::ZeroAddress(name));
        }
        if self.presale_end <= self.presale_start {
            return Err(DeployError::PresaleTimes {
                start: self.presale_start,
                end: self.presale_end,
            });
        }
        if self.slash_bps == 0 || self.slash_bps >= 10_000 || self.burn_bps > 10_000 {
            return Err(DeployError::SlashFraction {
                slash_bps: self.slash_bps,
                burn_bps: self.burn_bps,
            });
        }
        if self.active_set_size == 0 || self.active_set_size > 256 {
            return Err(DeployError::ActiveSetSize(self.active_set_size));
        }
        if self.min_self_stake.is_zero() || self.judge_bond.is_zero() {
            return Err(DeployError::ZeroStake);
        }
        Ok(())
    }
}

/// Why a deployment plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    /// A required address is zero.
    #[error("{0} must not be the zero address")]
    ZeroAddress(&'static str),
    /// The presale would end before it starts.
    #[error("presale end {end} is not after its start {start}")]
    PresaleTimes {
        /// Start.
        start: u64,
        /// End.
        end: u64,
    },
    /// Slashing fractions out of range.
    #[error(
        "slash_bps must be in 1..10000 and burn_bps at most 10000 (got {slash_bps}, {burn_bps})"
    )]
    SlashFraction {
        /// Slash fraction.
        slash_bps: u16,
        /// Burn fraction.
        burn_bps: u16,
    },
    /// Active set size out of range.
    #[error("active set size must be in 1..=256, got {0}")]
    ActiveSetSize(u64),
    /// Minimum self-stake or judge bond is zero.
    #[error("minimum self-stake and judge bond must be non-zero")]
    ZeroStake,
}

/// Addresses of the deployed L1 contracts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Addresses {
    /// `SECToken`.
    pub token: Address,
    /// `VestingVault` of the angel allocation.
    pub angel_vault: Address,
    /// `Presale` (private placement).
    pub presale: Address,
    /// `VestingVault` of the foundation allocation.
    pub foundation_vault: Address,
    /// `TimelockedReserve` Business/strategy.
    pub business_reserve: Address,
    /// `VestingVault` of the team allocation.
    pub team_vault: Address,
    /// `TimelockedReserve` Investment/partners/communities.
    pub investment_reserve: Address,
    /// `MerchantIssuance`.
    pub merchant_issuance: Address,
    /// `StakeManager`.
    pub stake_manager: Address,
    /// `CheckpointManager`.
    pub checkpoint_manager: Address,
    /// `L1Bridge`.
    pub l1_bridge: Address,
}

/// One contract creation of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployStep {
    /// Contract name (and role, for the vaults and reserves).
    pub name: &'static str,
    /// Nonce the deployer must use.
    pub nonce: u64,
    /// Address the creation yields.
    pub address: Address,
    /// Creation bytecode with ABI-encoded constructor arguments.
    pub init_code: Bytes,
}

impl DeployStep {
    /// An unsigned creation transaction from `from` (gas and fees left to the sender's filler).
    pub fn transaction_request(&self, from: Address) -> TransactionRequest {
        TransactionRequest {
            from: Some(from),
            to: Some(TxKind::Create),
            nonce: Some(self.nonce),
            input: TransactionInput::new(self.init_code.clone()),
            ..Default::default()
        }
    }
}

/// The whole plan: steps in order and the resulting addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Deployment {
    /// Deployer account.
    pub deployer: Address,
    /// Contract creations, to be sent in this order with consecutive nonces.
    pub steps: Vec<DeployStep>,
    /// Where everything ends up.
    pub addresses: L1Addresses,
}

/// Builds the L1 deployment for `config`, sent by `deployer` starting at nonce `start_nonce`.
pub fn plan_l1_deployment(
    config: &L1DeployConfig,
    deployer: Address,
    start_nonce: u64,
) -> Result<L1Deployment, DeployError> {
    config.validate()?;
    let at = |i: u64| deployer.create(start_nonce + i);
    let addresses = L1Addresses {
        token: at(0),
        angel_vault: at(1),
        presale: at(2),
        foundation_vault: at(3),
        business_reserve: at(4),
        team_vault: at(5),
        investment_reserve: at(6),
        merchant_issuance: at(7),
        stake_manager: at(8),
        checkpoint_manager: at(9),
        l1_bridge: at(10),
    };
    let a = addresses;

    let token = SECToken::constructorCall {
        recipients: vec![
            a.angel_vault,
            a.presale,
            a.foundation_vault,
            a.business_reserve,
            a.team_vault,
            a.investment_reserve,
        ],
        amounts: [
            allocation::ANGEL,
            allocation::PRIVATE_PLACEMENT,
            allocation::FOUNDATION,
            allocation::BUSINESS,
            allocation::TEAM,
            allocation::INVESTMENT,
        ]
        .into_iter()
        .map(sec)
        .collect(),
        issuer_: a.merchant_issuance,
    };
    let vault =
        |beneficiary: Address, name: &str, tranches: Tranches| VestingVault::constructorCall {
            token_: a.token,
            beneficiary_: beneficiary,
            name_: name.to_string(),
            offsets: tranches.iter().map(|t| t.0).collect(),
            amounts: tranches.iter().map(|t| t.1).collect(),
        };
    let reserve = |name: &str| TimelockedReserve::constructorCall {
        token_: a.token,
        owner_: config.owner,
        name_: name.to_string(),
    };

    let encoded: Vec<(&'static str, Bytes, Vec<u8>)> = vec![
        ("SECToken", SECToken::BYTECODE.clone(), token.abi_encode()),
        (
            "VestingVault(angel)",
            VestingVault::BYTECODE.clone(),
            vault(config.angel_beneficiary, "Angel investment", angel_tranches()).abi_encode(),
        ),
        (
            "Presale",
            Presale::BYTECODE.clone(),
            Presale::constructorCall {
                token_: a.token,
                owner_: config.owner,
                startTime_: config.presale_start,
                endTime_: config.presale_end,
                treasury_: config.presale_treasury,
                businessReserve_: a.business_reserve,
                allocation_: sec(allocation::PRIVATE_PLACEMENT),
            }
            .abi_encode(),
        ),
        (
            "VestingVault(foundation)",
            VestingVault::BYTECODE.clone(),
            vault(
                config.foundation_beneficiary,
                "Foundation (technical iteration)",
                foundation_tranches(),
            )
            .abi_encode(),
        ),
        (
            "TimelockedReserve(business)",
            TimelockedReserve::BYTECODE.clone(),
            reserve("Business / strategy").abi_encode(),
        ),
        (
            "VestingVault(team)",
            VestingVault::BYTECODE.clone(),
            vault(config.team_beneficiary, "Founding team", team_tranches()).abi_encode(),
        ),
        (
            "TimelockedReserve(investment)",
            TimelockedReserve::BYTECODE.clone(),
            reserve("Investment, partners and communities").abi_encode(),
        ),
        (
            "MerchantIssuance",
            MerchantIssuance::BYTECODE.clone(),
            MerchantIssuance::constructorCall {
                token_: a.token,
                owner_: config.owner,
                foundation_: config.foundation_treasury,
                yearlyCap_: config.merchant_yearly_cap,
            }
            .abi_encode(),
        ),
        (
            "StakeManager",
            StakeManager::BYTECODE.clone(),
            StakeManager::constructorCall {
                token_: a.token,
                owner_: config.owner,
                checkpointManager_: a.checkpoint_manager,
                minSelfStake_: config.min_self_stake,
                unbondingPeriod_: config.unbonding_period,
                judgeBond_: config.judge_bond,
                slashBps_: config.slash_bps,
                burnBps_: config.burn_bps,
                jailPeriod_: config.jail_period,
                activeSetSize_: U256::from(config.active_set_size),
            }
            .abi_encode(),
        ),
        (
            "CheckpointManager",
            CheckpointManager::BYTECODE.clone(),
            CheckpointManager::constructorCall { stakeManager_: a.stake_manager }.abi_encode(),
        ),
        (
            "L1Bridge",
            L1Bridge::BYTECODE.clone(),
            L1Bridge::constructorCall {
                owner_: config.owner,
                guardian_: config.guardian,
                checkpoints_: a.checkpoint_manager,
                sec_: a.token,
                l2Bridge_: config.l2_bridge,
                numDomains_: config.num_domains,
                challengeWindow_: config.challenge_window,
                maxPauseDuration_: config.max_pause_duration,
            }
            .abi_encode(),
        ),
    ];
    let steps = encoded
        .into_iter()
        .enumerate()
        .map(|(i, (name, code, args))| DeployStep {
            name,
            nonce: start_nonce + i as u64,
            address: at(i as u64),
            init_code: init_code(&code, args),
        })
        .collect();
    Ok(L1Deployment { deployer, steps, addresses })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Address {
        Address::repeat_byte(1)
    }

    #[test]
    fn plan_has_eleven_steps_at_consecutive_create_addresses() {
        let deployer = Address::repeat_byte(9);
        let plan =
            plan_l1_deployment(&L1DeployConfig::devnet(owner(), 1_000), deployer, 5).unwrap();
        assert_eq!(plan.steps.len(), 11);
        for (i, step) in plan.steps.iter().enumerate() {
            assert_eq!(step.nonce, 5 + i as u64);
            assert_eq!(step.address, deployer.create(5 + i as u64));
            let tx = step.transaction_request(deployer);
            assert_eq!(tx.nonce, Some(step.nonce));
            assert_eq!(tx.to, Some(TxKind::Create));
        }
        assert_eq!(plan.addresses.token, plan.steps[0].address);
        assert_eq!(plan.addresses.l1_bridge, plan.steps[10].address);
        let sum: U256 = [angel_tranches(), foundation_tranches(), team_tranches()]
            .iter()
            .flat_map(|t| t.iter().map(|x| x.1))
            .sum();
        assert_eq!(sum, sec(allocation::ANGEL + allocation::FOUNDATION + allocation::TEAM));
    }

    #[test]
    fn invalid_configs_are_refused() {
        let base = L1DeployConfig::devnet(owner(), 1_000);
        let check = |edit: &dyn Fn(&mut L1DeployConfig), expected: DeployError| {
            let mut c = base.clone();
            edit(&mut c);
            assert_eq!(plan_l1_deployment(&c, owner(), 0), Err(expected));
        };
        check(&|c| c.owner = Address::ZERO, DeployError::ZeroAddress("owner"));
        check(
            &|c| c.team_beneficiary = Address::ZERO,
            DeployError::ZeroAddress("team_beneficiary"),
        );
        check(
            &|c| c.presale_end = c.presale_start,
            DeployError::PresaleTimes { start: 1_000, end: 1_000 },
        );
        check(&|c| c.slash_bps = 0, DeployError::SlashFraction { slash_bps: 0, burn_bps: 5_000 });
        check(
            &|c| c.slash_bps = 10_000,
            DeployError::SlashFraction { slash_bps: 10_000, burn_bps: 5_000 },
        );
        check(
            &|c| c.burn_bps = 10_001,
            DeployError::SlashFraction { slash_bps: 1_000, burn_bps: 10_001 },
        );
        check(&|c| c.active_set_size = 0, DeployError::ActiveSetSize(0));
        check(&|c| c.active_set_size = 257, DeployError::ActiveSetSize(257));
        check(&|c| c.judge_bond = U256::ZERO, DeployError::ZeroStake);
    }
}
