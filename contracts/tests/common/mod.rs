//! Shared test harness: an in-memory Ethereum (revm, Prague) with time travel, the whole L1
//! deployment from `plan_l1_deployment`, validators, signed checkpoints and revert assertions.

#![allow(dead_code)]

pub mod trade;

use alloy::{
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{SolCall, SolError},
};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, address};
use revm::{
    Context, DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    context_interface::result::{ExecutionResult, Output},
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
    state::AccountInfo,
};
use sec_contracts::{
    L1Addresses, L1DeployConfig,
    bindings::{
        CheckpointManager::{self, DomainState},
        SECToken, StakeManager, VestingVault,
    },
    digest, plan_l1_deployment,
};

pub const CHAIN_ID: u64 = 31337;
pub const OWNER: Address = address!("0x00000000000000000000000000000000000a11ce");
pub const START: u64 = 1_800_000_000;
/// The coinbase of every block: the producer whose transactions are system transactions.
pub const PRODUCER: Address = address!("0x0000000000000000000000000000000000c0b5e0");
pub const DAY: u64 = 86_400;

pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// The outcome of one transaction.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub success: bool,
    pub output: Bytes,
    pub gas_used: u64,
    pub logs: Vec<Log>,
    pub created: Option<Address>,
}

/// An in-memory chain.
pub struct Chain {
    pub db: CacheDB<EmptyDB>,
    pub timestamp: u64,
    pub number: u64,
    /// The next blocks' PREVRANDAO (the randomness a dispute panel is drawn with).
    pub prevrandao: B256,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    pub fn new() -> Self {
        Self {
            db: CacheDB::new(EmptyDB::default()),
            timestamp: START,
            number: 1,
            prevrandao: B256::repeat_byte(0x42),
        }
    }

