//! The outcome of a transaction proposal ([`ProposeTxResult`]), in the spirit of MobileCoin's
//! `ProposeTxResult`: `Ok`, every transaction rule by name (one code per
//! [`mcnode_enclave::refusal::TxRule`], which itself names each `mcnode_tx` validation error),
//! the channel failures a client can act on, `OverCapacity` and `NotServing`.
//!
//! Codes on the wire are the `mcnode.common.v1.ProposeTxResult` enum; they are stable: a code
//! is never renumbered or reused (a test pins every one).

use mcnode_enclave::EnclaveError;
use mcnode_enclave::refusal::{ChannelFailure, TxRule};
use mcnode_tx::validation::TxError;

use crate::error::WireError;
use crate::pb::common::v1 as pb;

/// What became of a proposed transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProposeTxResult {
    /// Accepted into the pool (or already there).
    Ok,
    /// The pool is full; try again later.
    OverCapacity,
    /// The node is not serving (catching up, starting or stopping); try another node.
    NotServing,
    /// No such session: authenticate again.
    UnknownSession,
    /// A replayed or reordered channel message.
    ChannelReplay,
    /// A forged or corrupted channel message.
    ChannelForged,
    /// A malformed channel message (too large, wrong session, bad framing).
    ChannelMalformed,
    /// Another channel failure (Noise, evidence, exhausted session, ...).
    ChannelError,
    /// The decrypted payload is not a proposed transaction.
    MalformedTx,
    /// The enclave could not handle the request (not the transaction's fault).
    EnclaveError,
    /// The transaction breaks this rule.
    Rejected(TxRule),
}

impl ProposeTxResult {
    /// Whether the transaction was accepted.
    pub fn is_ok(&self) -> bool {
        matches!(self, ProposeTxResult::Ok)
    }

    /// A stable lower-case name (for metrics labels and logs), e.g. `fee_too_low`.
    pub fn name(&self) -> &'static str {
        pb::ProposeTxResult::from(*self)
            .as_str_name()
            .strip_prefix("PROPOSE_TX_RESULT_")
            .unwrap_or("unspecified")
    }
}

impl From<&TxError> for ProposeTxResult {
    fn from(e: &TxError) -> Self {
        ProposeTxResult::Rejected(TxRule::from(e))
    }
}

impl From<&EnclaveError> for ProposeTxResult {
    fn from(e: &EnclaveError) -> Self {
        use ChannelFailure as C;
        match e {
            EnclaveError::TxRejected(rule) => ProposeTxResult::Rejected(*rule),
            EnclaveError::MalformedPayload => ProposeTxResult::MalformedTx,
            EnclaveError::Channel(C::UnknownSession) => ProposeTxResult::UnknownSession,
            EnclaveError::Channel(C::Replay) => ProposeTxResult::ChannelReplay,
            EnclaveError::Channel(C::Forged) => ProposeTxResult::ChannelForged,
            EnclaveError::Channel(C::Malformed | C::TooLarge | C::WrongSession) => {
                ProposeTxResult::ChannelMalformed
            }
            EnclaveError::Channel(
                C::Noise
                | C::Evidence
                | C::Attestation
                | C::NoRemoteStatic
                | C::Exhausted
                | C::NoPendingHandshake
                | C::WrongRole
                | C::PeerIdMismatch
                | C::AttestUntrustedAnchor
                | C::AttestSimulatedNotAllowed
                | C::AttestTeeNotAllowed
                | C::AttestDebugEnclave
                | C::AttestMeasurementNotAllowed
                | C::AttestExpired
                | C::AttestReportData
                | C::AttestNoiseKeyMismatch
                | C::AttestConfigMismatch,
            ) => ProposeTxResult::ChannelError,
            EnclaveError::MalformedCall
            | EnclaveError::UnsupportedVersion { .. }
            | EnclaveError::NotInitialized
            | EnclaveError::AlreadyInitialized
            | EnclaveError::Sealed(_)
            | EnclaveError::BadCiphertext
            | EnclaveError::BadFrontier
            | EnclaveError::Internal
            | EnclaveError::Chain(_)
            | EnclaveError::NodeIdProof
            | EnclaveError::ConfigDigestMismatch => ProposeTxResult::EnclaveError,
        }
    }
}

