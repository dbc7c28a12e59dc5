//! The wallet: account keys, trust policy, state and store, and block sync.
//!
//! Sync fetches blocks from the verified tip on, checks each with the [`TrustPolicy`] (a
//! refused block stops the sync and nothing from it is kept), scans its outputs with the view
//! key, marks owned outputs spent by its key images, settles pending transactions (included
//! when their key images appear, expired when the height reaches their tombstone), and saves
//! the state after each batch, so a kill loses at most the batch in flight.

use std::collections::HashSet;
use std::ops::Range;

use mcnode_ledger::BlockData;
use mcnode_tx::address::{AddressString, Network};
use mcnode_tx::{AccountKey, KeyImage, PublicAddress, TokenId};
use mcnode_types::{Encode, Hash32};

use crate::error::ClientError;
use crate::node_api::NodeApi;
use crate::scan::Scanner;
use crate::state::{Balance, OwnedRecord, WalletState};
use crate::store::StateFile;
use crate::verify::TrustPolicy;

/// Blocks asked per `GetBlocks` call (and saved per store write).
pub const SYNC_BATCH: u32 = 100;

const ACCOUNT_TAG_DOMAIN: &[u8] = b"mcnode-wallet-account-tag-v1";

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Blocks verified and applied.
    pub blocks: u64,
    /// Outputs received: `(block index, subaddress, amount value, token)`.
    pub received: Vec<(u64, u64, u64, TokenId)>,
    /// Pending transactions seen in a block: `(tx hash, block index)`.
    pub included: Vec<(Hash32, u64)>,
    /// Pending transactions whose tombstone passed without inclusion.
    pub expired: Vec<Hash32>,
}

/// A wallet over one account.
#[derive(Debug)]
pub struct Wallet {
    pub(crate) account: AccountKey,
    pub(crate) network: Network,
    pub(crate) policy: TrustPolicy,
    pub(crate) subaddresses: Range<u64>,
    pub(crate) store: StateFile,
    pub(crate) state: WalletState,
}

/// The tag that binds a state file to an account (a hash of its default address; public).
pub fn account_tag(account: &AccountKey) -> Hash32 {
    Hash32::digest(ACCOUNT_TAG_DOMAIN, &account.default_address().to_canonical_bytes())
}

impl Wallet {
    /// Opens the wallet of `account` on `network`, resuming from the state in `store`.
    pub fn open(
        account: AccountKey,
        network: Network,
        policy: TrustPolicy,
        subaddresses: Range<u64>,
        store: StateFile,
    ) -> Result<Self, ClientError> {
        let state = store.load(account_tag(&account))?;
        Ok(Wallet { account, network, policy, subaddresses, store, state })
    }

    /// The state (tip, outputs, pending transactions).
    pub fn state(&self) -> &WalletState {
        &self.state
    }

    /// Blocks verified so far.
    pub fn height(&self) -> u64 {
        self.state.height()
    }

    /// Balance of `token`.
    pub fn balance(&self, token: TokenId) -> Balance {
        self.state.balance(token)
    }

    /// The text address of subaddress `index`.
    pub fn address(&self, index: u64) -> AddressString {
        AddressString { network: self.network, address: self.account.subaddress(index) }
    }

    /// Parses a recipient's address: checksum and network are checked.
    pub fn parse_address(&self, text: &str) -> Result<PublicAddress, ClientError> {
        let a: AddressString = text.trim().parse()?;
        if a.network != self.network {
            return Err(ClientError::WrongNetwork { expected: self.network, got: a.network });
        }
        Ok(a.address)
    }

    /// Fetches, verifies and applies every block the node has past the wallet's tip.
    pub async fn sync<A: NodeApi>(&mut self, api: &mut A) -> Result<SyncReport, ClientError> {
        let mut report = SyncReport::default();
        loop {
            let blocks = api.get_blocks(self.state.height(), SYNC_BATCH).await?;
            if blocks.is_empty() {
                return Ok(report);
            }
            if blocks.len() > SYNC_BATCH as usize {
                let what = "GetBlocks answered more blocks than asked";
                return Err(crate::node_api::NodeError::Protocol { what }.into());
            }
            let mut result = Ok(());
            for b in &blocks {
                if let Err(e) = self.policy.check(self.state.tip.as_ref(), b) {
                    result = Err(e);
                    break;
                }
                self.apply(b, &mut report);
            }
            // Everything applied so far was verified: keep it even if a later block failed.
            if report.blocks > 0 {
                self.store.save(&self.state)?;
            }
            result?;
        }
    }

    fn apply(&mut self, b: &BlockData, report: &mut SyncReport) {
        let index = b.block.index;
        let events_before = self.events();
        let first = b.block.cumulative_txo_count - b.contents.outputs.len() as u64;
        let scanner = Scanner::new(&self.account, self.subaddresses.clone());
        let known: HashSet<KeyImage> = self.state.owned.iter().map(|o| o.key_image).collect();
        for (i, out) in b.contents.outputs.iter().enumerate() {
            if let Some(f) = scanner.scan(out) {
                if known.contains(&f.key_image) {
                    continue;
                }
                report.received.push((index, f.subaddress, f.amount.value, f.amount.token_id));
                self.state.owned.push(OwnedRecord {
                    tx_out: f.tx_out,
                    global_index: first + i as u64,
                    block_index: index,
                    subaddress: f.subaddress,
                    amount: f.amount,
                    key_image: f.key_image,
                    spent_in: None,
                });
            }
        }
        let spent: HashSet<&KeyImage> = b.contents.key_images.iter().collect();
        for o in self.state.owned.iter_mut().filter(|o| o.spent_in.is_none()) {
            if spent.contains(&o.key_image) {
                o.spent_in = Some(index);
            }
        }
        let height = index + 1;
        self.state.pending.retain(|p| {
            if p.key_images.iter().any(|k| spent.contains(k)) {
                report.included.push((p.tx_hash, index));
                false
            } else if height >= p.tombstone_block {
                report.expired.push(p.tx_hash);
                false
            } else {
                true
            }
        });
        if self.events() != events_before {
            let mut times: Vec<u64> = b
                .signatures
                .iter()
                .filter(|s| self.policy.signers.contains(&s.signer))
                .map(|s| s.signed_at)
                .collect();
            times.sort_unstable();
            if let Some(t) = times.get(times.len() / 2) {
                self.state.block_times.insert(index, *t);
            }
        }
        self.state.tip = Some(b.block);
        report.blocks += 1;
    }

    /// Outputs received plus outputs seen spent: changes exactly when a block holds an event.
    fn events(&self) -> usize {
        self.state.owned.len() + self.state.owned.iter().filter(|o| o.spent_in.is_some()).count()
    }
}
