//! Each conversion from the wire refuses bad input with the specific [`WireError`]: wrong
//! lengths, missing fields, too many items, non-canonical order, empty lists, unknown codes.
//! Every test starts from a valid message (asserted to convert) and breaks one thing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use mcnode_api::convert::channel::messages;
use mcnode_api::convert::requests::{
    blocks_from_response, client_handshake, consensus_envelope, latest_envelopes, propose_tx,
};
use mcnode_api::limits::{
    MAX_BLOCKS_PER_REQUEST, MAX_ENVELOPE_LEN, MAX_HANDSHAKE_LEN, MAX_OUTPUTS_PER_REQUEST,
    MAX_TX_HASHES_PER_REQUEST,
};
use mcnode_api::pb::client::v1 as client;
use mcnode_api::pb::common::v1 as common;
use mcnode_api::pb::peer::v1 as peer;
use mcnode_api::{
    BlockRange, LastBlockInfo, OutputsAnswer, OutputsQuery, PeerHandshake, TxsQuery, WireError,
};
use mcnode_enclave::channel::MAX_MESSAGE_LEN;
use mcnode_enclave::chunks::MAX_CHUNKS;
use mcnode_ledger::block::MAX_BLOCK_SIGNATURES;
use mcnode_ledger::{BlockData, Ledger, MemoryLedger, testkit};
use mcnode_tx::membership::MAX_PROOF_DEPTH;
use mcnode_tx::{MembershipProof, TxOut};

fn a_block() -> common::BlockData {
    let mut l = MemoryLedger::new();
    let contents = testkit::synthetic_contents(0, 3, 0, 3);
    let key = mcnode_crypto::SigningIdentity::from_seed(&[3; 32]);
    let d = testkit::make_block(&l, contents, &[key], 5).unwrap();
    l.append_block(&d).unwrap();
    let w = common::BlockData::from(&d);
    assert_eq!(BlockData::try_from(&w).unwrap(), d);
    w
}

fn refused(w: &common::BlockData) -> WireError {
    BlockData::try_from(w).unwrap_err()
}

#[test]
fn block_fields_of_the_wrong_length_are_refused() {
    let mut w = a_block();
    w.block.as_mut().unwrap().id.pop();
    assert_eq!(refused(&w), WireError::WrongLength { field: "Block.id", expected: 32, got: 31 });
    let mut w = a_block();
    w.block.as_mut().unwrap().parent_id.push(0);
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "Block.parent_id", expected: 32, got: 33 }
    );
    let mut w = a_block();
    w.block.as_mut().unwrap().root_element.clear();
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "Block.root_element", expected: 32, got: 0 }
    );
    let mut w = a_block();
    w.block.as_mut().unwrap().contents_hash.truncate(8);
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "Block.contents_hash", expected: 32, got: 8 }
    );
    let mut w = a_block();
    w.signatures[0].signature.pop();
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "BlockSignature.signature", expected: 64, got: 63 }
    );
    let mut w = a_block();
    w.signatures[0].signer.pop();
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "BlockSignature.signer", expected: 32, got: 31 }
    );
    let mut w = a_block();
    w.contents.as_mut().unwrap().key_images[1].pop();
    assert_eq!(
        refused(&w),
        WireError::WrongLength { field: "BlockContents.key_images", expected: 32, got: 31 }
    );
}

#[test]
fn output_fields_of_the_wrong_length_or_missing_are_refused() {
    let out = || a_block().contents.unwrap().outputs[0].clone();
    let check = |o: common::TxOut| TxOut::try_from(&o).unwrap_err();
    TxOut::try_from(&out()).unwrap();
    let mut o = out();
    o.target_key.pop();
    assert_eq!(
        check(o),
        WireError::WrongLength { field: "TxOut.target_key", expected: 32, got: 31 }
    );
    let mut o = out();
    o.public_key.push(1);
    assert_eq!(
        check(o),
        WireError::WrongLength { field: "TxOut.public_key", expected: 32, got: 33 }
    );
    let mut o = out();
    o.masked_amount = None;
    assert_eq!(check(o), WireError::Missing { field: "TxOut.masked_amount" });
    let mut o = out();
    o.masked_amount.as_mut().unwrap().commitment.pop();
    assert_eq!(
        check(o),
        WireError::WrongLength { field: "MaskedAmount.commitment", expected: 32, got: 31 }
    );
    let mut o = out();
    o.masked_amount.as_mut().unwrap().masked_token_id = vec![0; 9];
    assert_eq!(
        check(o),
        WireError::WrongLength { field: "MaskedAmount.masked_token_id", expected: 8, got: 9 }
    );
    let mut o = out();
    o.memo = Some(vec![0; 64]);
    assert_eq!(check(o), WireError::WrongLength { field: "TxOut.memo", expected: 66, got: 64 });
    let mut o = out();
    o.memo = Some(vec![0; 66]);
    TxOut::try_from(&o).unwrap();
}

