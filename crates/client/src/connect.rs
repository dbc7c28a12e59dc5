//! Connecting a wallet to the nodes it trusts: one attested channel per node, and the
//! [`TrustPolicy`] their attested block-signing keys make.
//!
//! Trust model: the wallet trusts the nodes the user names (or the network file lists), and
//! only in so far as their enclaves attest (evidence verified against the trusted
//! measurements). Blocks must carry valid signatures by a MAJORITY of those nodes' attested
//! block-signing keys (`n/2 + 1` of `n` configured nodes; one when one is configured), so no
//! single node can feed the wallet a ledger of its own. If fewer than that many nodes attest,
//! the wallet refuses to go on with the first refusal it met (unreachable, not attested,
//! simulated evidence not allowed).

use mcnode_attest::sim::SimRootKey;
use mcnode_attest::{Policy, TeeType, TrustAnchor, TrustedMeasurements, Verifier};
use mcnode_crypto::CryptoRng;
use mcnode_enclave::channel::ChannelConfig;

use crate::grpc::GrpcNode;
use crate::multi::Nodes;
use crate::network::NetworkFile;
use crate::node_api::NodeError;
use crate::verify::TrustPolicy;

/// What the user decided about trust.
#[derive(Clone, Debug)]
pub struct TrustOptions {
    /// Client API URLs (empty: the network file's).
    pub urls: Vec<String>,
    /// The measurement allow-list.
    pub trusted: TrustedMeasurements,
    /// The user's explicit opt-in to simulated evidence.
    pub allow_simulated: bool,
}

/// The verifier for `net` under `opts`: the simulated platform's public devnet root is an
/// anchor only on a network file that says `simulated`, and even then its evidence is
/// accepted only with `allow_simulated`.
pub fn verifier(net: &NetworkFile, opts: &TrustOptions) -> Verifier {
    let mut anchors = Vec::new();
    if net.simulated {
        anchors.push(TrustAnchor { tee: TeeType::Sim, root_key: SimRootKey::devnet().public() });
    }
    let mut policy = Policy::new(anchors, opts.trusted.clone());
    if opts.allow_simulated {
        policy = policy.allowing_simulated();
    }
    Verifier::new(policy)
}

/// Connects to the trusted nodes (attested channels) and returns them with the policy their
/// signers make. `now`: Unix seconds for evidence expiry; `rng`: Noise ephemeral keys.
pub async fn connect<R: CryptoRng>(
    net: &NetworkFile,
    opts: &TrustOptions,
    now: u64,
    rng: &mut R,
) -> Result<(Nodes, TrustPolicy), NodeError> {
    let urls = if opts.urls.is_empty() { net.nodes.clone() } else { opts.urls.clone() };
    let cfg = ChannelConfig::new(&net.chain_id, net.config_digest);
    let verifier = verifier(net, opts);
    let needed = urls.len() / 2 + 1;
    let mut nodes = Vec::new();
    let mut first_error = None;
    for url in &urls {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        match GrpcNode::connect(url, &cfg, &verifier, now, seed).await {
            Ok(n) => nodes.push(n),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if nodes.len() < needed {
        return Err(first_error.unwrap_or(NodeError::Unreachable {
            node: "(none)".into(),
            reason: "no node URL given (--node) and none in the network file".into(),
        }));
    }
    let signers = nodes.iter().map(GrpcNode::signer).collect::<Vec<_>>();
    let policy = TrustPolicy {
        origin: net.origin,
        signers: signers.into_iter().collect(),
        threshold: needed,
    };
    let nodes = Nodes::new(nodes, needed).ok_or(NodeError::Protocol { what: "no nodes" })?;
    Ok((nodes, policy))
}
