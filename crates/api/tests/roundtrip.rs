//! Domain -> protobuf -> domain gives back the same value, for every type the wire carries
//! (property tests over arbitrary values), and the protobuf bytes decode to the same message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use mcnode_api::convert::channel::{messages, payload};
use mcnode_api::convert::requests::{blocks_from_response, blocks_within_budget};
use mcnode_api::pb::client::v1 as client;
use mcnode_api::pb::common::v1 as common;
use mcnode_api::pb::peer::v1 as peer;
use mcnode_api::{LastBlockInfo, OutputsAnswer, OutputsQuery, TxsAnswer, TxsQuery};
use mcnode_crypto::{CompressedPoint, Ed25519Signature};
use mcnode_enclave::channel::{ChannelMessage, SessionId};
use mcnode_ledger::{Block, BlockContents, BlockData, BlockId, BlockSignature};
use mcnode_tx::tx_out::EncryptedMemo;
use mcnode_tx::{CompressedCommitment, KeyImage, MaskedAmount, MembershipProof, TokenId, TxOut};
use mcnode_types::{Hash32, NodeId};
use proptest::prelude::*;
use prost::Message;

fn h() -> impl Strategy<Value = Hash32> {
    any::<[u8; 32]>().prop_map(Hash32)
}

fn p() -> impl Strategy<Value = CompressedPoint> {
    any::<[u8; 32]>().prop_map(CompressedPoint)
}

fn tx_out() -> impl Strategy<Value = TxOut> {
    (
        p(),
        p(),
        p(),
        any::<u64>(),
        any::<[u8; 8]>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 66)),
    )
        .prop_map(|(t, pk, c, v, tok, memo)| TxOut {
            target_key: t,
            public_key: pk,
            masked_amount: MaskedAmount {
                commitment: CompressedCommitment(c),
                masked_value: v,
                masked_token_id: tok,
            },
            memo: memo.map(|m| EncryptedMemo(m.try_into().unwrap_or([0; 66]))),
        })
}

fn signature() -> impl Strategy<Value = BlockSignature> {
    (any::<[u8; 32]>(), any::<u64>(), proptest::collection::vec(any::<u8>(), 64)).prop_map(
        |(s, t, sig)| BlockSignature {
            signer: NodeId(s),
            signed_at: t,
            signature: Ed25519Signature(sig.try_into().unwrap_or([0; 64])),
        },
    )
}

fn block_data() -> impl Strategy<Value = BlockData> {
    (
        (h(), any::<u32>(), h(), any::<u64>(), any::<u64>(), h(), h()),
        proptest::collection::btree_set(any::<[u8; 32]>(), 0..6),
        proptest::collection::vec(tx_out(), 0..6),
        proptest::collection::vec(signature(), 0..4),
    )
        .prop_map(
            |(
                (id, version, parent, index, count, root, contents_hash),
                kis,
                mut outs,
                signatures,
            )| {
                outs.sort_by_key(|o| o.public_key.0);
                outs.dedup_by_key(|o| o.public_key.0);
                BlockData {
                    block: Block {
                        id: BlockId(id),
                        version,
                        parent_id: BlockId(parent),
                        index,
                        cumulative_txo_count: count,
                        root_element: root,
                        contents_hash,
                    },
                    contents: BlockContents {
                        key_images: kis.into_iter().map(KeyImage::from).collect(),
                        outputs: outs,
                    },
                    signatures,
                }
            },
        )
}

fn proof() -> impl Strategy<Value = MembershipProof> {
    (any::<u64>(), any::<u64>(), proptest::collection::vec(h(), 0..64))
        .prop_map(|(index, leaf_count, siblings)| MembershipProof { index, leaf_count, siblings })
}

/// Through the bytes too: what a peer receives is what was sent.
fn via_bytes<M: Message + Default>(m: &M) -> M {
    M::decode(m.encode_to_vec().as_slice()).unwrap()
}

