//! `mcnode run --config node.toml [--set PATH=VALUE]...`: runs a validator until SIGTERM or
//! SIGINT.
//!
//! Start-up checks the configuration as `mcnode config check` does for one file (schema with
//! field paths, quorum-set rules, peers, fees, the message-signing key), then starts the node
//! (`mcnode_node::runtime`). The enclave runs as a child process of this same binary
//! (`mcnode enclave-process`) unless `enclave.backend = "in-process"`.
//!
//! Exit codes: 0 stopped cleanly by a signal; 1 the configuration has problems; 2 bad input
//! (unreadable or malformed configuration, bad override); 3 the node failed (could not start:
//! ledger, enclave, listen address; or stopped on a fatal error such as a dead enclave).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use mcnode_node::admin::{LogLevelError, LogLevelHook};
use mcnode_node::config::{self, LogFormat, Overrides, keyfile};
use mcnode_node::runtime::{EnclaveProgram, run_node};
use tracing_subscriber::EnvFilter;

use super::enclave_process::SUBCOMMAND;

/// Arguments of `mcnode run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The node's configuration file.
    #[arg(long, short)]
    config: PathBuf,
    /// Override a field: PATH=VALUE (applied after MCNODE_... environment variables).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

/// Installs the logger and returns what applies the admin endpoint's `POST /log-level` to
/// its filter (a reload handle: the new filter takes effect at once, process-wide).
fn init_logging(format: LogFormat) -> LogLevelHook {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => {
            let b = b.json().with_filter_reloading();
            let hook = reload_hook(b.reload_handle());
            let _ = b.try_init();
            hook
        }
        LogFormat::Text => {
            let b = b.with_filter_reloading();
            let hook = reload_hook(b.reload_handle());
            let _ = b.try_init();
            hook
        }
    }
}

fn reload_hook<S: 'static>(handle: tracing_subscriber::reload::Handle<EnvFilter, S>) -> LogLevelHook
where
    tracing_subscriber::reload::Handle<EnvFilter, S>: Send + Sync,
{
    Arc::new(move |directives: &str| {
        let filter = EnvFilter::builder()
            .parse(directives)
            .map_err(|e| LogLevelError { reason: e.to_string() })?;
        handle.reload(filter).map_err(|e| LogLevelError { reason: e.to_string() })?;
        Ok(())
    })
}

/// Runs `mcnode run`.
pub fn run(args: RunArgs) -> ExitCode {
    let mut overrides = match Overrides::from_env(std::env::vars()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mcnode run: {e}");
            return ExitCode::from(2);
        }
    };
    for s in &args.set {
        if let Err(e) = overrides.push_set(s) {
            eprintln!("mcnode run: {e}");
            return ExitCode::from(2);
        }
    }
    let loaded = match config::load(&args.config, &overrides) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mcnode run: {}: {e}", args.config.display());
            return ExitCode::from(2);
        }
    };
    let own = match keyfile::read_message_key(&loaded.config.keys.message_signing_key) {
        Ok(k) => keyfile::node_id(&k),
        Err(e) => {
            eprintln!("mcnode run: keys.message_signing_key: {e}");
            return ExitCode::from(1);
        }
    };
    let problems = loaded.problems(Some(own));
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("mcnode run: {}: {p}", args.config.display());
        }
        eprintln!(
            "mcnode run: refusing to start ({} problems; see `mcnode config check`)",
            problems.len()
        );
        return ExitCode::from(1);
    }
    let log_level = init_logging(loaded.config.log.format);
    let program = match std::env::current_exe() {
        Ok(p) => EnclaveProgram { program: p, args: vec![SUBCOMMAND.to_owned()] },
        Err(e) => {
            eprintln!("mcnode run: cannot find this executable to start the enclave: {e}");
            return ExitCode::from(3);
        }
    };
    let rt =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("mcnode run: cannot start the async runtime: {e}");
                return ExitCode::from(3);
            }
        };
    match rt.block_on(run_node(loaded.config, program, log_level)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcnode run: {e}");
            ExitCode::from(3)
        }
    }
}
