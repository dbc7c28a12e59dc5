//! Why the enclave refused a call, in a form that crosses the boundary.
//!
//! These errors are deliberately coarse: an error is host-visible, so it names the rule or the
//! step that failed but never carries transaction contents (no fee, no amount, no ring member,
//! no index). A [`mcnode_tx::validation::TxError`] becomes a bare [`TxRule`] for that reason.

use mcnode_attest::{Failure, Refusal};
use mcnode_tx::validation::TxError;
use mcnode_types::{Decode, DecodeError, Encode, Reader};

use crate::channel::ChannelError;
use crate::sealing::SealingError;

/// Defines a field-less enum encoded as one byte, with a decoder refusing unknown codes.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $c:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v = $c,)*
        }
        impl Encode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push(*self as u8);
            }
        }
        impl Decode for $name {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                match u8::decode(r)? {
                    $($c => Ok($name::$v),)*
                    tag => Err(DecodeError::InvalidTag { what: $what, tag }),
                }
            }
        }
    };
}

code_enum!(
    /// Which transaction rule failed (see [`TxError`] for each rule's meaning).
    TxRule, "tx rule" {
        /// Input count outside 1..=16.
        InputCount = 0,
        /// Output count outside 1..=16.
        OutputCount = 1,
        /// Ring size is not 11.
        RingSize = 2,
        /// Ring not sorted or has duplicates.
        RingNotSorted = 3,
        /// Inputs not sorted.
        InputsNotSorted = 4,
        /// Outputs not sorted or duplicated.
        OutputsNotSorted = 5,
        /// Signature counts do not match inputs.
        SignatureCount = 6,
        /// Key image repeated in the transaction.
        DuplicateKeyImage = 7,
        /// Output target key repeated.
        DuplicateOutputTargetKey = 8,
        /// Output key not a valid point.
        InvalidOutputKey = 9,
        /// A ledger output in two rings of the transaction.
        DuplicateRingMember = 40,
        /// An output without its encrypted memo.
        MissingMemo = 41,
        /// Tombstone block reached.
        TombstoneExpired = 10,
        /// Tombstone too far in the future.
        TombstoneTooFar = 11,
        /// Token not configured.
        UnknownToken = 12,
        /// Fee below the minimum.
        FeeTooLow = 13,
        /// Pseudo-output not a valid point.
        InvalidPseudoOutput = 14,
        /// Inputs do not balance outputs plus fee.
        Unbalanced = 15,
        /// A ring signature does not verify.
        RingSignature = 16,
        /// The range proof does not verify.
        RangeProof = 17,
        /// A ring member is not in the ledger (no membership proof for it).
        RingMemberNotInLedger = 18,
        /// A membership proof does not verify against the ledger root.
        MembershipProof = 19,
        /// Key image already spent.
        KeyImageSpent = 20,
        /// Output already in the ledger.
        OutputAlreadyInLedger = 21,
        /// Key image spent twice in one block.
        KeyImageInBatch = 22,
        /// The ledger view failed.
        Ledger = 23,
        /// The proofs sent with the transaction do not match its rings (count, tree size).
        RingProofs = 24,
        /// The host's proof for the highest ring index does not match the transaction.
        HostProof = 25,
        /// Two transactions of a block create the same output.
        OutputInBatch = 26,
        /// Fees of one token overflow.
        FeeOverflow = 27,
        /// `FormBlock`: no host proof links the ledger size the ring proofs are against to the
        /// parent block's output tree (or that size is beyond the parent's).
        RingRootUnproven = 28,
    }
);

