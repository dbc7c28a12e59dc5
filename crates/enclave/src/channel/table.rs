//! The enclave's session tables: bounded, evicting the least recently used entry.
//!
//! Limits follow MobileCoin's defaults (10 000 client sessions, 64 peer sessions, 64 pending
//! peer handshakes, here per role: started and answered). A full table evicts the entry unused for longest; "age" is a logical
//! counter bumped on every insert and use, so no clock is involved. Client handshakes (NX)
//! complete in the enclave's single reply, so only peer handshakes (XX, three messages) are ever
//! pending.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

use mcnode_attest::{VerifiedClaims, Verifier};
use mcnode_types::NodeId;

use super::handshake::{PeerInitiator, PeerResponder, accept_client};
use super::session::{ChannelMessage, Session, SessionId};
use super::{ChannelConfig, ChannelError};
use crate::identity::EnclaveIdentity;

/// Size limits of the session tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// Open client sessions.
    pub max_clients: usize,
    /// Open peer sessions.
    pub max_peers: usize,
    /// Peer handshakes waiting for their next message, per role (started, answered).
    pub max_pending: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { max_clients: 10_000, max_peers: 64, max_pending: 64 }
    }
}

/// A map with a capacity that evicts its least recently used entry.
struct Lru<K, V> {
    cap: usize,
    tick: u64,
    map: HashMap<K, (u64, V)>,
    order: BTreeMap<u64, K>,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    fn new(cap: usize) -> Self {
        Lru { cap, tick: 0, map: HashMap::new(), order: BTreeMap::new() }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    /// Inserts (replacing any entry under `k`), evicting the oldest entry if full. Returns the
    /// evicted key.
    fn insert(&mut self, k: K, v: V) -> Option<K> {
        self.remove(&k);
        let mut evicted = None;
        if self.map.len() >= self.cap {
            if let Some((_, old)) = self.order.pop_first() {
                self.map.remove(&old);
                evicted = Some(old);
            } else {
                return Some(k); // capacity 0: nothing is kept
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, k.clone());
        self.map.insert(k, (self.tick, v));
        evicted
    }

    fn contains(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }

    fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let (t, v) = self.map.get_mut(k)?;
        self.order.remove(t);
        self.tick += 1;
        *t = self.tick;
        self.order.insert(self.tick, k.clone());
        Some(v)
    }

    fn remove(&mut self, k: &K) -> Option<V> {
        let (t, v) = self.map.remove(k)?;
        self.order.remove(&t);
        Some(v)
    }
}

/// Everything channel-related one enclave holds: its identity, what it verifies peers with,
/// and its bounded session tables.
pub struct Sessions {
    identity: EnclaveIdentity,
    cfg: ChannelConfig,
    verifier: Verifier,
    clients: Lru<SessionId, Session>,
    peers: Lru<SessionId, Session>,
    /// Handshakes this enclave started, by peer. Kept apart from those it answers: two nodes
    /// that dial each other at once each hold both, and neither may replace the other (one
    /// table made the later `PeerAccept` clobber the earlier `PeerInit`, failing it).
    initiating: Lru<NodeId, PeerInitiator>,
    /// Handshakes this enclave answered, by peer.
    responding: Lru<NodeId, PeerResponder>,
    evictions: u64,
    attested_signers: HashSet<NodeId>,
}

/// Most distinct peer block-signing keys remembered as attested (the largest quorum set names
/// 1000 validators).
pub const MAX_ATTESTED_SIGNERS: usize = 4096;

/// Refuses a verified peer whose attested node id is not the node id the host named; returns
/// the peer enclave's block-signing key (from the same verified claims).
fn bind(named: NodeId, claims: &VerifiedClaims) -> Result<NodeId, ChannelError> {
    let attested = NodeId(claims.claims.node_id);
    if attested != named {
        return Err(ChannelError::PeerIdMismatch { named, attested });
    }
    Ok(NodeId(claims.claims.block_signing_key))
}

impl Sessions {
    /// Empty tables.
    pub fn new(
        identity: EnclaveIdentity,
        cfg: ChannelConfig,
        verifier: Verifier,
        limits: SessionLimits,
    ) -> Sessions {
        Sessions {
            identity,
            cfg,
            verifier,
            clients: Lru::new(limits.max_clients),
            peers: Lru::new(limits.max_peers),
            initiating: Lru::new(limits.max_pending),
            responding: Lru::new(limits.max_pending),
            evictions: 0,
            attested_signers: HashSet::new(),
        }
    }

    /// The enclave identity.
    pub fn identity(&self) -> &EnclaveIdentity {
        &self.identity
    }

    /// Whether `signer` is the block-signing key of a peer enclave that completed an attested
    /// handshake with this enclave (under its peer policy, its evidence naming the node id the
    /// host named).
    pub fn is_attested_signer(&self, signer: &NodeId) -> bool {
        self.attested_signers.contains(signer)
    }

    fn remember(&mut self, signer: NodeId) {
        if self.attested_signers.len() < MAX_ATTESTED_SIGNERS {
            self.attested_signers.insert(signer);
        }
    }

    /// (clients, peers, pending handshakes) currently held.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.clients.len(), self.peers.len(), self.initiating.len() + self.responding.len())
    }

