//! Blocks: header ([`Block`]), contents ([`BlockContents`]), signatures ([`BlockSignature`]) and
//! their canonical encodings.
//!
//! These types live here rather than in `mcnode-types` (where DESIGN.md first placed them)
//! because [`BlockContents`] holds `TxOut` and `KeyImage` from `mcnode-tx`, which itself depends
//! on `mcnode-types`: putting them in `mcnode-types` would make a dependency cycle. Every crate
//! that needs blocks (enclave, node, api) already depends on the ledger or on `mcnode-tx`.
//!
//! Rules (MobileCoin `mc-blockchain-types` `Block`, `BlockContents`, `BlockSignature`, adapted):
//! - contents = key images sorted strictly ascending by bytes, then outputs sorted strictly
//!   ascending by their public key `R` (no duplicates: the decoder rejects anything else, so one
//!   set of contents has exactly one encoding and one hash);
//! - `contents_hash = Hash32::of(BLOCK_CONTENTS_DOMAIN, contents)`;
//! - `id = Hash32::digest(BLOCK_ID_DOMAIN, version ‖ parent_id ‖ index ‖ cumulative_txo_count ‖
//!   root_element ‖ contents_hash)`, each field in canonical encoding; `root_element` is the
//!   Merkle root (see `mcnode_tx::membership`) over all `cumulative_txo_count` outputs in the
//!   ledger after this block;
//! - a signature signs `Hash32::digest(BLOCK_SIGNATURE_DOMAIN, id ‖ signed_at)` with the
//!   signer's Ed25519 node key; `signed_at` is the signer's clock in Unix seconds (metadata,
//!   not consensus).

use mcnode_crypto::{Ed25519Signature, SigningIdentity, VerifyingIdentity};
use mcnode_tx::{KeyImage, TxOut};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader};

/// Domain tag of a block id.
pub const BLOCK_ID_DOMAIN: &[u8] = b"mcnode-block-id-v1";
/// Domain tag of a block's contents hash.
pub const BLOCK_CONTENTS_DOMAIN: &[u8] = b"mcnode-block-contents-v1";
/// Domain tag of the message a block signature signs.
pub const BLOCK_SIGNATURE_DOMAIN: &[u8] = b"mcnode-block-signature-v1";
/// The block format version this code writes and accepts.
pub const BLOCK_VERSION: u32 = 1;
/// Most key images one block may hold.
pub const MAX_BLOCK_KEY_IMAGES: u32 = 1 << 16;
/// Most outputs one block may hold.
pub const MAX_BLOCK_OUTPUTS: u32 = 1 << 17;
/// Most signatures one block may carry (the largest quorum set allows 1000 validators).
pub const MAX_BLOCK_SIGNATURES: u32 = 1000;

/// A block id: the hash of its header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BlockId(pub Hash32);

impl std::fmt::Display for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// What a block adds to the ledger: spent key images and new outputs, both sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockContents {
    /// Key images spent in this block, strictly ascending.
    pub key_images: Vec<KeyImage>,
    /// New outputs, strictly ascending by public key.
    pub outputs: Vec<TxOut>,
}

impl BlockContents {
    /// Contents from unsorted parts: sorts both lists (duplicates stay, and are rejected by
    /// the ledger and the decoder).
    pub fn new(mut key_images: Vec<KeyImage>, mut outputs: Vec<TxOut>) -> Self {
        key_images.sort_unstable();
        outputs.sort_unstable_by_key(|o| o.public_key.0);
        BlockContents { key_images, outputs }
    }

    /// The contents hash committed to by the block id.
    pub fn hash(&self) -> Hash32 {
        Hash32::of(BLOCK_CONTENTS_DOMAIN, self)
    }

    /// Whether both lists are strictly ascending (sorted, no duplicates).
    pub fn is_canonical(&self) -> bool {
        self.key_images.windows(2).all(|w| w[0] < w[1])
            && self.outputs.windows(2).all(|w| w[0].public_key.0 < w[1].public_key.0)
    }
}

impl Encode for BlockContents {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key_images.encode(out);
        self.outputs.encode(out);
    }
}

impl Decode for BlockContents {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let c = BlockContents {
            key_images: r.seq(MAX_BLOCK_KEY_IMAGES)?,
            outputs: r.seq(MAX_BLOCK_OUTPUTS)?,
        };
        if !c.is_canonical() {
            return Err(DecodeError::Invalid {
                what: "block contents",
                reason: "key images and outputs must be strictly ascending",
            });
        }
        Ok(c)
    }
}

