//! The enclave boundary end to end (in-process backend): client session -> encrypted
//! proposal -> host checks -> well-formedness -> form block -> ledger append and verify; what
//! the host sees; forged and replayed messages; call order; sealing across restarts; peers.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_enclave::call::{EnclaveCall, decode_frame, encode_frame};
use mcnode_enclave::channel::{ChannelMessage, SessionId};
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host_types::{Excluded, HighestProof, LocallyEncryptedTx};
use mcnode_enclave::refusal::{ChannelFailure, SealFailure, TxRule};
use mcnode_enclave::{
    BoundaryError, CALL_VERSION, Enclave, EnclaveError, EnclaveReply, InProcessEnclave,
    TrustedEnclave, host,
};
use mcnode_ledger::Ledger;
use mcnode_tx::TokenId;
use mcnode_types::{Hash32, NodeId};

fn refused(r: Result<impl std::fmt::Debug, BoundaryError>) -> EnclaveError {
    match r {
        Err(BoundaryError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn full_path_client_to_verified_block() {
    let mut w = world(5, 30, 2);
    let (mut e, _) = enclave(&w, 9);
    assert_eq!(one_block(&mut w, &mut e, 0, 20, root().public()), 1);
    // A second block exercises the Merkle frontier of a ledger that already grew.
    assert_eq!(one_block(&mut w, &mut e, 1, 21, root().public()), 2);
    assert_eq!(e.minimum_fee(TokenId(0)).unwrap(), Some(MIN_FEE));
    assert_eq!(e.minimum_fee(TokenId(7)).unwrap(), None);
}

/// Records every reply frame the host receives.
struct Recorder<E> {
    inner: E,
    seen: Vec<u8>,
}

impl<E: Enclave> Enclave for Recorder<E> {
    fn call_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, BoundaryError> {
        let reply = self.inner.call_bytes(request)?;
        self.seen.extend_from_slice(&reply);
        Ok(reply)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn host_receives_no_ring_signature_or_amount_data() {
    // 3000 padding outputs put every ring index above 3000 (distinctive 8-byte patterns).
    let mut w = world(3000, 30, 1);
    let (e, _) = enclave(&w, 9);
    let mut rec = Recorder { inner: e, seen: Vec::new() };
    let proposal = w.proposal(0);
    // Rerun the path with this exact proposal.
    let mut session = client_session(&mut rec, &w.channel_config(), root().public(), 20);
    let ctx =
        rec.client_tx_propose(seal_chunks(&mut session, &encode(&proposal)).unwrap()).unwrap();
    let height = w.ledger.num_blocks().unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (_, wtx) = rec.tx_is_well_formed(ctx.encrypted.clone(), height, highest).unwrap();
    let block = rec.form_block(form_inputs(&w, vec![wtx])).unwrap().block;
    w.ledger.append_block(&block).unwrap();

    let tx = &proposal.tx;
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, p) in proposal.ring_proofs.iter().enumerate() {
        if p.index != ctx.highest_index {
            secrets.push((format!("ring index {}", p.index), p.index.to_be_bytes().to_vec()));
        }
        let _ = i;
    }
    for m in tx.prefix.inputs.iter().flat_map(|i| &i.ring) {
        secrets.push(("ring member target key".into(), m.target_key.0.to_vec()));
        secrets.push(("ring member public key".into(), m.public_key.0.to_vec()));
        secrets.push(("ring member commitment".into(), m.masked_amount.commitment.0.0.to_vec()));
    }
    for s in &tx.signature.ring_signatures {
        secrets.push(("CLSAG c0".into(), s.c_zero.0.to_vec()));
        for r in &s.responses {
            secrets.push(("CLSAG response".into(), r.0.to_vec()));
        }
        secrets.push(("CLSAG D".into(), s.commitment_key_image.0.to_vec()));
    }
    for p in &tx.signature.pseudo_outputs {
        secrets.push(("pseudo-output".into(), p.0.0.to_vec()));
    }
    for c in tx.signature.range_proof.chunks_exact(32) {
        secrets.push(("range proof".into(), c.to_vec()));
    }
    let change = INPUT_VALUE - PAYMENT - FEE;
    for v in [INPUT_VALUE, PAYMENT, FEE, change] {
        secrets.push((format!("amount {v} BE"), v.to_be_bytes().to_vec()));
        secrets.push((format!("amount {v} LE"), v.to_le_bytes().to_vec()));
    }
    assert!(secrets.len() > 40);
    // Control: every needle IS in the plaintext the client sent (so the search can fail)...
    let plaintext = encode(&proposal);
    for (what, needle) in &secrets {
        if !what.starts_with("amount") {
            assert!(contains(&plaintext, needle), "control: {what} not in the plaintext");
        }
    }
    assert!(contains(&plaintext, &FEE.to_be_bytes()), "control: fee in the plaintext");
    // ...and none is in anything the host received.
    assert!(rec.seen.len() > 1000);
    for (what, needle) in &secrets {
        assert!(!contains(&rec.seen, needle), "host received {what}");
    }
    // What the host is meant to see is there.
    assert!(contains(&rec.seen, &ctx.highest_index.to_be_bytes()));
    assert!(contains(&rec.seen, tx.key_images()[0].as_bytes()));
}

#[test]
fn forged_replayed_and_foreign_client_messages_are_refused() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let mut session = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let proposal = encode(&w.proposal(0));
    let msg = session.seal(&proposal).unwrap();
    e.client_tx_propose(vec![msg.clone()]).unwrap();
    assert_eq!(
        refused(e.client_tx_propose(vec![msg.clone()])),
        EnclaveError::Channel(ChannelFailure::Replay)
    );
    let mut forged = session.seal(&proposal).unwrap();
    forged.ciphertext[3] ^= 1;
    assert_eq!(
        refused(e.client_tx_propose(vec![forged])),
        EnclaveError::Channel(ChannelFailure::Forged)
    );
    let foreign = ChannelMessage { session: SessionId(Hash32([9; 32])), ..msg };
    assert_eq!(
        refused(e.client_tx_propose(vec![foreign])),
        EnclaveError::Channel(ChannelFailure::UnknownSession)
    );
    let junk = session.seal(b"not a transaction").unwrap();
    assert_eq!(refused(e.client_tx_propose(vec![junk])), EnclaveError::MalformedPayload);
    // A closed session accepts nothing more.
    assert!(e.client_close(session.id()).unwrap());
    assert!(!e.client_close(session.id()).unwrap());
    let late = session.seal(&proposal).unwrap();
    assert_eq!(
        refused(e.client_tx_propose(vec![late])),
        EnclaveError::Channel(ChannelFailure::UnknownSession)
    );
}

#[test]
fn calls_out_of_order_or_malformed_get_typed_errors() {
    let w = world(0, 12, 0);
    let mut e = InProcessEnclave::new(core(), [1; 32]);
    let calls = [
        EnclaveCall::Identity,
        EnclaveCall::ClientAccept { msg1: vec![0; 32] },
        EnclaveCall::PeerInit { peer: NodeId([1; 32]) },
        EnclaveCall::MinimumFee { token: TokenId(0) },
    ];
    for c in &calls {
        assert_eq!(e.call(c).unwrap(), EnclaveReply::Refused(EnclaveError::NotInitialized));
    }
    e.init(w.init_params(None)).unwrap();
    assert_eq!(refused(e.init(w.init_params(None))), EnclaveError::AlreadyInitialized);
    let mut bad_version = encode_frame(&EnclaveCall::Identity);
    bad_version[1] = 9;
    let reply: EnclaveReply = decode_frame(&e.call_bytes(&bad_version).unwrap()).unwrap();
    assert_eq!(
        reply,
        EnclaveReply::Refused(EnclaveError::UnsupportedVersion { got: 9, supported: CALL_VERSION })
    );
    let v = CALL_VERSION.to_be_bytes();
    for junk in [&[][..], &v[..], &[v[0], v[1], 99], &[v[0], v[1], 1, 0]] {
        let reply: EnclaveReply = decode_frame(&e.call_bytes(junk).unwrap()).unwrap();
        assert_eq!(reply, EnclaveReply::Refused(EnclaveError::MalformedCall), "{junk:?}");
    }
    assert_eq!(
        refused(e.peer_connect(NodeId([1; 32]), vec![1; 40], NOW)),
        EnclaveError::Channel(ChannelFailure::NoPendingHandshake)
    );
    e.peer_init(NodeId([1; 32])).unwrap();
    assert_eq!(
        refused(e.peer_finish(NodeId([1; 32]), vec![1; 40], NOW)),
        EnclaveError::Channel(ChannelFailure::WrongRole)
    );
    let highest = HighestProof { output: w.valid[0], proof: w.ledger.membership_proof(0).unwrap() };
    assert_eq!(
        refused(e.tx_is_well_formed(LocallyEncryptedTx(vec![0; 60]), 1, highest)),
        EnclaveError::BadCiphertext
    );
}

#[test]
fn cached_ciphertexts_die_with_the_enclave_and_caches_do_not_mix() {
    let mut w = world(0, 30, 1);
    let (mut e, sealed) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&w.proposal(0))).unwrap()).unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (_, wtx) = e.tx_is_well_formed(ctx.encrypted.clone(), 1, highest.clone()).unwrap();
    // A well-formed ciphertext is not a local one.
    assert_eq!(
        refused(e.tx_is_well_formed(LocallyEncryptedTx(wtx.0.clone()), 1, highest.clone())),
        EnclaveError::BadCiphertext
    );
    // After a restart (same sealed key, new cache keys) old ciphertexts are refused.
    let mut restarted = InProcessEnclave::new(core(), [10; 32]);
    restarted.init(w.init_params(Some(sealed))).unwrap();
    assert_eq!(
        refused(restarted.tx_is_well_formed(ctx.encrypted, 1, highest)),
        EnclaveError::BadCiphertext
    );
    let inputs = form_inputs(&w, vec![wtx]);
    assert_eq!(refused(restarted.form_block(inputs)), EnclaveError::BadCiphertext);
}

