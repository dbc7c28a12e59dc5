//! The block signers a reader trusts: a set of block-signing node ids and how many of them
//! must have signed a block (MobileCoin's ledger sync and watcher likewise accept a block
//! only with signatures from the enclaves of a configured set of nodes).
//!
//! File format (`--signers FILE`): one node id per line (the `G...` strkey or base64, as
//! `mcnode` prints them), blank lines and `#` comments ignored.

use std::collections::BTreeSet;

use mcnode_ledger::BlockData;
use mcnode_types::NodeId;

/// Why a signer set is unusable.
#[derive(Debug, thiserror::Error)]
pub enum SignersError {
    /// A line is not a node id.
    #[error("line {line}: not a node id: {source}")]
    BadId {
        /// 1-based line number.
        line: usize,
        /// Why.
        #[source]
        source: mcnode_types::ParseNodeIdError,
    },
    /// The same id twice.
    #[error("line {line}: {id} is listed twice")]
    Duplicate {
        /// 1-based line number.
        line: usize,
        /// The id.
        id: NodeId,
    },
    /// Threshold 0, or above the number of signers.
    #[error("threshold {threshold} must be between 1 and the number of signers ({signers})")]
    Threshold {
        /// The threshold given.
        threshold: usize,
        /// Signers listed.
        signers: usize,
    },
}

/// Why a block's signatures are not enough.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{valid} valid signatures from trusted signers, {threshold} needed")]
pub struct NotEnoughSignatures {
    /// Distinct trusted signers whose signature verifies over the block id.
    pub valid: usize,
    /// The threshold.
    pub threshold: usize,
}

/// Trusted block signers and a threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerSet {
    signers: BTreeSet<NodeId>,
    threshold: usize,
}

impl SignerSet {
    /// A set requiring `threshold` of `signers`.
    pub fn new(signers: BTreeSet<NodeId>, threshold: usize) -> Result<Self, SignersError> {
        if threshold == 0 || threshold > signers.len() {
            return Err(SignersError::Threshold { threshold, signers: signers.len() });
        }
        Ok(SignerSet { signers, threshold })
    }

    /// Parses a signers file (see the module doc).
    pub fn parse(text: &str, threshold: usize) -> Result<Self, SignersError> {
        let mut signers = BTreeSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let id: NodeId =
                line.parse().map_err(|source| SignersError::BadId { line: i + 1, source })?;
            if !signers.insert(id) {
                return Err(SignersError::Duplicate { line: i + 1, id });
            }
        }
        Self::new(signers, threshold)
    }

    /// The threshold.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Checks that at least `threshold` distinct trusted signers signed `data`'s id
    /// (signatures by others, and signatures that do not verify, count for nothing).
    pub fn check(&self, data: &BlockData) -> Result<(), NotEnoughSignatures> {
        let valid: BTreeSet<NodeId> = data
            .signatures
            .iter()
            .filter(|s| self.signers.contains(&s.signer) && s.verify(&data.block.id).is_ok())
            .map(|s| s.signer)
            .collect();
        if valid.len() >= self.threshold {
            Ok(())
        } else {
            Err(NotEnoughSignatures { valid: valid.len(), threshold: self.threshold })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_comments_and_refuses_bad_lines_and_thresholds() {
        let (a, b) = (NodeId([1; 32]), NodeId([9; 32]));
        let text = format!("# signers\n{a}\n\n{}  # node b\n", b.to_base64());
        let s = SignerSet::parse(&text, 2).unwrap();
        assert_eq!(s.signers, BTreeSet::from([a, b]));
        assert!(matches!(SignerSet::parse(&text, 3), Err(SignersError::Threshold { .. })));
        assert!(matches!(SignerSet::parse(&text, 0), Err(SignersError::Threshold { .. })));
        assert!(matches!(
            SignerSet::parse(&format!("{a}\n{a}\n"), 1),
            Err(SignersError::Duplicate { line: 2, .. })
        ));
        assert!(matches!(SignerSet::parse("GXYZ\n", 1), Err(SignersError::BadId { line: 1, .. })));
    }
}