/// A block header. `id` is derived from the other fields; [`Block::compute_id`] recomputes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// The id: hash over the fields below.
    pub id: BlockId,
    /// Block format version.
    pub version: u32,
    /// Id of the previous block; [`BlockId::default`] (all zero) for the origin block.
    pub parent_id: BlockId,
    /// Height of this block: 0 for the origin block.
    pub index: u64,
    /// Number of outputs in the ledger after this block.
    pub cumulative_txo_count: u64,
    /// Merkle root over all `cumulative_txo_count` outputs.
    pub root_element: Hash32,
    /// Hash of this block's contents.
    pub contents_hash: Hash32,
}

impl Block {
    /// A header for `contents` on top of `parent` (`None` for the origin block), given the
    /// Merkle root over every output up to and including this block's.
    pub fn new(
        version: u32,
        parent: Option<&Block>,
        root_element: Hash32,
        contents: &BlockContents,
    ) -> Block {
        let (parent_id, index, before) = match parent {
            Some(p) => (p.id, p.index.saturating_add(1), p.cumulative_txo_count),
            None => (BlockId::default(), 0, 0),
        };
        let mut b = Block {
            id: BlockId::default(),
            version,
            parent_id,
            index,
            cumulative_txo_count: before.saturating_add(contents.outputs.len() as u64),
            root_element,
            contents_hash: contents.hash(),
        };
        b.id = b.compute_id();
        b
    }

    /// The id the header fields imply.
    pub fn compute_id(&self) -> BlockId {
        let mut buf = Vec::with_capacity(4 + 32 + 8 + 8 + 32 + 32);
        self.version.encode(&mut buf);
        self.parent_id.0.encode(&mut buf);
        self.index.encode(&mut buf);
        self.cumulative_txo_count.encode(&mut buf);
        self.root_element.encode(&mut buf);
        self.contents_hash.encode(&mut buf);
        BlockId(Hash32::digest(BLOCK_ID_DOMAIN, &buf))
    }
}

impl Encode for Block {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id.0.encode(out);
        self.version.encode(out);
        self.parent_id.0.encode(out);
        self.index.encode(out);
        self.cumulative_txo_count.encode(out);
        self.root_element.encode(out);
        self.contents_hash.encode(out);
    }
}

impl Decode for Block {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Block {
            id: BlockId(Hash32::decode(r)?),
            version: u32::decode(r)?,
            parent_id: BlockId(Hash32::decode(r)?),
            index: u64::decode(r)?,
            cumulative_txo_count: u64::decode(r)?,
            root_element: Hash32::decode(r)?,
            contents_hash: Hash32::decode(r)?,
        })
    }
}

/// One node's signature over a block id, with who signed and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSignature {
    /// The signer's node id (its Ed25519 public key).
    pub signer: NodeId,
    /// The signer's clock when it signed, Unix seconds.
    pub signed_at: u64,
    /// Ed25519 signature over [`BlockSignature::message`].
    pub signature: Ed25519Signature,
}

/// Why a block signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signer's id is not an Ed25519 public key.
    #[error("signer {signer} is not a valid Ed25519 key")]
    BadSigner {
        /// The signer named.
        signer: NodeId,
    },
    /// The signature does not verify.
    #[error("signature by {signer} does not verify")]
    BadSignature {
        /// The signer named.
        signer: NodeId,
    },
}

impl BlockSignature {
    /// The bytes signed for block `id` at time `signed_at`.
    pub fn message(id: &BlockId, signed_at: u64) -> Hash32 {
        let mut buf = Vec::with_capacity(40);
        id.0.encode(&mut buf);
        signed_at.encode(&mut buf);
        Hash32::digest(BLOCK_SIGNATURE_DOMAIN, &buf)
    }

    /// Signs block `id` as `key` at `signed_at` (Unix seconds, passed in by the caller).
    pub fn sign(key: &SigningIdentity, id: &BlockId, signed_at: u64) -> BlockSignature {
        BlockSignature {
            signer: NodeId(key.verifying().to_bytes()),
            signed_at,
            signature: key.sign(Self::message(id, signed_at).as_bytes()),
        }
    }

    /// Checks the signature over block `id`.
    pub fn verify(&self, id: &BlockId) -> Result<(), SignatureError> {
        let key = VerifyingIdentity::from_bytes(self.signer.as_bytes())
            .map_err(|_| SignatureError::BadSigner { signer: self.signer })?;
        key.verify(Self::message(id, self.signed_at).as_bytes(), &self.signature)
            .map_err(|_| SignatureError::BadSignature { signer: self.signer })
    }
}

impl Encode for BlockSignature {
    fn encode(&self, out: &mut Vec<u8>) {
        self.signer.encode(out);
        self.signed_at.encode(out);
        self.signature.encode(out);
    }
}

