//! The simulated enclave and keys: transactions are bare 32-byte hashes, and a block is formed
//! from them as the real enclave would form it from transactions (one key image per
//! transaction, equal to its hash; no outputs), then signed with the node's Ed25519
//! block-signing key so that catch-up checks real block signatures.
//!
//! Message authentication uses the engine's simulation MAC
//! ([`mcnode_node::engine::auth::SimMacAuth`]): every node's MAC key is derived from the seed
//! and its id, so a Byzantine node can sign only as itself (the simulator never hands it
//! another node's authenticator).

use std::collections::HashMap;
use std::sync::Arc;

use mcnode_crypto::SigningIdentity;
use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
use mcnode_ledger::block::{Block, BlockContents, BlockData, BlockSignature};
use mcnode_node::engine::PooledTx;
use mcnode_scp::TxHashSet;
use mcnode_tx::KeyImage;
use mcnode_types::{Hash32, NodeId};

/// Domain tag of simulated block-signing keys.
pub const BLOCK_KEY_DOMAIN: &[u8] = b"mcnode-sim-block-key";
/// Domain tag of simulated message MAC keys.
pub const MAC_KEY_DOMAIN: &[u8] = b"mcnode-sim-mac-key";
/// Chain id of every simulated network.
pub const SIM_CHAIN_ID: &str = "mcnode-sim";

/// What the simulated enclave reports for the transaction `hash`: it spends one key image
/// (the hash), never expires, and every transaction pays the same fee.
pub fn pooled(hash: Hash32) -> PooledTx {
    PooledTx {
        context: WellFormedTxContext {
            tx_hash: hash,
            key_images: vec![KeyImage::from(hash.0)],
            output_public_keys: vec![],
            tombstone: u64::MAX,
            priority: 0,
            highest_index: 0,
            leaf_count: 0,
            size: 32,
        },
        payload: WellFormedEncryptedTx(Vec::new()),
    }
}

/// The origin block every simulated ledger starts from.
pub fn origin() -> BlockData {
    let contents = BlockContents::default();
    BlockData { block: Block::new(1, None, Hash32::ZERO, &contents), contents, signatures: vec![] }
}

/// The block of `hashes` on `parent`, signed by `key` at `now_ms`.
pub fn form_block(
    parent: &Block,
    hashes: &[Hash32],
    key: &SigningIdentity,
    now_ms: u64,
) -> BlockData {
    let contents = BlockContents::new(hashes.iter().map(|h| KeyImage::from(h.0)).collect(), vec![]);
    let block = Block::new(1, Some(parent), Hash32::ZERO, &contents);
    let sig = BlockSignature::sign(key, &block.id, now_ms / 1000);
    BlockData { block, contents, signatures: vec![sig] }
}

/// The value (transaction hashes) a block holds.
pub fn block_value(data: &BlockData) -> TxHashSet {
    TxHashSet::from_hashes(data.contents.key_images.iter().map(|k| Hash32(*k.as_bytes())))
}

/// Node `id`'s block-signing key.
pub fn block_key(id: &NodeId) -> SigningIdentity {
    SigningIdentity::from_seed(&Hash32::digest(BLOCK_KEY_DOMAIN, id.as_bytes()).0)
}

/// The MAC key table of a run: one key per node, from the seed and the node id.
pub fn mac_keys(seed: u64, ids: &[NodeId]) -> Arc<HashMap<NodeId, [u8; 32]>> {
    let table = ids
        .iter()
        .map(|id| {
            let mut data = seed.to_be_bytes().to_vec();
            data.extend_from_slice(id.as_bytes());
            (*id, Hash32::digest(MAC_KEY_DOMAIN, &data).0)
        })
        .collect();
    Arc::new(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formed_blocks_link_hold_their_hashes_and_verify() {
        let o = origin();
        let key = block_key(&NodeId([1; 32]));
        let hs = [Hash32([3; 32]), Hash32([2; 32])];
        let b = form_block(&o.block, &hs, &key, 5_000);
        assert_eq!(b.block.parent_id, o.block.id);
        assert_eq!(b.block.index, 1);
        assert_eq!(block_value(&b), TxHashSet::from_hashes(hs));
        assert!(b.signatures[0].verify(&b.block.id).is_ok());
        assert_eq!(b.contents.hash(), b.block.contents_hash);
    }
}
