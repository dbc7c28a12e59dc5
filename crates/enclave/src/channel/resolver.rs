//! A `snow` crypto resolver whose RNG is seeded by the caller.
//!
//! `snow` asks its resolver for an RNG when a handshake is built and uses it for the ephemeral
//! key. The default resolver would hand it the OS RNG; this one hands it a ChaCha20 RNG seeded
//! with 32 bytes the caller supplies, and delegates the primitives (X25519, ChaChaPoly,
//! BLAKE2s) to `snow`'s default resolver. Callers must pass fresh random bytes for every
//! handshake: reusing a seed reuses an ephemeral key.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use snow::params::{CipherChoice, DHChoice, HashChoice};
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Cipher, Dh, Hash, Random};
use zeroize::Zeroizing;

/// Resolver with a caller-seeded RNG.
pub struct SeededResolver {
    seed: Zeroizing<[u8; 32]>,
}

impl SeededResolver {
    /// A resolver whose RNG starts from `seed`.
    pub fn new(seed: [u8; 32]) -> SeededResolver {
        SeededResolver { seed: Zeroizing::new(seed) }
    }
}

struct SeededRng(ChaCha20Rng);

impl Random for SeededRng {
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), snow::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoResolver for SeededResolver {
    fn resolve_rng(&self) -> Option<Box<dyn Random>> {
        Some(Box::new(SeededRng(ChaCha20Rng::from_seed(*self.seed))))
    }

    fn resolve_dh(&self, choice: &DHChoice) -> Option<Box<dyn Dh>> {
        DefaultResolver.resolve_dh(choice)
    }

    fn resolve_hash(&self, choice: &HashChoice) -> Option<Box<dyn Hash>> {
        DefaultResolver.resolve_hash(choice)
    }

    fn resolve_cipher(&self, choice: &CipherChoice) -> Option<Box<dyn Cipher>> {
        DefaultResolver.resolve_cipher(choice)
    }
}

/// The X25519 public key of a private key (via `snow`'s own X25519).
pub fn x25519_public(private: &[u8; 32]) -> Result<[u8; 32], snow::Error> {
    let mut dh = DefaultResolver
        .resolve_dh(&DHChoice::Curve25519)
        .ok_or(snow::Error::Init(snow::error::InitStage::GetDhImpl))?;
    dh.set(private);
    let mut out = [0u8; 32];
    out.copy_from_slice(dh.pubkey());
    Ok(out)
}
