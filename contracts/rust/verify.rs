//! What a deployment of [`plan_l1_deployment`](crate::plan_l1_deployment) must have left on a
//! real chain, byte for byte, so a deployer can check every contract's code hash.
//!
//! The artifact's `deployedBytecode` cannot be compared directly: solc leaves zeros where
//! immutables go, and the deployed code holds their values (the token's genesis time, vault
//! schedules, every constructor address, OpenZeppelin EIP-712's cached chain id and
//! `address(this)`). An `eth_call` of the creation code does not reproduce them either: its
//! block context (timestamp) is not the deployment block's, and differs between nodes.
//!
//! So the expected runtime code is computed by replaying the plan's creation transactions in
//! a local EVM with the deployment's chain id, deployer, nonces, and each transaction's block
//! number and timestamp. Its hash must equal the hash of `eth_getCode` exactly; in addition
//! [`matches_artifact`] checks the on-chain code against the artifact outside immutable slots.

use alloy_primitives::{Bytes, keccak256};

use crate::{
    ContractsError, L1Deployment,
    bindings::{
        CheckpointManager, L1Bridge, MerchantIssuance, Presale, SECToken, StakeManager,
        TimelockedReserve, VestingVault,
    },
    sandbox::{BlockContext, Sandbox},
};

/// The runtime code each step of `plan` leaves when step `i` is mined in block `blocks[i]` of
/// a chain with id `chain_id`. Constructors of the plan only read contracts the plan deployed
/// before them, so an otherwise empty chain reproduces them exactly.
pub fn expected_runtime_codes(
    plan: &L1Deployment,
    chain_id: u64,
    blocks: &[BlockContext],
) -> Result<Vec<Bytes>, ContractsError> {
    if blocks.len() != plan.steps.len() {
        return Err(ContractsError::BlockCount { steps: plan.steps.len(), blocks: blocks.len() });
    }
    let mut sandbox = Sandbox::new(chain_id);
    let mut codes = Vec::with_capacity(plan.steps.len());
    for (step, block) in plan.steps.iter().zip(blocks) {
        let created =
            sandbox.create(step.name, plan.deployer, step.nonce, step.init_code.clone(), *block)?;
        if created != step.address {
            return Err(ContractsError::Creation {
                name: step.name,
                reason: format!("created at {created}, planned {}", step.address),
            });
        }
        codes.push(sandbox.account(created).code);
    }
    Ok(codes)
}

/// The artifact's deployed bytecode (zeros at immutables) of a plan step, by its name
/// (`"VestingVault(angel)"` is a `VestingVault`).
pub fn artifact_runtime_code(step_name: &str) -> Option<&'static Bytes> {
    let contract = step_name.split('(').next().unwrap_or(step_name);
    Some(match contract {
        "SECToken" => &SECToken::DEPLOYED_BYTECODE,
        "VestingVault" => &VestingVault::DEPLOYED_BYTECODE,
        "Presale" => &Presale::DEPLOYED_BYTECODE,
        "TimelockedReserve" => &TimelockedReserve::DEPLOYED_BYTECODE,
        "MerchantIssuance" => &MerchantIssuance::DEPLOYED_BYTECODE,
        "StakeManager" => &StakeManager::DEPLOYED_BYTECODE,
        "CheckpointManager" => &CheckpointManager::DEPLOYED_BYTECODE,
        "L1Bridge" => &L1Bridge::DEPLOYED_BYTECODE,
        _ => return None,
    })
}

/// Whether `onchain` is `artifact` with only immutable slots filled in: same length, and every
/// byte equal wherever the artifact's byte is non-zero (immutables are zero in the artifact).
pub fn matches_artifact(onchain: &[u8], artifact: &[u8]) -> bool {
    onchain.len() == artifact.len()
        && onchain.iter().zip(artifact).all(|(got, want)| *want == 0 || got == want)
}

/// `keccak256(code)`, the code hash an account with this code has.
pub fn code_hash(code: &[u8]) -> alloy_primitives::B256 {
    keccak256(code)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;
    use crate::{L1DeployConfig, plan_l1_deployment};

    fn plan() -> L1Deployment {
        let owner = Address::repeat_byte(1);
        plan_l1_deployment(&L1DeployConfig::devnet(owner, 1_000), Address::repeat_byte(9), 3)
            .unwrap()
    }

    fn blocks(n: usize, timestamp: u64) -> Vec<BlockContext> {
        (0..n)
            .map(|i| BlockContext { number: 10 + i as u64, timestamp: timestamp + i as u64 })
            .collect()
    }

    #[test]
    fn replayed_code_matches_the_artifacts_outside_immutables() {
        let plan = plan();
        let codes = expected_runtime_codes(&plan, 31337, &blocks(11, 2_000)).unwrap();
        for (step, code) in plan.steps.iter().zip(&codes) {
            let artifact = artifact_runtime_code(step.name).unwrap();
            assert!(matches_artifact(code, artifact), "{}", step.name);
            // immutables were filled in, so the raw artifact differs
            assert_ne!(code_hash(code), code_hash(artifact), "{}", step.name);
        }
    }

    #[test]
    fn code_depends_on_chain_id_and_deployment_time() {
        let plan = plan();
        let base = expected_runtime_codes(&plan, 31337, &blocks(11, 2_000)).unwrap();
        let other_chain = expected_runtime_codes(&plan, 1, &blocks(11, 2_000)).unwrap();
        let later = expected_runtime_codes(&plan, 31337, &blocks(11, 2_001)).unwrap();
        // SECToken: EIP-712 caches the chain id; its genesis time is the deployment time
        assert_ne!(base[0], other_chain[0]);
        assert_ne!(base[0], later[0]);
        // the vault reads the token's genesis time into its schedule (storage, not code):
        // its code is the same at another time
        assert_eq!(base[1], later[1]);
    }

    #[test]
    fn wrong_block_count_and_foreign_bytes_are_refused() {
        let plan = plan();
        assert!(matches!(
            expected_runtime_codes(&plan, 1, &blocks(3, 0)),
            Err(ContractsError::BlockCount { steps: 11, blocks: 3 })
        ));
        let artifact = artifact_runtime_code("L1Bridge").unwrap();
        let mut tampered = artifact.to_vec();
        let i = tampered.iter().position(|b| *b != 0).unwrap();
        tampered[i] ^= 1;
        assert!(!matches_artifact(&tampered, artifact));
        assert!(!matches_artifact(&artifact[1..], artifact));
        assert!(artifact_runtime_code("Nope").is_none());
    }
}