    fn block(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            timestamp: U256::from(self.timestamp),
            gas_limit: 200_000_000,
            basefee: 0,
            beneficiary: PRODUCER,
            prevrandao: Some(self.prevrandao),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
            ..Default::default()
        }
    }

    fn cfg() -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = CHAIN_ID;
        cfg.limit_contract_code_size = Some(0x6000);
        cfg
    }

    pub fn warp(&mut self, seconds: u64) {
        self.timestamp += seconds;
        self.number += 1;
    }

    pub fn account(&self, who: Address) -> AccountInfo {
        self.db.basic_ref(who).ok().flatten().unwrap_or_default()
    }

    pub fn balance(&self, who: Address) -> U256 {
        self.account(who).balance
    }

    pub fn fund(&mut self, who: Address, amount: U256) {
        let mut info = self.account(who);
        info.balance += amount;
        self.db.insert_account_info(who, info);
    }

    fn tx(&self, from: Address, kind: TxKind, data: Bytes, value: U256) -> TxEnv {
        TxEnv {
            caller: from,
            kind,
            data,
            value,
            nonce: self.account(from).nonce,
            gas_limit: 60_000_000,
            gas_price: 0,
            chain_id: Some(CHAIN_ID),
            ..Default::default()
        }
    }

    fn outcome(result: ExecutionResult) -> Outcome {
        let gas_used = result.tx_gas_used();
        match result {
            ExecutionResult::Success { output, logs, .. } => {
                let (output, created) = match output {
                    Output::Call(b) => (b, None),
                    Output::Create(b, a) => (b, a),
                };
                Outcome { success: true, output, gas_used, logs, created }
            }
            ExecutionResult::Revert { output, .. } => {
                Outcome { success: false, output, gas_used, logs: vec![], created: None }
            }
            ExecutionResult::Halt { reason, .. } => Outcome {
                success: false,
                output: Bytes::from(format!("halt: {reason:?}").into_bytes()),
                gas_used,
                logs: vec![],
                created: None,
            },
        }
    }

    /// Executes and commits one transaction.
    pub fn exec(&mut self, from: Address, kind: TxKind, data: Bytes, value: U256) -> Outcome {
        let tx = self.tx(from, kind, data, value);
        let block = self.block();
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(Self::cfg())
            .with_block(block)
            .build_mainnet();
        let result = evm.transact_commit(tx).expect("transaction valid");
        Self::outcome(result)
    }

    /// Executes without committing.
    pub fn simulate(&mut self, from: Address, to: Address, data: Bytes) -> Outcome {
        let tx = self.tx(from, TxKind::Call(to), data, U256::ZERO);
        let block = self.block();
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(Self::cfg())
            .with_block(block)
            .build_mainnet();
        let result = evm.transact(tx).expect("transaction valid").result;
        Self::outcome(result)
    }

    pub fn deploy(&mut self, from: Address, init_code: Bytes) -> Address {
        let out = self.exec(from, TxKind::Create, init_code, U256::ZERO);
        assert!(out.success, "deployment failed: {}", describe(&out.output));
        out.created.expect("created address")
    }

    pub fn deploy_with(&mut self, from: Address, bytecode: &Bytes, args: Vec<u8>) -> Address {
        let mut code = bytecode.to_vec();
        code.extend(args);
        self.deploy(from, code.into())
    }

    /// Sends a call; `Ok(return)` or `Err(revert data)`.
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
    ) -> Result<C::Return, Bytes> {
        self.send_value(from, to, call, U256::ZERO)
    }

    pub fn send_value<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<C::Return, Bytes> {
        let out = self.exec(from, TxKind::Call(to), call.abi_encode().into(), value);
        if out.success {
            Ok(C::abi_decode_returns(&out.output).expect("decodable return"))
        } else {
            Err(out.output)
        }
    }

    /// Sends a call that must succeed; returns the full outcome (logs, gas).
    pub fn must<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Outcome {
        self.must_value(from, to, call, U256::ZERO)
    }

    pub fn must_value<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
        value: U256,
    ) -> Outcome {
        let out = self.exec(from, TxKind::Call(to), call.abi_encode().into(), value);
        assert!(out.success, "{} reverted: {}", C::SIGNATURE, describe(&out.output));
        out
    }

    pub fn view<C: SolCall>(&mut self, to: Address, call: C) -> C::Return {
        let out = self.simulate(Address::ZERO, to, call.abi_encode().into());
        assert!(out.success, "view {} reverted: {}", C::SIGNATURE, describe(&out.output));
        C::abi_decode_returns(&out.output).expect("decodable return")
    }
}

pub fn describe(output: &Bytes) -> String {
    if let Some(text) = sec_contracts::decode_revert(output) {
        return text;
    }
    if output.len() >= 4 {
        if let Ok(reason) = alloy::sol_types::Revert::abi_decode(output) {
            return format!("Error({:?})", reason.reason);
        }
        return format!("selector 0x{} data {output}", alloy_primitives::hex::encode(&output[..4]));
    }
    format!("{output}")
}

/// Asserts that `result` reverted with custom error `E` and returns the decoded error.
#[track_caller]
pub fn expect_err<E: SolError, T: std::fmt::Debug>(result: Result<T, Bytes>) -> E {
    match result {
        Ok(v) => panic!("expected revert {}, got success {v:?}", E::SIGNATURE),
        Err(data) => match E::abi_decode(&data) {
            Ok(e) => e,
            Err(_) => panic!("expected revert {}, got {}", E::SIGNATURE, describe(&data)),
        },
    }
}

/// Asserts that `result` reverted with `Error(reason)`.
#[track_caller]
pub fn expect_reason<T: std::fmt::Debug>(result: Result<T, Bytes>, reason: &str) {
    match result {
        Ok(v) => panic!("expected revert {reason:?}, got success {v:?}"),
        Err(data) => {
            let got = alloy::sol_types::Revert::abi_decode(&data).map(|r| r.reason);
            assert_eq!(got.as_deref(), Ok(reason), "got {}", describe(&data));
        }
    }
}

