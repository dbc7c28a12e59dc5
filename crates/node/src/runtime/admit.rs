//! Admission of a transaction the enclave decrypted (from a client, a peer relay or a body
//! fetch) into the pool: the host's ledger checks (key images unspent, outputs new), the
//! host's membership proof of the highest ring member, then the enclave's well-formedness
//! check at the current height (MobileCoin `tx_manager::insert` and `validate`). Only what
//! passes both reaches the engine.

use mcnode_enclave::host::{HostError, highest_proof};
use mcnode_enclave::host_types::TxContext;
use mcnode_ledger::{Ledger, LedgerError};

use crate::engine::PooledTx;

use super::enclave_worker::{EnclaveCallError, EnclaveWorker};
use super::ledger::{LedgerTaskError, SharedLedger};

/// Why a transaction was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// One of its key images is already spent.
    #[error("a key image is already spent")]
    KeyImageSpent,
    /// One of its outputs is already in the ledger.
    #[error("an output is already in the ledger")]
    OutputAlreadyInLedger,
    /// Its highest ring member is not in the ledger.
    #[error("the host cannot prove the highest ring member: {0}")]
    Host(#[from] HostError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The ledger task failed.
    #[error(transparent)]
    LedgerTask(#[from] LedgerTaskError),
    /// The enclave refused it (or died).
    #[error(transparent)]
    Enclave(#[from] EnclaveCallError),
}

/// Checks `ctx` against the ledger, then asks the enclave whether it is well formed.
pub async fn admit(
    enclave: &EnclaveWorker,
    ledger: &SharedLedger,
    ctx: TxContext,
) -> Result<PooledTx, AdmitError> {
    let (height, highest, ctx) = ledger
        .with(move |l| -> Result<_, AdmitError> {
            for ki in &ctx.key_images {
                if l.key_image_block(ki)?.is_some() {
                    return Err(AdmitError::KeyImageSpent);
                }
            }
            for pk in &ctx.output_public_keys {
                if l.output_index(pk)?.is_some() {
                    return Err(AdmitError::OutputAlreadyInLedger);
                }
            }
            let highest = highest_proof(&*l, &ctx)?;
            Ok((l.num_blocks()?, highest, ctx))
        })
        .await??;
    let (context, payload) =
        enclave.call(move |e| e.tx_is_well_formed(ctx.encrypted, height, highest)).await?;
    Ok(PooledTx { context, payload })
}