impl From<&TxError> for TxRule {
    fn from(e: &TxError) -> TxRule {
        match e {
            TxError::InputCount { .. } => TxRule::InputCount,
            TxError::OutputCount { .. } => TxRule::OutputCount,
            TxError::RingSize { .. } => TxRule::RingSize,
            TxError::RingNotSorted { .. } => TxRule::RingNotSorted,
            TxError::InputsNotSorted => TxRule::InputsNotSorted,
            TxError::OutputsNotSorted => TxRule::OutputsNotSorted,
            TxError::SignatureCount { .. } => TxRule::SignatureCount,
            TxError::DuplicateKeyImage { .. } => TxRule::DuplicateKeyImage,
            TxError::DuplicateOutputTargetKey { .. } => TxRule::DuplicateOutputTargetKey,
            TxError::InvalidOutputKey { .. } => TxRule::InvalidOutputKey,
            TxError::DuplicateRingMember { .. } => TxRule::DuplicateRingMember,
            TxError::MissingMemo { .. } => TxRule::MissingMemo,
            TxError::TombstoneExpired { .. } => TxRule::TombstoneExpired,
            TxError::TombstoneTooFar { .. } => TxRule::TombstoneTooFar,
            TxError::UnknownToken { .. } => TxRule::UnknownToken,
            TxError::FeeTooLow { .. } => TxRule::FeeTooLow,
            TxError::InvalidPseudoOutput { .. } => TxRule::InvalidPseudoOutput,
            TxError::Unbalanced => TxRule::Unbalanced,
            TxError::RingSignature { .. } => TxRule::RingSignature,
            TxError::RangeProof(_) => TxRule::RangeProof,
            TxError::RingMemberNotInLedger { .. } => TxRule::RingMemberNotInLedger,
            TxError::MembershipProof { .. } => TxRule::MembershipProof,
            TxError::KeyImageSpent { .. } => TxRule::KeyImageSpent,
            TxError::OutputAlreadyInLedger { .. } => TxRule::OutputAlreadyInLedger,
            TxError::KeyImageInBatch { .. } => TxRule::KeyImageInBatch,
            TxError::OutputKeyInBatch { .. } => TxRule::OutputInBatch,
            TxError::Ledger(_) => TxRule::Ledger,
        }
    }
}

code_enum!(
    /// Which channel step failed.
    ChannelFailure, "channel failure" {
        /// The Noise layer refused.
        Noise = 0,
        /// The handshake payload is not evidence.
        Evidence = 1,
        /// The peer's evidence failed verification for a reason none of the `Attest*` codes
        /// below names.
        Attestation = 2,
        /// No remote static key.
        NoRemoteStatic = 3,
        /// Message too large.
        TooLarge = 4,
        /// Malformed transport message.
        Malformed = 5,
        /// Message for another session.
        WrongSession = 6,
        /// Replayed or reordered message.
        Replay = 7,
        /// Forged or corrupted message.
        Forged = 8,
        /// Session out of nonces.
        Exhausted = 9,
        /// No such session.
        UnknownSession = 10,
        /// No pending handshake with the peer.
        NoPendingHandshake = 11,
        /// Pending handshake in the other role.
        WrongRole = 12,
        /// The peer's verified evidence names another node id than the one the host named.
        PeerIdMismatch = 13,
        /// Attestation: the quote does not chain to a configured trust anchor (no anchor or
        /// backend for its tee type, unknown root, bad certificate or quote signature).
        AttestUntrustedAnchor = 14,
        /// Attestation: simulated evidence, and this build or the policy does not allow it.
        AttestSimulatedNotAllowed = 15,
        /// Attestation: the tee type is not allowed by the policy.
        AttestTeeNotAllowed = 16,
        /// Attestation: a debug enclave.
        AttestDebugEnclave = 17,
        /// Attestation: the measurement is not on the policy's allow-list.
        AttestMeasurementNotAllowed = 18,
        /// Attestation: the quote or the platform certificate is expired or not yet valid.
        AttestExpired = 19,
        /// Attestation: the report data does not bind the claims.
        AttestReportData = 20,
        /// Attestation: the evidence names another Noise key than the channel's.
        AttestNoiseKeyMismatch = 21,
        /// Attestation: the evidence names another chain id or configuration digest.
        AttestConfigMismatch = 22,
    }
);

impl ChannelFailure {
    /// The code for a verifier refusal: the first failure in the order below (so a forged
    /// quote reads as an untrusted anchor, not as the measurement it also claims). Only
    /// policy facts leave the enclave (which check failed), never the peer's claims.
    pub fn of_refusal(r: &Refusal) -> ChannelFailure {
        use ChannelFailure as C;
        let rank = |f: &Failure| match f {
            Failure::NoBackend { .. }
            | Failure::NoAnchor { .. }
            | Failure::UntrustedChain
            | Failure::BadQuoteSignature => C::AttestUntrustedAnchor,
            Failure::SimulationNotBuilt | Failure::SimulationNotAllowed => {
                C::AttestSimulatedNotAllowed
            }
            Failure::TeeNotAllowed { .. } => C::AttestTeeNotAllowed,
            Failure::DebugEnclave => C::AttestDebugEnclave,
            Failure::MeasurementNotTrusted { .. } => C::AttestMeasurementNotAllowed,
            Failure::CertificateNotValid { .. }
            | Failure::Expired { .. }
            | Failure::FromFuture { .. } => C::AttestExpired,
            Failure::ReportDataAllZero | Failure::ReportDataMismatch { .. } => C::AttestReportData,
            Failure::NoiseKeyMismatch { .. } => C::AttestNoiseKeyMismatch,
            Failure::ChainIdMismatch { .. } | Failure::ConfigDigestMismatch { .. } => {
                C::AttestConfigMismatch
            }
        };
        const ORDER: [ChannelFailure; 9] = [
            C::AttestUntrustedAnchor,
            C::AttestSimulatedNotAllowed,
            C::AttestTeeNotAllowed,
            C::AttestDebugEnclave,
            C::AttestMeasurementNotAllowed,
            C::AttestExpired,
            C::AttestReportData,
            C::AttestNoiseKeyMismatch,
            C::AttestConfigMismatch,
        ];
        let found: Vec<ChannelFailure> = r.failures.iter().map(rank).collect();
        ORDER.into_iter().find(|c| found.contains(c)).unwrap_or(C::Attestation)
    }
}

