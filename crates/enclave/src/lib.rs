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
//! - The boundary (issue 7 items 1-2): [`Enclave`], a host-side trait with ONE entry point
//!   ([`Enclave::call_bytes`]) carrying a versioned [`EnclaveCall`] / [`EnclaveReply`] pair
//!   ([`call`]); the trusted core [`TrustedEnclave`] ([`trusted`]: propose, well-formedness with
//!   host-supplied proofs, peer relay, `form_block`, sealing of the block-signing key at
//!   `Init`); two backends, [`InProcessEnclave`] and [`ProcessEnclave`] (the `mcnode-enclave`
//!   binary over length-prefixed frames on a pipe, [`process`]); the host-visible types
//!   ([`host_types`]: hash, key images, output keys, tombstone, priority, highest ring index,
//!   sizes, opaque ciphertexts) and typed refusals ([`refusal`]); host-side ledger helpers
//!   ([`host`]).
//!
//! - What it signs (issue 10 item 2): the enclave tracks the chain it extends
//!   ([`trusted::chain`]: `Init`'s tip, trust on first use; blocks shown with `ShowBlock` must
//!   link and be signed by a known enclave), `FormBlock` refuses any other parent and re-checks
//!   every ring member against the parent's one root, tombstones and in-block uniqueness,
//!   leaving out (and reporting) what fails ([`trusted::form`]).
//! - Peers (issue 10 item 3): attested under the operator's [`PeerPolicy`] from `Init`, never
//!   a built-in one, and bound to the node id the host names ([`peer_policy`]).
//!
//! Configuration binding: the configuration digest in the evidence and channel prologues is
//! [`call::config_digest`] of the chain id, minimum fees, fee recipient and peer policy the
//! enclave enforces (domain tag [`call::CONFIG_DIGEST_DOMAIN`]); `Init` with any other digest
//! is refused ([`EnclaveError::ConfigDigestMismatch`]), so a host cannot redirect block fees or
//! trust a peer anchor of its own and still present evidence that correctly configured clients
//! and peers accept.
//!
//! Guarantees: no library function here reads the clock or the OS RNG. Times are arguments, and
//! every operation that needs randomness (Noise ephemeral keys, sealing nonces, key generation,
//! cache keys) takes its random bytes from the caller; only the `mcnode-enclave` binary reads
//! its own `/dev/urandom`, so that the host never knows the enclave's keys. The trusted core
//! answers every request with a typed reply and never panics (fuzzed, with arbitrary call
//! orders, by `fuzzing::fuzz_enclave_call`); no reply carries rings, signatures or amounts
//! (tested by serialising everything the host receives). Decoders of channel input never
//! panic (fuzzed by
//! [`fuzzing`]). Secret keys are zeroised on drop and never appear in `Debug` output.
//!
//! The attestation platform behind all of this is SIMULATED (see `mcnode_attest::sim`): it
//! protects nothing against the node operator.

pub mod api;
pub mod call;
#[cfg(feature = "testkit")]
mod call_fuzz;
mod call_params;
pub mod channel;
pub mod chunks;
#[cfg(feature = "testkit")]
pub mod fuzzing;
pub mod host;
pub mod host_types;
pub mod identity;
pub mod inprocess;
pub mod measurement;
pub mod peer_policy;
pub mod process;
pub mod refusal;
pub mod sealing;
pub mod trusted;

pub use api::{BoundaryError, Enclave, IdentityReport};
pub use call::{CALL_VERSION, EnclaveCall, EnclaveReply, FormBlockInputs, InitParams};
pub use inprocess::InProcessEnclave;
pub use peer_policy::PeerPolicy;
pub use process::ProcessEnclave;
pub use refusal::EnclaveError;
pub use trusted::TrustedEnclave;
