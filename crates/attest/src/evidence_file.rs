//! Evidence files, as `mcnode attest evidence` writes them and `mcnode attest verify` reads them,
//! with ONE authority: the canonical bytes.
//!
//! The file is a JSON object with exactly four fields:
//! ```text
//! { "simulated": bool,            // true iff the canonical evidence's tee type is `sim`
//!   "warning": string | null,     // SIM_WARNING for simulated evidence, null otherwise
//!   "evidence": { ... },          // the decoded view, for people to read
//!   "evidence_hex": "0101..." }   // the canonical bytes: what is verified
//! ```
//! [`read_evidence_file`] decodes `evidence_hex` strictly and then requires every other part to
//! be exactly what those bytes imply: the view must equal the JSON form of the decoded bytes
//! field by field, the flags must match the tee type. A file whose parts disagree, that lacks a
//! field, or that holds a field nobody wrote is refused with the path of the field (for example
//! `evidence.claims.chain_id`), so nothing in the file can say something the verified bytes do
//! not. Also accepted: the canonical bytes alone (raw or hex), and a bare `evidence` object
//! (its only authority is itself; it must re-encode to canonical bytes that decode back to it).

use serde_json::{Map, Value};

use crate::evidence::{Evidence, EvidenceDecodeError, TeeType};

/// The warning written beside (and required with) simulated evidence.
pub const SIM_WARNING: &str = "SIMULATED attestation: the simulated platform's keys are public or \
    operator-held; this evidence proves nothing against the node operator";

/// Field names of an evidence file, in the order they are written.
const FIELDS: [&str; 4] = ["simulated", "warning", "evidence", "evidence_hex"];

/// Why an evidence file was not accepted as evidence.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceFileError {
    /// Text that starts like JSON but does not parse.
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON that is not an object.
    #[error("JSON evidence must be an object")]
    NotAnObject,
    /// The canonical bytes (the file itself, or its `evidence_hex`) are not evidence.
    #[error("{field} is not canonical evidence: {source}")]
    Canonical {
        /// Where the bytes came from (`evidence_hex`, or `file`).
        field: &'static str,
        /// Why they do not decode.
        #[source]
        source: EvidenceDecodeError,
    },
    /// `evidence_hex` is not a string of hex digits.
    #[error("field `evidence_hex` is not a hex string")]
    NotHex,
    /// A field the file must have is absent.
    #[error("missing field `{field}`")]
    MissingField {
        /// Path of the field.
        field: String,
    },
    /// A field no evidence file has.
    #[error("unknown field `{field}`")]
    UnknownField {
        /// Path of the field.
        field: String,
    },
    /// A field that says something the canonical bytes do not.
    #[error(
        "field `{field}` disagrees with the canonical bytes (`evidence_hex`): the file says {found}, the bytes say {canonical}"
    )]
    Disagrees {
        /// Path of the field.
        field: String,
        /// What the file holds (JSON, shortened).
        found: String,
        /// What the canonical bytes imply (JSON, shortened).
        canonical: String,
    },
    /// A bare evidence object that is not evidence (wrong types, unknown fields).
    #[error("not an evidence object: {0}")]
    View(#[source] serde_json::Error),
}

impl EvidenceFileError {
    /// True when the input is not evidence in any accepted form (nothing to refuse yet);
    /// false when it is an evidence file whose parts are refused.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            EvidenceFileError::Json(_)
                | EvidenceFileError::NotAnObject
                | EvidenceFileError::Canonical { .. }
        )
    }
}

/// The evidence file for `ev` (see the module doc), as a JSON value.
pub fn evidence_file(ev: &Evidence) -> Value {
    let simulated = ev.platform.tee() == TeeType::Sim;
    let mut m = Map::new();
    m.insert("simulated".into(), Value::Bool(simulated));
    m.insert("warning".into(), if simulated { SIM_WARNING.into() } else { Value::Null });
    m.insert("evidence".into(), view(ev));
    m.insert("evidence_hex".into(), Value::String(hex::encode(ev.to_bytes())));
    Value::Object(m)
}

fn view(ev: &Evidence) -> Value {
    // Serializing these plain structs cannot fail; Null would then fail every comparison.
    serde_json::to_value(ev).unwrap_or(Value::Null)
}

