//! Validators on `StakeManager`: registration (self-stake plus the signer key's consent),
//! delegation, the active signer set, and recording it for the checkpoints it signs.

use alloy::signers::{SignerSync, local::PrivateKeySigner};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{bindings::StakeManager, digest};

use crate::{
    client::{L1Client, Receipt},
    deposit::ensure_allowance,
    error::Result,
};

/// What a validator registers with.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Key that signs votes and checkpoints (its address is registered, and it signs its
    /// consent to serve the validator account).
    pub signer: PrivateKeySigner,
    /// BLS12-381 public key (48 or 96 bytes) for the block randomness.
    pub bls_key: Bytes,
    /// Commission on delegators' rewards, basis points.
    pub commission_bps: u16,
    /// Self-stake in SEC wei (at least the minimum self-stake).
    pub self_stake: U256,
}

/// Registers `client`'s account as a validator: approves the stake, signs the registration
/// digest with the signer key and calls `registerValidator`.
pub async fn register_validator(
    client: &L1Client,
    stake_manager: Address,
    sec_token: Address,
    registration: &Registration,
) -> Result<Receipt> {
    ensure_allowance(client, sec_token, stake_manager, registration.self_stake).await?;
    let digest =
        digest::signer_registration_digest(client.chain_id(), stake_manager, client.address());
    let proof = registration.signer.sign_hash_sync(&digest)?;
    let call = StakeManager::registerValidatorCall {
        signer: registration.signer.address(),
        blsKey: registration.bls_key.clone(),
        commissionBps: registration.commission_bps,
        amount: registration.self_stake,
        signerProof: proof.as_bytes().to_vec().into(),
    };
    client.send_call(stake_manager, call, U256::ZERO).await
}

/// Delegates `amount` SEC wei to `validator`.
pub async fn delegate(
    client: &L1Client,
    stake_manager: Address,
    sec_token: Address,
    validator: Address,
    amount: U256,
) -> Result<Receipt> {
    ensure_allowance(client, sec_token, stake_manager, amount).await?;
    client
        .send_call(stake_manager, StakeManager::delegateCall { v: validator, amount }, U256::ZERO)
        .await
}

/// The active signer set: signer addresses sorted ascending, their stakes, and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSigners {
    /// Signer addresses, ascending.
    pub signers: Vec<Address>,
    /// Stake behind each signer.
    pub stakes: Vec<U256>,
    /// Sum of the stakes.
    pub total: U256,
}

/// Reads `StakeManager.activeSigners()` at L1 block `block` (`None` = latest).
pub async fn active_signers(
    client: &L1Client,
    stake_manager: Address,
    block: Option<u64>,
) -> Result<ActiveSigners> {
    let r = client.view_at(stake_manager, StakeManager::activeSignersCall {}, block).await?;
    Ok(ActiveSigners { signers: r.signers, stakes: r.stakes, total: r.total })
}

/// Records the active set as it is now on `StakeManager` (`snapshotActiveSet`), unless it is
/// the current recorded set already, and returns it with its hash: the `validatorSetHash` a
/// checkpoint signed by it carries. Checkpoints may name it from the next block on.
pub async fn record_active_set(
    client: &L1Client,
    stake_manager: Address,
) -> Result<(B256, ActiveSigners)> {
    let set = active_signers(client, stake_manager, None).await?;
    let live = sec_primitives::validator::set_hash(set.signers.clone(), set.stakes.clone());
    let current = client.view(stake_manager, StakeManager::currentSetHashCall {}).await?;
    if current != live {
        client.send_call(stake_manager, StakeManager::snapshotActiveSetCall {}, U256::ZERO).await?;
    }
    Ok((live, set))
}
