//! Block sync: only verified blocks are kept; each refusal names its rule (and the signer);
//! the state survives a restart and the next run resumes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FakeNode, SIGNED_AT, block_on, out, rng, wallet};
use mcnode_client::{BlockError, ClientError, TrustPolicy, Wallet};
use mcnode_crypto::SigningIdentity;
use mcnode_ledger::{BlockContents, BlockSignature, Ledger};
use mcnode_tx::address::Network;
use mcnode_tx::{AccountKey, TokenId};
use mcnode_types::NodeId;

fn node_with_blocks(seed: u64, blocks: u64) -> (FakeNode, AccountKey) {
    let mut r = rng(seed);
    let alice = AccountKey::random(&mut r);
    let mut node =
        FakeNode::new(vec![out(&alice.default_address(), 777, TokenId(0), &mut r)], seed);
    for i in 0..blocks {
        node.filler_block(seed * 100 + i);
    }
    (node, alice)
}

#[test]
fn a_block_with_a_bad_signature_is_refused_and_named() {
    let (mut node, alice) = node_with_blocks(1, 4);
    node.faults.bad_signature_at = Some(3);
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    let e = block_on(w.sync(&mut node)).unwrap_err();
    let bad = node.signer_ids()[0];
    match &e {
        ClientError::Block(BlockError::BadSignature { index: 3, signer }) => {
            assert_eq!(*signer, bad)
        }
        other => panic!("expected BadSignature at block 3, got {other:?}"),
    }
    assert!(e.to_string().contains("INVALID"), "{e}");
    // Blocks 0..3 were verified and kept; nothing of block 3.
    assert_eq!(w.height(), 3);
    // The refusal is made although two good signatures (a majority of 3) remain.
    assert_eq!(node.policy().threshold, 2);
}

#[test]
fn a_block_signed_by_too_few_trusted_signers_is_refused() {
    let (mut node, alice) = node_with_blocks(2, 0);
    // Block 1 signed by one trusted node and two strangers.
    let strangers: Vec<_> = (0..2u8).map(|i| SigningIdentity::from_seed(&[90 + i; 32])).collect();
    let contents =
        BlockContents::new(vec![], vec![out(&alice.default_address(), 1, TokenId(0), &mut rng(3))]);
    let block = node.ledger.next_block(&contents).unwrap();
    let mut signatures = vec![BlockSignature::sign(&node.signers[0], &block.id, SIGNED_AT)];
    signatures.extend(strangers.iter().map(|k| BlockSignature::sign(k, &block.id, SIGNED_AT)));
    let data = mcnode_ledger::BlockData { block, contents, signatures };
    mcnode_ledger::Ledger::append_block(&mut node.ledger, &data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Block(BlockError::TooFewSignatures { index: 1, got: 1, needed: 2 })
        ),
        "{e:?}"
    );
    assert_eq!(w.height(), 1);
    assert_eq!(w.balance(TokenId(0)).spendable, 777, "the unverified payment is not counted");
}

#[test]
fn tampered_contents_are_refused() {
    let (mut node, alice) = node_with_blocks(3, 2);
    node.faults.tampered_contents_at = Some(2);
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(matches!(e, ClientError::Block(BlockError::ContentsHash { index: 2 })), "{e:?}");
}

#[test]
fn another_origin_is_refused() {
    let (mut node, alice) = node_with_blocks(4, 0);
    let (other, _) = node_with_blocks(5, 0);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::open(
        alice,
        Network::Devnet,
        other.policy(),
        0..4,
        mcnode_client::StateFile::new(dir.path().join("a")),
    )
    .unwrap();
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(matches!(e, ClientError::Block(BlockError::WrongOrigin { .. })), "{e:?}");
    assert_eq!(w.height(), 0);
}