#[test]
fn block_signing_key_is_sealed_across_restarts_and_refused_when_foreign() {
    let w = world(0, 12, 0);
    let (mut first, sealed) = enclave(&w, 9);
    let signer = first.identity().unwrap().block_signer;
    let mut again = InProcessEnclave::new(core(), [77; 32]);
    let (resealed, signer2) = again.init(w.init_params(Some(sealed.clone()))).unwrap();
    assert_eq!(signer2, signer, "restart lost the block-signing key");
    assert_ne!(resealed, sealed, "fresh nonce each seal");
    let fresh = enclave(&w, 10).0.identity().unwrap().block_signer;
    assert_ne!(fresh, signer, "without a sealed key, a new key is made");

    let init_with = |core: TrustedEnclave, blob: Vec<u8>| {
        let mut e = InProcessEnclave::new(core, [5; 32]);
        refused(e.init(w.init_params(Some(blob))))
    };
    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(init_with(core(), tampered), EnclaveError::Sealed(SealFailure::Tampered));
    assert_eq!(
        init_with(core(), sealed[..20].to_vec()),
        EnclaveError::Sealed(SealFailure::Truncated)
    );
    let other_platform = mcnode_attest::sim::SimPlatform::new(&root(), [99; 32], 0, u64::MAX);
    let program = mcnode_enclave::measurement::release_program();
    let on_other = TrustedEnclave::new(other_platform, program.clone());
    assert_eq!(init_with(on_other, sealed.clone()), EnclaveError::Sealed(SealFailure::Tampered));
    let mut other_program = program;
    other_program.measurement = Hash32([0xee; 32]);
    let other_build = TrustedEnclave::new(platform(), other_program);
    assert_eq!(
        init_with(other_build, sealed),
        EnclaveError::Sealed(SealFailure::ForeignMeasurement)
    );
}

