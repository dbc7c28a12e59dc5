//! Helpers that make ledgers full of blocks quickly, for tests, the crash test and
//! `mcnode bench ledger`.
//!
//! Synthetic outputs are random-looking bytes, not valid curve points: the ledger never
//! decompresses points (checking them is the enclave's job), so it stores and proves them like
//! real ones while costing a hash instead of three scalar multiplications each.

use mcnode_crypto::{CompressedPoint, SigningIdentity};
use mcnode_tx::{CompressedCommitment, KeyImage, MaskedAmount, TxOut};
use mcnode_types::Hash32;

use crate::block::{BlockContents, BlockData, BlockSignature};
use crate::{Ledger, LedgerError};

fn bytes(tag: &[u8], seed: u64) -> [u8; 32] {
    Hash32::digest(tag, &seed.to_be_bytes()).0
}

/// A synthetic output, unique per `seed`.
pub fn synthetic_output(seed: u64) -> TxOut {
    TxOut {
        target_key: CompressedPoint(bytes(b"testkit-target", seed)),
        public_key: CompressedPoint(bytes(b"testkit-public", seed)),
        masked_amount: MaskedAmount {
            commitment: CompressedCommitment(CompressedPoint(bytes(b"testkit-commit", seed))),
            masked_value: seed,
            masked_token_id: [0; 8],
        },
        memo: None,
    }
}

/// A synthetic key image, unique per `seed`.
pub fn synthetic_key_image(seed: u64) -> KeyImage {
    KeyImage::from(bytes(b"testkit-key-image", seed))
}

/// Contents with outputs from seeds `[first_output, +outputs)` and key images from seeds
/// `[first_key_image, +key_images)`.
pub fn synthetic_contents(
    first_output: u64,
    outputs: u64,
    first_key_image: u64,
    key_images: u64,
) -> BlockContents {
    BlockContents::new(
        (first_key_image..first_key_image + key_images).map(synthetic_key_image).collect(),
        (first_output..first_output + outputs).map(synthetic_output).collect(),
    )
}

/// The next block for `contents` on `ledger`, signed by `signers` at time `signed_at`.
pub fn make_block(
    ledger: &(impl Ledger + ?Sized),
    contents: BlockContents,
    signers: &[SigningIdentity],
    signed_at: u64,
) -> Result<BlockData, LedgerError> {
    let block = ledger.next_block(&contents)?;
    let signatures =
        signers.iter().map(|k| BlockSignature::sign(k, &block.id, signed_at)).collect();
    Ok(BlockData { block, contents, signatures })
}

/// Appends the synthetic block number `n` (blocks of `outputs` outputs and `key_images` key
/// images; block `n` uses seeds that no other `n` uses).
pub fn append_synthetic(
    ledger: &mut (impl Ledger + ?Sized),
    n: u64,
    outputs: u64,
    key_images: u64,
) -> Result<BlockData, LedgerError> {
    let contents = synthetic_contents(n * outputs, outputs, n * key_images, key_images);
    let data = make_block(ledger, contents, &[], 0)?;
    ledger.append_block(&data)?;
    Ok(data)
}
