//! Message authentication, drop causes, flooding, bodies fetched before SCP sees a value, slots ahead.

use super::*;

#[test]
fn every_bad_message_is_dropped_by_cause_before_scp() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(7, 128, 100)).unwrap();
    e.drain_actions();
    let g = genesis().id;
    let good = statement(1, 1, nominate(&[7]));

    msg(&mut e, 1, 1, vec![1, 2, 3]);
    assert_eq!(e.drops().get(DropCause::Malformed), 1);

    let unsigned = ScpEnvelope {
        chain_id: "test-chain".into(),
        prev_block: g,
        statement: good.clone(),
        signature: None,
    };
    msg(&mut e, 1, 1, unsigned.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::Unsigned), 1);

    // Signed by node 2's key but claiming to be node 1.
    let forged = ScpEnvelope::sign(&key(2), "test-chain", g, good.clone());
    msg(&mut e, 1, 1, forged.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);

    let other = ScpEnvelope::sign(&key(1), "other-chain", g, good.clone());
    msg(&mut e, 1, 1, other.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::OtherChain), 1);

    msg(&mut e, 1, 1, signed(1, 1, BlockId(Hash32([9; 32])), nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::WrongPrevBlock), 1);

    msg(&mut e, 1, 1, signed(1, 0, g, nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::StaleSlot), 1);

    msg(&mut e, 1, 1, signed(0, 1, g, nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::FromSelf), 1);

    assert!(broadcasts(&e.drain_actions()).is_empty(), "nothing bad is relayed");
    assert!(e.latest_statements().iter().all(|s| s.node_id != id(1)), "SCP saw a bad message");

    let ok = signed(1, 1, g, nominate(&[7]));
    msg(&mut e, 2, 3, ok.clone());
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));
    let relayed = broadcasts(&e.drain_actions());
    let mut except = vec![id(1), id(3)];
    except.sort();
    // Relayed on to everyone but the peer it came from and its signer.
    assert!(relayed.iter().any(|(w, ex)| **w == *ok && *ex == except), "{relayed:?}");
    msg(&mut e, 3, 2, ok);
    assert_eq!(e.drops().get(DropCause::Duplicate), 1);
    assert!(broadcasts(&e.drain_actions()).iter().all(|(_, ex)| ex.is_empty()));
}

#[test]
fn unknown_senders_are_relayed_only_if_well_signed_and_never_processed() {
    let mut e = engine(0, 4, 3);
    e.drain_actions();
    let stranger = SigningIdentity::from_seed(&[99; 32]);
    let st = Statement {
        node_id: NodeId(stranger.verifying().to_bytes()),
        ..statement(1, 1, nominate(&[7]))
    };
    let good = ScpEnvelope::sign(&stranger, "test-chain", genesis().id, st.clone());
    msg(&mut e, 1, 2, good.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::UnknownSender), 1);
    let b = broadcasts(&e.drain_actions());
    assert_eq!(b.len(), 1);
    let mut except = vec![id(2), NodeId(stranger.verifying().to_bytes())];
    except.sort();
    assert_eq!(b[0].1, except);
    assert!(e.latest_statements().is_empty());
    let bad = ScpEnvelope::sign(&key(3), "test-chain", genesis().id, st);
    msg(&mut e, 1, 2, bad.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);
    assert!(broadcasts(&e.drain_actions()).is_empty());
}

#[test]
fn signature_covers_chain_slot_prev_block_and_statement() {
    let g = genesis().id;
    let env = ScpEnvelope::sign(&key(1), "test-chain", g, statement(1, 1, nominate(&[7])));
    assert_eq!(env.verify(), Ok(()));
    let mutations: [fn(&mut ScpEnvelope); 4] = [
        |e| e.chain_id = "test-chaim".into(),
        |e| e.statement.slot = 2,
        |e| e.prev_block = BlockId(Hash32([1; 32])),
        |e| e.statement.pledge = nominate(&[8]),
    ];
    for m in mutations {
        let mut bad = env.clone();
        m(&mut bad);
        assert_eq!(bad.verify(), Err(envelope::SignatureCheck::BadSignature { sender: id(1) }));
    }
}

#[test]
fn unknown_hash_waits_and_is_fetched_from_the_peer_that_named_it() {
    let mut e = engine(0, 4, 3);
    e.handle(t(0), Input::PeerConnected(id(2))).unwrap();
    e.drain_actions();
    msg(&mut e, 1, 1, signed(1, 1, genesis().id, nominate(&[7])));
    let a = e.drain_actions();
    assert!(
        a.contains(&Action::FetchTxs { from: vec![id(1), id(2)], hashes: vec![Hash32([7; 32])] }),
        "{a:?}"
    );
    assert!(e.latest_statements().is_empty(), "SCP must not see a value it cannot judge");
    // An unasked body is ignored; the asked one releases the statement.
    let tx = pooled(7, 128, 100);
    e.handle(t(2), Input::TxsFetched { from: id(1), txs: vec![pooled(8, 128, 100)] }).unwrap();
    assert!(!e.pool().contains(&Hash32([8; 32])));
    e.handle(t(2), Input::TxsFetched { from: id(1), txs: vec![tx] }).unwrap();
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));
}

