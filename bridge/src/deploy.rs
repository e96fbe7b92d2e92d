//! Deploying the whole Ethereum side and proving that what landed on chain is exactly it.

use std::path::Path;

use alloy_primitives::{Address, B256, TxKind, U256, keccak256};
use sec_contracts::{BlockContext, L1Addresses, L1DeployConfig, plan_l1_deployment, verify};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::{
    client::L1Client,
    error::{BridgeError, Result},
};

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedContract {
    /// Plan step name (`"VestingVault(angel)"`).
    pub name: String,
    /// Address.
    pub address: Address,
    /// `keccak256` of its runtime code, verified after deployment.
    pub code_hash: B256,
    /// Creation transaction.
    pub tx_hash: B256,
    /// Block of the creation.
    pub block: u64,
}

/// Where the L1 contracts are: what `sec l1-deploy` writes and every other component reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Deployment {
    /// Chain id of the L1.
    pub chain_id: u64,
    /// Account that deployed.
    pub deployer: Address,
    /// Block of the first creation: watchers read deposits and stake from here on.
    pub block: u64,
    /// Contract addresses.
    pub addresses: L1Addresses,
    /// Every contract in deployment order, with its verified code hash.
    pub contracts: Vec<DeployedContract>,
}

impl L1Deployment {
    /// Reads a deployment file.
    pub fn load(path: &Path) -> Result<Self> {
        let file_error = |reason: String| BridgeError::DeploymentFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| file_error(e.to_string()))
    }

    /// Writes it as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file_error = |reason: String| BridgeError::DeploymentFile {
            path: path.display().to_string(),
            reason,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| file_error(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| file_error(e.to_string()))
    }
}

/// Deploys every contract of [`plan_l1_deployment`] from `client`'s key, in order, one at a
/// time, then verifies each contract's code.
///
/// Verification: the code hash of `eth_getCode` at each address must equal the hash of the
/// runtime code the same creation produces when replayed locally
/// ([`verify::expected_runtime_codes`], with the deployment's chain id and each creation
/// block's number and timestamp), and the code must match the artifact's deployed bytecode
/// everywhere outside immutable slots. Replaying is the only comparison that covers every
/// byte: immutables (constructor addresses, the token's genesis time, EIP-712's cached chain id
/// and address) are zeros in the artifact, and an `eth_call` of the creation code runs in a
/// block context (timestamp) other than the deployment's.
pub async fn deploy_l1(client: &L1Client, config: &L1DeployConfig) -> Result<L1Deployment> {
    let deployer = client.address();
    let start_nonce = client.next_nonce().await;
    let plan = plan_l1_deployment(config, deployer, start_nonce)?;
    info!(%deployer, start_nonce, chain_id = client.chain_id(), "deploying the L1 contracts");

    let mut receipts = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        let (tx_hash, receipt) = client
            .send_at(
                Some((step.name, step.nonce)),
                TxKind::Create,
                step.init_code.clone(),
                U256::ZERO,
            )
            .await?;
        if receipt.contract_address != Some(step.address) {
            return Err(BridgeError::AddressMismatch {
                name: step.name,
                expected: step.address,
                actual: receipt.contract_address,
            });
        }
        info!(name = step.name, address = %step.address, block = receipt.block(), "deployed");
        receipts.push((tx_hash, receipt.block()));
    }

    let mut blocks = Vec::with_capacity(receipts.len());
    for (_, number) in &receipts {
        let block = client.block(Some(*number)).await?;
        blocks.push(BlockContext { number: *number, timestamp: block.timestamp.to() });
    }
    let expected = verify::expected_runtime_codes(&plan, client.chain_id(), &blocks)?;

    let mut contracts = Vec::with_capacity(plan.steps.len());
    for ((step, (tx_hash, block)), want) in plan.steps.iter().zip(&receipts).zip(&expected) {
        let code = client.code(step.address, None).await?;
        let actual = keccak256(&code);
        let expected_hash = keccak256(want);
        let artifact_ok = verify::artifact_runtime_code(step.name)
            .is_some_and(|a| verify::matches_artifact(&code, a));
        if actual != expected_hash || !artifact_ok {
            return Err(BridgeError::CodeMismatch {
                name: step.name,
                address: step.address,
                expected: expected_hash,
                actual,
            });
        }
        contracts.push(DeployedContract {
            name: step.name.to_string(),
            address: step.address,
            code_hash: actual,
            tx_hash: *tx_hash,
            block: *block,
        });
    }
    let block = receipts.first().map(|r| r.1).unwrap_or_default();
    info!(contracts = contracts.len(), "every deployed code hash verified");
    Ok(L1Deployment {
        chain_id: client.chain_id(),
        deployer,
        block,
        addresses: plan.addresses,
        contracts,
    })
}

/// Re-checks a deployment file against the chain: same chain id, and every contract's code
/// hash as recorded (the code hashes were verified at deployment).
pub async fn check_deployment(client: &L1Client, deployment: &L1Deployment) -> Result<()> {
    if client.chain_id() != deployment.chain_id {
        return Err(BridgeError::BadResponse {
            method: "eth_chainId",
            reason: format!(
                "chain id {} but the deployment is on {}",
                client.chain_id(),
                deployment.chain_id
            ),
        });
    }
    for c in &deployment.contracts {
        let actual = keccak256(client.code(c.address, None).await?);
        if actual != c.code_hash {
            return Err(BridgeError::CodeMismatch {
                name: contract_name(&c.name),
                address: c.address,
                expected: c.code_hash,
                actual,
            });
        }
    }
    Ok(())
}

/// The static name of a plan step (error messages carry `&'static str`).
fn contract_name(name: &str) -> &'static str {
    const NAMES: [&str; 11] = [
        "SECToken",
        "VestingVault(angel)",
        "Presale",
        "VestingVault(foundation)",
        "TimelockedReserve(business)",
        "VestingVault(team)",
        "TimelockedReserve(investment)",
        "MerchantIssuance",
        "StakeManager",
        "CheckpointManager",
        "L1Bridge",
    ];
    NAMES.into_iter().find(|n| *n == name).unwrap_or("contract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_file_round_trips_in_camel_case() {
        let a = Address::repeat_byte(1);
        let addresses = L1Addresses {
            token: a,
            angel_vault: a,
            presale: a,
            foundation_vault: a,
            business_reserve: a,
            team_vault: a,
            investment_reserve: a,
            merchant_issuance: a,
            stake_manager: a,
            checkpoint_manager: a,
            l1_bridge: Address::repeat_byte(2),
        };
        let d = L1Deployment {
            chain_id: 31337,
            deployer: a,
            block: 1,
            addresses,
            contracts: vec![DeployedContract {
                name: "SECToken".into(),
                address: a,
                code_hash: B256::repeat_byte(3),
                tx_hash: B256::repeat_byte(4),
                block: 1,
            }],
        };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["chainId"], 31337);
        assert_eq!(json["addresses"]["l1Bridge"], "0x0202020202020202020202020202020202020202");
        assert_eq!(json["contracts"][0]["codeHash"], format!("{}", B256::repeat_byte(3)));
        let dir = std::env::temp_dir().join(format!("sec-bridge-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("l1.json");
        d.save(&path).unwrap();
        assert_eq!(L1Deployment::load(&path).unwrap(), d);
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(L1Deployment::load(&path), Err(BridgeError::DeploymentFile { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(contract_name("L1Bridge"), "L1Bridge");
        assert_eq!(contract_name("other"), "contract");
    }
}