#[test]
fn well_formedness_refuses_lying_hosts_expired_and_double_spends() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&w.proposal(0))).unwrap()).unwrap();
    let honest = host::highest_proof(&w.ledger, &ctx).unwrap();
    // The host names another output at the highest index.
    let mut lie = honest.clone();
    lie.output = w.valid[0];
    if lie.output == honest.output {
        lie.output = w.valid[1];
    }
    assert_eq!(
        refused(e.tx_is_well_formed(ctx.encrypted.clone(), 1, lie)),
        EnclaveError::TxRejected(TxRule::HostProof)
    );
    // A proof of another index.
    let mut other = honest.clone();
    other.proof = w.ledger.membership_proof_at(0, ctx.leaf_count).unwrap();
    assert_eq!(
        refused(e.tx_is_well_formed(ctx.encrypted.clone(), 1, other)),
        EnclaveError::TxRejected(TxRule::HostProof)
    );
    // Past the tombstone (height + 100 at build time).
    assert_eq!(
        refused(e.tx_is_well_formed(ctx.encrypted.clone(), 500, honest.clone())),
        EnclaveError::TxRejected(TxRule::TombstoneExpired)
    );
    // The same transaction twice in one block spends its key image twice: one copy is left
    // out, with its reason.
    let (wctx, wtx) = e.tx_is_well_formed(ctx.encrypted.clone(), 1, honest.clone()).unwrap();
    let (_, wtx2) = e.tx_is_well_formed(ctx.encrypted, 1, honest).unwrap();
    let formed = e.form_block(form_inputs(&w, vec![wtx, wtx2])).unwrap();
    assert_eq!(
        formed.excluded,
        vec![Excluded { tx_hash: wctx.tx_hash, reason: TxRule::KeyImageInBatch }]
    );
    assert_eq!(formed.block.contents.key_images, wctx.key_images);
    w.ledger.append_block(&formed.block).unwrap();
}