impl Decode for BlockSignature {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BlockSignature {
            signer: NodeId::decode(r)?,
            signed_at: u64::decode(r)?,
            signature: Ed25519Signature::decode(r)?,
        })
    }
}

/// A whole block as appended, stored and sent to peers: header, contents, signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockData {
    /// The header.
    pub block: Block,
    /// The contents.
    pub contents: BlockContents,
    /// Signatures of the nodes that signed it (possibly none, e.g. the origin block).
    pub signatures: Vec<BlockSignature>,
}

impl Encode for BlockData {
    fn encode(&self, out: &mut Vec<u8>) {
        self.block.encode(out);
        self.contents.encode(out);
        self.signatures.encode(out);
    }
}

impl Decode for BlockData {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BlockData {
            block: Block::decode(r)?,
            contents: BlockContents::decode(r)?,
            signatures: r.seq(MAX_BLOCK_SIGNATURES)?,
        })
    }
}

/// What the ledger stores per block: the header, the key images it spent and its signatures.
/// Its outputs are stored once, by global index (`cumulative_txo_count - outputs .. cumulative`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlock {
    /// The header.
    pub block: Block,
    /// The block's key images, strictly ascending.
    pub key_images: Vec<KeyImage>,
    /// The block's signatures.
    pub signatures: Vec<BlockSignature>,
}

impl Encode for StoredBlock {
    fn encode(&self, out: &mut Vec<u8>) {
        self.block.encode(out);
        self.key_images.encode(out);
        self.signatures.encode(out);
    }
}

impl Decode for StoredBlock {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let s = StoredBlock {
            block: Block::decode(r)?,
            key_images: r.seq(MAX_BLOCK_KEY_IMAGES)?,
            signatures: r.seq(MAX_BLOCK_SIGNATURES)?,
        };
        if !s.key_images.windows(2).all(|w| w[0] < w[1]) {
            return Err(DecodeError::Invalid {
                what: "stored block",
                reason: "key images must be strictly ascending",
            });
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(b: u8) -> TxOut {
        let mut o = crate::testkit::synthetic_output(b as u64);
        o.public_key.0 = [b; 32];
        o
    }

    #[test]
    fn contents_sort_and_reject_unsorted_encodings() {
        let c = BlockContents::new(
            vec![KeyImage::from([2; 32]), KeyImage::from([1; 32])],
            vec![out(9), out(3)],
        );
        assert!(c.is_canonical());
        let bytes = c.to_canonical_bytes();
        assert_eq!(BlockContents::from_canonical_bytes(&bytes).unwrap(), c);
        let unsorted = BlockContents { key_images: vec![], outputs: vec![out(9), out(3)] };
        assert!(matches!(
            BlockContents::from_canonical_bytes(&unsorted.to_canonical_bytes()),
            Err(DecodeError::Invalid { .. })
        ));
        let dup = BlockContents { key_images: vec![KeyImage::from([1; 32]); 2], outputs: vec![] };
        assert!(BlockContents::from_canonical_bytes(&dup.to_canonical_bytes()).is_err());
    }

    #[test]
    fn id_covers_every_header_field() {
        let c = BlockContents::new(vec![], vec![out(1)]);
        let origin = Block::new(BLOCK_VERSION, None, Hash32::digest(b"t", b"r"), &c);
        assert_eq!(origin.compute_id(), origin.id);
        let mutations: [fn(&mut Block); 6] = [
            |b| b.version += 1,
            |b| b.parent_id.0.0[0] ^= 1,
            |b| b.index += 1,
            |b| b.cumulative_txo_count += 1,
            |b| b.root_element.0[0] ^= 1,
            |b| b.contents_hash.0[0] ^= 1,
        ];
        for m in mutations {
            let mut b = origin;
            m(&mut b);
            assert_ne!(b.compute_id(), origin.id);
        }
        let child = Block::new(BLOCK_VERSION, Some(&origin), Hash32::ZERO, &c);
        assert_eq!((child.index, child.parent_id, child.cumulative_txo_count), (1, origin.id, 2));
    }

    #[test]
    fn signatures_verify_only_for_their_block() {
        let key = SigningIdentity::from_seed(&[7; 32]);
        let id = BlockId(Hash32::digest(b"t", b"block"));
        let s = BlockSignature::sign(&key, &id, 1_700_000_000);
        s.verify(&id).unwrap();
        assert!(s.verify(&BlockId(Hash32::ZERO)).is_err());
        let mut late = s;
        late.signed_at += 1;
        assert_eq!(late.verify(&id), Err(SignatureError::BadSignature { signer: s.signer }));
        assert_eq!(BlockSignature::from_canonical_bytes(&s.to_canonical_bytes()).unwrap(), s);
    }
}