#[test]
fn missing_header_or_contents_is_refused() {
    let mut w = a_block();
    w.block = None;
    assert_eq!(refused(&w), WireError::Missing { field: "BlockData.block" });
    let mut w = a_block();
    w.contents = None;
    assert_eq!(refused(&w), WireError::Missing { field: "BlockData.contents" });
}

#[test]
fn unsorted_or_duplicated_contents_are_refused() {
    let not_canonical = WireError::NotCanonical {
        field: "BlockContents",
        rule: "key images and outputs must be strictly ascending",
    };
    let mut w = a_block();
    w.contents.as_mut().unwrap().key_images.swap(0, 1);
    assert_eq!(refused(&w), not_canonical);
    let mut w = a_block();
    w.contents.as_mut().unwrap().outputs.swap(0, 2);
    assert_eq!(refused(&w), not_canonical);
    let mut w = a_block();
    let c = w.contents.as_mut().unwrap();
    c.outputs[1] = c.outputs[0].clone();
    assert_eq!(refused(&w), not_canonical);
}

#[test]
fn too_many_signatures_or_blocks_are_refused() {
    let mut w = a_block();
    let s = w.signatures[0].clone();
    w.signatures = vec![s; MAX_BLOCK_SIGNATURES as usize + 1];
    assert_eq!(
        refused(&w),
        WireError::TooMany { field: "BlockData.signatures", got: 1001, max: 1000 }
    );
    let resp =
        common::GetBlocksResponse { blocks: vec![a_block(); MAX_BLOCKS_PER_REQUEST as usize + 1] };
    assert_eq!(
        blocks_from_response(&resp).unwrap_err(),
        WireError::TooMany { field: "GetBlocksResponse.blocks", got: 101, max: 100 }
    );
}

#[test]
fn membership_proofs_with_too_many_or_short_siblings_are_refused() {
    let ok = common::MembershipProof { index: 1, leaf_count: 4, siblings: vec![vec![0; 32]; 2] };
    MembershipProof::try_from(&ok).unwrap();
    let mut p = ok.clone();
    p.siblings = vec![vec![0; 32]; MAX_PROOF_DEPTH as usize + 1];
    assert_eq!(
        MembershipProof::try_from(&p).unwrap_err(),
        WireError::TooMany { field: "MembershipProof.siblings", got: 65, max: 64 }
    );
    let mut p = ok;
    p.siblings[1].pop();
    assert_eq!(
        MembershipProof::try_from(&p).unwrap_err(),
        WireError::WrongLength { field: "MembershipProof.siblings", expected: 32, got: 31 }
    );
}

#[test]
fn block_ranges_outside_one_to_the_cap_are_refused() {
    let r = |limit| BlockRange::try_from(&common::GetBlocksRequest { from: 7, limit });
    assert_eq!(r(1).unwrap(), BlockRange { from: 7, limit: 1 });
    assert_eq!(r(MAX_BLOCKS_PER_REQUEST).unwrap().limit, MAX_BLOCKS_PER_REQUEST);
    assert_eq!(r(0).unwrap_err(), WireError::Empty { field: "GetBlocksRequest.limit" });
    assert_eq!(
        r(MAX_BLOCKS_PER_REQUEST + 1).unwrap_err(),
        WireError::TooMany { field: "GetBlocksRequest.limit", got: 101, max: 100 }
    );
}

#[test]
fn output_queries_outside_one_to_the_cap_are_refused() {
    let q = |n: usize| {
        OutputsQuery::try_from(&client::GetOutputsRequest { indices: vec![1; n], block_index: 3 })
    };
    assert_eq!(q(MAX_OUTPUTS_PER_REQUEST).unwrap().indices.len(), MAX_OUTPUTS_PER_REQUEST);
    assert_eq!(q(0).unwrap_err(), WireError::Empty { field: "GetOutputsRequest.indices" });
    assert_eq!(
        q(MAX_OUTPUTS_PER_REQUEST + 1).unwrap_err(),
        WireError::TooMany { field: "GetOutputsRequest.indices", got: 1001, max: 1000 }
    );
}

#[test]
fn output_answers_need_a_root_an_output_and_a_proof() {
    let good = client::GetOutputsResponse {
        block_index: 2,
        root_element: vec![1; 32],
        outputs: vec![client::OutputWithProof {
            output: a_block().contents.unwrap().outputs.first().cloned(),
            proof: Some(common::MembershipProof { index: 0, leaf_count: 1, siblings: vec![] }),
        }],
    };
    OutputsAnswer::try_from(&good).unwrap();
    let mut r = good.clone();
    r.root_element.pop();
    assert_eq!(
        OutputsAnswer::try_from(&r).unwrap_err(),
        WireError::WrongLength { field: "GetOutputsResponse.root_element", expected: 32, got: 31 }
    );
    let mut r = good.clone();
    r.outputs[0].proof = None;
    assert_eq!(
        OutputsAnswer::try_from(&r).unwrap_err(),
        WireError::Missing { field: "OutputWithProof.proof" }
    );
    let mut r = good;
    r.outputs[0].output = None;
    assert_eq!(
        OutputsAnswer::try_from(&r).unwrap_err(),
        WireError::Missing { field: "OutputWithProof.output" }
    );
}

