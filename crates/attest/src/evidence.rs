//! Attestation evidence: what an enclave shows to prove what it is, and its byte and JSON forms.
//!
//! Evidence = one platform-specific quote ([`PlatformEvidence`]) + the [`ReportClaims`] whose
//! hash the quote carries in its 64-byte report data. The canonical byte form (see
//! `mcnode_types` encoding rules) is what travels in Noise handshake payloads; the JSON form is
//! for operators (`mcnode attest evidence` / `verify`). Decoding never trusts a length it has not
//! bounded and reports every malformed input as a typed [`EvidenceDecodeError`].
//!
//! Layout (canonical, version 2; version 1 had no `node_id` and is refused):
//! ```text
//! Evidence      = version:u8(=1) tee:u8 quote claims
//! quote (sim)   = SimQuoteBody PlatformCert signature:[64]
//! SimQuoteBody  = tee:u8(=sim) measurement:[32] signer:[32] product_id:u16 security_version:u16
//!                 debug:bool issued_at:u64 expires_at:u64 report_data:[64]
//! PlatformCert  = platform_key:[32] not_before:u64 not_after:u64 root_signature:[64]
//! ReportClaims  = noise_static:[32] block_signing_key:[32] node_id:[32]
//!                 chain_id:bytes(<=64, UTF-8) config_digest:[32] nonce:[16]
//! ```

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, encode_bytes};
use serde::{Deserialize, Serialize};

/// The only evidence layout version this build reads and writes.
pub const EVIDENCE_VERSION: u8 = 2;
/// Upper bound on an encoded evidence blob (a sim quote is ~450 bytes; DCAP quotes with
/// collateral would need this raised when that backend lands).
pub const MAX_EVIDENCE_LEN: usize = 16 * 1024;
/// Longest chain id accepted, in bytes.
pub const MAX_CHAIN_ID_LEN: u32 = 64;
/// Domain tag of the claims hash placed in the report data.
pub const CLAIMS_DOMAIN: &[u8] = b"mcnode-attest-claims-v1";

/// A trusted execution environment family. Only [`TeeType::Sim`] has evidence and a verifier in
/// this build; the others are named so that policies and the backend seam can refer to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TeeType {
    /// The SIMULATED platform of [`crate::sim`]: proves nothing against the operator.
    Sim,
    /// Intel SGX with DCAP quotes (planned backend).
    SgxDcap,
    /// Intel TDX with DCAP quotes (planned backend).
    TdxDcap,
    /// AMD SEV-SNP attestation reports (planned backend).
    SevSnp,
    /// AWS Nitro Enclaves attestation documents (planned backend).
    Nitro,
}

impl TeeType {
    /// Every tee type, in wire-tag order.
    pub const ALL: [TeeType; 5] =
        [TeeType::Sim, TeeType::SgxDcap, TeeType::TdxDcap, TeeType::SevSnp, TeeType::Nitro];

    /// Wire tag.
    pub fn tag(self) -> u8 {
        match self {
            TeeType::Sim => 1,
            TeeType::SgxDcap => 2,
            TeeType::TdxDcap => 3,
            TeeType::SevSnp => 4,
            TeeType::Nitro => 5,
        }
    }

    /// The type a wire tag names, if any.
    pub fn from_tag(tag: u8) -> Option<TeeType> {
        TeeType::ALL.into_iter().find(|t| t.tag() == tag)
    }

    /// Short name (as in configuration files).
    pub fn name(self) -> &'static str {
        match self {
            TeeType::Sim => "sim",
            TeeType::SgxDcap => "sgx-dcap",
            TeeType::TdxDcap => "tdx-dcap",
            TeeType::SevSnp => "sev-snp",
            TeeType::Nitro => "nitro",
        }
    }
}

impl std::fmt::Display for TeeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the enclave asserts about itself; the quote's report data is the hash of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportClaims {
    /// The enclave's Noise static (X25519) public key: channels must be opened to this key.
    #[serde(with = "hex_array")]
    pub noise_static: [u8; 32],
    /// The enclave's Ed25519 block-signing public key.
    #[serde(with = "hex_array")]
    pub block_signing_key: [u8; 32],
    /// The node the enclave serves: the Ed25519 message-signing public key (node id) of the
    /// host that initialised it, which proved possession of that key at `Init`. Peers bind a
    /// session to the node id they mean to reach by comparing it with this field.
    #[serde(with = "hex_array")]
    pub node_id: [u8; 32],
    /// The chain the enclave was initialised for.
    pub chain_id: String,
    /// Digest of the consensus configuration the enclave was initialised with.
    pub config_digest: Hash32,
    /// Freshness nonce chosen when the quote was requested.
    #[serde(with = "hex_array")]
    pub nonce: [u8; 16],
}

