//! The handshakes: client -> enclave NX and enclave <-> enclave XX, each with evidence checks
//! tied to the Noise static key actually used.

use mcnode_attest::{Evidence, Expected, VerifiedClaims, Verifier};
use mcnode_types::Hash32;
use snow::{Builder, HandshakeState};

use super::resolver::SeededResolver;
use super::session::{MAX_MESSAGE_LEN, Session, SessionId};
use super::{CLIENT_PATTERN, ChannelConfig, ChannelError, PEER_PATTERN};
use crate::identity::EnclaveIdentity;

fn builder<'a>(pattern: &str, seed: [u8; 32]) -> Result<Builder<'a>, ChannelError> {
    let params = pattern.parse()?;
    Ok(Builder::with_resolver(params, Box::new(SeededResolver::new(seed))))
}

fn write(hs: &mut HandshakeState, payload: &[u8]) -> Result<Vec<u8>, ChannelError> {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let n = hs.write_message(payload, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn read(hs: &mut HandshakeState, msg: &[u8]) -> Result<Vec<u8>, ChannelError> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(ChannelError::TooLarge {
            what: "handshake message",
            len: msg.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let n = hs.read_message(msg, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Verifies the evidence in `payload` for the remote static key the handshake revealed.
fn verify_remote(
    hs: &HandshakeState,
    payload: &[u8],
    cfg: &ChannelConfig,
    verifier: &Verifier,
    now: u64,
) -> Result<VerifiedClaims, ChannelError> {
    let remote: [u8; 32] = hs
        .get_remote_static()
        .and_then(|k| k.try_into().ok())
        .ok_or(ChannelError::NoRemoteStatic)?;
    let evidence = Evidence::from_bytes(payload)?;
    let expected = Expected {
        chain_id: Some(cfg.chain_id.clone()),
        config_digest: Some(cfg.config_digest),
        noise_static: Some(remote),
    };
    Ok(verifier.verify(&evidence, &expected, now)?)
}

fn into_session(hs: HandshakeState) -> Result<Session, ChannelError> {
    let mut id = [0u8; 32];
    let h = hs.get_handshake_hash();
    let n = h.len().min(32);
    id[..n].copy_from_slice(&h[..n]);
    Ok(Session::new(SessionId(Hash32(id)), hs.into_stateless_transport_mode()?))
}

/// The client's side of a client -> enclave (NX) handshake.
pub struct ClientHandshake {
    hs: HandshakeState,
    cfg: ChannelConfig,
}

impl ClientHandshake {
    /// Starts a handshake; returns the first message (the client's ephemeral key) to send.
    /// `ephemeral_seed` must be fresh random bytes.
    pub fn start(
        cfg: &ChannelConfig,
        ephemeral_seed: [u8; 32],
    ) -> Result<(ClientHandshake, Vec<u8>), ChannelError> {
        let mut hs = builder(CLIENT_PATTERN, ephemeral_seed)?
            .prologue(&cfg.prologue(b"client"))?
            .build_initiator()?;
        let msg1 = write(&mut hs, &[])?;
        Ok((ClientHandshake { hs, cfg: cfg.clone() }, msg1))
    }

    /// Reads the enclave's reply, verifies its evidence against `verifier` at `now` (including
    /// that the evidence names the Noise static key the enclave used), and opens the session.
    pub fn finish(
        mut self,
        msg2: &[u8],
        verifier: &Verifier,
        now: u64,
    ) -> Result<(Session, VerifiedClaims), ChannelError> {
        let payload = read(&mut self.hs, msg2)?;
        let claims = verify_remote(&self.hs, &payload, &self.cfg, verifier, now)?;
        Ok((into_session(self.hs)?, claims))
    }

    /// Finishes WITHOUT verifying the evidence: only for the fuzz harness, which needs an
    /// established session in builds without the `simulated` feature. Not public; compiled only
    /// with the `testkit` feature, like the fuzz harness.
    #[cfg(feature = "testkit")]
    pub(crate) fn finish_unverified(mut self, msg2: &[u8]) -> Result<Session, ChannelError> {
        read(&mut self.hs, msg2)?;
        into_session(self.hs)
    }
}

/// The enclave's side of a client -> enclave (NX) handshake: reads the client's first message
/// and returns the session plus the reply (the enclave's static key and evidence).
pub fn accept_client(
    identity: &EnclaveIdentity,
    cfg: &ChannelConfig,
    msg1: &[u8],
    ephemeral_seed: [u8; 32],
) -> Result<(Session, Vec<u8>), ChannelError> {
    let mut hs = builder(CLIENT_PATTERN, ephemeral_seed)?
        .prologue(&cfg.prologue(b"client"))?
        .local_private_key(identity.noise_private())?
        .build_responder()?;
    read(&mut hs, msg1)?;
    let msg2 = write(&mut hs, identity.evidence_bytes())?;
    Ok((into_session(hs)?, msg2))
}

/// The initiating enclave of an enclave <-> enclave (XX) handshake.
pub struct PeerInitiator {
    hs: HandshakeState,
    cfg: ChannelConfig,
}

impl PeerInitiator {
    /// Starts a handshake; returns message 1 (ephemeral key only).
    pub fn start(
        identity: &EnclaveIdentity,
        cfg: &ChannelConfig,
        ephemeral_seed: [u8; 32],
    ) -> Result<(PeerInitiator, Vec<u8>), ChannelError> {
        let mut hs = builder(PEER_PATTERN, ephemeral_seed)?
            .prologue(&cfg.prologue(b"peer"))?
            .local_private_key(identity.noise_private())?
            .build_initiator()?;
        let msg1 = write(&mut hs, &[])?;
        Ok((PeerInitiator { hs, cfg: cfg.clone() }, msg1))
    }

    /// Reads message 2, verifies the responder's evidence for the static key it used, and
    /// returns the session and message 3 (our static key and evidence, encrypted).
    pub fn finish(
        mut self,
        identity: &EnclaveIdentity,
        msg2: &[u8],
        verifier: &Verifier,
        now: u64,
    ) -> Result<(Session, Vec<u8>, VerifiedClaims), ChannelError> {
        let payload = read(&mut self.hs, msg2)?;
        let claims = verify_remote(&self.hs, &payload, &self.cfg, verifier, now)?;
        let msg3 = write(&mut self.hs, identity.evidence_bytes())?;
        Ok((into_session(self.hs)?, msg3, claims))
    }
}

/// The responding enclave of an enclave <-> enclave (XX) handshake.
pub struct PeerResponder {
    hs: HandshakeState,
    cfg: ChannelConfig,
}

impl PeerResponder {
    /// Reads message 1 and returns message 2 (our static key and evidence, encrypted).
    pub fn respond(
        identity: &EnclaveIdentity,
        cfg: &ChannelConfig,
        msg1: &[u8],
        ephemeral_seed: [u8; 32],
    ) -> Result<(PeerResponder, Vec<u8>), ChannelError> {
        let mut hs = builder(PEER_PATTERN, ephemeral_seed)?
            .prologue(&cfg.prologue(b"peer"))?
            .local_private_key(identity.noise_private())?
            .build_responder()?;
        read(&mut hs, msg1)?;
        let msg2 = write(&mut hs, identity.evidence_bytes())?;
        Ok((PeerResponder { hs, cfg: cfg.clone() }, msg2))
    }

    /// Reads message 3, verifies the initiator's evidence for the static key it used, and
    /// opens the session.
    pub fn finish(
        mut self,
        msg3: &[u8],
        verifier: &Verifier,
        now: u64,
    ) -> Result<(Session, VerifiedClaims), ChannelError> {
        let payload = read(&mut self.hs, msg3)?;
        let claims = verify_remote(&self.hs, &payload, &self.cfg, verifier, now)?;
        Ok((into_session(self.hs)?, claims))
    }
}
