//! Fuzz entry point for the enclave's single entry point: request decoding, and call order.
//! Re-exported as `fuzzing::fuzz_enclave_call`.

use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{TeeType, TrustAnchor};
use mcnode_ledger::block::BLOCK_VERSION;
use mcnode_ledger::{Block, BlockContents, BlockData};
use mcnode_tx::membership::empty_hash;
use mcnode_tx::{AccountKey, TokenId};
use mcnode_types::{Hash32, NodeId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::api::Enclave;
use crate::call::encode_frame;
use crate::call::{
    EnclaveCall, EnclaveReply, FormBlockInputs, InitParams, config_digest, decode_frame,
};
use crate::channel::{ChannelConfig, ChannelMessage, ClientHandshake, SessionId};
use crate::host_types::{FeeEntry, HighestProof, LocallyEncryptedTx, WellFormedQuery};
use crate::inprocess::InProcessEnclave;
use crate::measurement::{default_trusted_measurements, release_program};
use crate::peer_policy::PeerPolicy;
use crate::trusted::TrustedEnclave;

const NOW: u64 = 1_800_000_000;

fn enclave() -> InProcessEnclave {
    let root = SimRootKey::from_seed([1; 32]);
    let core =
        TrustedEnclave::new(SimPlatform::new(&root, [2; 32], 0, u64::MAX), release_program());
    InProcessEnclave::new(core, [3; 32])
}

fn init_params() -> InitParams {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let fees = vec![FeeEntry { token: TokenId(0), minimum_fee: 400 }];
    let fee_recipient = AccountKey::random(&mut rng).default_address();
    let (node_id, node_id_proof) =
        crate::call::node_id_proof(&mcnode_crypto::SigningIdentity::from_seed(&[5; 32]), "fuzz");
    InitParams {
        chain_id: "fuzz".to_owned(),
        config_digest: config_digest("fuzz", &fees, &fee_recipient, &peer_policy()),
        fees,
        fee_recipient,
        peer_policy: peer_policy(),
        node_id,
        node_id_proof,
        tip: Some(origin()),
        sealed_signing_key: None,
        now: NOW,
        evidence_validity_secs: 3600,
    }
}

fn peer_policy() -> PeerPolicy {
    let root = SimRootKey::from_seed([1; 32]);
    PeerPolicy::new(
        vec![TrustAnchor { tee: TeeType::Sim, root_key: root.public() }],
        &default_trusted_measurements(),
        true,
    )
}

fn origin() -> Block {
    Block::new(BLOCK_VERSION, None, empty_hash(), &BlockContents::default())
}

/// Every reply must decode; returns it.
fn call(e: &mut InProcessEnclave, request: &[u8]) -> Option<EnclaveReply> {
    let reply = e.call_bytes(request).ok()?;
    let decoded = decode_frame::<EnclaveReply>(&reply);
    assert!(decoded.is_ok(), "the enclave sent a reply that does not decode");
    decoded.ok()
}

/// (1) A request that decodes re-encodes to the same bytes. (2) The bytes, as a request, to an
/// uninitialised and an initialised enclave: a typed reply, never a panic. (3) Each byte picks
/// the next call from a menu of well-shaped calls (every operation, with handshake messages
/// carried over from earlier replies), so arbitrary call orders run: every reply decodes.
pub fn fuzz_enclave_call(data: &[u8]) {
    if let Ok(c) = decode_frame::<EnclaveCall>(data) {
        assert_eq!(encode_frame(&c), data, "enclave call encoding is not unique");
    }
    let mut fresh = enclave();
    let _ = call(&mut fresh, data);
    let mut e = enclave();
    let _ = call(&mut e, &encode_frame(&EnclaveCall::Init(init_params())));
    let _ = call(&mut e, data);

    let cfg = ChannelConfig::new("fuzz", init_params().config_digest);
    let peer = NodeId([6; 32]);
    let mut session = SessionId(Hash32([7; 32]));
    let mut last_msg: Vec<u8> = Vec::new();
    let mut e = enclave();
    for (i, b) in data.iter().take(64).enumerate() {
        let c = match b % 16 {
            0 => EnclaveCall::Init(init_params()),
            1 => EnclaveCall::Identity,
            2 => match ClientHandshake::start(&cfg, [i as u8; 32]) {
                Ok((_, msg1)) => EnclaveCall::ClientAccept { msg1 },
                Err(_) => EnclaveCall::Identity,
            },
            3 => EnclaveCall::ClientClose { session },
            4 => EnclaveCall::ClientTxPropose {
                msgs: vec![ChannelMessage {
                    session,
                    counter: i as u64,
                    ciphertext: data.to_vec(),
                }],
            },
            5 => EnclaveCall::PeerInit { peer },
            6 => EnclaveCall::PeerAccept { peer, msg1: last_msg.clone() },
            7 => EnclaveCall::PeerConnect { peer, msg2: last_msg.clone(), now: NOW },
            8 => EnclaveCall::PeerFinish { peer, msg3: last_msg.clone(), now: NOW },
            9 => EnclaveCall::PeerClose { session },
            10 => EnclaveCall::PeerTxPropose {
                msgs: vec![ChannelMessage {
                    session,
                    counter: i as u64,
                    ciphertext: data.to_vec(),
                }],
            },
            11 => EnclaveCall::TxsAreWellFormed {
                height: 1,
                txs: vec![WellFormedQuery {
                    tx: LocallyEncryptedTx(data.to_vec()),
                    highest: HighestProof {
                        output: mcnode_ledger::testkit::synthetic_output(i as u64),
                        proof: mcnode_tx::MembershipProof {
                            index: 0,
                            leaf_count: 1,
                            siblings: vec![],
                        },
                    },
                }],
            },
            12 => EnclaveCall::TxsForPeer { session, txs: vec![] },
            13 => EnclaveCall::FormBlock(FormBlockInputs {
                parent: origin(),
                frontier: None,
                txs: vec![],
                ring_roots: vec![],
                now: NOW,
            }),
            14 => EnclaveCall::ShowBlock {
                block: BlockData {
                    block: origin(),
                    contents: BlockContents::default(),
                    signatures: vec![],
                },
                frontier: None,
            },
            _ => EnclaveCall::MinimumFee { token: TokenId(*b as u64) },
        };
        match call(&mut e, &encode_frame(&c)) {
            Some(EnclaveReply::ClientAccepted { session: s, msg2 }) => {
                session = s;
                last_msg = msg2;
            }
            Some(EnclaveReply::PeerHandshake { msg }) => last_msg = msg,
            Some(EnclaveReply::PeerConnected { session: s, msg3, .. }) => {
                session = s;
                last_msg = msg3;
            }
            Some(EnclaveReply::PeerAccepted { session: s, .. }) => session = s,
            _ => {}
        }
    }
}
