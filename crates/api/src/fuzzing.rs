//! Fuzz entry points: decode arbitrary bytes as each protobuf request or answer and convert it
//! to the domain; when the conversion succeeds, converting back and again must give the same
//! value. None of this may panic. The cargo-fuzz targets in `fuzz/` call these; the tests
//! below call them on random input in every `cargo test`.
//!
//! The first input byte chooses the message type, the rest is the message.

use mcnode_ledger::BlockData;
use prost::Message;

use crate::convert::channel::messages;
use crate::convert::requests::{
    blocks_from_response, client_handshake, consensus_envelope, latest_envelopes, peer_tx_propose,
    propose_tx, quorum_set_answer, quorum_set_query,
};
use crate::pb::client::v1 as client;
use crate::pb::common::v1 as common;
use crate::pb::peer::v1 as peer;
use crate::result::from_propose_response;
use crate::{
    BlockRange, LastBlockInfo, OutputsAnswer, OutputsQuery, PeerHandshake, TxsAnswer, TxsQuery,
};

fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(k, rest)| (*k, rest))
}

/// Every client-API request decoder and conversion.
pub fn fuzz_client_request(data: &[u8]) {
    let Some((kind, msg)) = split(data) else { return };
    match kind % 5 {
        0 => {
            if let Ok(r) = client::AuthRequest::decode(msg) {
                let _ = client_handshake(&r);
            }
        }
        1 => {
            if let Ok(r) = client::ProposeTxRequest::decode(msg)
                && let Ok((session, msgs)) = propose_tx(&r)
            {
                let again = crate::convert::requests::propose_tx_request(session, &msgs);
                assert_eq!(propose_tx(&again).ok(), Some((session, msgs)));
            }
        }
        2 => {
            let _ = client::GetLastBlockInfoRequest::decode(msg);
        }
        3 => {
            if let Ok(r) = common::GetBlocksRequest::decode(msg) {
                let _ = BlockRange::try_from(&r);
            }
        }
        _ => {
            if let Ok(r) = client::GetOutputsRequest::decode(msg)
                && let Ok(q) = OutputsQuery::try_from(&r)
            {
                assert_eq!(
                    OutputsQuery::try_from(&client::GetOutputsRequest::from(&q)).ok(),
                    Some(q)
                );
            }
        }
    }
}

/// Every peer-API request decoder and conversion.
pub fn fuzz_peer_request(data: &[u8]) {
    let Some((kind, msg)) = split(data) else { return };
    match kind % 7 {
        5 => {
            if let Ok(r) = peer::GetQuorumSetRequest::decode(msg) {
                let _ = quorum_set_query(&r);
            }
        }
        0 => {
            if let Ok(r) = peer::PeerAuthRequest::decode(msg) {
                let _ = PeerHandshake::try_from(&r);
            }
        }
        1 => {
            if let Ok(r) = peer::PeerAuthFinishRequest::decode(msg) {
                let _ = PeerHandshake::try_from(&r);
            }
        }
        2 => {
            if let Ok(r) = peer::PeerTxProposeRequest::decode(msg) {
                let _ = peer_tx_propose(&r);
            }
        }
        3 => {
            if let Ok(r) = peer::SendConsensusMsgRequest::decode(msg) {
                let _ = consensus_envelope(&r);
            }
        }
        4 => {
            if let Ok(r) = peer::GetTxsRequest::decode(msg)
                && let Ok(q) = TxsQuery::try_from(&r)
            {
                assert_eq!(TxsQuery::try_from(&peer::GetTxsRequest::from(&q)).ok(), Some(q));
            }
        }
        _ => {
            let _ = peer::GetLatestMsgRequest::decode(msg);
        }
    }
}

/// Every answer decoder and conversion (what clients and catching-up peers read).
pub fn fuzz_response(data: &[u8]) {
    let Some((kind, msg)) = split(data) else { return };
    match kind % 8 {
        6 => {
            if let Ok(r) = peer::GetQuorumSetResponse::decode(msg) {
                let _ = quorum_set_answer(&r);
            }
        }
        0 => {
            if let Ok(r) = common::GetBlocksResponse::decode(msg)
                && let Ok(blocks) = blocks_from_response(&r)
            {
                let again = crate::convert::requests::blocks_within_budget(&blocks);
                let back: Vec<BlockData> = blocks_from_response(&again).unwrap_or_default();
                assert!(blocks.starts_with(&back), "re-encoded blocks differ");
            }
        }
        1 => {
            if let Ok(r) = client::GetOutputsResponse::decode(msg)
                && let Ok(a) = OutputsAnswer::try_from(&r)
            {
                let again = client::GetOutputsResponse::from(&a);
                assert_eq!(OutputsAnswer::try_from(&again).ok(), Some(a));
            }
        }
        2 => {
            if let Ok(r) = client::GetLastBlockInfoResponse::decode(msg)
                && let Ok(i) = LastBlockInfo::try_from(&r)
            {
                let again = client::GetLastBlockInfoResponse::from(&i);
                assert_eq!(LastBlockInfo::try_from(&again).ok(), Some(i));
            }
        }
        3 => {
            if let Ok(r) = common::ProposeTxResponse::decode(msg)
                && let Ok((result, count)) = from_propose_response(&r)
            {
                let again = crate::result::propose_response(result, count);
                assert_eq!(from_propose_response(&again).ok(), Some((result, count)));
            }
        }
        4 => {
            if let Ok(r) = peer::GetTxsResponse::decode(msg) {
                let _ = TxsAnswer::try_from(&r);
            }
        }
        5 => {
            if let Ok(r) = peer::GetLatestMsgResponse::decode(msg) {
                let _ = latest_envelopes(&r);
            }
        }
        _ => {
            if let Ok(p) = common::EncryptedPayload::decode(msg) {
                let _ = messages(&p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            super::fuzz_client_request(&data);
            super::fuzz_peer_request(&data);
            super::fuzz_response(&data);
        }
    }
}
