//! The client API's typed result codes (`ProposeTxResult`, in the spirit of MobileCoin's): every
//! way a proposal can fail maps to its own code, so a wallet can tell "fee too low" from "key
//! image spent" from "node catching up" without parsing text.

use mcnode_api::ProposeTxResult;
use mcnode_api::pb::common::v1::ProposeTxResult as R;
use mcnode_enclave::BoundaryError;
use mcnode_enclave::refusal::EnclaveError;

use crate::engine::{InputError, PoolError};

use super::admit::AdmitError;
use super::enclave_worker::EnclaveCallError;

/// The code of an enclave call failure.
pub fn enclave_code(e: &EnclaveCallError) -> R {
    match e {
        EnclaveCallError::Call(BoundaryError::Refused(r)) => refusal_code(r),
        _ => R::EnclaveError,
    }
}

/// The code of a refusal (the mapping of `mcnode-api`: one code per rule and channel failure).
pub fn refusal_code(e: &EnclaveError) -> R {
    R::from(ProposeTxResult::from(e))
}
/// The code of an admission failure.
pub fn admit_code(e: &AdmitError) -> R {
    match e {
        AdmitError::KeyImageSpent => R::KeyImageSpent,
        AdmitError::OutputAlreadyInLedger => R::OutputAlreadyInLedger,
        AdmitError::Host(_) => R::HostProof,
        AdmitError::Ledger(_) | AdmitError::LedgerTask(_) => R::Ledger,
        AdmitError::Enclave(e) => enclave_code(e),
    }
}

/// The code of an engine refusal.
pub fn input_code(e: &InputError) -> R {
    match e {
        InputError::Pool(PoolError::OverCapacity { .. }) => R::OverCapacity,
        // Already pending: the proposal is in, as the client wanted.
        InputError::Pool(PoolError::Duplicate { .. }) => R::Ok,
        InputError::Pool(PoolError::Tombstoned { .. }) => R::TombstoneExpired,
        InputError::NotServing => R::NotServing,
        InputError::KeyImageSpent { .. } => R::KeyImageSpent,
        _ => R::EnclaveError,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use mcnode_enclave::refusal::{ChannelFailure, TxRule};

    #[test]
    fn every_tx_rule_has_the_code_of_its_name() {
        let pairs = [
            (TxRule::InputCount, R::InputCount),
            (TxRule::RingSize, R::RingSize),
            (TxRule::FeeTooLow, R::FeeTooLow),
            (TxRule::Unbalanced, R::Unbalanced),
            (TxRule::RingSignature, R::RingSignature),
            (TxRule::KeyImageSpent, R::KeyImageSpent),
            (TxRule::OutputInBatch, R::OutputInBatch),
            (TxRule::FeeOverflow, R::FeeOverflow),
        ];
        for (rule, code) in pairs {
            assert_eq!(refusal_code(&EnclaveError::TxRejected(rule)), code, "{rule:?}");
        }
    }

    #[test]
    fn pool_and_serving_refusals_have_their_own_codes() {
        let full = InputError::Pool(PoolError::OverCapacity { capacity: 500 });
        assert_eq!(input_code(&full), R::OverCapacity);
        assert_eq!(input_code(&InputError::NotServing), R::NotServing);
        let spent = InputError::KeyImageSpent { hash: mcnode_types::Hash32([1; 32]) };
        assert_eq!(input_code(&spent), R::KeyImageSpent);
        let late = InputError::Pool(PoolError::Tombstoned { tombstone: 3, next_block: 4 });
        assert_eq!(input_code(&late), R::TombstoneExpired);
    }

    #[test]
    fn channel_failures_are_told_apart() {
        let c = |f| refusal_code(&EnclaveError::Channel(f));
        assert_eq!(c(ChannelFailure::UnknownSession), R::UnknownSession);
        assert_eq!(c(ChannelFailure::Replay), R::ChannelReplay);
        assert_eq!(c(ChannelFailure::Forged), R::ChannelForged);
        assert_eq!(c(ChannelFailure::Malformed), R::ChannelMalformed);
    }
}