#[test]
fn peers_relay_transactions_over_attested_sessions() {
    let mut w = world(0, 30, 1);
    let (mut a, _) = enclave(&w, 9);
    let (mut b, _) = enclave(&w, 10);
    // Peers are named by node id (message-signing key); each learns the other's block-signing
    // key from its verified evidence.
    let (ida, idb) = (node(9), node(10));
    let m1 = a.peer_init(idb).unwrap();
    let m2 = b.peer_accept(ida, m1).unwrap();
    let (sa, m3, signer_b) = a.peer_connect(idb, m2, NOW).unwrap();
    let (sb, signer_a) = b.peer_finish(ida, m3, NOW).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(signer_b, b.identity().unwrap().block_signer);
    assert_eq!(signer_a, a.identity().unwrap().block_signer);
    let mut s = client_session(&mut a, &w.channel_config(), root().public(), 20);
    let proposal = w.proposal(0);
    let ctx = a.client_tx_propose(seal_chunks(&mut s, &encode(&proposal)).unwrap()).unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (_, wtx) = a.tx_is_well_formed(ctx.encrypted, 1, highest.clone()).unwrap();
    let relay = a.txs_for_peer(sa, vec![wtx]).unwrap();
    let got = b.peer_tx_propose(relay.clone()).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].tx_hash, proposal.tx.hash());
    let (wctx, _) = b.tx_is_well_formed(got[0].encrypted.clone(), 1, highest).unwrap();
    assert_eq!(wctx.tx_hash, proposal.tx.hash());
    assert_eq!(refused(b.peer_tx_propose(relay)), EnclaveError::Channel(ChannelFailure::Replay));
    assert!(b.peer_close(sb).unwrap());
}

#[test]
fn form_block_rechecks_tombstones_against_the_tracked_parent() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    // Valid while the ledger height is below 3: well formed at height 1.
    let p = w.proposal_with_tombstone(0, 3);
    let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&p)).unwrap()).unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (wctx, wtx) = e.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap();
    // The chain grows by two empty blocks (formed, so tracked); the next block is index 3.
    for _ in 0..2 {
        let empty = e.form_block(form_inputs(&w, vec![])).unwrap();
        w.ledger.append_block(&empty.block).unwrap();
    }
    let formed = e.form_block(form_inputs(&w, vec![wtx])).unwrap();
    assert_eq!(formed.block.block.index, 3);
    assert_eq!(
        formed.excluded,
        vec![Excluded { tx_hash: wctx.tx_hash, reason: TxRule::TombstoneExpired }]
    );
    assert!(formed.block.contents.key_images.is_empty());
    assert!(formed.block.contents.outputs.is_empty(), "no transaction, no fee output");
}

