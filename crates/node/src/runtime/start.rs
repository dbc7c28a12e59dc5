//! Starting and stopping a validator (`mcnode run`): configuration checks, keys, the ledger
//! (created from the origin file on the first start), the enclave (its own process by
//! default) and its sealed block-signing key, the engine restored from the ledger tip and the
//! persisted statements, peer connections, the client, peer and admin servers; then the node
//! runs until SIGTERM/SIGINT (clean stop, exit 0) or something fatal (a dead enclave, a
//! failed ledger write: the error says which).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use mcnode_api::limits;
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{MeasurementRule, TeeType, TrustAnchor, TrustedMeasurements};
use mcnode_enclave::call::{config_digest, node_id_proof};
use mcnode_enclave::host_types::FeeEntry;
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_enclave::peer_policy::PeerPolicy;
use mcnode_enclave::{Enclave, InProcessEnclave, InitParams, ProcessEnclave, TrustedEnclave};
use mcnode_ledger::{Ledger, LmdbLedger};
use mcnode_tx::TokenId;
use tokio::sync::watch;

use crate::config::{EnclaveBackend, NodeConfig, keyfile};
use crate::engine::{Engine, EngineConfig, Tip};

use super::actor::{self, Actor};
use super::byzantine::Hook;
use super::client_service::ClientService;
use super::clock::Clock;
use super::enclave_worker::EnclaveWorker;
use super::ledger::SharedLedger;
use super::peer_service::PeerService;
use super::peers::{PeerContext, Peers};
use super::persist::StatementStore;
use super::services::Services;
use super::status_source::{Fixed, MetricsTracker, RuntimeStatus};
use crate::admin::{self, AdminState, EnclaveStatus, LastBlock, LogLevelHook, Metrics};

/// How long the enclave's evidence stays valid (peers and clients refuse it afterwards; a
/// restart issues new evidence).
pub const EVIDENCE_VALIDITY_SECS: u64 = 30 * 24 * 3600;

/// How to run the enclave process.
#[derive(Clone, Debug)]
pub struct EnclaveProgram {
    /// The executable (the `mcnode` binary itself by default).
    pub program: PathBuf,
    /// Arguments before `--platform-seed-file FILE` (`["enclave-process"]` for `mcnode`).
    pub args: Vec<String>,
}