#[test]
fn a_value_spending_one_key_image_twice_is_rejected() {
    let mut e = engine(0, 4, 3);
    let mut b = pooled(2, 128, 100);
    b.context.key_images = pooled(1, 128, 100).context.key_images;
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    client_tx(&mut e, 0, b).unwrap();
    let prepare = Pledge::Prepare(mcnode_scp::Prepare {
        ballot: Ballot::new(1, set(&[1, 2])),
        prepared: None,
        prepared_prime: None,
        n_c: 0,
        n_h: 0,
    });
    msg(&mut e, 1, 1, signed(1, 1, genesis().id, prepare));
    assert_eq!(e.drops().get(DropCause::RejectedByScp), 1);
    assert!(e.latest_statements().iter().all(|s| s.node_id != id(1)));
}

#[test]
fn drop_cause_labels_are_unique() {
    let labels: BTreeMap<&str, DropCause> =
        DropCause::ALL.iter().map(|c| (c.label(), *c)).collect();
    assert_eq!(labels.len(), DropCause::ALL.len());
}

#[test]
fn statements_for_the_next_slot_wait_for_it_and_are_relayed() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    client_tx(&mut e, 0, pooled(2, 128, 100)).unwrap();
    e.drain_actions();
    let b1 = next_block(&[1]);
    let ahead = signed(1, 2, b1.block.id, nominate(&[2]));
    msg(&mut e, 1, 1, ahead.clone());
    assert!(broadcasts(&e.drain_actions()).iter().any(|(w, _)| **w == *ahead));
    assert!(e.latest_statements().is_empty());
    e.handle(t(2), Input::BlockAppended { block: b1 }).unwrap();
    assert_eq!(e.current_slot(), 2);
    assert!(
        e.latest_statements().iter().any(|s| s.node_id == id(1)),
        "the buffered statement reached SCP at its slot"
    );
}

#[test]
fn dedup_memory_is_bounded_and_far_slots_are_pruned() {
    let mut e = engine(0, 4, 3);
    for i in 0..(MAX_SEEN as u64 + 10) {
        e.remember(super::super::seen::SeenKey::numbered(i), u64::MAX);
    }
    assert!(e.seen.len() <= MAX_SEEN);
    assert!(e.seen.values().all(|s| *s <= e.current_slot() + MAX_SLOTS_AHEAD + 1));
}

#[test]
fn engine_is_send_and_its_debug_shows_no_key() {
    fn send<T: Send>() {}
    send::<Engine>();
    let c = config(0, 4, 3);
    let seed = c.message_key.to_seed();
    let shown = format!("{c:?} {:?}", engine(0, 4, 3));
    assert!(shown.contains("redacted"));
    assert!(!shown.contains(&format!("{:?}", seed)));
    assert!(!shown.contains(&hex_of(&seed)));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn own_messages_echoed_back_by_flooding_are_duplicates() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    e.handle(t(1000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let own = broadcasts(&e.drain_actions());
    assert_eq!(own.len(), 1);
    msg(&mut e, 1001, 2, own[0].0.to_vec());
    assert_eq!(e.drops().get(DropCause::Duplicate), 1);
    assert_eq!(e.drops().get(DropCause::FromSelf), 0);
    assert!(broadcasts(&e.drain_actions()).is_empty(), "an echo is not relayed again");
}

#[test]
fn one_signer_cannot_fill_the_buffer_for_all() {
    let mut e = engine(0, 4, 3);
    e.drain_actions();
    // Node 1 floods statements for the next slot, each naming another unknown tx.
    let b1 = BlockId(Hash32([1; 32]));
    for v in 0..(MAX_BUFFERED_PER_SIGNER as u8 + 5) {
        msg(&mut e, 1, 1, signed(1, 2, b1, nominate(&[v])));
    }
    assert_eq!(e.drops().get(DropCause::BufferFull), 5);
    // Node 2 still gets its statement buffered.
    msg(&mut e, 2, 2, signed(2, 2, b1, nominate(&[200])));
    assert_eq!(e.drops().get(DropCause::BufferFull), 5);
}

/// Dedup is keyed by (signer, signature) read off the wire (`seen.rs`): a copy that carries a
/// genuine signature on other contents fails verification and is never remembered, so it
/// cannot suppress the genuine message; and the same signature under another claimed signer is
/// checked, not taken for a duplicate.
#[test]
fn a_copy_with_a_genuine_signature_neither_suppresses_nor_passes_as_the_message() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(7, 128, 100)).unwrap();
    client_tx(&mut e, 0, pooled(8, 128, 100)).unwrap();
    e.drain_actions();
    let g = genesis().id;
    let genuine = ScpEnvelope::sign(&key(1), "test-chain", g, statement(1, 1, nominate(&[7])));
    let tampered = ScpEnvelope { statement: statement(1, 1, nominate(&[8])), ..genuine.clone() };
    msg(&mut e, 1, 2, tampered.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);
    msg(&mut e, 2, 2, genuine.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::Duplicate), 0, "the forged copy suppressed it");
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));

    // Node 2 claims node 1's signature as its own: checked and refused, not a duplicate.
    let claimed = ScpEnvelope { statement: statement(2, 1, nominate(&[7])), ..genuine.clone() };
    msg(&mut e, 3, 3, claimed.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 2);
    assert_eq!(e.drops().get(DropCause::Duplicate), 0);
    // The genuine bytes again: a duplicate.
    msg(&mut e, 4, 3, genuine.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::Duplicate), 1);
}