/// Pairs every transaction rule with its wire code (the one place the mapping is written).
macro_rules! rule_codes {
    ($($rule:ident),* $(,)?) => {
        fn rule_to_pb(r: TxRule) -> pb::ProposeTxResult {
            match r {
                $(TxRule::$rule => pb::ProposeTxResult::$rule,)*
            }
        }
        fn pb_to_rule(p: pb::ProposeTxResult) -> Option<TxRule> {
            match p {
                $(pb::ProposeTxResult::$rule => Some(TxRule::$rule),)*
                _ => None,
            }
        }
    };
}

rule_codes!(
    InputCount,
    OutputCount,
    RingSize,
    RingNotSorted,
    InputsNotSorted,
    OutputsNotSorted,
    SignatureCount,
    DuplicateKeyImage,
    DuplicateOutputTargetKey,
    InvalidOutputKey,
    TombstoneExpired,
    TombstoneTooFar,
    UnknownToken,
    FeeTooLow,
    InvalidPseudoOutput,
    Unbalanced,
    RingSignature,
    RangeProof,
    RingMemberNotInLedger,
    MembershipProof,
    KeyImageSpent,
    OutputAlreadyInLedger,
    KeyImageInBatch,
    Ledger,
    RingProofs,
    HostProof,
    OutputInBatch,
    FeeOverflow,
    DuplicateRingMember,
    MissingMemo,
    RingRootUnproven,
);

impl From<ProposeTxResult> for pb::ProposeTxResult {
    fn from(r: ProposeTxResult) -> Self {
        match r {
            ProposeTxResult::Ok => pb::ProposeTxResult::Ok,
            ProposeTxResult::OverCapacity => pb::ProposeTxResult::OverCapacity,
            ProposeTxResult::NotServing => pb::ProposeTxResult::NotServing,
            ProposeTxResult::UnknownSession => pb::ProposeTxResult::UnknownSession,
            ProposeTxResult::ChannelReplay => pb::ProposeTxResult::ChannelReplay,
            ProposeTxResult::ChannelForged => pb::ProposeTxResult::ChannelForged,
            ProposeTxResult::ChannelMalformed => pb::ProposeTxResult::ChannelMalformed,
            ProposeTxResult::ChannelError => pb::ProposeTxResult::ChannelError,
            ProposeTxResult::MalformedTx => pb::ProposeTxResult::MalformedTx,
            ProposeTxResult::EnclaveError => pb::ProposeTxResult::EnclaveError,
            ProposeTxResult::Rejected(rule) => rule_to_pb(rule),
        }
    }
}

impl TryFrom<i32> for ProposeTxResult {
    type Error = WireError;
    /// From a wire code; `UNSPECIFIED` and codes this version does not know are refused.
    fn try_from(code: i32) -> Result<Self, WireError> {
        let unknown = WireError::UnknownCode { field: "ProposeTxResponse.result", code };
        let p = pb::ProposeTxResult::try_from(code).map_err(|_| unknown.clone())?;
        Ok(match p {
            pb::ProposeTxResult::Unspecified => return Err(unknown),
            pb::ProposeTxResult::Ok => ProposeTxResult::Ok,
            pb::ProposeTxResult::OverCapacity => ProposeTxResult::OverCapacity,
            pb::ProposeTxResult::NotServing => ProposeTxResult::NotServing,
            pb::ProposeTxResult::UnknownSession => ProposeTxResult::UnknownSession,
            pb::ProposeTxResult::ChannelReplay => ProposeTxResult::ChannelReplay,
            pb::ProposeTxResult::ChannelForged => ProposeTxResult::ChannelForged,
            pb::ProposeTxResult::ChannelMalformed => ProposeTxResult::ChannelMalformed,
            pb::ProposeTxResult::ChannelError => ProposeTxResult::ChannelError,
            pb::ProposeTxResult::MalformedTx => ProposeTxResult::MalformedTx,
            pb::ProposeTxResult::EnclaveError => ProposeTxResult::EnclaveError,
            other => ProposeTxResult::Rejected(pb_to_rule(other).ok_or(unknown)?),
        })
    }
}

/// A `ProposeTxResponse`.
pub fn propose_response(result: ProposeTxResult, block_count: u64) -> pb::ProposeTxResponse {
    pb::ProposeTxResponse { result: pb::ProposeTxResult::from(result) as i32, block_count }
}

/// The result and block count of a `ProposeTxResponse`.
pub fn from_propose_response(
    r: &pb::ProposeTxResponse,
) -> Result<(ProposeTxResult, u64), WireError> {
    Ok((ProposeTxResult::try_from(r.result)?, r.block_count))
}