/// The L1 contracts deployed on a fresh chain.
pub struct L1 {
    pub chain: Chain,
    pub config: L1DeployConfig,
    pub a: L1Addresses,
}

impl L1 {
    /// Deploys everything with devnet settings (owner = `OWNER` for every role) and takes the
    /// angel T0 tranche (52.5M SEC) to `OWNER` to fund tests.
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(edit: impl FnOnce(&mut L1DeployConfig)) -> Self {
        let mut chain = Chain::new();
        let mut config = L1DeployConfig::devnet(OWNER, START);
        edit(&mut config);
        let deployer = address!("0x000000000000000000000000000000000000d3b1");
        chain.fund(deployer, ether(1_000_000));
        chain.fund(OWNER, ether(1_000_000));
        let plan = plan_l1_deployment(&config, deployer, 0).expect("valid config");
        for step in &plan.steps {
            let addr = chain.deploy(deployer, step.init_code.clone());
            assert_eq!(addr, step.address, "{}", step.name);
        }
        let mut l1 = Self { chain, config, a: plan.addresses };
        let vault = l1.a.angel_vault;
        l1.chain.must(OWNER, vault, VestingVault::releaseCall {});
        l1
    }

    pub fn sec_balance(&mut self, who: Address) -> U256 {
        let token = self.a.token;
        self.chain.view(token, SECToken::balanceOfCall { account: who })
    }

    pub fn give_sec(&mut self, to: Address, amount: U256) {
        let token = self.a.token;
        self.chain.must(OWNER, token, SECToken::transferCall { to, value: amount });
    }

    pub fn approve(&mut self, from: Address, spender: Address, amount: U256) {
        let token = self.a.token;
        self.chain.must(from, token, SECToken::approveCall { spender, value: amount });
    }
}

impl Default for L1 {
    fn default() -> Self {
        Self::new()
    }
}

/// A validator: owner account (stakes) and signer key (signs votes and checkpoints).
pub struct TestValidator {
    pub owner: Address,
    pub signer: PrivateKeySigner,
}

impl TestValidator {
    pub fn new(index: u64) -> Self {
        let owner = Address::from_word(B256::from(U256::from(0x7a11_0000u64 + index)));
        let signer =
            PrivateKeySigner::from_bytes(&B256::from(U256::from(0x5167_0000u64 + index))).unwrap();
        Self { owner, signer }
    }

    pub fn signer_address(&self) -> Address {
        self.signer.address()
    }

    pub fn sign(&self, digest: B256) -> alloy_primitives::Signature {
        self.signer.sign_hash_sync(&digest).unwrap()
    }
}

/// Registers `stakes.len()` validators with the given self-stakes (in wei).
pub fn register_validators(l1: &mut L1, first_index: u64, stakes: &[U256]) -> Vec<TestValidator> {
    let sm = l1.a.stake_manager;
    let mut out = Vec::new();
    for (i, stake) in stakes.iter().enumerate() {
        let v = TestValidator::new(first_index + i as u64);
        l1.chain.fund(v.owner, ether(10));
        l1.give_sec(v.owner, *stake);
        l1.approve(v.owner, sm, *stake);
        let proof = v.sign(digest::signer_registration_digest(CHAIN_ID, sm, v.owner));
        l1.chain.must(
            v.owner,
            sm,
            StakeManager::registerValidatorCall {
                signer: v.signer_address(),
                blsKey: Bytes::from(vec![0xb1; 48]),
                commissionBps: 500,
                amount: *stake,
                signerProof: proof.as_bytes().to_vec().into(),
            },
        );
        out.push(v);
    }
    out
}

pub fn domains(n: u32, tag: u8) -> Vec<DomainState> {
    (0..n)
        .map(|d| DomainState {
            domain: d,
            blockNumber: 100 + d as u64,
            blockHash: B256::repeat_byte(tag.wrapping_add(d as u8 * 2 + 1)),
            stateRoot: B256::repeat_byte(tag.wrapping_add(d as u8 * 2 + 2)),
        })
        .collect()
}