impl ReportClaims {
    /// Domain-separated hash of the claims' canonical encoding.
    pub fn digest(&self) -> Hash32 {
        Hash32::of(CLAIMS_DOMAIN, self)
    }

    /// The 64-byte report data that binds these claims: the claims hash followed by 32 zeros.
    pub fn report_data(&self) -> [u8; 64] {
        let mut rd = [0u8; 64];
        rd[..32].copy_from_slice(self.digest().as_bytes());
        rd
    }
}

impl Encode for ReportClaims {
    fn encode(&self, out: &mut Vec<u8>) {
        self.noise_static.encode(out);
        self.block_signing_key.encode(out);
        self.node_id.encode(out);
        encode_bytes(self.chain_id.as_bytes(), out);
        self.config_digest.encode(out);
        self.nonce.encode(out);
    }
}

impl Decode for ReportClaims {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let noise_static = r.array()?;
        let block_signing_key = r.array()?;
        let node_id = r.array()?;
        let chain_id = std::str::from_utf8(r.bytes(MAX_CHAIN_ID_LEN)?)
            .map_err(|_| DecodeError::Invalid { what: "chain id", reason: "not UTF-8" })?
            .to_owned();
        Ok(ReportClaims {
            noise_static,
            block_signing_key,
            node_id,
            chain_id,
            config_digest: Hash32::decode(r)?,
            nonce: r.array()?,
        })
    }
}

/// The signed body of a simulated quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimQuoteBody {
    /// Always [`TeeType::Sim`]; decoding refuses anything else.
    pub tee: TeeType,
    /// Hash of the enclave program (see `mcnode_enclave::measurement`).
    pub measurement: Hash32,
    /// Hash identifying who signed (released) the enclave program.
    pub signer: Hash32,
    /// Product id within the signer's enclaves.
    pub product_id: u16,
    /// Security version number of the program.
    pub security_version: u16,
    /// Whether the enclave runs in debug mode (its memory is readable: never trusted).
    pub debug: bool,
    /// Unix seconds when the quote was issued.
    pub issued_at: u64,
    /// Unix seconds after which the quote is no longer valid.
    pub expires_at: u64,
    /// Hash of the [`ReportClaims`] followed by zeros.
    #[serde(with = "hex_array")]
    pub report_data: [u8; 64],
}

impl SimQuoteBody {
    /// The bytes the platform key signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = b"mcnode-sim-quote-v1".to_vec();
        self.encode(&mut out);
        out
    }
}

impl Encode for SimQuoteBody {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tee.tag().encode(out);
        self.measurement.encode(out);
        self.signer.encode(out);
        self.product_id.encode(out);
        self.security_version.encode(out);
        self.debug.encode(out);
        self.issued_at.encode(out);
        self.expires_at.encode(out);
        self.report_data.encode(out);
    }
}

impl Decode for SimQuoteBody {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = u8::decode(r)?;
        if tag != TeeType::Sim.tag() {
            return Err(DecodeError::InvalidTag { what: "sim quote tee type", tag });
        }
        Ok(SimQuoteBody {
            tee: TeeType::Sim,
            measurement: Hash32::decode(r)?,
            signer: Hash32::decode(r)?,
            product_id: u16::decode(r)?,
            security_version: u16::decode(r)?,
            debug: bool::decode(r)?,
            issued_at: u64::decode(r)?,
            expires_at: u64::decode(r)?,
            report_data: r.array()?,
        })
    }
}

/// The simulated platform's certificate: the root key vouches for the platform key that signs
/// quotes, for a validity window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformCert {
    /// Ed25519 public key of the platform (quoting) key.
    #[serde(with = "hex_array")]
    pub platform_key: [u8; 32],
    /// Unix seconds from which the certificate is valid.
    pub not_before: u64,
    /// Unix seconds after which the certificate is no longer valid.
    pub not_after: u64,
    /// The root key's Ed25519 signature over [`PlatformCert::signing_bytes`].
    #[serde(with = "hex_array")]
    pub root_signature: [u8; 64],
}

impl PlatformCert {
    /// The bytes the root key signs.
    pub fn signing_bytes(platform_key: &[u8; 32], not_before: u64, not_after: u64) -> Vec<u8> {
        let mut out = b"mcnode-sim-platform-cert-v1".to_vec();
        platform_key.encode(&mut out);
        not_before.encode(&mut out);
        not_after.encode(&mut out);
        out
    }
}

