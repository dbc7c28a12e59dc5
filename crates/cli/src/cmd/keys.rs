//! `mcnode keys generate --out DIR`: a node's message-signing key.
//!
//! Writes `DIR/message-signing.key` (Ed25519, PKCS#8 PEM, mode 0600, never overwritten) and
//! `DIR/node-id` (the public node id, for sharing with other operators), and prints the node
//! id only: the secret is never printed or logged. Exit codes: 0 written; 2 refused (the key
//! exists, the directory cannot be written, no randomness).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use mcnode_crypto::SigningIdentity;
use mcnode_node::config::keyfile::{self, KeyFileError};
use zeroize::Zeroizing;

/// File name of the message-signing key inside `--out`.
pub const MESSAGE_KEY_FILE: &str = "message-signing.key";
/// File name of the public node id inside `--out`.
pub const NODE_ID_FILE: &str = "node-id";

/// `mcnode keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Generate a node's Ed25519 message-signing key (its public key is the node id).
    ///
    /// Writes DIR/message-signing.key (PKCS#8 PEM, mode 0600; point `keys.message_signing_key`
    /// of node.toml at it) and DIR/node-id (public: give it to the operators who will list this
    /// node as a peer and in their quorum sets). Refuses to overwrite an existing key. Prints
    /// the node id; never the secret.
    #[command(after_help = "Example:\n  mcnode keys generate --out /etc/mcnode/keys\n  \
        # then in node.toml: [keys] message_signing_key = \"/etc/mcnode/keys/message-signing.key\"\n\n\
        Exit codes: 0 written; 2 refused (key exists, directory not writable).")]
    Generate {
        /// Directory for the key files (created with mode 0700 if missing).
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object (`node_id`, `key_file`, `node_id_file`).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `keys` subcommand.
pub fn run(cmd: KeysCommand) -> ExitCode {
    match cmd {
        KeysCommand::Generate { out, json } => match generate(&out) {
            Ok((id, key_file)) => {
                let id_file = out.join(NODE_ID_FILE);
                if json {
                    let v = serde_json::json!({
                        "node_id": id, "key_file": key_file.display().to_string(),
                        "node_id_file": id_file.display().to_string(),
                    });
                    out!("{v}");
                } else {
                    out!("node id   {id}");
                    out!("key file  {} (secret, mode 0600)", key_file.display());
                    out!("id file   {} (public)", id_file.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// Why a key could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The directory could not be created.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No randomness.
    #[error("cannot read randomness from /dev/urandom: {0}")]
    Random(std::io::Error),
    /// Writing a file failed, or the key exists.
    #[error(transparent)]
    File(#[from] KeyFileError),
}

/// 32 bytes from the operating system's random source.
pub fn os_random32() -> Result<Zeroizing<[u8; 32]>, GenerateError> {
    let mut b = Zeroizing::new([0u8; 32]);
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b[..]))
        .map_err(GenerateError::Random)?;
    Ok(b)
}

/// Creates `dir` (0700) if needed.
pub fn create_private_dir(dir: &Path) -> Result<(), GenerateError> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| GenerateError::Dir { path: dir.to_path_buf(), source })
}

/// Generates a key into `dir`; returns the node id (strkey) and the key file's path.
pub fn generate(dir: &Path) -> Result<(String, PathBuf), GenerateError> {
    create_private_dir(dir)?;
    let key_file = dir.join(MESSAGE_KEY_FILE);
    if key_file.exists() {
        return Err(KeyFileError::Exists { path: key_file }.into());
    }
    let key = SigningIdentity::from_seed(&*os_random32()?);
    keyfile::write_message_key(&key_file, &key)?;
    let id = keyfile::node_id(&key).to_strkey();
    let id_file = dir.join(NODE_ID_FILE);
    std::fs::write(&id_file, format!("{id}\n"))
        .map_err(|source| KeyFileError::Io { path: id_file, source })?;
    Ok((id, key_file))
}
