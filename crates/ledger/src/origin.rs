//! The origin block: block 0, holding the initial outputs a network starts with.
//!
//! Input: a JSON file listing `{ "address": "<mcm|mct|mcd address>", "value": u64,
//! "token_id": u64 (optional, default 0) }` entries under `"outputs"`. The block is a pure
//! function of the file's entries, so every node given the same file builds the same block
//! (same id): the per-output secret is derived, not drawn,
//! `r_i = Hs(ORIGIN_OUTPUT_DOMAIN, i ‖ address ‖ value ‖ token_id)`.
//!
//! Consequence, as in MobileCoin's origin block: anyone holding the file can recompute `r_i`
//! and so read the origin amounts (they are in the file anyway); spending still needs the
//! recipient's spend key. Rules: at least one output, values above zero, per-token totals fit
//! in `u64`, all addresses of one network.

use std::collections::BTreeMap;

use mcnode_crypto::{RistrettoPrivate, hash_to_scalar};
use mcnode_tx::address::{AddressError, AddressString, Network};
use mcnode_tx::membership::merkle_root;
use mcnode_tx::{Amount, TokenId, TxOut, TxOutError};
use mcnode_types::Encode;
use serde::Deserialize;

use crate::block::{BLOCK_VERSION, Block, BlockContents, BlockData};

/// Domain tag of origin output secrets.
pub const ORIGIN_OUTPUT_DOMAIN: mcnode_crypto::DomainTag<'static> =
    mcnode_crypto::DomainTag::new(b"mcnode-origin-output-v1");

/// The origin file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginSpec {
    /// Free text for people (ignored by the block).
    #[serde(default)]
    pub comment: Option<String>,
    /// The initial outputs.
    pub outputs: Vec<OriginOutput>,
}

/// One initial output.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginOutput {
    /// Recipient's public address (text form).
    pub address: String,
    /// Amount in the token's smallest unit.
    pub value: u64,
    /// Token id (0 if omitted).
    #[serde(default)]
    pub token_id: u64,
}

/// Why an origin file does not make an origin block.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// Not valid JSON for the format above.
    #[error("not a valid origin file (JSON): {0}")]
    Json(#[from] serde_json::Error),
    /// No outputs listed.
    #[error("origin file lists no outputs")]
    Empty,
    /// An address does not parse.
    #[error("output {index}: bad address: {source}")]
    Address {
        /// Position in the file.
        index: usize,
        /// Why.
        #[source]
        source: AddressError,
    },
    /// Addresses of different networks.
    #[error("output {index} is for {found:?}, the first output for {first:?}")]
    MixedNetworks {
        /// Position in the file.
        index: usize,
        /// The first output's network.
        first: Network,
        /// This one's.
        found: Network,
    },
    /// A zero value.
    #[error("output {index} has value 0")]
    ZeroValue {
        /// Position in the file.
        index: usize,
    },
    /// A token's total overflows `u64`.
    #[error("the total of token {token_id} overflows u64")]
    Overflow {
        /// The token.
        token_id: u64,
    },
    /// The output could not be built (an address key that is not a point).
    #[error("output {index}: {source}")]
    Output {
        /// Position in the file.
        index: usize,
        /// Why.
        #[source]
        source: TxOutError,
    },
}

/// The network the origin's addresses belong to, and its block.
#[derive(Clone, Debug)]
pub struct Origin {
    /// Network of every address.
    pub network: Network,
    /// The origin block (index 0, no key images, no signatures).
    pub block: BlockData,
    /// Per-token totals.
    pub totals: BTreeMap<u64, u64>,
}

/// Parses an origin file.
pub fn parse(json: &str) -> Result<OriginSpec, OriginError> {
    Ok(serde_json::from_str(json)?)
}

/// Builds the origin block from a spec.
pub fn origin_block(spec: &OriginSpec) -> Result<Origin, OriginError> {
    let mut network = None;
    let mut totals = BTreeMap::new();
    let mut outputs = Vec::with_capacity(spec.outputs.len());
    for (index, o) in spec.outputs.iter().enumerate() {
        let addr: AddressString =
            o.address.parse().map_err(|source| OriginError::Address { index, source })?;
        match network {
            None => network = Some(addr.network),
            Some(first) if first != addr.network => {
                return Err(OriginError::MixedNetworks { index, first, found: addr.network });
            }
            Some(_) => {}
        }
        if o.value == 0 {
            return Err(OriginError::ZeroValue { index });
        }
        let total: &mut u64 = totals.entry(o.token_id).or_default();
        *total =
            total.checked_add(o.value).ok_or(OriginError::Overflow { token_id: o.token_id })?;
        let mut seed = Vec::with_capacity(8 + 64 + 16);
        (index as u64).encode(&mut seed);
        addr.address.encode(&mut seed);
        o.value.encode(&mut seed);
        o.token_id.encode(&mut seed);
        let r = RistrettoPrivate::from_scalar(hash_to_scalar(ORIGIN_OUTPUT_DOMAIN, &seed));
        let amount = Amount::new(o.value, TokenId(o.token_id));
        let (out, _) = TxOut::new(amount, &addr.address, &r, None)
            .map_err(|source| OriginError::Output { index, source })?;
        outputs.push(out);
    }
    let network = network.ok_or(OriginError::Empty)?;
    let contents = BlockContents::new(Vec::new(), outputs);
    let leaves: Vec<_> = contents.outputs.iter().map(TxOut::leaf_hash).collect();
    let block = Block::new(BLOCK_VERSION, None, merkle_root(&leaves), &contents);
    Ok(Origin { network, block: BlockData { block, contents, signatures: Vec::new() }, totals })
}
