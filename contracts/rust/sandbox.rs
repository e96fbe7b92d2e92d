//! A throw-away in-memory Ethereum (revm, Prague) that runs contract creations exactly as a
//! chain would, so that the code and storage they leave can be installed at genesis or
//! compared with what a real chain holds.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use revm::{
    Context, DatabaseRef, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::{
        block::BlobExcessGasAndPrice,
        result::{ExecutionResult, Output},
    },
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
};

use crate::ContractsError;

/// Gas limit for one creation: far above any real contract, below nothing that matters.
const CREATION_GAS: u64 = 100_000_000;

/// The block a creation runs in: what constructors may read (`block.number`,
/// `block.timestamp`, `block.chainid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Block number.
    pub number: u64,
    /// Block timestamp, unix seconds.
    pub timestamp: u64,
}

/// What a created account holds after its constructor ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreatedAccount {
    pub balance: U256,
    pub nonce: u64,
    pub code: Bytes,
    /// Non-zero slots only: a zero slot is absent from real state.
    pub storage: BTreeMap<B256, B256>,
}

/// An empty chain with chain id `chain_id`, on which creations are run in order.
pub(crate) struct Sandbox {
    db: CacheDB<EmptyDB>,
    chain_id: u64,
}

impl Sandbox {
    pub fn new(chain_id: u64) -> Self {
        Self { db: CacheDB::new(EmptyDB::default()), chain_id }
    }

    /// Runs `init_code` as a creation transaction from `deployer` with nonce `nonce` (the
    /// deployer's nonce is set to it first, so the CREATE address is `deployer.create(nonce)`)
    /// and commits it. Gas is free: only the resulting state matters here.
    pub fn create(
        &mut self,
        name: &'static str,
        deployer: Address,
        nonce: u64,
        init_code: Bytes,
        block: BlockContext,
    ) -> Result<Address, ContractsError> {
        let mut info = self.db.basic_ref(deployer).ok().flatten().unwrap_or_default();
        info.nonce = nonce;
        info.balance = U256::MAX >> 1;
        self.db.insert_account_info(deployer, info);

        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = self.chain_id;
        let block_env = BlockEnv {
            number: U256::from(block.number),
            timestamp: U256::from(block.timestamp),
            gas_limit: CREATION_GAS,
            basefee: 0,
            prevrandao: Some(B256::ZERO),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
            ..Default::default()
        };
        let tx = TxEnv {
            caller: deployer,
            kind: TxKind::Create,
            data: init_code,
            nonce,
            gas_limit: CREATION_GAS,
            gas_price: 0,
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(cfg)
            .with_block(block_env)
            .build_mainnet();
        let result = evm
            .transact_commit(tx)
            .map_err(|e| ContractsError::Creation { name, reason: format!("{e:?}") })?;
        match result {
            ExecutionResult::Success { output: Output::Create(_, Some(address)), .. } => {
                Ok(address)
            }
            ExecutionResult::Success { .. } => Err(ContractsError::Creation {
                name,
                reason: "creation returned no address".into(),
            }),
            ExecutionResult::Revert { output, .. } => Err(ContractsError::Creation {
                name,
                reason: crate::decode_revert(&output)
                    .unwrap_or_else(|| format!("reverted with {output}")),
            }),
            ExecutionResult::Halt { reason, .. } => {
                Err(ContractsError::Creation { name, reason: format!("halted: {reason:?}") })
            }
        }
    }

    /// The account at `address` as the creations left it.
    pub fn account(&self, address: Address) -> CreatedAccount {
        let Some(cached) = self.db.cache.accounts.get(&address) else {
            return CreatedAccount {
                balance: U256::ZERO,
                nonce: 0,
                code: Bytes::new(),
                storage: BTreeMap::new(),
            };
        };
        let code = cached.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
        let storage = cached
            .storage
            .iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| (B256::from(*slot), B256::from(*value)))
            .collect();
        CreatedAccount { balance: cached.info.balance, nonce: cached.info.nonce, code, storage }
    }
}
