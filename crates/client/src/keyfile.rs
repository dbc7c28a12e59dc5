//! Account key files: the JSON files `mcnode devnet init` writes for wallets, and the
//! secret-file rules every key file of the project follows.
//!
//! Format (documented in `docs/config.md`): one JSON object `{"format": "mcnode-account-key",
//! "version": 1, "network": "devnet", "view_private": <64 hex>, "spend_private": <64 hex>,
//! "address": <mc.. address>}`; `address` is the default subaddress of the keys, checked on
//! reading.
//!
//! Guarantees: files are created with mode 0600 and never overwritten; reading refuses a key
//! file that others can read or write (like ssh); secrets never appear in errors or `Debug`;
//! decoders return a typed error on any input, never panic. (Moved here from `mcnode-node`,
//! which re-exports it, so that the wallet reads these files without depending on the node.)

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use mcnode_crypto::RistrettoPrivate;
use mcnode_tx::AccountKey;
use mcnode_tx::address::{AddressString, Network};
use zeroize::{Zeroize as _, Zeroizing};

/// `format` of account key files.
pub const ACCOUNT_KEY_FORMAT: &str = "mcnode-account-key";
/// `version` of account key files.
pub const ACCOUNT_KEY_VERSION: u64 = 1;

/// Why a key file cannot be written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file exists: keys are never overwritten.
    #[error("{path} already exists; refusing to overwrite a key")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Group or others may access the file.
    #[error(
        "{path} has mode {mode:o}: a key file must not be accessible to group or others (chmod 600)"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a PEM `PRIVATE KEY` block with base64 inside.
    #[error("not a PEM PRIVATE KEY block")]
    NotPem,
    /// PEM holding something other than a PKCS#8 Ed25519 key.
    #[error("not a PKCS#8 Ed25519 private key ({len} bytes of DER)")]
    NotEd25519 {
        /// DER length found.
        len: usize,
    },
    /// An account key file that is not the documented JSON.
    #[error("not an account key file: {reason}")]
    AccountFormat {
        /// What is wrong (never contains key material).
        reason: String,
    },
    /// The keys' address differs from the `address` field (corrupt or edited file).
    #[error("account key file: its keys do not give the address it records")]
    AddressMismatch,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io { path: path.to_path_buf(), source }
}

/// Creates `path` with mode 0600 holding `text`; refuses an existing file.
pub fn write_secret_file(path: &Path, text: &str) -> Result<(), KeyFileError> {
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(
        |source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeyFileError::Exists { path: path.to_path_buf() },
            _ => KeyFileError::Io { path: path.to_path_buf(), source },
        },
    )?;
    f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(io(path))
}

/// Reads a secret file, refusing one that group or others may access.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let mode = std::fs::metadata(path).map_err(io(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions { path: path.to_path_buf(), mode });
    }
    std::fs::read_to_string(path).map(Zeroizing::new).map_err(io(path))
}

fn network_name(n: Network) -> &'static str {
    match n {
        Network::Mainnet => "mainnet",
        Network::Testnet => "testnet",
        Network::Devnet => "devnet",
    }
}

/// The JSON text of an account key file.
pub fn encode_account_key(key: &AccountKey, network: Network) -> Zeroizing<String> {
    let address = AddressString { network, address: key.default_address() };
    let view = Zeroizing::new(hex::encode(key.view_private().to_bytes()));
    let spend = Zeroizing::new(hex::encode(key.spend_private().to_bytes()));
    Zeroizing::new(format!(
        "{{\n  \"format\": \"{ACCOUNT_KEY_FORMAT}\",\n  \"version\": {ACCOUNT_KEY_VERSION},\n  \
         \"network\": \"{}\",\n  \"view_private\": \"{}\",\n  \"spend_private\": \"{}\",\n  \
         \"address\": \"{address}\"\n}}\n",
        network_name(network),
        view.as_str(),
        spend.as_str(),
    ))
}

/// The account key file as read; the secret fields are wiped on drop.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccountKey {
    format: String,
    version: u64,
    network: String,
    view_private: String,
    spend_private: String,
    address: String,
}

impl Drop for RawAccountKey {
    fn drop(&mut self) {
        self.view_private.zeroize();
        self.spend_private.zeroize();
    }
}

fn private(text: &str, field: &str) -> Result<RistrettoPrivate, KeyFileError> {
    let bad = || KeyFileError::AccountFormat {
        reason: format!("{field} is not 64 hex characters of a canonical scalar"),
    };
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, &mut bytes[..]).map_err(|_| bad())?;
    RistrettoPrivate::from_bytes(&bytes).map_err(|_| bad())
}

/// Parses an account key file; returns the keys and their network.
pub fn decode_account_key(text: &str) -> Result<(AccountKey, Network), KeyFileError> {
    let fmt = |reason: &str| KeyFileError::AccountFormat { reason: reason.to_string() };
    // serde_json's message may quote the input; it is replaced by a fixed text.
    let raw: RawAccountKey = serde_json::from_str(text)
        .map_err(|_| fmt("not the documented JSON object (see docs/config.md)"))?;
    if raw.format != ACCOUNT_KEY_FORMAT {
        return Err(fmt("format is not \"mcnode-account-key\""));
    }
    if raw.version != ACCOUNT_KEY_VERSION {
        return Err(fmt("unsupported version (this build reads version 1)"));
    }
    let address: AddressString =
        raw.address.parse().map_err(|_| fmt("address is not a valid address"))?;
    if raw.network != network_name(address.network) {
        return Err(fmt("network does not match the address's network"));
    }
    let key = AccountKey::new(
        private(&raw.view_private, "view_private")?,
        private(&raw.spend_private, "spend_private")?,
    );
    if key.default_address() != address.address {
        return Err(KeyFileError::AddressMismatch);
    }
    Ok((key, address.network))
}

/// Writes an account key file (0600, never overwriting).
pub fn write_account_key(
    path: &Path,
    key: &AccountKey,
    network: Network,
) -> Result<(), KeyFileError> {
    write_secret_file(path, &encode_account_key(key, network))
}

/// Reads an account key file.
pub fn read_account_key(path: &Path) -> Result<(AccountKey, Network), KeyFileError> {
    decode_account_key(&read_secret_file(path)?)
}
