//! Unit tests of the engine's rules, one or more per rule; each fails without its rule.
//! Shared helpers here; the tests by topic in the submodules.

use std::collections::BTreeMap;

use mcnode_crypto::SigningIdentity;
use mcnode_ledger::block::{Block, BlockContents, BlockData, BlockId, BlockSignature};
use mcnode_scp::{Ballot, Externalize, Nominate, Pledge, QuorumSet, Statement, Time, TxHashSet};
use mcnode_types::{Encode, Hash32, NodeId, SlotIndex};

use super::testkit::{config, engine, genesis, id, key, pooled};
use super::*;

fn t(ms: u64) -> Time {
    Time(ms)
}

fn set(seeds: &[u8]) -> TxHashSet {
    TxHashSet::from_hashes(seeds.iter().map(|s| Hash32([*s; 32])))
}

fn statement(i: u8, slot: SlotIndex, pledge: Pledge<TxHashSet>) -> Statement<TxHashSet> {
    Statement { node_id: id(i), slot, quorum_set_hash: config(i, 4, 3).quorum_set.hash(), pledge }
}

fn nominate(values: &[u8]) -> Pledge<TxHashSet> {
    Pledge::Nominate(Nominate { votes: vec![set(values)], accepted: vec![] })
}

fn externalize(values: &[u8]) -> Pledge<TxHashSet> {
    Pledge::Externalize(Externalize { commit: Ballot::new(1, set(values)), n_h: 1 })
}

fn signed(i: u8, slot: SlotIndex, prev: BlockId, pledge: Pledge<TxHashSet>) -> Vec<u8> {
    ScpEnvelope::sign(&key(i), "test-chain", prev, statement(i, slot, pledge)).to_canonical_bytes()
}

fn client_tx(e: &mut Engine, now: u64, tx: PooledTx) -> Result<(), InputError> {
    e.handle(t(now), Input::ClientTx { context: tx.context, payload: tx.payload })
}

fn msg(e: &mut Engine, now: u64, from: u8, bytes: Vec<u8>) {
    let r = e.handle(t(now), Input::PeerMessage { from: id(from), bytes });
    assert_eq!(r, Ok(()));
}

fn broadcasts(actions: &[Action]) -> Vec<(Wire, Vec<NodeId>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Broadcast { msg, except } => Some((msg.clone(), except.clone())),
            _ => None,
        })
        .collect()
}

fn decode(w: &Wire) -> ScpEnvelope {
    match <ScpEnvelope as mcnode_types::Decode>::from_canonical_bytes(w) {
        Ok(e) => e,
        Err(e) => unreachable!("own envelopes decode: {e}"),
    }
}

fn peers_externalized(e: &mut Engine, peers: &[u8], slot: SlotIndex) {
    for p in peers {
        msg(e, 10, *p, signed(*p, slot, BlockId(Hash32([slot as u8; 32])), externalize(&[50])));
    }
}

/// Block 1 on the test genesis with the given key images.
fn next_block(seeds: &[u8]) -> BlockData {
    let contents = BlockContents::new(
        seeds.iter().map(|s| mcnode_tx::KeyImage::from([*s; 32])).collect(),
        vec![],
    );
    let parent = Block { id: genesis().id, ..Block::new(1, None, Hash32::ZERO, &contents) };
    let block = Block::new(1, Some(&parent), Hash32::ZERO, &contents);
    BlockData { block, contents, signatures: vec![] }
}

#[cfg(feature = "sim")]
mod auth;
mod cadence;
mod catchup;
mod late_txs;
mod liveness;
mod messages;
mod qsets;
