//! Measurement allow-lists: which enclave programs a verifier trusts.
//!
//! A `trusted-measurements` file (TOML) lists the current release and, during an upgrade, the
//! next one, so that nodes and clients accept both while operators roll over:
//!
//! ```toml
//! [current]
//! release = "0.1.0"
//! measurements = ["<64 hex chars>"]          # exact enclave measurements
//! signers = [{ signer = "<64 hex>", product_id = 1, min_security_version = 1 }]
//!
//! [next]                                      # optional
//! release = "0.2.0"
//! measurements = ["<64 hex chars>"]
//! ```
//!
//! A release needs at least one rule. With no file, the allow-list is the measurement of the
//! enclave built with this release ([`TrustedMeasurements::single`]).

use std::path::{Path, PathBuf};

use mcnode_types::Hash32;
use serde::Deserialize;

/// One way of trusting an enclave program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasurementRule {
    /// Exactly this measurement.
    Exact(Hash32),
    /// Any program by `signer` with `product_id` and a security version of at least
    /// `min_security_version`.
    Signer {
        /// Signer hash.
        signer: Hash32,
        /// Product id.
        product_id: u16,
        /// Lowest accepted security version.
        min_security_version: u16,
    },
}

impl MeasurementRule {
    /// Whether a program with these properties satisfies the rule.
    pub fn allows(&self, measurement: &Hash32, signer: &Hash32, product_id: u16, svn: u16) -> bool {
        match self {
            MeasurementRule::Exact(m) => m == measurement,
            MeasurementRule::Signer { signer: s, product_id: p, min_security_version } => {
                s == signer && *p == product_id && svn >= *min_security_version
            }
        }
    }
}

/// The rules of one release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseMeasurements {
    /// Release name (informational).
    pub release: String,
    /// Its rules; never empty.
    pub rules: Vec<MeasurementRule>,
}

/// The allow-list: current release plus an optional next release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedMeasurements {
    /// The release running now.
    pub current: ReleaseMeasurements,
    /// The release being rolled out, if any.
    pub next: Option<ReleaseMeasurements>,
}

/// Why a trusted-measurements file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MeasurementsError {
    /// The file could not be read.
    #[error("cannot read trusted-measurements file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML of the expected shape.
    #[error("trusted-measurements file is malformed: {source}")]
    Parse {
        /// The parser's error.
        #[from]
        source: toml::de::Error,
    },
    /// A release section with no rule would trust nothing (or, worse, be read as "anything").
    #[error("release section [{section}] lists no measurement and no signer")]
    EmptyRelease {
        /// `current` or `next`.
        section: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRelease {
    release: String,
    #[serde(default)]
    measurements: Vec<Hash32>,
    #[serde(default)]
    signers: Vec<FileSigner>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSigner {
    signer: Hash32,
    product_id: u16,
    min_security_version: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    current: FileRelease,
    next: Option<FileRelease>,
}

impl FileRelease {
    fn into_release(self, section: &'static str) -> Result<ReleaseMeasurements, MeasurementsError> {
        let mut rules: Vec<MeasurementRule> =
            self.measurements.into_iter().map(MeasurementRule::Exact).collect();
        rules.extend(self.signers.into_iter().map(|s| MeasurementRule::Signer {
            signer: s.signer,
            product_id: s.product_id,
            min_security_version: s.min_security_version,
        }));
        if rules.is_empty() {
            return Err(MeasurementsError::EmptyRelease { section });
        }
        Ok(ReleaseMeasurements { release: self.release, rules })
    }
}

impl TrustedMeasurements {
    /// Trust exactly one measurement (the default: the enclave built with this release).
    pub fn single(release: &str, measurement: Hash32) -> TrustedMeasurements {
        TrustedMeasurements {
            current: ReleaseMeasurements {
                release: release.to_owned(),
                rules: vec![MeasurementRule::Exact(measurement)],
            },
            next: None,
        }
    }

    /// Parses the TOML form described in the module documentation.
    pub fn parse_toml(text: &str) -> Result<TrustedMeasurements, MeasurementsError> {
        let file: File = toml::from_str(text)?;
        Ok(TrustedMeasurements {
            current: file.current.into_release("current")?,
            next: file.next.map(|n| n.into_release("next")).transpose()?,
        })
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<TrustedMeasurements, MeasurementsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| MeasurementsError::Read { path: path.to_owned(), source })?;
        TrustedMeasurements::parse_toml(&text)
    }

    /// Every rule of the current and next release.
    pub fn rules(&self) -> impl Iterator<Item = &MeasurementRule> {
        self.current.rules.iter().chain(self.next.iter().flat_map(|n| n.rules.iter()))
    }

    /// Whether any rule allows the program.
    pub fn allows(&self, measurement: &Hash32, signer: &Hash32, product_id: u16, svn: u16) -> bool {
        self.rules().any(|r| r.allows(measurement, signer, product_id, svn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> Hash32 {
        Hash32([b; 32])
    }

    #[test]
    fn parses_current_and_next() {
        let text = format!(
            "[current]\nrelease = \"0.1.0\"\nmeasurements = [\"{}\"]\n\
             [next]\nrelease = \"0.2.0\"\nsigners = [{{ signer = \"{}\", product_id = 7, \
             min_security_version = 3 }}]\n",
            h(1),
            h(2)
        );
        let t = TrustedMeasurements::parse_toml(&text).unwrap();
        assert!(t.allows(&h(1), &h(9), 0, 0), "current release measurement");
        assert!(t.allows(&h(5), &h(2), 7, 3), "next release signer at min version");
        assert!(t.allows(&h(5), &h(2), 7, 4), "next release signer above min version");
        assert!(!t.allows(&h(5), &h(2), 7, 2), "security version below the minimum");
        assert!(!t.allows(&h(5), &h(2), 8, 3), "other product of the same signer");
        assert!(!t.allows(&h(5), &h(3), 7, 3), "other signer");
        assert!(!t.allows(&h(4), &h(9), 0, 0), "unlisted measurement");
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        let empty = "[current]\nrelease = \"x\"\n";
        assert!(matches!(
            TrustedMeasurements::parse_toml(empty),
            Err(MeasurementsError::EmptyRelease { section: "current" })
        ));
        let bad_hex = "[current]\nrelease = \"x\"\nmeasurements = [\"zz\"]\n";
        assert!(matches!(
            TrustedMeasurements::parse_toml(bad_hex),
            Err(MeasurementsError::Parse { .. })
        ));
        let unknown =
            format!("[current]\nrelease = \"x\"\nmeasurements = [\"{}\"]\nfoo = 1\n", h(1));
        assert!(matches!(
            TrustedMeasurements::parse_toml(&unknown),
            Err(MeasurementsError::Parse { .. })
        ));
        assert!(matches!(
            TrustedMeasurements::load(Path::new("/nonexistent/trusted-measurements.toml")),
            Err(MeasurementsError::Read { .. })
        ));
    }

    #[test]
    fn single_trusts_only_that_measurement() {
        let t = TrustedMeasurements::single("0.1.0", h(1));
        assert!(t.allows(&h(1), &h(0), 0, 0));
        assert!(!t.allows(&h(2), &h(0), 0, 0));
    }
}
