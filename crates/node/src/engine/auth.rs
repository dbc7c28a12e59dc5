//! Who may sign a consensus message, and how the engine signs and checks one.
//!
//! [`MessageAuth`] is the engine's view of message authentication: sign the digest of an
//! envelope ([`super::ScpEnvelope::signed_message`]) as this node, and check a digest's
//! signature for a claimed signer. Production uses [`Ed25519Auth`] (the node's Ed25519 message
//! key; node ids are public keys), which [`super::Engine::new`] always installs.
//!
//! With the `sim` cargo feature (enabled only by `mcnode-sim`), [`SimMacAuth`] and
//! [`super::Engine::with_auth`] exist as well: the simulator's node ids are names, not Ed25519
//! keys, and Ed25519 on every message would dominate the cost of a 100-node run. `SimMacAuth`
//! is a keyed MAC whose keys the whole simulation knows, so it authenticates only against
//! code that does not read those keys: it is a stand-in for signatures inside one simulated
//! process, never a security mechanism. Forged, mis-signed and unsigned messages are still
//! rejected by the engine's real rules, because the engine calls the same checks either way.

use mcnode_crypto::{Ed25519Signature, SigningIdentity, VerifyingIdentity};
use mcnode_types::{Hash32, NodeId};

use super::envelope::SignatureCheck;

/// Signs and checks envelope digests for the engine.
pub trait MessageAuth: Send + Sync {
    /// The node id this authenticator signs as.
    fn node_id(&self) -> NodeId;
    /// A signature over `digest` by this node.
    fn sign(&self, digest: &Hash32) -> Ed25519Signature;
    /// Whether `sig` is `signer`'s signature over `digest`.
    fn verify(
        &self,
        signer: &NodeId,
        digest: &Hash32,
        sig: &Ed25519Signature,
    ) -> Result<(), SignatureCheck>;
}

/// The production authenticator: Ed25519 with the node's message key; node ids are the
/// public keys. `Debug` shows only the node id.
#[derive(Clone)]
pub struct Ed25519Auth {
    key: SigningIdentity,
    id: NodeId,
}

impl Ed25519Auth {
    /// Signs with `key`.
    pub fn new(key: SigningIdentity) -> Self {
        let id = NodeId(key.verifying().to_bytes());
        Ed25519Auth { key, id }
    }
}

impl std::fmt::Debug for Ed25519Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Auth").field("id", &self.id).finish_non_exhaustive()
    }
}

impl MessageAuth for Ed25519Auth {
    fn node_id(&self) -> NodeId {
        self.id
    }

    fn sign(&self, digest: &Hash32) -> Ed25519Signature {
        self.key.sign(digest.as_bytes())
    }

    fn verify(
        &self,
        signer: &NodeId,
        digest: &Hash32,
        sig: &Ed25519Signature,
    ) -> Result<(), SignatureCheck> {
        let sender = *signer;
        let key = VerifyingIdentity::from_bytes(sender.as_bytes())
            .map_err(|_| SignatureCheck::BadSender { sender })?;
        key.verify(digest.as_bytes(), sig).map_err(|_| SignatureCheck::BadSignature { sender })
    }
}

#[cfg(feature = "sim")]
pub use sim::{SIM_MAC_DOMAIN, SimMacAuth};

#[cfg(feature = "sim")]
mod sim {
    use std::collections::HashMap;
    use std::sync::Arc;

    use mcnode_crypto::Ed25519Signature;
    use mcnode_types::{Hash32, NodeId};

    use super::{MessageAuth, SignatureCheck};

    /// Domain tag of the simulator's MAC.
    pub const SIM_MAC_DOMAIN: &[u8] = b"mcnode-sim-mac-v1";

    /// The simulator's authenticator: `SHA-256(domain ‖ key(signer) ‖ digest)` in the first 32
    /// bytes of the signature, zeros in the rest (both checked). Every node's key is in the
    /// shared table, so anyone holding the table can forge: simulation only (see the module
    /// documentation). `Debug` never shows keys.
    #[derive(Clone)]
    pub struct SimMacAuth {
        id: NodeId,
        keys: Arc<HashMap<NodeId, [u8; 32]>>,
    }

    impl std::fmt::Debug for SimMacAuth {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SimMacAuth").field("id", &self.id).finish_non_exhaustive()
        }
    }

    impl SimMacAuth {
        /// The authenticator of node `id`, or `None` if the table has no key for it.
        pub fn new(id: NodeId, keys: Arc<HashMap<NodeId, [u8; 32]>>) -> Option<Self> {
            keys.contains_key(&id).then_some(SimMacAuth { id, keys })
        }

        fn mac(key: &[u8; 32], digest: &Hash32) -> Ed25519Signature {
            let mut data = [0u8; 64];
            data[..32].copy_from_slice(key);
            data[32..].copy_from_slice(digest.as_bytes());
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(Hash32::digest(SIM_MAC_DOMAIN, &data).as_bytes());
            Ed25519Signature(sig)
        }
    }

    impl MessageAuth for SimMacAuth {
        fn node_id(&self) -> NodeId {
            self.id
        }

        fn sign(&self, digest: &Hash32) -> Ed25519Signature {
            match self.keys.get(&self.id) {
                Some(k) => Self::mac(k, digest),
                // `new` checked the key is there; an all-zero tag never verifies.
                None => Ed25519Signature([0; 64]),
            }
        }

        fn verify(
            &self,
            signer: &NodeId,
            digest: &Hash32,
            sig: &Ed25519Signature,
        ) -> Result<(), SignatureCheck> {
            let sender = *signer;
            let key = self.keys.get(signer).ok_or(SignatureCheck::BadSender { sender })?;
            if Self::mac(key, digest) == *sig {
                Ok(())
            } else {
                Err(SignatureCheck::BadSignature { sender })
            }
        }
    }
}
