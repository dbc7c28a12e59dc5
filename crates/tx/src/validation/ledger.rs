//! Checks that need the ledger, through [`LedgerView`].

use mcnode_types::Hash32;

use super::TxError;
use crate::tx::Tx;
use crate::{LedgerView, TxOut};

/// Ledger rules: ring members are in the ledger with membership proofs against the ledger's
/// one current root; key images unspent; output public keys new.
pub fn validate_with_ledger<L: LedgerView + ?Sized>(tx: &Tx, ledger: &L) -> Result<(), TxError> {
    let root = ledger.merkle_root()?;
    for (i, input) in tx.prefix.inputs.iter().enumerate() {
        for (m, member) in input.ring.iter().enumerate() {
            check_member(ledger, &root, member).map_err(|e| match e {
                MemberError::Missing => TxError::RingMemberNotInLedger { input: i, member: m },
                MemberError::Proof(source) => {
                    TxError::MembershipProof { input: i, member: m, source }
                }
                MemberError::Ledger(e) => TxError::Ledger(e),
            })?;
        }
    }
    for sig in &tx.signature.ring_signatures {
        if ledger.contains_key_image(&sig.key_image)? {
            return Err(TxError::KeyImageSpent { key_image: sig.key_image });
        }
    }
    for o in &tx.prefix.outputs {
        if ledger.output_index(&o.public_key)?.is_some() {
            return Err(TxError::OutputAlreadyInLedger { public_key: o.public_key });
        }
    }
    Ok(())
}

enum MemberError {
    Missing,
    Proof(crate::MembershipError),
    Ledger(crate::LedgerViewError),
}

fn check_member<L: LedgerView + ?Sized>(
    ledger: &L,
    root: &Hash32,
    member: &TxOut,
) -> Result<(), MemberError> {
    let index = ledger
        .output_index(&member.public_key)
        .map_err(MemberError::Ledger)?
        .ok_or(MemberError::Missing)?;
    let proof = ledger.membership_proof(index).map_err(MemberError::Ledger)?;
    if proof.index != index {
        return Err(MemberError::Proof(crate::MembershipError::RootMismatch));
    }
    // The leaf hashes the member's full encoding, so a ring member whose commitment or keys
    // differ from the ledger's output fails here.
    proof.verify(&member.leaf_hash(), root).map_err(MemberError::Proof)
}
