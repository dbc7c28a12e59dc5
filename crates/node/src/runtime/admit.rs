//! Admission of a transaction the enclave decrypted (from a client, a peer relay or a body
//! fetch) into the pool: the host's ledger checks (key images unspent, outputs new), the
//! host's membership proof of the highest ring member, then the enclave's well-formedness
//! check at the current height (MobileCoin `tx_manager::insert` and `validate`). Only what
//! passes both reaches the engine.
//!
//! [`Admission`] wraps this for every path a transaction arrives by: copies of one hash are
//! admitted one at a time ([`super::same_tx`]), and a copy of a transaction already pooled is
//! not checked again (a mesh delivers most transactions several times).

use mcnode_enclave::host::{HostError, highest_proof};
use mcnode_enclave::host_types::{HighestProof, TxContext};
use mcnode_ledger::{Ledger, LedgerError};
use mcnode_types::Hash32;
use std::sync::Arc;

use crate::admin::Metrics;
use crate::engine::PooledTx;

use super::actor::EngineHandle;
use super::enclave_worker::{EnclaveCallError, EnclaveWorker};
use super::ledger::{LedgerTaskError, SharedLedger};
use super::same_tx::{SameTxGuard, SameTxLocks};
use super::well_formed::WellFormedBatcher;

/// What admits transactions: the enclave, the ledger, the engine's pool (asked whether a hash
/// is pooled already) and the per-hash locks; cheap to clone.
#[derive(Clone, Debug)]
pub struct Admission {
    /// The enclave.
    pub enclave: EnclaveWorker,
    /// The ledger.
    pub ledger: SharedLedger,
    /// The engine (its pool).
    pub engine: EngineHandle,
    /// The enclave's checks, batched.
    pub well_formed: WellFormedBatcher,
    /// Admissions under way, by hash.
    pub same_tx: SameTxLocks,
    /// Counts checks and skipped copies.
    pub metrics: Arc<Metrics>,
}

impl Admission {
    /// Waits until no other copy of `hash` is being admitted. Hold the guard until the
    /// admitted transaction is in the engine's pool (or refused).
    pub async fn hold(&self, hash: Hash32) -> SameTxGuard {
        self.same_tx.hold(hash).await
    }

    /// Whether `hash` is pooled already (then this copy needs no check); counts the skip.
    pub async fn already_pooled(&self, hash: Hash32) -> bool {
        let pooled = self.engine.pooled(hash).await;
        if pooled {
            self.metrics.tx_copies_skipped.inc();
        }
        pooled
    }

    /// Checks `ctx` against the ledger, then has the enclave check it (in a batch with the
    /// other checks waiting, [`WellFormedBatcher`]); counted.
    pub async fn admit(&self, ctx: TxContext) -> Result<PooledTx, AdmitError> {
        self.metrics.tx_checks.inc();
        let (height, highest, ctx) = ledger_checks(&self.ledger, ctx).await?;
        let (context, payload) = self.well_formed.check(ctx.encrypted, height, highest).await?;
        Ok(PooledTx { context, payload })
    }
}

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

/// The host's checks: key images unspent, outputs new, and the proof of the highest ring
/// member; returns the height they were made at.
async fn ledger_checks(
    ledger: &SharedLedger,
    ctx: TxContext,
) -> Result<(u64, HighestProof, TxContext), AdmitError> {
    ledger
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
        .await?
}
