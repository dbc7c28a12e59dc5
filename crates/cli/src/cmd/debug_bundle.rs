//! `mcnode debug-bundle --admin URL --config FILE --logs FILE --out F.tar.gz`: everything a
//! bug report needs from one node, in one archive (docs/runbook.md, "Reporting a bug").
//!
//! The archive holds, under `mcnode-debug-UNIXSECONDS/`:
//! - `MANIFEST.json`: when, which version, what each file came from, and what could not be
//!   collected (an unreachable admin address or a missing endpoint is recorded, not fatal);
//! - `version.txt`; `config.toml`: the configuration with secrets redacted ([`redact_config`]);
//! - `logs.txt`: the last `--log-lines` lines of the log file, with key material redacted;
//! - `admin/info.json`, `admin/quorum.json`, `admin/scp.json`, `admin/health.json`,
//!   `admin/metrics.txt`: the admin endpoints' answers.
//!
//! Guarantees: it never reads key files (it names them only by the paths the configuration
//! gives); any value under a name that says secret, password, token, credential, private or
//! seed, any value holding PEM or a line break, and user:password in URLs are replaced by
//! `<redacted>`; log lines holding PEM markers are replaced too. Exit codes: 0 written (maybe
//! with parts missing, listed on stderr and in the manifest), 2 bad input, 3 the archive could
//! not be written.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Replacement for a redacted value.
pub const REDACTED: &str = "<redacted>";
/// Admin endpoints collected, with the file each goes to.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("/info", "admin/info.json"),
    ("/quorum", "admin/quorum.json"),
    ("/scp", "admin/scp.json"),
    ("/health", "admin/health.json"),
    ("/metrics", "admin/metrics.txt"),
];
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: u64 = 16 << 20;

/// Arguments of `mcnode debug-bundle`.
#[derive(clap::Args, Debug)]
pub struct DebugBundleArgs {
    /// The node's admin address (`http://HOST:PORT`).
    #[arg(long)]
    admin: Option<String>,
    /// The node's configuration file (copied with secrets redacted).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The node's log file (its last lines are copied).
    #[arg(long)]
    logs: Option<PathBuf>,
    /// How many log lines to keep.
    #[arg(long, default_value_t = 5000)]
    log_lines: usize,
    /// Where to write the bundle (`.tar.gz`).
    #[arg(long)]
    out: PathBuf,
}

/// Whether a configuration key names a secret.
fn secret_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "passwd", "token", "credential", "private", "seed", "access_key"]
        .iter()
        .any(|w| k.contains(w))
}

/// Whether a string value looks like key material or holds credentials.
fn secret_value(v: &str) -> bool {
    v.contains("-----BEGIN") || v.contains('\n') || v.contains("PRIVATE KEY")
}

/// `scheme://user:pass@host/...` without the user info.
fn strip_userinfo(v: &str) -> String {
    let Some((scheme, rest)) = v.split_once("://") else { return v.to_owned() };
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{REDACTED}@{}", &rest[at + 1..]),
        None => v.to_owned(),
    }
}

fn redact_value(key: &str, v: &mut toml::Value) {
    match v {
        toml::Value::String(s) if secret_name(key) || secret_value(s) => *s = REDACTED.into(),
        toml::Value::String(s) => *s = strip_userinfo(s),
        toml::Value::Table(t) => t.iter_mut().for_each(|(k, v)| redact_value(k, v)),
        toml::Value::Array(a) => a.iter_mut().for_each(|v| redact_value(key, v)),
        other if secret_name(key) => *other = toml::Value::String(REDACTED.into()),
        _ => {}
    }
}

/// The configuration text with secrets redacted. A file that is not TOML is not copied at
/// all (it could be anything): the error says so.
pub fn redact_config(text: &str) -> Result<String, String> {
    let mut v: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_owned())?;
    v.iter_mut().for_each(|(k, v)| redact_value(k, v));
    toml::to_string(&v).map_err(|e| e.to_string())
}

/// The last `n` lines of `text`, with lines holding key material replaced.
pub fn redact_logs(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = String::new();
    let mut in_pem = false;
    for l in &lines[start..] {
        let pem = l.contains("-----BEGIN") || l.contains("PRIVATE KEY");
        in_pem = (in_pem || pem) && !l.contains("-----END");
        out.push_str(if pem || in_pem || l.contains("-----END") { REDACTED } else { l });
        out.push('\n');
    }
    out
}