impl From<&ChannelError> for ChannelFailure {
    fn from(e: &ChannelError) -> ChannelFailure {
        match e {
            ChannelError::Noise(_) => ChannelFailure::Noise,
            ChannelError::Evidence(_) => ChannelFailure::Evidence,
            ChannelError::Attestation(r) => ChannelFailure::of_refusal(r),
            ChannelError::NoRemoteStatic => ChannelFailure::NoRemoteStatic,
            ChannelError::TooLarge { .. } => ChannelFailure::TooLarge,
            ChannelError::Malformed(_) => ChannelFailure::Malformed,
            ChannelError::WrongSession { .. } => ChannelFailure::WrongSession,
            ChannelError::Replay { .. } => ChannelFailure::Replay,
            ChannelError::Forged => ChannelFailure::Forged,
            ChannelError::Exhausted => ChannelFailure::Exhausted,
            ChannelError::UnknownSession { .. } => ChannelFailure::UnknownSession,
            ChannelError::NoPendingHandshake { .. } => ChannelFailure::NoPendingHandshake,
            ChannelError::WrongRole { .. } => ChannelFailure::WrongRole,
            ChannelError::PeerIdMismatch { .. } => ChannelFailure::PeerIdMismatch,
        }
    }
}

code_enum!(
    /// Why a sealed signing key was refused.
    SealFailure, "seal failure" {
        /// Too short.
        Truncated = 0,
        /// Unknown version.
        Version = 1,
        /// Sealed by another measurement.
        ForeignMeasurement = 2,
        /// Authentication failed (tampered or another platform).
        Tampered = 3,
        /// Unsealed, but not a 32-byte key.
        BadKey = 4,
    }
);

impl From<&SealingError> for SealFailure {
    fn from(e: &SealingError) -> SealFailure {
        match e {
            SealingError::Truncated { .. } => SealFailure::Truncated,
            SealingError::Version { .. } => SealFailure::Version,
            SealingError::ForeignMeasurement { .. } => SealFailure::ForeignMeasurement,
            SealingError::Tampered => SealFailure::Tampered,
        }
    }
}

code_enum!(
    /// Why the enclave refused a parent block or a block shown to it (the chain it tracks).
    ChainFailure, "chain failure" {
        /// The enclave tracks no chain yet (no tip at `Init`, no origin block shown).
        NoTip = 0,
        /// `FormBlock`'s parent is not the block the enclave last formed or accepted.
        ParentNotTip = 1,
        /// A header's id is not the hash of its fields.
        HeaderId = 2,
        /// The block's `parent_id` is not the tracked tip's id.
        ParentLink = 3,
        /// The block's index is not the tracked tip's plus one (0 for an origin block).
        Index = 4,
        /// The block's cumulative output count is not the tip's plus its outputs.
        OutputCount = 5,
        /// The block's contents hash is not the hash of the contents shown.
        ContentsHash = 6,
        /// The block's output-tree root is not the root after the tip plus its outputs.
        Root = 7,
        /// Another block format version.
        Version = 8,
        /// No signature by this enclave or an attested peer enclave verifies.
        Unsigned = 9,
    }
);