/// Reads evidence from the bytes of a file: an evidence file (JSON, see the module doc), a bare
/// evidence object, or the canonical bytes (hex or raw). What is returned is always decoded
/// from canonical bytes.
pub fn read_evidence_file(bytes: &[u8]) -> Result<Evidence, EvidenceFileError> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(t) = text.filter(|t| t.starts_with('{')) {
        let v: Value = serde_json::from_str(t).map_err(EvidenceFileError::Json)?;
        let Value::Object(m) = v else { return Err(EvidenceFileError::NotAnObject) };
        return if FIELDS.iter().any(|f| m.contains_key(*f)) {
            from_file(&m)
        } else {
            from_view(m)
        };
    }
    if let Some(t) = text
        && let Ok(raw) = hex::decode(t)
    {
        return canonical("file", &raw);
    }
    canonical("file", bytes)
}

fn canonical(field: &'static str, bytes: &[u8]) -> Result<Evidence, EvidenceFileError> {
    Evidence::from_bytes(bytes).map_err(|source| EvidenceFileError::Canonical { field, source })
}

fn from_file(m: &Map<String, Value>) -> Result<Evidence, EvidenceFileError> {
    let hex_field = m
        .get("evidence_hex")
        .ok_or_else(|| EvidenceFileError::MissingField { field: "evidence_hex".into() })?;
    let raw =
        hex_field.as_str().and_then(|s| hex::decode(s).ok()).ok_or(EvidenceFileError::NotHex)?;
    let ev = canonical("evidence_hex", &raw)?;
    let expected = evidence_file(&ev);
    // `evidence_hex` is compared too: the canonical form is lowercase hex.
    first_difference("", &Value::Object(m.clone()), &expected)?;
    Ok(ev)
}

