//! Computes the enclave measurement of this build: SHA-256 over the trusted code's sources.
//!
//! The trusted code is this crate's `src/` and `mcnode-attest`'s `src/` (the verifier runs inside
//! the enclave). Files are hashed in sorted relative-path order as
//! `len(path) || path || len(contents) || contents`, so the measurement is reproducible from a
//! source checkout on any machine and changes whenever trusted code changes. A hardware backend
//! would replace this with the platform's own measurement (MRENCLAVE, SNP launch digest, PCR0).

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            out.push((rel, p));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let crates = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Vec::new();
    for dir in ["enclave/src", "attest/src"] {
        let d = crates.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        collect(&crates, &d, &mut files);
    }
    files.sort();
    let mut h = Sha256::new();
    h.update(b"mcnode-enclave-measurement-v1");
    for (rel, path) in &files {
        let contents = fs::read(path).unwrap_or_default();
        h.update((rel.len() as u64).to_be_bytes());
        h.update(rel.as_bytes());
        h.update((contents.len() as u64).to_be_bytes());
        h.update(&contents);
    }
    let digest: [u8; 32] = h.finalize().into();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=MCNODE_ENCLAVE_MEASUREMENT={hex}");
    println!("cargo:rustc-env=MCNODE_ENCLAVE_TRUSTED_FILES={}", files.len());
}
