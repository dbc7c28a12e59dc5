//! The mcnode block archive: every block with its signatures on object storage, so that
//! anyone can rebuild the ledger without asking a validator (Stellar's history archives,
//! MobileCoin's `ledger/distribution` to S3).
//!
//! - [`publish`]: write blocks (a whole ledger, or one block as a running node appends it);
//!   idempotent and resumable.
//! - [`sync`]: build or extend a ledger from an archive, verifying every block (links,
//!   contents hashes, ids, a quorum of trusted signers) and naming any tampered or missing
//!   object; resumable after a kill.
//! - [`layout`]: the object names and encodings; [`store`]: URLs (`file://`, plain paths,
//!   `s3://` with the `aws` feature) and object I/O through object_store 0.14.
//!
//! The API is async (object_store is); callers without a runtime start a small tokio one.

pub mod layout;
pub mod publish;
pub mod signers;
pub mod store;
pub mod sync;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use publish::{BlockSource, PublishError, PublishReport, archive_ledger, publish_block};
pub use signers::{SignerSet, SignersError};
pub use store::{Archive, OpenError, StoreError};
pub use sync::{Problem, SyncError, SyncOptions, SyncProgress, SyncReport, sync};