impl Encode for PlatformCert {
    fn encode(&self, out: &mut Vec<u8>) {
        self.platform_key.encode(out);
        self.not_before.encode(out);
        self.not_after.encode(out);
        self.root_signature.encode(out);
    }
}

impl Decode for PlatformCert {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PlatformCert {
            platform_key: r.array()?,
            not_before: u64::decode(r)?,
            not_after: u64::decode(r)?,
            root_signature: r.array()?,
        })
    }
}

/// A quote from the simulated platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimQuote {
    /// What the platform asserts.
    pub body: SimQuoteBody,
    /// The certificate of the key that signed `body`.
    pub cert: PlatformCert,
    /// The platform key's Ed25519 signature over [`SimQuoteBody::signing_bytes`].
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl Encode for SimQuote {
    fn encode(&self, out: &mut Vec<u8>) {
        self.body.encode(out);
        self.cert.encode(out);
        self.signature.encode(out);
    }
}

impl Decode for SimQuote {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SimQuote {
            body: SimQuoteBody::decode(r)?,
            cert: PlatformCert::decode(r)?,
            signature: r.array()?,
        })
    }
}

/// The platform-specific part of evidence, one variant per backend.
///
/// Adding a hardware backend adds a variant here (for example `SgxDcap { quote, collateral }`
/// as opaque bytes for a `dcap-qvl` verifier), a tag in [`TeeType`], and a
/// [`crate::PlatformVerifier`] implementation; the policy stays as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum PlatformEvidence {
    /// A quote from the simulated platform.
    Sim(SimQuote),
}

impl PlatformEvidence {
    /// The tee family this evidence comes from.
    pub fn tee(&self) -> TeeType {
        match self {
            PlatformEvidence::Sim(_) => TeeType::Sim,
        }
    }
}

/// Evidence as shown by an enclave: a platform quote and the claims it binds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The platform quote.
    pub platform: PlatformEvidence,
    /// The claims whose hash must be the quote's report data.
    pub claims: ReportClaims,
}

/// Why bytes are not evidence this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceDecodeError {
    /// The blob exceeds [`MAX_EVIDENCE_LEN`].
    #[error("evidence is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The blob is empty.
    #[error("evidence is empty")]
    Empty,
    /// A layout version this build does not read.
    #[error("evidence version {version} is not supported (this build reads {EVIDENCE_VERSION})")]
    Version {
        /// The version byte found.
        version: u8,
    },
    /// A tee tag that names no tee type.
    #[error("unknown tee tag {tag}")]
    UnknownTee {
        /// The tag found.
        tag: u8,
    },
    /// A known tee type without a decoder in this build.
    #[error("evidence of tee type {tee} is not supported by this build")]
    UnsupportedTee {
        /// The tee type.
        tee: TeeType,
    },
    /// Malformed content.
    #[error("malformed evidence: {0}")]
    Encoding(#[from] DecodeError),
}

impl Evidence {
    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![EVIDENCE_VERSION, self.platform.tee().tag()];
        match &self.platform {
            PlatformEvidence::Sim(q) => q.encode(&mut out),
        }
        self.claims.encode(&mut out);
        out
    }

    /// Strict decoding of [`Evidence::to_bytes`] output: size bound, version, tee type, exact
    /// length (no trailing bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Evidence, EvidenceDecodeError> {
        if bytes.len() > MAX_EVIDENCE_LEN {
            return Err(EvidenceDecodeError::TooLarge { len: bytes.len(), max: MAX_EVIDENCE_LEN });
        }
        let (&version, rest) = bytes.split_first().ok_or(EvidenceDecodeError::Empty)?;
        if version != EVIDENCE_VERSION {
            return Err(EvidenceDecodeError::Version { version });
        }
        let (&tag, rest) =
            rest.split_first().ok_or(DecodeError::UnexpectedEnd { offset: 1, needed: 1 })?;
        let tee = TeeType::from_tag(tag).ok_or(EvidenceDecodeError::UnknownTee { tag })?;
        let mut r = Reader::new(rest);
        let platform = match tee {
            TeeType::Sim => PlatformEvidence::Sim(SimQuote::decode(&mut r)?),
            other => return Err(EvidenceDecodeError::UnsupportedTee { tee: other }),
        };
        let claims = ReportClaims::decode(&mut r)?;
        r.finish()?;
        Ok(Evidence { platform, claims })
    }
}

/// Serde helpers: fixed byte arrays as lowercase hex strings.
pub(crate) mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let v = hex::decode(s.as_ref()).map_err(D::Error::custom)?;
        let len = v.len();
        v.try_into().map_err(|_| {
            D::Error::custom(format_args!("expected {N} hex-encoded bytes, got {len}"))
        })
    }
}
