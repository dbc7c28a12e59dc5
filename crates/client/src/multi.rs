//! Several trusted nodes as one [`NodeApi`]: block signatures gathered from all of them.
//!
//! A node stores only its own enclave's signature on each block (every enclave signs its own
//! copy), so a wallet that trusts several nodes asks each of them for the same blocks and
//! merges the signatures of those that serve the SAME block id; the wallet's
//! [`crate::TrustPolicy`] then requires a quorum of the attested signers. Blocks are served
//! only up to the height that enough trusted nodes (the policy's threshold) already hold, so a
//! node ahead of the others does not make the wallet refuse a block for lack of signatures.
//! A node that cannot be reached counts as not holding the blocks; the others carry on.
//!
//! Transactions go to the first node that answers (`primary`); ledger queries
//! (`GetLastBlockInfo`, `GetOutputs`) too: their answers are checked by the wallet
//! (membership proofs against verified roots).

use mcnode_ledger::BlockData;
use mcnode_tx::{MembershipProof, Tx};
use mcnode_types::NodeId;

use crate::grpc::GrpcNode;
use crate::node_api::{LastBlockInfo, NodeApi, NodeError, OutputsAnswer};

/// Trusted nodes, each on its own attested channel.
#[derive(Debug)]
pub struct Nodes {
    nodes: Vec<GrpcNode>,
    threshold: usize,
}

impl Nodes {
    /// The nodes (at least one); blocks are served once `threshold` of them hold them.
    pub fn new(nodes: Vec<GrpcNode>, threshold: usize) -> Option<Nodes> {
        if nodes.is_empty() {
            return None;
        }
        Some(Nodes { nodes, threshold: threshold.clamp(1, usize::MAX) })
    }

    /// The attested block-signing keys of the nodes.
    pub fn signers(&self) -> Vec<NodeId> {
        self.nodes.iter().map(GrpcNode::signer).collect()
    }

    /// The nodes.
    pub fn nodes_mut(&mut self) -> &mut [GrpcNode] {
        &mut self.nodes
    }

    fn primary(&mut self) -> &mut GrpcNode {
        // `new` refuses an empty list.
        &mut self.nodes[0]
    }
}

/// Merges the signatures of `others` into `base` where they serve the same block id, and
/// keeps the longest prefix held by at least `threshold` answers (`base` included).
pub fn merge_answers(
    mut base: Vec<BlockData>,
    others: &[Vec<BlockData>],
    threshold: usize,
) -> Vec<BlockData> {
    let mut keep = base.len();
    for (i, b) in base.iter_mut().enumerate() {
        let mut holders = 1;
        for o in others {
            if let Some(ob) = o.get(i).filter(|ob| ob.block.id == b.block.id) {
                holders += 1;
                for s in &ob.signatures {
                    if !b.signatures.iter().any(|x| x.signer == s.signer) {
                        b.signatures.push(*s);
                    }
                }
            }
        }
        // The origin block carries no signatures; one answer is enough for it.
        if holders < threshold && b.block.index > 0 {
            keep = i;
            break;
        }
    }
    base.truncate(keep);
    base
}

impl NodeApi for Nodes {
    async fn last_block_info(&mut self) -> Result<LastBlockInfo, NodeError> {
        self.primary().last_block_info().await
    }

    async fn get_blocks(&mut self, from: u64, limit: u32) -> Result<Vec<BlockData>, NodeError> {
        let base = self.primary().get_blocks(from, limit).await?;
        if self.nodes.len() == 1 || base.is_empty() {
            return Ok(base);
        }
        let mut others = Vec::new();
        for n in self.nodes.iter_mut().skip(1) {
            // An unreachable node holds nothing as far as this sync is concerned.
            if let Ok(blocks) = n.get_blocks(from, limit).await {
                others.push(blocks);
            }
        }
        Ok(merge_answers(base, &others, self.threshold))
    }

    async fn get_outputs(
        &mut self,
        indices: &[u64],
        at_block: u64,
    ) -> Result<OutputsAnswer, NodeError> {
        self.primary().get_outputs(indices, at_block).await
    }

    async fn propose_tx(
        &mut self,
        tx: &Tx,
        ring_proofs: &[MembershipProof],
    ) -> Result<(), NodeError> {
        self.primary().propose_tx(tx, ring_proofs).await
    }
}