/// Why the enclave refused a call. Crosses the boundary inside [`crate::EnclaveReply::Refused`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnclaveError {
    /// The request does not decode.
    #[error("malformed enclave call")]
    MalformedCall,
    /// The request's version is not ours.
    #[error("enclave call version {got} is not supported (this enclave speaks {supported})")]
    UnsupportedVersion {
        /// Version in the request.
        got: u16,
        /// Version this enclave speaks.
        supported: u16,
    },
    /// A call other than `Init` before `Init`.
    #[error("the enclave is not initialised")]
    NotInitialized,
    /// `Init` twice.
    #[error("the enclave is already initialised")]
    AlreadyInitialized,
    /// The sealed signing key was refused.
    #[error("sealed signing key refused: {0:?}")]
    Sealed(SealFailure),
    /// A channel operation failed.
    #[error("channel: {0:?}")]
    Channel(ChannelFailure),
    /// A decrypted message is not what the call expects.
    #[error("decrypted payload is malformed")]
    MalformedPayload,
    /// A cached ciphertext fails authentication (tampered, or from an earlier enclave start).
    #[error("cached ciphertext refused (tampered or from another enclave start)")]
    BadCiphertext,
    /// A transaction breaks a rule.
    #[error("transaction rejected: {0:?}")]
    TxRejected(TxRule),
    /// The host's ledger data for forming a block (the frontier, or a prefix proof of a ring
    /// root) does not verify against the parent block's output-tree root.
    #[error("host-supplied ledger proof does not match the parent block")]
    BadFrontier,
    /// The enclave could not create its identity or an output.
    #[error("internal enclave failure")]
    Internal,
    /// `Init`'s configuration digest is not the digest of the configuration it supplies
    /// ([`crate::call::config_digest`]), so evidence carrying it would misstate what the
    /// enclave enforces (e.g. where block fees go).
    #[error(
        "Init's configuration digest does not match its chain id, fees, fee recipient and peer \
         policy"
    )]
    ConfigDigestMismatch,
    /// The chain the enclave tracks does not accept the block (see [`ChainFailure`]).
    #[error("chain: {0:?}")]
    Chain(ChainFailure),
    /// `Init`'s node id proof is not a signature by that node id over
    /// [`crate::call::node_id_proof_message`] (or the node id is not a key): the enclave will
    /// not attest to serving a node whose key the host does not hold.
    #[error("Init's node id proof does not verify under the node id it names")]
    NodeIdProof,
}

impl Encode for EnclaveError {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            EnclaveError::MalformedCall => out.push(0),
            EnclaveError::UnsupportedVersion { got, supported } => {
                out.push(1);
                got.encode(out);
                supported.encode(out);
            }
            EnclaveError::NotInitialized => out.push(2),
            EnclaveError::AlreadyInitialized => out.push(3),
            EnclaveError::Sealed(f) => {
                out.push(4);
                f.encode(out);
            }
            EnclaveError::Channel(f) => {
                out.push(5);
                f.encode(out);
            }
            EnclaveError::MalformedPayload => out.push(6),
            EnclaveError::BadCiphertext => out.push(7),
            EnclaveError::TxRejected(rule) => {
                out.push(8);
                rule.encode(out);
            }
            EnclaveError::BadFrontier => out.push(9),
            EnclaveError::Internal => out.push(10),
            EnclaveError::ConfigDigestMismatch => out.push(11),
            EnclaveError::Chain(f) => {
                out.push(12);
                f.encode(out);
            }
            EnclaveError::NodeIdProof => out.push(13),
        }
    }
}

impl Decode for EnclaveError {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => EnclaveError::MalformedCall,
            1 => EnclaveError::UnsupportedVersion {
                got: u16::decode(r)?,
                supported: u16::decode(r)?,
            },
            2 => EnclaveError::NotInitialized,
            3 => EnclaveError::AlreadyInitialized,
            4 => EnclaveError::Sealed(SealFailure::decode(r)?),
            5 => EnclaveError::Channel(ChannelFailure::decode(r)?),
            6 => EnclaveError::MalformedPayload,
            7 => EnclaveError::BadCiphertext,
            8 => EnclaveError::TxRejected(TxRule::decode(r)?),
            9 => EnclaveError::BadFrontier,
            10 => EnclaveError::Internal,
            11 => EnclaveError::ConfigDigestMismatch,
            12 => EnclaveError::Chain(ChainFailure::decode(r)?),
            13 => EnclaveError::NodeIdProof,
            tag => return Err(DecodeError::InvalidTag { what: "enclave error", tag }),
        })
    }
}

impl From<&ChannelError> for EnclaveError {
    fn from(e: &ChannelError) -> EnclaveError {
        EnclaveError::Channel(e.into())
    }
}

impl From<ChannelError> for EnclaveError {
    fn from(e: ChannelError) -> EnclaveError {
        EnclaveError::Channel((&e).into())
    }
}

impl From<TxError> for EnclaveError {
    fn from(e: TxError) -> EnclaveError {
        EnclaveError::TxRejected((&e).into())
    }
}