proptest! {
    #[test]
    fn block_data_round_trips(d in block_data()) {
        let wire = via_bytes(&common::BlockData::from(&d));
        prop_assert_eq!(BlockData::try_from(&wire).unwrap(), d);
    }

    #[test]
    fn blocks_responses_round_trip(ds in proptest::collection::vec(block_data(), 0..4)) {
        let wire = via_bytes(&blocks_within_budget(&ds));
        prop_assert_eq!(blocks_from_response(&wire).unwrap(), ds);
    }

    #[test]
    fn outputs_with_proofs_round_trip(
        block_index in any::<u64>(),
        root in h(),
        outs in proptest::collection::vec((tx_out(), proof()), 0..8),
    ) {
        let a = OutputsAnswer { block_index, root_element: root, outputs: outs };
        let wire = via_bytes(&client::GetOutputsResponse::from(&a));
        prop_assert_eq!(OutputsAnswer::try_from(&wire).unwrap(), a);
    }

    #[test]
    fn channel_payloads_round_trip(
        session in h(),
        chunks in proptest::collection::vec((any::<u64>(), proptest::collection::vec(any::<u8>(), 0..100)), 1..5),
    ) {
        let session = SessionId(session);
        let msgs: Vec<ChannelMessage> = chunks
            .into_iter()
            .map(|(counter, ciphertext)| ChannelMessage { session, counter, ciphertext })
            .collect();
        let wire = via_bytes(&payload(session, &msgs));
        prop_assert_eq!(messages(&wire).unwrap(), (session, msgs));
    }

    #[test]
    fn requests_round_trip(
        indices in proptest::collection::vec(any::<u64>(), 1..50),
        block_index in any::<u64>(),
        session in h(),
        hashes in proptest::collection::vec(h(), 1..50),
    ) {
        let q = OutputsQuery { indices, block_index };
        prop_assert_eq!(OutputsQuery::try_from(&via_bytes(&client::GetOutputsRequest::from(&q))).unwrap(), q);
        let t = TxsQuery { session: SessionId(session), hashes: hashes.clone() };
        prop_assert_eq!(TxsQuery::try_from(&via_bytes(&peer::GetTxsRequest::from(&t))).unwrap(), t);
        let a = TxsAnswer { messages: Vec::new(), missing: hashes };
        let wire = via_bytes(&a.to_pb(SessionId(session)));
        prop_assert_eq!(TxsAnswer::try_from(&wire).unwrap(), a);
    }

    #[test]
    fn last_block_info_round_trips(
        index in any::<u64>(),
        fees in proptest::collection::btree_map(any::<u64>(), any::<u64>(), 0..10),
        version in any::<u32>(),
    ) {
        let i = LastBlockInfo {
            index,
            minimum_fees: fees.into_iter().map(|(t, f)| (TokenId(t), f)).collect(),
            block_version: version,
        };
        let wire = via_bytes(&client::GetLastBlockInfoResponse::from(&i));
        prop_assert_eq!(LastBlockInfo::try_from(&wire).unwrap(), i);
    }
}

#[test]
fn real_signed_blocks_round_trip() {
    use mcnode_ledger::{Ledger, MemoryLedger, testkit};
    let key = mcnode_crypto::SigningIdentity::from_seed(&[9; 32]);
    let mut l = MemoryLedger::new();
    for n in 0..3 {
        let contents = testkit::synthetic_contents(n * 4, 4, n * 2, 2);
        let d = testkit::make_block(&l, contents, std::slice::from_ref(&key), 1_700_000_000 + n)
            .unwrap();
        l.append_block(&d).unwrap();
    }
    let blocks = l.blocks(0, 10).unwrap();
    let back = blocks_from_response(&via_bytes(&blocks_within_budget(&blocks))).unwrap();
    assert_eq!(back, blocks);
    for b in &back {
        assert_eq!(b.block.compute_id(), b.block.id);
        b.signatures[0].verify(&b.block.id).unwrap();
    }
}