#[test]
fn one_block_of_two_transactions_pads_fee_outputs() {
    let mut w = world(0, 30, 2);
    let (mut e, _) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let mut wtxs = Vec::new();
    let mut txs = Vec::new();
    for i in 0..2 {
        let p = w.proposal(i);
        let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&p)).unwrap()).unwrap();
        let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
        wtxs.push(e.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap().1);
        txs.push(p.tx);
    }
    let formed = e.form_block(form_inputs(&w, wtxs)).unwrap();
    assert_eq!(formed.excluded, vec![]);
    let block = formed.block;
    let tx_outputs: Vec<_> = txs.iter().flat_map(|t| t.prefix.outputs.iter().copied()).collect();
    let fee_outputs: Vec<_> =
        block.contents.outputs.iter().filter(|o| !tx_outputs.contains(o)).collect();
    // Two configured tokens, two transactions: two fee outputs, one of them zero-value padding.
    assert_eq!(fee_outputs.len(), 2);
    let mut amounts: Vec<(u64, u64)> = fee_outputs
        .iter()
        .map(|o| {
            let a = o.view(&w.fee_account, 0).unwrap().amount;
            (a.token_id.0, a.value)
        })
        .collect();
    amounts.sort();
    assert_eq!(amounts, vec![(0, 2 * FEE), (1, 0)]);
    let mut kis: Vec<_> = txs.iter().flat_map(|t| t.key_images()).collect();
    kis.sort();
    assert_eq!(block.contents.key_images, kis, "key images sorted, transaction boundaries gone");
    assert!(block.contents.is_canonical());
    w.ledger.append_block(&block).unwrap();
    w.ledger.verify().unwrap();
}

#[test]
fn a_sixteen_input_transaction_spans_several_channel_messages() {
    // 16 rings of 11 with no member in two rings need at least 176 distinct outputs.
    let mut w = world(0, 170, 16);
    let (mut e, _) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let height = w.ledger.num_blocks().unwrap();
    let mut b = mcnode_tx::builder::TransactionBuilder::new(&w.sender, TokenId(0), FEE, height + 9);
    for f in w.funds.clone() {
        b.add_input(f);
    }
    b.add_output(PAYMENT, &w.recipient.default_address(), None);
    let mut decoys = mcnode_tx::testkit::UniformDecoys::new(&w.valid, 5);
    let tx = b.build(&mut decoys, &mut w.rng).unwrap();
    let ring_proofs = host::ring_proofs(&w.ledger, &tx).unwrap();
    let bytes = encode(&mcnode_enclave::host_types::ProposedTx { tx: tx.clone(), ring_proofs });
    assert!(bytes.len() > mcnode_enclave::channel::MAX_PLAINTEXT_LEN, "{} bytes", bytes.len());
    let msgs = seal_chunks(&mut s, &bytes).unwrap();
    assert!(msgs.len() >= 2);
    // Dropping a chunk or swapping two is refused; the whole sequence is accepted.
    let mut dropped = msgs.clone();
    dropped.remove(0);
    assert_eq!(refused(e.client_tx_propose(dropped)), EnclaveError::MalformedPayload);
    let mut swapped = seal_chunks(&mut s, &bytes).unwrap();
    swapped.swap(0, 1);
    assert_eq!(
        refused(e.client_tx_propose(swapped)),
        EnclaveError::Channel(ChannelFailure::Replay)
    );
    let ctx = e.client_tx_propose(seal_chunks(&mut s, &bytes).unwrap()).unwrap();
    assert_eq!((ctx.tx_hash, ctx.key_images.len()), (tx.hash(), 16));
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (_, wtx) = e.tx_is_well_formed(ctx.encrypted, height, highest).unwrap();
    let block = e.form_block(form_inputs(&w, vec![wtx])).unwrap().block;
    w.ledger.append_block(&block).unwrap();
}
