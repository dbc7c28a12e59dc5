//! What the wallet asks of a node, independent of the transport: [`NodeApi`].
//!
//! The four calls mirror the node's public client API (`GetLastBlockInfo`, `GetBlocks`,
//! `GetOutputs`, `ProposeTx`). An implementation over gRPC opens the attested channel before
//! answering anything (refusing a node whose evidence is not trusted with
//! [`NodeError::NotAttested`] or [`NodeError::SimulatedNotAllowed`]) and encrypts the proposed
//! transaction for the enclave; the wallet never trusts what a node answers without checking it
//! (blocks against signatures of trusted signers, outputs against membership proofs).

use std::future::Future;

use mcnode_enclave::refusal::TxRule;
use mcnode_ledger::BlockData;
use mcnode_tx::{MembershipProof, TokenId, Tx, TxOut};
use mcnode_types::Hash32;

/// The node's answer to `GetLastBlockInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastBlockInfo {
    /// Index of the last block (the ledger holds `index + 1` blocks).
    pub index: u64,
    /// Minimum fee of every token the network accepts.
    pub minimum_fees: Vec<(TokenId, u64)>,
}

impl LastBlockInfo {
    /// The minimum fee of `token`, if the network accepts it.
    pub fn minimum_fee(&self, token: TokenId) -> Option<u64> {
        self.minimum_fees.iter().find(|(t, _)| *t == token).map(|(_, f)| *f)
    }
}

/// One output with its proof of membership in the tree at a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputWithProof {
    /// The output.
    pub output: TxOut,
    /// Its membership proof against the root over the block's `cumulative_txo_count` outputs.
    pub proof: MembershipProof,
}

/// The node's answer to `GetOutputs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsAnswer {
    /// The block the proofs are against.
    pub block_index: u64,
    /// The root the node claims for that block (the wallet uses its own verified header's).
    pub root_element: Hash32,
    /// The outputs asked for, in the order asked.
    pub outputs: Vec<OutputWithProof>,
}

/// Why a node refused a proposed transaction: its result code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposeRefusal {
    /// The enclave rejected the transaction under a named rule.
    Rejected(TxRule),
    /// The node's pool is full; try again later.
    OverCapacity,
    /// The node does not accept transactions now (syncing, shutting down).
    NotServing,
    /// The attested channel failed (unknown session, replay, forged or malformed message).
    Channel,
    /// The node could not decode the transaction.
    MalformedTx,
    /// The node's enclave failed.
    EnclaveError,
}

impl ProposeRefusal {
    /// The result code's name, as the API spells it.
    pub fn name(&self) -> String {
        match self {
            ProposeRefusal::Rejected(rule) => format!("{rule:?}"),
            ProposeRefusal::OverCapacity => "OverCapacity".into(),
            ProposeRefusal::NotServing => "NotServing".into(),
            ProposeRefusal::Channel => "ChannelError".into(),
            ProposeRefusal::MalformedTx => "MalformedTx".into(),
            ProposeRefusal::EnclaveError => "EnclaveError".into(),
        }
    }
}

/// Why a call to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The node could not be reached or stopped answering.
    #[error("node {node} unreachable: {reason}")]
    Unreachable {
        /// The node's address.
        node: String,
        /// What the transport reported.
        reason: String,
    },
    /// The node is not serving clients (starting, catching up, shutting down).
    #[error("node {node} is not serving clients")]
    NotServing {
        /// The node's address.
        node: String,
    },
    /// The node's attestation evidence is not in the trusted-measurements list.
    #[error("node {node} is not attested: {reason}")]
    NotAttested {
        /// The node's address.
        node: String,
        /// Why its evidence was refused.
        reason: String,
    },
    /// The node presented simulated evidence and the wallet was not told to accept it.
    #[error(
        "node {node} presents SIMULATED attestation evidence; pass --allow-simulated to accept it"
    )]
    SimulatedNotAllowed {
        /// The node's address.
        node: String,
    },
    /// The node refused the transaction.
    #[error("transaction refused by the node: {}", .0.name())]
    Refused(ProposeRefusal),
    /// The node answered something the protocol does not allow (wrong count, bad encoding).
    #[error("node answered out of protocol: {what}")]
    Protocol {
        /// What was wrong.
        what: &'static str,
    },
}

/// The node calls the wallet makes. Implementations: [`crate::GrpcNode`], [`crate::Nodes`] and the
/// in-memory fake of the tests.
pub trait NodeApi {
    /// `GetLastBlockInfo`.
    fn last_block_info(&mut self) -> impl Future<Output = Result<LastBlockInfo, NodeError>> + Send;

    /// `GetBlocks`: up to `limit` blocks from index `from` (fewer at the tip).
    fn get_blocks(
        &mut self,
        from: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<BlockData>, NodeError>> + Send;

    /// `GetOutputs`: the outputs at global `indices` with membership proofs against the root
    /// of block `at_block`.
    fn get_outputs(
        &mut self,
        indices: &[u64],
        at_block: u64,
    ) -> impl Future<Output = Result<OutputsAnswer, NodeError>> + Send;

    /// `ProposeTx` over the attested channel: the transaction with one membership proof per
    /// ring member (inputs in order, members in ring order), all against one tree size. `Ok`
    /// means the node accepted it into its pool.
    fn propose_tx(
        &mut self,
        tx: &Tx,
        ring_proofs: &[MembershipProof],
    ) -> impl Future<Output = Result<(), NodeError>> + Send;
}
