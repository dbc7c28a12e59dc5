//! Scanning outputs with the view key (CryptoNote subaddresses, as MobileCoin's
//! `mc-account-keys` / `view_key_matches_output`): for an output `(R, P)`, the spend public key
//! it pays to is `D' = P − Hs(a·R)·G`; it is ours if `D'` is the spend key of one of our
//! subaddresses. One view-key check costs one variable-base and one fixed-base scalar
//! multiplication, whatever the number of subaddresses watched (a table lookup).
//!
//! The spend private key is needed only once an output matched, to compute its key image.

use std::collections::HashMap;
use std::ops::Range;

use mcnode_crypto::CompressedPoint;
use mcnode_tx::{AccountKey, Amount, KeyImage, TxOut};

/// The subaddress indices a wallet watches by default: 0 (default) and 1 (change) and a few
/// more for payment requests.
pub const DEFAULT_SUBADDRESSES: Range<u64> = 0..16;

/// An output found to be ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The output.
    pub tx_out: TxOut,
    /// The subaddress it pays to.
    pub subaddress: u64,
    /// Its amount.
    pub amount: Amount,
    /// The key image that will mark it spent.
    pub key_image: KeyImage,
}

/// A view-key scanner over a range of subaddresses.
pub struct Scanner<'a> {
    account: &'a AccountKey,
    spend_keys: HashMap<CompressedPoint, u64>,
}

impl std::fmt::Debug for Scanner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner").field("subaddresses", &self.spend_keys.len()).finish()
    }
}

impl<'a> Scanner<'a> {
    /// A scanner for `account`'s subaddresses in `subaddresses` (0 and 1 are always included:
    /// payments to the default address and the wallet's own change).
    pub fn new(account: &'a AccountKey, subaddresses: Range<u64>) -> Self {
        let mut spend_keys = HashMap::new();
        for i in subaddresses.chain(0..2) {
            spend_keys.insert(account.subaddress(i).spend_public, i);
        }
        Scanner { account, spend_keys }
    }

    /// The subaddress `output` pays to, if it is one of ours (the view-key check alone; an
    /// output with an invalid point is not ours).
    pub fn check(&self, output: &TxOut) -> Option<u64> {
        let d = output.recover_spend_public(self.account.view_private()).ok()?;
        self.spend_keys.get(&d).copied()
    }

    /// Reads `output` if it is ours: amount, subaddress and key image. An output that passes
    /// the view-key check but whose amount does not open its commitment is skipped (a sender
    /// can make such an output; it cannot be spent).
    pub fn scan(&self, output: &TxOut) -> Option<Found> {
        let subaddress = self.check(output)?;
        let owned = output.view(self.account, subaddress).ok()?;
        Some(Found {
            tx_out: *output,
            subaddress,
            amount: owned.amount,
            key_image: KeyImage::from_onetime_private(&owned.onetime_private),
        })
    }
}