#[test]
fn a_chain_that_does_not_extend_the_verified_tip_is_refused() {
    let (mut node, alice) = node_with_blocks(6, 2);
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    block_on(w.sync(&mut node)).unwrap();
    assert_eq!(w.height(), 3);
    // The wallet now talks to a node with another history from block 1 on (same origin).
    let mut fork = FakeNode::new(vec![], 6);
    let mut r = rng(6);
    let _ = AccountKey::random(&mut r);
    fork.ledger = mcnode_ledger::MemoryLedger::new();
    let origin = node.ledger.block(0).unwrap().unwrap();
    mcnode_ledger::Ledger::append_block(&mut fork.ledger, &origin).unwrap();
    for i in 0..4 {
        fork.filler_block(7_000 + i);
    }
    let e = block_on(w.sync(&mut fork)).unwrap_err();
    assert!(matches!(e, ClientError::Block(BlockError::WrongParent { index: 3, .. })), "{e:?}");
}

#[test]
fn the_state_survives_a_restart_and_sync_resumes() {
    let (mut node, alice) = node_with_blocks(8, 3);
    let dir = tempfile::tempdir().unwrap();
    {
        let mut w = wallet(&alice, &node, dir.path(), "a");
        let r = block_on(w.sync(&mut node)).unwrap();
        assert_eq!((r.blocks, w.height()), (4, 4));
    }
    node.filler_block(999);
    let mut w = wallet(&alice, &node, dir.path(), "a");
    assert_eq!(w.height(), 4);
    assert_eq!(w.balance(TokenId(0)).spendable, 777);
    let r = block_on(w.sync(&mut node)).unwrap();
    assert_eq!(r.blocks, 1, "only the new block is fetched");
}

#[test]
fn a_state_file_of_another_account_is_refused() {
    let (node, alice) = node_with_blocks(9, 0);
    let dir = tempfile::tempdir().unwrap();
    let mut node = node;
    block_on(wallet(&alice, &node, dir.path(), "a").sync(&mut node)).unwrap();
    let bob = AccountKey::random(&mut rng(10));
    let e = Wallet::open(
        bob,
        Network::Devnet,
        TrustPolicy::majority(node.policy().origin, Vec::<NodeId>::new()),
        0..2,
        mcnode_client::StateFile::new(dir.path().join("a")),
    )
    .unwrap_err();
    assert!(
        matches!(e, ClientError::Store(mcnode_client::StoreError::OtherAccount { .. })),
        "{e:?}"
    );
}

#[test]
fn a_repeated_signer_counts_once_and_an_untrusted_bad_signature_is_ignored() {
    let (mut node, alice) = node_with_blocks(11, 2);
    let id = node.ledger.block_header(2).unwrap().unwrap().id;
    let good = BlockSignature::sign(&node.signers[0], &id, SIGNED_AT);
    let mut stranger = BlockSignature::sign(&SigningIdentity::from_seed(&[77; 32]), &id, SIGNED_AT);
    stranger.signature.0[5] ^= 1;
    node.faults.signatures_at = Some((2, vec![good, good, stranger]));
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Block(BlockError::TooFewSignatures { index: 2, got: 1, needed: 2 })
        ),
        "{e:?}"
    );
}

#[test]
fn a_header_field_changed_under_its_signatures_is_refused() {
    let (mut node, alice) = node_with_blocks(12, 2);
    node.faults.tampered_root_at = Some(1);
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(matches!(e, ClientError::Block(BlockError::Id { index: 1 })), "{e:?}");
    assert_eq!(w.height(), 1);
}

#[test]
fn a_block_served_out_of_order_is_refused() {
    let (mut node, alice) = node_with_blocks(13, 2);
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet(&alice, &node, dir.path(), "a");
    node.faults.skip_one = true;
    let e = block_on(w.sync(&mut node)).unwrap_err();
    assert!(
        matches!(e, ClientError::Block(BlockError::WrongIndex { expected: 0, got: 1 })),
        "{e:?}"
    );
}