/// Why the node did not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading or writing a node file failed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// The ledger could not be opened or created.
    #[error("ledger: {0}")]
    Ledger(String),
    /// The enclave could not be started or initialised.
    #[error("enclave: {0}")]
    Enclave(String),
    /// The engine could not be built (quorum set, persisted statements).
    #[error("engine: {0}")]
    Engine(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
    /// The node stopped on a fatal error.
    #[error("fatal: {0}")]
    Fatal(#[from] actor::Fatal),
}

fn file_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |e| RunError::File { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes `bytes` to `path` atomically and durably, mode 0600.
fn write_secret_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    mcnode_types::durable::write_atomic(path, bytes, 0o600).map_err(|e| RunError::File {
        path: e.path,
        message: format!("cannot {}: {}", e.op, e.source),
    })
}

fn urandom32() -> Result<[u8; 32], RunError> {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(file_err(Path::new("/dev/urandom")))?;
    Ok(b)
}

/// The simulated platform's seed file beside the sealed key (created on the first start):
/// the platform's sealing secret, so the sealed block-signing key survives restarts.
pub fn platform_seed_path(cfg: &NodeConfig) -> PathBuf {
    cfg.keys.sealed_block_signing_key.with_extension("platform-seed")
}

/// Where the last own SCP statements are kept (beside the ledger directory).
pub fn statements_path(cfg: &NodeConfig) -> PathBuf {
    cfg.ledger.path.with_extension("scp-statements")
}

fn platform_seed(cfg: &NodeConfig) -> Result<[u8; 32], RunError> {
    let path = platform_seed_path(cfg);
    if !path.exists() {
        write_secret_atomic(&path, hex::encode(urandom32()?).as_bytes())?;
    }
    let text = std::fs::read_to_string(&path).map_err(file_err(&path))?;
    mcnode_enclave::process::parse_platform_seed(&text)
        .ok_or(RunError::File { path, message: "expected 64 hex digits".into() })
}

/// Opens the ledger, creating it from the origin file on the first start; refuses a ledger
/// whose first block is not this network's origin block.
fn open_ledger(cfg: &NodeConfig) -> Result<LmdbLedger, RunError> {
    let lerr = |e: mcnode_ledger::LedgerError| RunError::Ledger(e.to_string());
    let text = std::fs::read_to_string(&cfg.ledger.origin).map_err(file_err(&cfg.ledger.origin))?;
    let spec = mcnode_ledger::origin::parse(&text).map_err(|e| RunError::Ledger(e.to_string()))?;
    let origin =
        mcnode_ledger::origin::origin_block(&spec).map_err(|e| RunError::Ledger(e.to_string()))?;
    let mut ledger = if cfg.ledger.path.exists() {
        LmdbLedger::open(&cfg.ledger.path).map_err(lerr)?
    } else {
        LmdbLedger::create(&cfg.ledger.path).map_err(lerr)?
    };
    match ledger.block_header(0).map_err(lerr)? {
        None => ledger.append_block(&origin.block).map_err(lerr)?,
        Some(b) if b.id == origin.block.block.id => {}
        Some(b) => {
            return Err(RunError::Ledger(format!(
                "block 0 of {} is {}, not the origin block {} of {}",
                cfg.ledger.path.display(),
                b.id,
                origin.block.block.id,
                cfg.ledger.origin.display()
            )));
        }
    }
    Ok(ledger)
}

fn start_enclave(
    cfg: &NodeConfig,
    program: &EnclaveProgram,
) -> Result<Box<dyn Enclave + Send>, RunError> {
    let seed_path = platform_seed_path(cfg);
    match cfg.enclave.backend {
        EnclaveBackend::Process => {
            let mut args: Vec<String> = program.args.clone();
            args.push("--platform-seed-file".into());
            args.push(seed_path.to_string_lossy().into_owned());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let p = ProcessEnclave::spawn(&program.program, &args).map_err(|e| {
                RunError::Enclave(format!("starting {}: {e}", program.program.display()))
            })?;
            tracing::info!(pid = p.pid(), "enclave process started");
            Ok(Box::new(p))
        }
        EnclaveBackend::InProcess => {
            let seed = platform_seed(cfg)?;
            let core = TrustedEnclave::new(SimPlatform::devnet(seed), release_program());
            tracing::info!("enclave runs in-process (enclave.backend = \"in-process\")");
            Ok(Box::new(InProcessEnclave::new(core, urandom32()?)))
        }
    }
}

/// The operator's policy for peer enclaves (`[enclave.attestation]`): the configured trust
/// anchor of the simulated platform (default: the public devnet root), the trusted
/// measurements (a file, and any given inline; with neither, this release's own), and
/// `allow_simulated`.
pub fn peer_policy(cfg: &NodeConfig) -> Result<PeerPolicy, RunError> {
    let a = &cfg.enclave.attestation;
    let root = a.trust_anchor.map(|h| h.0).unwrap_or_else(|| SimRootKey::devnet().public());
    let anchors = vec![TrustAnchor { tee: TeeType::Sim, root_key: root }];
    let inline = a.measurements.iter().map(|m| MeasurementRule::Exact(*m));
    let mut policy = match &a.trusted_measurements {
        Some(path) => {
            let t = TrustedMeasurements::load(path)
                .map_err(|e| RunError::Config(format!("{}: {e}", path.display())))?;
            PeerPolicy::new(anchors, &t, a.allow_simulated)
        }
        None if !a.measurements.is_empty() => {
            let mut p =
                PeerPolicy::new(anchors, &default_trusted_measurements(), a.allow_simulated);
            p.measurements.clear();
            p
        }
        None => PeerPolicy::new(anchors, &default_trusted_measurements(), a.allow_simulated),
    };
    policy.measurements.extend(inline);
    Ok(policy)
}

/// Runs a node until SIGTERM/SIGINT or a fatal error.
/// `log_level` applies the admin endpoint's `POST /log-level` to the process's tracing filter.
pub async fn run_node(
    cfg: NodeConfig,
    program: EnclaveProgram,
    log_level: LogLevelHook,
) -> Result<(), RunError> {
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stop signal received; shutting down");
        stop_tx.send_replace(true);
    });
    run_until(cfg, program, stop, log_level).await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs a node until `stop` turns true or a fatal error.
