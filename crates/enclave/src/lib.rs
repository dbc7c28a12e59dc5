//! The enclave side of mcnode: the code that would run inside a TEE.
//!
//! **What exists now**
//! - [`channel`]: attested, end-to-end encrypted Noise channels. Client -> enclave uses
//!   `Noise_NX` with the enclave's evidence in the responder's payload; enclave <-> enclave uses
//!   `Noise_XX` with evidence from both sides. Each side checks that the Noise static key it
//!   saw equals the key named in the other's evidence; the handshake hash is the session id;
//!   the prologue binds protocol version, chain id and configuration digest. Session tables
//!   bound clients, peers and pending handshakes and evict the least recently used.
//! - [`sealing`]: authenticated encryption of enclave secrets under a key the platform derives
//!   from its secret and the enclave measurement (so another measurement cannot unseal).
//! - [`identity`]: the enclave's Noise static key (fresh on every start), block-signing key
//!   (sealed, and restored from the sealed blob after a restart) and evidence.
//! - [`measurement`]: the measurement of the enclave built with this release.
//!
//! **Planned (needs the transaction and ledger crates):** `trait Enclave` with one versioned
//! `EnclaveCall` / `EnclaveReply` entry point, in-process and separate-process backends,
//! transaction propose / well-formedness / form-block, and an `init` call that wires
//! [`identity::EnclaveIdentity::restore_simulated`] / `seal_block_signing_key` to the node's
//! sealed-key file.
//!
//! Guarantees: no function here reads the clock or the OS RNG. Times are arguments, and every
//! operation that needs randomness (Noise ephemeral keys, sealing nonces, key generation) takes
//! its random bytes from the caller. Decoders of channel input never panic (fuzzed by
//! [`fuzzing`]). Secret keys are zeroised on drop and never appear in `Debug` output.
//!
//! The attestation platform behind all of this is SIMULATED (see `mcnode_attest::sim`): it
//! protects nothing against the node operator.

pub mod channel;
pub mod fuzzing;
pub mod identity;
pub mod measurement;
pub mod sealing;
