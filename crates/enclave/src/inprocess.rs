//! The in-process backend: the trusted core in the host's own address space (tests, the
//! simulator, benchmarks). Calls still cross as bytes, exactly as with the process backend,
//! but nothing separates the host's memory from the enclave's.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::api::{BoundaryError, Enclave};
use crate::trusted::TrustedEnclave;

/// The trusted core plus the RNG that feeds it (seeded by the creator).
#[derive(Debug)]
pub struct InProcessEnclave {
    core: TrustedEnclave,
    rng: ChaCha20Rng,
}

impl InProcessEnclave {
    /// Wraps `core`; `entropy_seed` seeds the enclave's randomness (use fresh random bytes;
    /// tests pass fixed ones for determinism).
    pub fn new(core: TrustedEnclave, entropy_seed: [u8; 32]) -> InProcessEnclave {
        InProcessEnclave { core, rng: ChaCha20Rng::from_seed(entropy_seed) }
    }
}

impl Enclave for InProcessEnclave {
    fn call_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, BoundaryError> {
        let mut entropy = [0u8; 32];
        self.rng.fill_bytes(&mut entropy);
        Ok(self.core.handle(request, entropy))
    }
}
