//! The enclave's cache ciphers: ChaCha20-Poly1305 under a key drawn from enclave randomness
//! at `Init` (so a restart invalidates every cached ciphertext, as in MobileCoin), with a
//! counter nonce (never reused: the counter only grows, and the cipher refuses to wrap).
//!
//! Blob: `counter:u64 || ciphertext+tag`. The associated data names the cache (`local` or
//! `well-formed`) so a ciphertext of one cache is refused by the other even if the keys
//! were equal.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use zeroize::Zeroizing;

use crate::refusal::EnclaveError;

/// One cache key with its nonce counter.
pub struct CacheCipher {
    cipher: ChaCha20Poly1305,
    label: &'static [u8],
    next: u64,
}

impl std::fmt::Debug for CacheCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheCipher").field("next", &self.next).finish_non_exhaustive()
    }
}

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::from(n)
}

impl CacheCipher {
    /// A cipher under `key` for the cache named `label`.
    pub fn new(key: Zeroizing<[u8; 32]>, label: &'static [u8]) -> CacheCipher {
        CacheCipher { cipher: ChaCha20Poly1305::new((&*key).into()), label, next: 0 }
    }

    /// Encrypts `plaintext` under the next nonce.
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, EnclaveError> {
        let counter = self.next;
        self.next = self.next.checked_add(1).ok_or(EnclaveError::Internal)?;
        let ct = self
            .cipher
            .encrypt(&nonce(counter), Payload { msg: plaintext, aad: self.label })
            .map_err(|_| EnclaveError::Internal)?;
        let mut out = Vec::with_capacity(8 + ct.len());
        out.extend_from_slice(&counter.to_be_bytes());
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts a blob made by [`CacheCipher::seal`] of this cipher.
    pub fn open(&self, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnclaveError> {
        let (head, ct) = blob.split_at_checked(8).ok_or(EnclaveError::BadCiphertext)?;
        let mut c = [0u8; 8];
        c.copy_from_slice(head);
        self.cipher
            .decrypt(&nonce(u64::from_be_bytes(c)), Payload { msg: ct, aad: self.label })
            .map(Zeroizing::new)
            .map_err(|_| EnclaveError::BadCiphertext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let mut a = CacheCipher::new(Zeroizing::new([1; 32]), b"local");
        let b = CacheCipher::new(Zeroizing::new([1; 32]), b"well-formed");
        let c = CacheCipher::new(Zeroizing::new([2; 32]), b"local");
        let x = a.seal(b"secret tx").unwrap();
        let y = a.seal(b"secret tx").unwrap();
        assert_ne!(x, y, "nonce reused");
        assert_eq!(a.open(&x).unwrap().as_slice(), b"secret tx");
        assert_eq!(b.open(&x), Err(EnclaveError::BadCiphertext), "other cache accepted");
        assert_eq!(c.open(&x), Err(EnclaveError::BadCiphertext), "other key accepted");
        let mut t = x.clone();
        t[9] ^= 1;
        assert_eq!(a.open(&t), Err(EnclaveError::BadCiphertext));
        assert_eq!(a.open(&x[..5]), Err(EnclaveError::BadCiphertext));
    }
}