pub async fn run_until(
    cfg: NodeConfig,
    program: EnclaveProgram,
    stop: watch::Receiver<bool>,
    log_level: LogLevelHook,
) -> Result<(), RunError> {
    let key = keyfile::read_message_key(&cfg.keys.message_signing_key)
        .map_err(|e| RunError::Config(e.to_string()))?;
    let own_id = keyfile::node_id(&key);
    let ledger = open_ledger(&cfg)?;
    platform_seed(&cfg)?;

    // The enclave and its sealed block-signing key.
    let fees: Vec<FeeEntry> = cfg
        .fees
        .minimum_fees()
        .into_iter()
        .map(|(t, f)| FeeEntry { token: TokenId(t), minimum_fee: f })
        .collect();
    let recipient = cfg.fees.recipient.address;
    let sealed_path = cfg.keys.sealed_block_signing_key.clone();
    let sealed = match std::fs::read(&sealed_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(file_err(&sealed_path)(e)),
    };
    let enclave = EnclaveWorker::start(start_enclave(&cfg, &program)?)
        .map_err(|e| RunError::Enclave(e.to_string()))?;
    let policy = peer_policy(&cfg)?;
    let tip_header = ledger.last_block().map_err(|e| RunError::Ledger(e.to_string()))?;
    // The enclave attests the node it serves; the message key proves the id is ours.
    let (node_id, node_id_proof) = node_id_proof(&key, &cfg.chain_id);
    let params = InitParams {
        chain_id: cfg.chain_id.clone(),
        config_digest: config_digest(&cfg.chain_id, &fees, &recipient, &policy),
        fees: fees.clone(),
        fee_recipient: recipient,
        peer_policy: policy,
        node_id,
        node_id_proof,
        tip: tip_header,
        sealed_signing_key: sealed,
        now: Clock::unix_secs(),
        evidence_validity_secs: EVIDENCE_VALIDITY_SECS,
    };
    let (sealed, signer) = enclave
        .call(move |e| e.init(params))
        .await
        .map_err(|e| RunError::Enclave(format!("init: {e}")))?;
    write_secret_atomic(&sealed_path, &sealed)?;
    tracing::info!(node = %own_id, block_signer = %signer, "enclave initialised");

    // The engine, from the ledger tip and the persisted statements.
    let last = ledger
        .last_block()
        .map_err(|e| RunError::Ledger(e.to_string()))?
        .ok_or_else(|| RunError::Ledger("the ledger has no blocks".into()))?;
    let tip = Tip { index: last.index, id: last.id };
    let store = StatementStore::new(statements_path(&cfg));
    let persisted = store
        .load()
        .map_err(|e| RunError::Engine(format!("{e} (remove the file only if you accept that this node may contradict its earlier votes)")))?
        .map(|p| p.statements)
        .unwrap_or_default();
    let qset = cfg.quorum_set.to_quorum_set();
    // Peers' quorum sets are learned from their signed statements (engine::qsets).
    let mut metrics = Metrics::new();
    let byzantine = Hook::new(cfg.byzantine.as_ref(), &key, &mut metrics);
    let mut ecfg = EngineConfig::new(cfg.chain_id.clone(), key, qset.clone(), BTreeMap::new());
    ecfg.learn_quorum_sets = cfg.peers.iter().map(|p| p.id).collect();
    ecfg.scp = cfg.consensus.scp_config();
    ecfg.block_interval = cfg.consensus.block_interval();
    ecfg.pool_capacity = cfg.pool.pending_limit;
    ecfg.max_values_per_slot = cfg.pool.max_values_per_slot as usize;
    let clock = Clock::with_rate_percent(cfg.consensus.clock_rate_percent);
    let engine = Engine::new(ecfg, tip, persisted, clock.now())
        .map_err(|e| RunError::Engine(e.to_string()))?;

    let ledger = SharedLedger::new(ledger);
    let fixed = Fixed {
        node_id: own_id,
        chain_id: cfg.chain_id.clone(),
        enclave: EnclaveStatus {
            measurement: mcnode_enclave::measurement::RELEASE_MEASUREMENT,
            // The only platform this build has is the simulated one.
            simulated: true,
        },
        quorum_set: qset,
        peers: cfg.peers.iter().map(|p| (p.id, p.address.clone())).collect(),
    };
    let (handle, rx) = actor::channel();
    let peer_list: Vec<_> = cfg.peers.iter().map(|p| (p.id, p.address.clone())).collect();
    let metrics = Arc::new(metrics);
    let pctx = PeerContext {
        own_id,
        enclave: enclave.clone(),
        engine: handle.clone(),
        shutdown: stop.clone(),
        metrics: metrics.clone(),
    };
    let peers = Peers::start(&pctx, &peer_list);
    byzantine.start(&cfg.chain_id, &peers, stop.clone());
    let refused = Arc::new(AtomicU64::new(0));
    // Time 0: not appended since this start.
    let last_block = LastBlock { index: last.index, id: last.id.0, time: 0 };
    let counted = vec![refused.clone(), peers.handshakes_failed.clone()];
    let status = RuntimeStatus::new(fixed, ledger.clone(), last_block, counted);
    let admission = super::admit::Admission {
        enclave: enclave.clone(),
        ledger: ledger.clone(),
        engine: handle.clone(),
        well_formed: super::well_formed::WellFormedBatcher::start(
            enclave.clone(),
            metrics.tx_check_calls.clone(),
            std::time::Duration::from_millis(cfg.pool.check_linger_ms),
        ),
        same_tx: Default::default(),
        metrics: metrics.clone(),
    };
    let services = Services {
        own_id,
        enclave: enclave.clone(),
        ledger: ledger.clone(),
        engine: handle.clone(),
        admission: admission.clone(),
        relayed_admissions: Arc::new(tokio::sync::Semaphore::new(
            super::services::RELAYED_ADMISSIONS,
        )),
        status: status.clone(),
        metrics: metrics.clone(),
        fees: Arc::new(fees),
        known_peers: Arc::new(cfg.peers.iter().map(|p| p.id).collect::<BTreeSet<_>>()),
        incoming: Arc::new(Mutex::new(HashMap::new())),
        peers_refused: refused,
        byzantine: byzantine.clone(),
    };
    let admin_state =
        AdminState { source: Arc::new(status.clone()), metrics: metrics.clone(), log_level };

    // Before the servers listen: a URL that cannot be opened refuses the start.
    if let Some(a) = &cfg.archive {
        super::archive_publish::spawn(&a.url, ledger.clone(), status.block_count(), stop.clone())
            .map_err(|e| RunError::Config(format!("archive.url: {e}")))?;
        tracing::info!(archive = %a.url, "publishing each block to the archive");
    }
    metrics.pool_capacity.set(i64::try_from(cfg.pool.pending_limit).unwrap_or(i64::MAX));
    metrics.start_time_seconds.set(i64::try_from(Clock::unix_secs()).unwrap_or(i64::MAX));
    let servers = start_servers(&cfg, &services, admin_state, stop.clone()).await?;
    tracing::info!(
        node = %own_id, height = last.index + 1, peers = peer_list.len(),
        peer = %cfg.peer_listen, client = %cfg.client_listen, admin = %cfg.admin_listen,
        "node running"
    );
    let metrics = MetricsTracker::new(metrics);
    let actor = Actor {
        engine,
        clock,
        enclave,
        ledger,
        admission,
        store,
        peers,
        status,
        metrics,
        byzantine,
    };
    let result = actor.run(handle, rx, stop.clone()).await;
    // Stop the servers (they watch `stop`; on a fatal error nobody set it).
    for s in servers {
        s.abort();
    }
    match &result {
        Ok(()) => tracing::info!("node stopped cleanly"),
        Err(e) => tracing::error!(error = %e, "node stopped"),
    }
    result.map_err(RunError::Fatal)
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, RunError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| RunError::Listen { addr, message: e.to_string() })
}