#[test]
fn tx_queries_need_a_session_and_one_to_the_cap_hashes() {
    let q = |session: usize, n: usize, len: usize| {
        TxsQuery::try_from(&peer::GetTxsRequest {
            session_id: vec![2; session],
            tx_hashes: vec![vec![3; len]; n],
        })
    };
    assert_eq!(
        q(32, MAX_TX_HASHES_PER_REQUEST, 32).unwrap().hashes.len(),
        MAX_TX_HASHES_PER_REQUEST
    );
    assert_eq!(q(32, 0, 32).unwrap_err(), WireError::Empty { field: "GetTxsRequest.tx_hashes" });
    assert_eq!(
        q(32, MAX_TX_HASHES_PER_REQUEST + 1, 32).unwrap_err(),
        WireError::TooMany { field: "GetTxsRequest.tx_hashes", got: 501, max: 500 }
    );
    assert_eq!(
        q(30, 1, 32).unwrap_err(),
        WireError::WrongLength { field: "GetTxsRequest.session_id", expected: 32, got: 30 }
    );
    assert_eq!(
        q(32, 1, 33).unwrap_err(),
        WireError::WrongLength { field: "GetTxsRequest.tx_hashes", expected: 32, got: 33 }
    );
}

fn a_payload(chunks: usize, len: usize) -> common::EncryptedPayload {
    common::EncryptedPayload {
        session_id: vec![4; 32],
        chunks: (0..chunks)
            .map(|i| common::ChannelChunk { counter: i as u64, ciphertext: vec![5; len] })
            .collect(),
    }
}

#[test]
fn encrypted_payloads_need_one_to_max_chunks_of_bounded_size() {
    assert_eq!(messages(&a_payload(MAX_CHUNKS as usize, 16)).unwrap().1.len(), MAX_CHUNKS as usize);
    assert_eq!(
        messages(&a_payload(0, 16)).unwrap_err(),
        WireError::Empty { field: "EncryptedPayload.chunks" }
    );
    assert_eq!(
        messages(&a_payload(MAX_CHUNKS as usize + 1, 16)).unwrap_err(),
        WireError::TooMany { field: "EncryptedPayload.chunks", got: 65, max: 64 }
    );
    assert_eq!(
        messages(&a_payload(1, MAX_MESSAGE_LEN + 1)).unwrap_err(),
        WireError::TooLong {
            field: "ChannelChunk.ciphertext",
            got: MAX_MESSAGE_LEN + 1,
            max: MAX_MESSAGE_LEN
        }
    );
    assert_eq!(
        propose_tx(&client::ProposeTxRequest { payload: None }).unwrap_err(),
        WireError::Missing { field: "ProposeTxRequest.payload" }
    );
}

#[test]
fn handshakes_and_envelopes_must_be_non_empty_and_bounded() {
    let auth = |n: usize| client::AuthRequest { handshake: vec![1; n] };
    assert!(client_handshake(&auth(32)).is_ok());
    assert_eq!(
        client_handshake(&auth(0)).unwrap_err(),
        WireError::Empty { field: "AuthRequest.handshake" }
    );
    assert_eq!(
        client_handshake(&auth(MAX_HANDSHAKE_LEN + 1)).unwrap_err(),
        WireError::TooLong {
            field: "AuthRequest.handshake",
            got: MAX_HANDSHAKE_LEN + 1,
            max: MAX_HANDSHAKE_LEN
        }
    );
    let peer_auth =
        |id: usize| peer::PeerAuthRequest { from_node_id: vec![1; id], handshake: vec![2; 48] };
    assert!(PeerHandshake::try_from(&peer_auth(32)).is_ok());
    assert_eq!(
        PeerHandshake::try_from(&peer_auth(31)).unwrap_err(),
        WireError::WrongLength { field: "PeerAuthRequest.from_node_id", expected: 32, got: 31 }
    );
    let finish = peer::PeerAuthFinishRequest { from_node_id: vec![1; 32], handshake: vec![] };
    assert_eq!(
        PeerHandshake::try_from(&finish).unwrap_err(),
        WireError::Empty { field: "PeerAuthFinishRequest.handshake" }
    );
    let env = |n: usize| peer::SendConsensusMsgRequest { envelope: vec![1; n] };
    assert!(consensus_envelope(&env(10)).is_ok());
    assert_eq!(
        consensus_envelope(&env(0)).unwrap_err(),
        WireError::Empty { field: "SendConsensusMsgRequest.envelope" }
    );
    assert_eq!(
        consensus_envelope(&env(MAX_ENVELOPE_LEN + 1)).unwrap_err(),
        WireError::TooLong {
            field: "SendConsensusMsgRequest.envelope",
            got: MAX_ENVELOPE_LEN + 1,
            max: MAX_ENVELOPE_LEN
        }
    );
    let latest = peer::GetLatestMsgResponse { envelopes: vec![vec![1; 3], vec![]] };
    assert_eq!(
        latest_envelopes(&latest).unwrap_err(),
        WireError::Empty { field: "GetLatestMsgResponse.envelopes" }
    );
}