    /// Entries evicted so far because a table was full.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    fn count(&mut self, evicted: Option<impl Sized>) {
        if evicted.is_some() {
            self.evictions += 1;
        }
    }

    /// Accepts a client handshake (NX message 1); returns the session id and message 2.
    pub fn accept_client(
        &mut self,
        msg1: &[u8],
        ephemeral_seed: [u8; 32],
    ) -> Result<(SessionId, Vec<u8>), ChannelError> {
        let (session, msg2) = accept_client(&self.identity, &self.cfg, msg1, ephemeral_seed)?;
        let id = session.id();
        let e = self.clients.insert(id, session);
        self.count(e);
        Ok((id, msg2))
    }

    /// Decrypts a client message.
    pub fn client_open(&mut self, msg: &ChannelMessage) -> Result<Vec<u8>, ChannelError> {
        let s = self
            .clients
            .get_mut(&msg.session)
            .ok_or(ChannelError::UnknownSession { id: msg.session })?;
        s.open(msg)
    }

    /// Encrypts a message for a client.
    pub fn client_seal(
        &mut self,
        id: SessionId,
        plaintext: &[u8],
    ) -> Result<ChannelMessage, ChannelError> {
        self.clients.get_mut(&id).ok_or(ChannelError::UnknownSession { id })?.seal(plaintext)
    }

    /// Closes a client session; false if it was not open.
    pub fn close_client(&mut self, id: SessionId) -> bool {
        self.clients.remove(&id).is_some()
    }

    /// Starts a handshake to `peer` (XX message 1).
    pub fn peer_connect(
        &mut self,
        peer: NodeId,
        ephemeral_seed: [u8; 32],
    ) -> Result<Vec<u8>, ChannelError> {
        let (init, msg1) = PeerInitiator::start(&self.identity, &self.cfg, ephemeral_seed)?;
        let e = self.initiating.insert(peer, init);
        self.count(e);
        Ok(msg1)
    }

    /// Answers a handshake from `peer` (XX message 1 in, message 2 out).
    pub fn peer_accept(
        &mut self,
        peer: NodeId,
        msg1: &[u8],
        ephemeral_seed: [u8; 32],
    ) -> Result<Vec<u8>, ChannelError> {
        let (resp, msg2) = PeerResponder::respond(&self.identity, &self.cfg, msg1, ephemeral_seed)?;
        let e = self.responding.insert(peer, resp);
        self.count(e);
        Ok(msg2)
    }

    /// Initiator: reads message 2, verifies the peer (under the peer policy, and that its
    /// evidence names node id `peer`), returns the session id, message 3 and the verified
    /// claims (whose block-signing key is the peer enclave's).
    pub fn peer_connected(
        &mut self,
        peer: NodeId,
        msg2: &[u8],
        now: u64,
    ) -> Result<(SessionId, Vec<u8>, VerifiedClaims), ChannelError> {
        let init = match self.initiating.remove(&peer) {
            Some(i) => i,
            None if self.responding.contains(&peer) => {
                return Err(ChannelError::WrongRole { peer });
            }
            None => return Err(ChannelError::NoPendingHandshake { peer }),
        };
        let (session, msg3, claims) = init.finish(&self.identity, msg2, &self.verifier, now)?;
        let signer = bind(peer, &claims)?;
        self.remember(signer);
        let id = session.id();
        let e = self.peers.insert(id, session);
        self.count(e);
        Ok((id, msg3, claims))
    }

    /// Responder: reads message 3, verifies the peer (policy and node id), returns the session
    /// id.
    pub fn peer_accepted(
        &mut self,
        peer: NodeId,
        msg3: &[u8],
        now: u64,
    ) -> Result<(SessionId, VerifiedClaims), ChannelError> {
        let resp = match self.responding.remove(&peer) {
            Some(r) => r,
            None if self.initiating.contains(&peer) => {
                return Err(ChannelError::WrongRole { peer });
            }
            None => return Err(ChannelError::NoPendingHandshake { peer }),
        };
        let (session, claims) = resp.finish(msg3, &self.verifier, now)?;
        let signer = bind(peer, &claims)?;
        self.remember(signer);
        let id = session.id();
        let e = self.peers.insert(id, session);
        self.count(e);
        Ok((id, claims))
    }

    /// Decrypts a peer message.
    pub fn peer_open(&mut self, msg: &ChannelMessage) -> Result<Vec<u8>, ChannelError> {
        let s = self
            .peers
            .get_mut(&msg.session)
            .ok_or(ChannelError::UnknownSession { id: msg.session })?;
        s.open(msg)
    }

    /// Encrypts a message for a peer.
    pub fn peer_seal(
        &mut self,
        id: SessionId,
        plaintext: &[u8],
    ) -> Result<ChannelMessage, ChannelError> {
        self.peers.get_mut(&id).ok_or(ChannelError::UnknownSession { id })?.seal(plaintext)
    }

    /// Closes a peer session; false if it was not open.
    pub fn close_peer(&mut self, id: SessionId) -> bool {
        self.peers.remove(&id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::Lru;

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut l = Lru::new(2);
        assert_eq!(l.insert(1, 'a'), None);
        assert_eq!(l.insert(2, 'b'), None);
        assert!(l.get_mut(&1).is_some()); // 2 is now the oldest
        assert_eq!(l.insert(3, 'c'), Some(2));
        assert_eq!(l.len(), 2);
        assert_eq!(l.remove(&1), Some('a'));
        assert_eq!(l.insert(4, 'd'), None);
        assert_eq!(l.insert(4, 'e'), None, "replacing a key evicts nothing");
        let mut z: Lru<u8, ()> = Lru::new(0);
        assert_eq!(z.insert(1, ()), Some(1));
        assert_eq!(z.len(), 0);
    }
}