/// `GET path` over HTTP/1.0 (the admin server answers with a length or closes).
fn http_get(addr: &str, path: &str) -> Result<String, String> {
    use std::net::ToSocketAddrs;
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    let mut s = std::net::TcpStream::connect_timeout(&sock, HTTP_TIMEOUT)
        .map_err(|e| format!("{addr}: {e}"))?;
    s.set_read_timeout(Some(HTTP_TIMEOUT)).map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.take(MAX_BODY).read_to_end(&mut raw).map_err(|e| format!("{path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or(format!("{path}: malformed answer"))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.split(' ').nth(1).is_some_and(|c| c == "200" || c == "503") {
        return Err(format!("{path}: {status}"));
    }
    Ok(body.to_owned())
}

struct Bundle {
    root: String,
    files: Vec<(String, Vec<u8>)>,
    sources: serde_json::Map<String, Value>,
    missing: Vec<String>,
}

impl Bundle {
    fn add(&mut self, name: &str, source: String, bytes: Vec<u8>) {
        self.sources.insert(name.to_owned(), Value::String(source));
        self.files.push((name.to_owned(), bytes));
    }

    fn write(self, out: &Path, now: u64) -> std::io::Result<()> {
        let file = std::fs::File::create(out)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let manifest = json!({
            "mcnode_version": env!("CARGO_PKG_VERSION"),
            "created_unix": now,
            "files": self.sources,
            "missing": self.missing,
        });
        let manifest = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        let all = std::iter::once(("MANIFEST.json".to_owned(), manifest)).chain(self.files);
        for (name, bytes) in all {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(now);
            h.set_cksum();
            tar.append_data(&mut h, format!("{}/{name}", self.root), bytes.as_slice())?;
        }
        tar.into_inner()?.finish()?.sync_all()
    }
}

/// Runs `mcnode debug-bundle`.
pub fn run(args: DebugBundleArgs) -> ExitCode {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let admin = match args.admin.as_deref().map(|a| a.strip_prefix("http://").unwrap_or(a)) {
        Some(a) if a.contains("://") => {
            eprintln!("mcnode debug-bundle: --admin {a}: only http://HOST:PORT is supported");
            return ExitCode::from(2);
        }
        a => a.map(|a| a.trim_end_matches('/').to_owned()),
    };
    let mut b = Bundle {
        root: format!("mcnode-debug-{now}"),
        files: Vec::new(),
        sources: serde_json::Map::new(),
        missing: Vec::new(),
    };
    let version = format!(
        "mcnode {}\nTEE platform: simulated (no hardware enclave on this build)\n",
        env!("CARGO_PKG_VERSION")
    );
    b.add("version.txt", "this mcnode binary".into(), version.into_bytes());
    if let Some(c) = &args.config {
        let text = match std::fs::read_to_string(c) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("mcnode debug-bundle: {}: {e}", c.display());
                return ExitCode::from(2);
            }
        };
        match redact_config(&text) {
            Ok(r) => b.add("config.toml", format!("{} (redacted)", c.display()), r.into_bytes()),
            Err(e) => b.missing.push(format!("config.toml: {} is not TOML: {e}", c.display())),
        }
    }
    if let Some(l) = &args.logs {
        match std::fs::read(l) {
            Ok(bytes) => {
                let text = redact_logs(&String::from_utf8_lossy(&bytes), args.log_lines);
                let src = format!("{} (last {} lines, redacted)", l.display(), args.log_lines);
                b.add("logs.txt", src, text.into_bytes());
            }
            Err(e) => b.missing.push(format!("logs.txt: {}: {e}", l.display())),
        }
    }
    if let Some(a) = &admin {
        for (path, name) in ENDPOINTS {
            match http_get(a, path) {
                Ok(body) => b.add(name, format!("http://{a}{path}"), body.into_bytes()),
                Err(e) => b.missing.push(format!("{name}: {e}")),
            }
        }
    }
    let missing = b.missing.clone();
    if let Err(e) = b.write(&args.out, now) {
        eprintln!("mcnode debug-bundle: {}: {e}", args.out.display());
        return ExitCode::from(3);
    }
    for m in &missing {
        eprintln!("mcnode debug-bundle: not collected: {m}");
    }
    out!("wrote {} ({} parts missing)", args.out.display(), missing.len());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_by_name_pem_and_url_credentials_are_redacted_paths_kept() {
        let text = "chain_id = \"devnet\"\n\
            [keys]\nmessage_signing_key = \"keys/message-signing.key\"\n\
            [archive]\nurl = \"https://AKIAUSER:hunter2@store.example/bucket\"\n\
            [extra]\naws_secret_access_key = \"wJalrXUtnFEMI\"\nauth_token = 12345\n\
            inline = \"-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEI\\n-----END PRIVATE KEY-----\"\n\
            nested = [{ password = \"pw-in-array\" }]\n";
        let r = redact_config(text).unwrap();
        for secret in ["hunter2", "AKIAUSER", "wJalrXUtnFEMI", "12345", "MC4CAQAw", "pw-in-array"] {
            assert!(!r.contains(secret), "{secret} survived:\n{r}");
        }
        assert!(r.contains("keys/message-signing.key"), "a key's path is not a secret:\n{r}");
        assert!(r.contains("store.example/bucket"));
        assert!(r.contains("chain_id = \"devnet\""));
    }

    #[test]
    fn a_file_that_is_not_toml_is_not_copied() {
        assert!(redact_config("-----BEGIN PRIVATE KEY-----\nabc\n").is_err());
    }

    #[test]
    fn log_lines_with_pem_blocks_are_redacted_and_only_the_tail_is_kept() {
        let log = "old line\nINFO start\n-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----\nINFO after\n";
        let r = redact_logs(log, 5);
        assert!(!r.contains("old line"));
        assert!(!r.contains("MC4CAQAw"));
        assert!(r.contains("INFO start") && r.contains("INFO after"));
    }
}