#[test]
fn minimum_fees_must_be_ascending_by_token() {
    let fee = |t| client::TokenFee { token_id: t, minimum_fee: 10 };
    let info =
        |fees| client::GetLastBlockInfoResponse { index: 1, minimum_fees: fees, block_version: 1 };
    assert!(LastBlockInfo::try_from(&info(vec![fee(0), fee(1)])).is_ok());
    let rule = WireError::NotCanonical {
        field: "GetLastBlockInfoResponse.minimum_fees",
        rule: "token ids strictly ascending",
    };
    assert_eq!(LastBlockInfo::try_from(&info(vec![fee(1), fee(0)])).unwrap_err(), rule);
    assert_eq!(LastBlockInfo::try_from(&info(vec![fee(1), fee(1)])).unwrap_err(), rule);
}

#[test]
fn wire_errors_become_invalid_argument_naming_the_field() {
    let s = tonic::Status::from(WireError::Missing { field: "BlockData.block" });
    assert_eq!(s.code(), tonic::Code::InvalidArgument);
    assert_eq!(s.message(), "BlockData.block is required");
}

#[test]
fn block_contents_over_the_ledger_caps_are_refused() {
    use mcnode_ledger::block::{MAX_BLOCK_KEY_IMAGES, MAX_BLOCK_OUTPUTS};
    let mut w = a_block();
    let c = w.contents.as_mut().unwrap();
    c.key_images = (0..=MAX_BLOCK_KEY_IMAGES)
        .map(|i| [[0u8; 28].as_slice(), &i.to_be_bytes()].concat())
        .collect();
    assert_eq!(
        refused(&w),
        WireError::TooMany { field: "BlockContents.key_images", got: 65_537, max: 65_536 }
    );
    let mut w = a_block();
    let c = w.contents.as_mut().unwrap();
    let o = c.outputs[0].clone();
    c.outputs = vec![o; MAX_BLOCK_OUTPUTS as usize + 1];
    assert_eq!(
        refused(&w),
        WireError::TooMany { field: "BlockContents.outputs", got: 131_073, max: 131_072 }
    );
}

#[test]
fn answers_over_their_caps_are_refused() {
    use mcnode_api::TxsAnswer;
    use mcnode_api::limits::MAX_LATEST_ENVELOPES;
    use mcnode_enclave::call::MAX_TOKENS;
    let outputs = client::GetOutputsResponse {
        block_index: 0,
        root_element: vec![0; 32],
        outputs: vec![client::OutputWithProof::default(); MAX_OUTPUTS_PER_REQUEST + 1],
    };
    assert_eq!(
        OutputsAnswer::try_from(&outputs).unwrap_err(),
        WireError::TooMany { field: "GetOutputsResponse.outputs", got: 1001, max: 1000 }
    );
    let txs = peer::GetTxsResponse {
        payload: None,
        missing: vec![vec![0; 32]; MAX_TX_HASHES_PER_REQUEST + 1],
    };
    assert_eq!(
        TxsAnswer::try_from(&txs).unwrap_err(),
        WireError::TooMany { field: "GetTxsResponse.missing", got: 501, max: 500 }
    );
    let fees = (0..=u64::from(MAX_TOKENS))
        .map(|t| client::TokenFee { token_id: t, minimum_fee: 1 })
        .collect();
    let info = client::GetLastBlockInfoResponse { index: 0, minimum_fees: fees, block_version: 1 };
    assert_eq!(
        LastBlockInfo::try_from(&info).unwrap_err(),
        WireError::TooMany { field: "GetLastBlockInfoResponse.minimum_fees", got: 257, max: 256 }
    );
    let latest = peer::GetLatestMsgResponse { envelopes: vec![vec![1]; MAX_LATEST_ENVELOPES + 1] };
    assert_eq!(
        latest_envelopes(&latest).unwrap_err(),
        WireError::TooMany { field: "GetLatestMsgResponse.envelopes", got: 2001, max: 2000 }
    );
}