fn from_view(m: Map<String, Value>) -> Result<Evidence, EvidenceFileError> {
    let v = Value::Object(m);
    let ev: Evidence = serde_json::from_value(v.clone()).map_err(EvidenceFileError::View)?;
    // Verify the canonical bytes of what the object says (e.g. a chain id too long to encode
    // is refused here), and require the object to be exactly their view.
    let ev = canonical("evidence (re-encoded)", &ev.to_bytes())?;
    first_difference("", &v, &view(&ev))?;
    Ok(ev)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

/// The first place where `found` (from the file) differs from `expected` (implied by the
/// canonical bytes), as an error naming its path.
fn first_difference(path: &str, found: &Value, expected: &Value) -> Result<(), EvidenceFileError> {
    match (found, expected) {
        (Value::Object(f), Value::Object(e)) => {
            if let Some(k) = f.keys().find(|k| !e.contains_key(*k)) {
                return Err(EvidenceFileError::UnknownField { field: join(path, k) });
            }
            for (k, ev) in e {
                let fv = f
                    .get(k)
                    .ok_or_else(|| EvidenceFileError::MissingField { field: join(path, k) })?;
                first_difference(&join(path, k), fv, ev)?;
            }
            Ok(())
        }
        (Value::Array(f), Value::Array(e)) if f.len() == e.len() => {
            for (i, (fv, ev)) in f.iter().zip(e).enumerate() {
                first_difference(&join(path, &i.to_string()), fv, ev)?;
            }
            Ok(())
        }
        _ if found == expected => Ok(()),
        _ => Err(EvidenceFileError::Disagrees {
            field: path.to_owned(),
            found: short(found),
            canonical: short(expected),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReportClaims;
    use crate::sim::{SimPlatform, SimProgram, SimRootKey};
    use mcnode_types::Hash32;

    fn evidence(chain_id: &str, debug: bool) -> Evidence {
        let root = SimRootKey::from_seed([1; 32]);
        let platform = SimPlatform::new(&root, [2; 32], 0, u64::MAX);
        let program = SimProgram {
            measurement: Hash32([3; 32]),
            signer: Hash32([4; 32]),
            product_id: 1,
            security_version: 5,
            debug,
        };
        let claims = ReportClaims {
            noise_static: [5; 32],
            block_signing_key: [6; 32],
            node_id: [9; 32],
            chain_id: chain_id.into(),
            config_digest: Hash32([7; 32]),
            nonce: [8; 16],
        };
        platform.attest(&program, claims, 1_000, 86_400)
    }

    fn read(v: &Value) -> Result<Evidence, EvidenceFileError> {
        read_evidence_file(v.to_string().as_bytes())
    }

    fn disagreeing_field(r: Result<Evidence, EvidenceFileError>) -> String {
        match r {
            Err(EvidenceFileError::Disagrees { field, .. }) => field,
            other => panic!("expected a disagreement, got {other:?}"),
        }
    }

    #[test]
    fn every_accepted_form_yields_the_canonical_evidence() {
        let ev = evidence("local", false);
        let file = evidence_file(&ev);
        assert_eq!(read(&file).unwrap(), ev);
        assert_eq!(read(&file["evidence"]).unwrap(), ev);
        assert_eq!(read_evidence_file(hex::encode(ev.to_bytes()).as_bytes()).unwrap(), ev);
        assert_eq!(read_evidence_file(&ev.to_bytes()).unwrap(), ev);
    }

    /// A debug enclave's bytes beside a production enclave's view: the view is refused at the
    /// field that differs, so the bytes are never mistaken for what the view shows.
    #[test]
    fn the_view_must_be_what_the_bytes_say() {
        let mut file = evidence_file(&evidence("local", false));
        let debug = evidence("local", true);
        file["evidence_hex"] = Value::String(hex::encode(debug.to_bytes()));
        assert_eq!(disagreeing_field(read(&file)), "evidence.platform.sim.body.debug");

        let mut file = evidence_file(&evidence("local", false));
        file["evidence"]["claims"]["chain_id"] = "main".into();
        assert_eq!(disagreeing_field(read(&file)), "evidence.claims.chain_id");

        // The hex itself is compared in its canonical (lowercase) form.
        let mut file = evidence_file(&evidence("local", false));
        let upper = file["evidence_hex"].as_str().unwrap().to_uppercase();
        file["evidence_hex"] = Value::String(upper);
        assert_eq!(disagreeing_field(read(&file)), "evidence_hex");
    }

    #[test]
    fn the_flags_must_be_what_the_bytes_say() {
        let file = evidence_file(&evidence("local", false));
        let mut f = file.clone();
        f["simulated"] = Value::Bool(false);
        assert_eq!(disagreeing_field(read(&f)), "simulated");
        let mut f = file.clone();
        f["warning"] = Value::Null;
        assert_eq!(disagreeing_field(read(&f)), "warning");
        let mut f = file;
        f.as_object_mut().unwrap().remove("simulated");
        assert!(
            matches!(read(&f), Err(EvidenceFileError::MissingField { field }) if field == "simulated")
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_refused_by_path() {
        let file = evidence_file(&evidence("local", false));
        let mut f = file.clone();
        f["evidence"]["platform"]["sim"]["extra"] = Value::Null;
        assert!(matches!(read(&f),
            Err(EvidenceFileError::UnknownField { field }) if field == "evidence.platform.sim.extra"));
        let mut f = file.clone();
        f["evidence"]["claims"].as_object_mut().unwrap().remove("nonce");
        assert!(matches!(read(&f),
            Err(EvidenceFileError::MissingField { field }) if field == "evidence.claims.nonce"));
        let mut f = file.clone();
        f.as_object_mut().unwrap().remove("evidence_hex");
        assert!(matches!(read(&f),
            Err(EvidenceFileError::MissingField { field }) if field == "evidence_hex"));
        let mut f = file;
        f["evidence_hex"] = "zz".into();
        assert!(matches!(read(&f), Err(EvidenceFileError::NotHex)));
    }

    proptest::proptest! {
        /// Arbitrary bytes, and a genuine file with one byte changed, never panic the reader,
        /// and whatever it accepts is canonical evidence.
        #[test]
        fn reading_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
                                at in 0usize..4000, to in proptest::num::u8::ANY) {
            if let Ok(ev) = read_evidence_file(&bytes) {
                proptest::prop_assert_eq!(Evidence::from_bytes(&ev.to_bytes()), Ok(ev));
            }
            let mut file = evidence_file(&evidence("local", false)).to_string().into_bytes();
            let at = at % file.len();
            file[at] = to;
            if let Ok(ev) = read_evidence_file(&file) {
                proptest::prop_assert_eq!(Evidence::from_bytes(&ev.to_bytes()), Ok(ev));
            }
        }
    }

    #[test]
    fn a_bare_view_must_encode_canonically() {
        let mut view = evidence_file(&evidence("local", false))["evidence"].clone();
        view["claims"]["chain_id"] = Value::String("x".repeat(65));
        let r = read(&view);
        assert!(
            matches!(&r, Err(EvidenceFileError::Canonical { field: "evidence (re-encoded)", .. })),
            "{r:?}"
        );
        assert!(r.is_err_and(|e| e.is_unreadable()));
        view["claims"]["chain_id"] = "local".into();
        view["claims"]["extra"] = Value::Null;
        assert!(matches!(read(&view), Err(EvidenceFileError::View(_))));
    }
}
