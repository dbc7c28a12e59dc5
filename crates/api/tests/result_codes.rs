//! Result codes: every transaction rule and every enclave refusal maps to one code; every
//! code round-trips through the wire; codes are pinned (renumbering breaks clients); unknown
//! and unspecified codes are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::BTreeSet;

use mcnode_api::pb::common::v1 as pb;
use mcnode_api::result::{from_propose_response, propose_response};
use mcnode_api::{ProposeTxResult, WireError};
use mcnode_enclave::EnclaveError;
use mcnode_enclave::refusal::{ChannelFailure, TxRule};
use mcnode_types::{Decode, Reader};

/// Every `TxRule`, found by decoding each one-byte code until the decoder refuses.
fn all_rules() -> Vec<TxRule> {
    (0u8..=255).filter_map(|b| TxRule::decode(&mut Reader::new(&[b])).ok()).collect()
}

fn all_channel_failures() -> Vec<ChannelFailure> {
    (0u8..=255).filter_map(|b| ChannelFailure::decode(&mut Reader::new(&[b])).ok()).collect()
}

fn all_results() -> Vec<ProposeTxResult> {
    let mut v = vec![
        ProposeTxResult::Ok,
        ProposeTxResult::OverCapacity,
        ProposeTxResult::NotServing,
        ProposeTxResult::UnknownSession,
        ProposeTxResult::ChannelReplay,
        ProposeTxResult::ChannelForged,
        ProposeTxResult::ChannelMalformed,
        ProposeTxResult::ChannelError,
        ProposeTxResult::MalformedTx,
        ProposeTxResult::EnclaveError,
    ];
    v.extend(all_rules().into_iter().map(ProposeTxResult::Rejected));
    v
}

#[test]
fn every_rule_has_its_own_code_and_every_code_round_trips() {
    assert_eq!(all_rules().len(), 31, "a TxRule was added: give it a wire code");
    let mut codes = BTreeSet::new();
    for r in all_results() {
        let wire = propose_response(r, 42);
        assert!(codes.insert(wire.result), "{r:?} shares code {}", wire.result);
        assert_ne!(wire.result, 0, "{r:?} must not be UNSPECIFIED");
        assert_eq!(from_propose_response(&wire).unwrap(), (r, 42));
    }
    // Every enum value of the .proto except UNSPECIFIED is used by exactly one result.
    let declared: BTreeSet<i32> =
        (0..=100).filter(|c| pb::ProposeTxResult::try_from(*c).is_ok()).collect();
    let mut used = codes.clone();
    used.insert(0);
    assert_eq!(declared, used);
}

#[test]
fn codes_are_pinned() {
    let code = |r| propose_response(r, 0).result;
    assert_eq!(code(ProposeTxResult::Ok), 1);
    assert_eq!(code(ProposeTxResult::OverCapacity), 2);
    assert_eq!(code(ProposeTxResult::NotServing), 3);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::InputCount)), 20);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::FeeTooLow)), 33);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::KeyImageSpent)), 40);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::FeeOverflow)), 47);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::DuplicateRingMember)), 48);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::MissingMemo)), 49);
    assert_eq!(code(ProposeTxResult::Rejected(TxRule::RingRootUnproven)), 50);
    assert_eq!(ProposeTxResult::Rejected(TxRule::FeeTooLow).name(), "FEE_TOO_LOW");
}

#[test]
fn unknown_and_unspecified_codes_are_refused() {
    for code in [0, 11, 19, 51, -1, i32::MAX] {
        let r = pb::ProposeTxResponse { result: code, block_count: 1 };
        assert_eq!(
            from_propose_response(&r).unwrap_err(),
            WireError::UnknownCode { field: "ProposeTxResponse.result", code }
        );
    }
}

#[test]
fn enclave_refusals_map_to_the_code_a_client_can_act_on() {
    let of = |e: EnclaveError| ProposeTxResult::from(&e);
    for rule in all_rules() {
        assert_eq!(of(EnclaveError::TxRejected(rule)), ProposeTxResult::Rejected(rule));
    }
    assert_eq!(of(EnclaveError::MalformedPayload), ProposeTxResult::MalformedTx);
    assert_eq!(
        of(EnclaveError::Channel(ChannelFailure::UnknownSession)),
        ProposeTxResult::UnknownSession
    );
    assert_eq!(of(EnclaveError::Channel(ChannelFailure::Replay)), ProposeTxResult::ChannelReplay);
    assert_eq!(of(EnclaveError::Channel(ChannelFailure::Forged)), ProposeTxResult::ChannelForged);
    assert_eq!(
        of(EnclaveError::Channel(ChannelFailure::TooLarge)),
        ProposeTxResult::ChannelMalformed
    );
    assert_eq!(of(EnclaveError::Internal), ProposeTxResult::EnclaveError);
    assert_eq!(of(EnclaveError::NotInitialized), ProposeTxResult::EnclaveError);
    // No channel failure is reported as success or as a transaction rule.
    for f in all_channel_failures() {
        let r = of(EnclaveError::Channel(f));
        assert!(!r.is_ok() && !matches!(r, ProposeTxResult::Rejected(_)), "{f:?} -> {r:?}");
    }
}

#[test]
fn host_side_validation_errors_map_to_their_rule() {
    let e = mcnode_tx::validation::TxError::FeeTooLow { fee: 1, minimum: 2 };
    assert_eq!(ProposeTxResult::from(&e), ProposeTxResult::Rejected(TxRule::FeeTooLow));
}