async fn start_servers(
    cfg: &NodeConfig,
    services: &Services,
    admin_state: AdminState,
    stop: watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, RunError> {
    use tokio_stream::wrappers::TcpListenerStream;
    let peer_l = bind(cfg.peer_listen).await?;
    let client_l = bind(cfg.client_listen).await?;
    let admin_l = bind(cfg.admin_listen).await?;
    let stopped = |mut s: watch::Receiver<bool>| async move {
        let _ = s.wait_for(|v| *v).await;
    };
    let reflection = |e: limits::ReflectionError| RunError::Listen {
        addr: cfg.peer_listen,
        message: e.to_string(),
    };
    let refused = |port: &'static str| -> limits::RefusalHook {
        Arc::new(move |r: limits::Refusal| {
            tracing::debug!(port, cause = r.name(), "request refused before its handler");
        })
    };
    let peer_routes =
        limits::peer_routes(PeerService(services.clone()), refused("peer")).map_err(reflection)?;
    let client_routes = limits::client_routes(ClientService(services.clone()), refused("client"))
        .map_err(reflection)?;
    let s1 = stop.clone();
    let peer_task = tokio::spawn(async move {
        let r = limits::server_builder()
            .add_routes(peer_routes)
            .serve_with_incoming_shutdown(TcpListenerStream::new(peer_l), stopped(s1))
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "peer server failed");
        }
    });
    let s2 = stop.clone();
    let client_task = tokio::spawn(async move {
        let r = limits::server_builder()
            .add_routes(client_routes)
            .serve_with_incoming_shutdown(TcpListenerStream::new(client_l), stopped(s2))
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "client server failed");
        }
    });
    let admin_router = admin::router(admin_state);
    let admin_task = tokio::spawn(async move {
        if let Err(e) = admin::serve(admin_l, admin_router, stopped(stop)).await {
            tracing::error!(error = %e, "admin server failed");
        }
    });
    Ok(vec![peer_task, client_task, admin_task])
}
