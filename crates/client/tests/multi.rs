//! Signatures gathered from several trusted nodes (`multi::merge_answers`): each node serves
//! only its own signature; a block passes the majority policy only once merged, only
//! signatures on the SAME block id are merged, and blocks not yet held by a majority are held
//! back instead of being refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FakeNode, block_on};
use mcnode_client::multi::merge_answers;
use mcnode_client::{BlockError, NodeApi};
use mcnode_ledger::BlockData;

/// Node `i`'s answer: the blocks with only signer `i`'s signature.
fn only_signer(blocks: &[BlockData], i: usize) -> Vec<BlockData> {
    blocks
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.signatures = b.signatures.get(i).copied().into_iter().collect();
            b
        })
        .collect()
}

fn chain() -> (FakeNode, Vec<BlockData>) {
    let mut node = FakeNode::new(vec![], 1);
    node.filler_block(2);
    node.filler_block(3);
    let blocks = block_on(node.get_blocks(0, 10)).unwrap();
    (node, blocks)
}

#[test]
fn one_signature_per_node_passes_only_once_merged() {
    let (node, blocks) = chain();
    let policy = node.policy(); // 2 of 3
    let alone = only_signer(&blocks, 0);
    let err = policy.check(Some(&alone[0].block), &alone[1]).unwrap_err();
    assert!(matches!(err, BlockError::TooFewSignatures { got: 1, needed: 2, .. }), "{err:?}");
    let merged = merge_answers(alone, &[only_signer(&blocks, 1)], 2);
    assert_eq!(merged.len(), 3);
    for w in merged.windows(2) {
        policy.check(Some(&w[0].block), &w[1]).unwrap();
    }
}

#[test]
fn signatures_on_another_block_id_are_not_merged_and_unheld_blocks_wait() {
    let (_node, blocks) = chain();
    // The second node serves a different block 2 (another id): its signature is not merged,
    // so block 2 is held back (only one holder), block 1 is served.
    let mut other = only_signer(&blocks, 1);
    other[2].block.id = mcnode_ledger::BlockId(mcnode_types::Hash32([9; 32]));
    let merged = merge_answers(only_signer(&blocks, 0), &[other], 2);
    assert_eq!(merged.len(), 2, "block 2 must wait for a second holder of the same id");
    assert_eq!(merged[1].signatures.len(), 2);
    // A node that lags (holds only the origin and block 1) holds block 2 back too.
    let lagging: Vec<BlockData> = only_signer(&blocks, 1).into_iter().take(2).collect();
    let merged = merge_answers(only_signer(&blocks, 0), &[lagging], 2);
    assert_eq!(merged.len(), 2);
}
