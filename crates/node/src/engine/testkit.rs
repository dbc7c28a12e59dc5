//! Fixtures of the engine's unit tests.

use std::collections::BTreeMap;
use std::time::Duration;

use mcnode_crypto::SigningIdentity;
use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
use mcnode_ledger::block::BlockId;
use mcnode_scp::QuorumSet;
use mcnode_tx::KeyImage;
use mcnode_types::{Hash32, NodeId};

use super::pool::PooledTx;
use super::{Engine, EngineConfig, Tip};

/// A pooled transaction with hash `[seed; 32]`, one key image `[seed; 32]`.
pub(crate) fn pooled(seed: u8, priority: u64, tombstone: u64) -> PooledTx {
    PooledTx {
        context: WellFormedTxContext {
            tx_hash: Hash32([seed; 32]),
            key_images: vec![KeyImage::from([seed; 32])],
            output_public_keys: vec![],
            tombstone,
            priority,
            highest_index: 0,
            leaf_count: 1,
            size: 100,
        },
        payload: WellFormedEncryptedTx(vec![seed]),
    }
}

pub(crate) fn key(i: u8) -> SigningIdentity {
    SigningIdentity::from_seed(&[i + 1; 32])
}

pub(crate) fn id(i: u8) -> NodeId {
    NodeId(key(i).verifying().to_bytes())
}

/// Config of node `i` of `n` nodes, each trusting `threshold` of all `n`.
pub(crate) fn config(i: u8, n: u8, threshold: u32) -> EngineConfig {
    let ids: Vec<NodeId> = (0..n).map(id).collect();
    let qset = QuorumSet::new(threshold, ids.clone());
    let network: BTreeMap<NodeId, QuorumSet> =
        ids.iter().filter(|x| **x != id(i)).map(|x| (*x, qset.clone())).collect();
    let mut c = EngineConfig::new("test-chain", key(i), qset, network);
    c.block_interval = Duration::from_millis(1000);
    c.rebroadcast_interval = Duration::from_millis(500);
    c.catchup_grace = Duration::from_millis(2000);
    c.fetch_retry = Duration::from_millis(500);
    c
}

/// A genesis tip on which node 0 (of 4, 3-of-4) leads nomination round 1, so its nomination
/// is emitted at once (a non-leader only echoes leaders' votes: draft §2.2).
pub(crate) fn genesis() -> Tip {
    for b in 0..=255u8 {
        let tip = Tip { index: 0, id: BlockId(Hash32([b; 32])) };
        let Ok(mut e) = Engine::new(config(0, 4, 3), tip, vec![], mcnode_scp::Time(0)) else {
            continue;
        };
        let tx = pooled(1, 128, 100);
        let _ = e.handle(
            mcnode_scp::Time(10_000),
            super::Input::ClientTx { context: tx.context, payload: tx.payload },
        );
        if e.drain_actions().iter().any(|a| matches!(a, super::Action::Broadcast { .. })) {
            return tip;
        }
    }
    unreachable!("node 0 leads round 1 on some genesis id")
}

pub(crate) fn engine(i: u8, n: u8, threshold: u32) -> Engine {
    match Engine::new(config(i, n, threshold), genesis(), vec![], mcnode_scp::Time(0)) {
        Ok(e) => e,
        Err(e) => unreachable!("test config is valid: {e}"),
    }
}