/// Checkpoint `id` signed by the active set as it is now: the set is recorded on
/// `StakeManager` and the chain moves to the next block, from which the set may sign.
pub fn checkpoint(l1: &mut L1, id: u64, withdrawal_root: B256) -> CheckpointManager::Checkpoint {
    let set = record_set(l1);
    CheckpointManager::Checkpoint {
        id,
        domains: domains(4, 0x10),
        withdrawalRoot: withdrawal_root,
        validatorSetHash: set,
    }
}

/// Records the active set (`snapshotActiveSet`) and moves to the next block; its hash.
pub fn record_set(l1: &mut L1) -> B256 {
    let sm = l1.a.stake_manager;
    l1.chain.must(OWNER, sm, StakeManager::snapshotActiveSetCall {});
    l1.chain.number += 1;
    l1.chain.view(sm, StakeManager::currentSetHashCall {})
}

pub fn body_hash(cp: &CheckpointManager::Checkpoint) -> B256 {
    digest::checkpoint_body_hash(&cp.domains, cp.withdrawalRoot, cp.validatorSetHash)
}

/// Signatures of `signers` over `cp` for checkpoint manager `cm`, sorted by signer address.
pub fn sign_checkpoint(
    chain_id: u64,
    cm: Address,
    cp: &CheckpointManager::Checkpoint,
    signers: &[&TestValidator],
) -> Vec<CheckpointManager::Signature> {
    let d = digest::checkpoint_digest(chain_id, cm, cp.id, body_hash(cp));
    let mut sigs: Vec<_> = signers
        .iter()
        .map(|v| {
            let s = v.sign(d);
            CheckpointManager::Signature {
                signer: v.signer_address(),
                v: 27 + s.v() as u8,
                r: s.r().into(),
                s: s.s().into(),
            }
        })
        .collect();
    sigs.sort_by_key(|s| s.signer);
    sigs
}

pub fn submit(
    l1: &mut L1,
    cp: &CheckpointManager::Checkpoint,
    sigs: Vec<CheckpointManager::Signature>,
) -> Result<CheckpointManager::submitCheckpointReturn, Bytes> {
    let cm = l1.a.checkpoint_manager;
    l1.chain.send(
        OWNER,
        cm,
        CheckpointManager::submitCheckpointCall { cp: cp.clone(), signatures: sigs },
    )
}

/// Domain `domain` of a chain of `domains` at genesis: every predeploy as `genesis_alloc`
/// places it (code, storage, the reserves).
pub fn genesis_chain(domain: u32, domains: u32, l1_sec: Address) -> Chain {
    let mut chain = Chain::new();
    let alloc = sec_contracts::predeploy::genesis_alloc(
        domain,
        &sec_contracts::predeploy::ChainParams::new(domains, l1_sec),
    );
    for (address, account) in alloc.expect("genesis alloc") {
        chain.db.insert_account_info(
            address,
            AccountInfo {
                balance: account.balance,
                nonce: account.nonce,
                code_hash: alloy_primitives::keccak256(&account.code),
                code: Some(revm::bytecode::Bytecode::new_raw(account.code.clone())),
                ..Default::default()
            },
        );
        for (slot, value) in account.storage {
            chain.db.insert_account_storage(address, slot.into(), value.into()).unwrap();
        }
    }
    chain
}

impl Chain {
    /// Installs a predeploy the way genesis does: runs its creation code, then moves the
    /// resulting code and storage to the fixed address.
    pub fn install(&mut self, address: Address, init_code: Bytes) {
        let deployer = address!("0x000000000000000000000000000000000009e5e5");
        let tmp = self.deploy(deployer, init_code);
        let account = self.db.cache.accounts.get(&tmp).expect("deployed").clone();
        self.db.insert_account_info(address, account.info.clone());
        for (slot, value) in account.storage.iter() {
            self.db.insert_account_storage(address, *slot, *value).expect("storage");
        }
    }
}
