//! Negative tests for every verifier check and the evidence decoder. Each test asserts the
//! specific [`Failure`] its check produces, so removing the check makes the test fail.

use mcnode_types::{DecodeError, Hash32};
use proptest::prelude::*;

use crate::evidence::{EVIDENCE_VERSION, MAX_EVIDENCE_LEN};
use crate::sim::{SimPlatform, SimProgram, SimRootKey};
use crate::*;

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;
const TRUSTED_MEASUREMENT: Hash32 = Hash32([3; 32]);

struct Fx {
    root: SimRootKey,
    platform: SimPlatform,
    program: SimProgram,
    claims: ReportClaims,
}

fn fx() -> Fx {
    let root = SimRootKey::from_seed([1; 32]);
    let platform = SimPlatform::new(&root, [2; 32], NOW - DAY, NOW + 365 * DAY);
    let program = SimProgram {
        measurement: TRUSTED_MEASUREMENT,
        signer: Hash32([4; 32]),
        product_id: 1,
        security_version: 5,
        debug: false,
    };
    let claims = ReportClaims {
        noise_static: [5; 32],
        block_signing_key: [6; 32],
        node_id: [9; 32],
        chain_id: "local".into(),
        config_digest: Hash32([7; 32]),
        nonce: [8; 16],
    };
    Fx { root, platform, program, claims }
}

impl Fx {
    fn evidence(&self) -> Evidence {
        self.platform.attest(&self.program, self.claims.clone(), NOW, DAY)
    }
    fn policy(&self) -> Policy {
        Policy::simulated(
            self.root.public(),
            TrustedMeasurements::single("test", TRUSTED_MEASUREMENT),
        )
    }
    fn verifier(&self) -> Verifier {
        Verifier::new(self.policy()).with_simulation_build(true)
    }
    fn expected(&self) -> Expected {
        Expected {
            chain_id: Some(self.claims.chain_id.clone()),
            config_digest: Some(self.claims.config_digest),
            noise_static: Some(self.claims.noise_static),
        }
    }
    fn failures(&self, v: &Verifier, ev: &Evidence) -> Vec<Failure> {
        match v.verify(ev, &self.expected(), NOW) {
            Ok(_) => vec![],
            Err(r) => r.failures,
        }
    }
}

fn sim_quote(ev: &mut Evidence) -> &mut evidence::SimQuote {
    let PlatformEvidence::Sim(q) = &mut ev.platform;
    q
}

#[test]
fn genuine_evidence_is_accepted_and_normalised() {
    let f = fx();
    let ok = f.verifier().verify(&f.evidence(), &f.expected(), NOW).unwrap();
    assert_eq!(ok.claims, f.claims);
    assert_eq!(ok.platform.tee, TeeType::Sim);
    assert_eq!(ok.platform.measurement, f.program.measurement);
    assert_eq!(ok.platform.expires_at, NOW + DAY);
}

#[test]
fn wrong_measurement_refused() {
    let mut f = fx();
    f.program.measurement = Hash32([9; 32]);
    let fails = f.failures(&f.verifier(), &f.evidence());
    assert_eq!(
        fails,
        vec![Failure::MeasurementNotTrusted {
            measurement: Hash32([9; 32]),
            signer: f.program.signer,
            product_id: 1,
            security_version: 5
        }]
    );
}

#[test]
fn signer_rule_needs_product_and_minimum_version() {
    let f = fx();
    let rule = |min| TrustedMeasurements {
        current: measurements::ReleaseMeasurements {
            release: "r".into(),
            rules: vec![MeasurementRule::Signer {
                signer: f.program.signer,
                product_id: 1,
                min_security_version: min,
            }],
        },
        next: None,
    };
    let mut p = f.policy();
    p.trusted = rule(5);
    let v = Verifier::new(p.clone()).with_simulation_build(true);
    assert!(f.failures(&v, &f.evidence()).is_empty());
    p.trusted = rule(6);
    let v = Verifier::new(p).with_simulation_build(true);
    assert!(matches!(f.failures(&v, &f.evidence())[..], [Failure::MeasurementNotTrusted { .. }]));
}

#[test]
fn debug_enclave_refused() {
    let mut f = fx();
    f.program.debug = true;
    assert_eq!(f.failures(&f.verifier(), &f.evidence()), vec![Failure::DebugEnclave]);
}

#[test]
fn expired_evidence_refused() {
    let f = fx();
    let ev = f.platform.attest(&f.program, f.claims.clone(), NOW - 2 * DAY, DAY);
    assert_eq!(
        f.failures(&f.verifier(), &ev),
        vec![Failure::Expired { expires_at: NOW - DAY, now: NOW }]
    );
}

#[test]
fn future_evidence_refused_beyond_skew_only() {
    let f = fx();
    let skew = DEFAULT_MAX_FUTURE_SKEW_SECS;
    let within = f.platform.attest(&f.program, f.claims.clone(), NOW + skew, DAY);
    assert!(f.failures(&f.verifier(), &within).is_empty());
    let beyond = f.platform.attest(&f.program, f.claims.clone(), NOW + skew + 1, DAY);
    assert_eq!(
        f.failures(&f.verifier(), &beyond),
        vec![Failure::FromFuture { issued_at: NOW + skew + 1, now: NOW, skew }]
    );
}

#[test]
fn all_zero_report_data_refused() {
    let f = fx();
    let quote = f.platform.quote_raw(&f.program, [0; 64], NOW, NOW + DAY);
    let ev = Evidence { platform: PlatformEvidence::Sim(quote), claims: f.claims.clone() };
    assert!(f.failures(&f.verifier(), &ev).contains(&Failure::ReportDataAllZero));
}

#[test]
fn report_data_of_other_claims_refused() {
    let f = fx();
    let mut other = f.claims.clone();
    other.nonce = [0xee; 16];
    let quote = f.platform.quote_raw(&f.program, other.report_data(), NOW, NOW + DAY);
    let ev = Evidence { platform: PlatformEvidence::Sim(quote), claims: f.claims.clone() };
    assert_eq!(
        f.failures(&f.verifier(), &ev),
        vec![Failure::ReportDataMismatch { expected: f.claims.digest() }]
    );
    // Non-zero trailing half: the report data is hash || zeros, nothing else.
    let mut rd = f.claims.report_data();
    rd[63] = 1;
    let quote = f.platform.quote_raw(&f.program, rd, NOW, NOW + DAY);
    let ev = Evidence { platform: PlatformEvidence::Sim(quote), claims: f.claims.clone() };
    assert!(
        f.failures(&f.verifier(), &ev)
            .contains(&Failure::ReportDataMismatch { expected: f.claims.digest() })
    );
}

#[test]
fn noise_key_chain_and_config_must_be_ours() {
    let f = fx();
    let ev = f.evidence();
    let v = f.verifier();
    let mut exp = f.expected();
    exp.noise_static = Some([0xaa; 32]);
    assert_eq!(
        v.verify(&ev, &exp, NOW).unwrap_err().failures,
        vec![Failure::NoiseKeyMismatch { claimed: [5; 32], channel: [0xaa; 32] }]
    );
    let mut exp = f.expected();
    exp.chain_id = Some("main".into());
    assert_eq!(
        v.verify(&ev, &exp, NOW).unwrap_err().failures,
        vec![Failure::ChainIdMismatch { claimed: "local".into(), expected: "main".into() }]
    );
    let mut exp = f.expected();
    exp.config_digest = Some(Hash32([0xbb; 32]));
    assert_eq!(
        v.verify(&ev, &exp, NOW).unwrap_err().failures,
        vec![Failure::ConfigDigestMismatch {
            claimed: Hash32([7; 32]),
            expected: Hash32([0xbb; 32])
        }]
    );
    let a = v.assess(&ev, &Expected::default(), NOW);
    assert!(a.failures.is_empty());
    assert_eq!(a.skipped.len(), 3, "offline inspection reports the skipped comparisons");
}

#[test]
fn simulated_evidence_needs_build_feature_and_opt_in() {
    let f = fx();
    let ev = f.evidence();
    let mut p = f.policy();
    p.allow_simulated = false;
    let v = Verifier::new(p).with_simulation_build(true);
    assert_eq!(f.failures(&v, &ev), vec![Failure::SimulationNotAllowed]);
    let v = Verifier::new(f.policy()).with_simulation_build(false);
    assert_eq!(f.failures(&v, &ev), vec![Failure::SimulationNotBuilt]);
    // The real switch follows the cargo feature.
    assert_eq!(SIMULATION_BUILD, cfg!(feature = "simulated"));
    let real = Verifier::new(f.policy());
    assert_eq!(f.failures(&real, &ev).is_empty(), cfg!(feature = "simulated"));
}

#[test]
fn default_policy_refuses_simulated_evidence() {
    let f = fx();
    let anchors = f.policy().anchors;
    let trusted = TrustedMeasurements::single("t", TRUSTED_MEASUREMENT);
    let v =
        Verifier::new(Policy::new(anchors.clone(), trusted.clone())).with_simulation_build(true);
    assert_eq!(
        f.failures(&v, &f.evidence()),
        vec![Failure::TeeNotAllowed { tee: TeeType::Sim }, Failure::SimulationNotAllowed]
    );
    let opted_in = Policy::new(anchors, trusted).allowing_simulated();
    let v = Verifier::new(opted_in).with_simulation_build(true);
    assert!(f.failures(&v, &f.evidence()).is_empty());
}

#[test]
fn tee_type_must_be_allowed() {
    let f = fx();
    let mut p = f.policy();
    p.allowed_tees = vec![TeeType::SgxDcap];
    let v = Verifier::new(p).with_simulation_build(true);
    assert_eq!(f.failures(&v, &f.evidence()), vec![Failure::TeeNotAllowed { tee: TeeType::Sim }]);
}

#[test]
fn quote_outside_the_trust_anchor_refused() {
    let f = fx();
    // A platform certified by another root: genuine-looking, but not our anchor.
    let rogue_root = SimRootKey::from_seed([0x66; 32]);
    let rogue = SimPlatform::new(&rogue_root, [2; 32], NOW - DAY, NOW + DAY);
    let ev = rogue.attest(&f.program, f.claims.clone(), NOW, DAY);
    assert_eq!(f.failures(&f.verifier(), &ev), vec![Failure::UntrustedChain]);
    // No anchor configured for the type at all.
    let mut p = f.policy();
    p.anchors.clear();
    let v = Verifier::new(p).with_simulation_build(true);
    assert_eq!(f.failures(&v, &f.evidence()), vec![Failure::NoAnchor { tee: TeeType::Sim }]);
    // A genuine certificate with the quote signed by another key.
    let mut ev = f.evidence();
    let other = SimPlatform::new(&f.root, [0x77; 32], NOW - DAY, NOW + DAY);
    sim_quote(&mut ev).signature =
        other.quote_raw(&f.program, f.claims.report_data(), NOW, NOW + DAY).signature;
    assert_eq!(f.failures(&f.verifier(), &ev), vec![Failure::BadQuoteSignature]);
}

#[test]
fn tampered_quote_body_refused() {
    let f = fx();
    let mut ev = f.evidence();
    sim_quote(&mut ev).body.measurement = Hash32([0x99; 32]);
    let mut p = f.policy();
    p.trusted = TrustedMeasurements::single("t", Hash32([0x99; 32]));
    let v = Verifier::new(p).with_simulation_build(true);
    assert_eq!(f.failures(&v, &ev), vec![Failure::BadQuoteSignature]);
}

#[test]
fn platform_certificate_validity_enforced() {
    let f = fx();
    let old = SimPlatform::new(&f.root, [2; 32], NOW - 10 * DAY, NOW - DAY);
    let ev = old.attest(&f.program, f.claims.clone(), NOW, DAY);
    assert_eq!(
        f.failures(&f.verifier(), &ev),
        vec![Failure::CertificateNotValid {
            not_before: NOW - 10 * DAY,
            not_after: NOW - DAY,
            now: NOW
        }]
    );
}

#[test]
fn every_failure_is_reported_at_once() {
    let mut f = fx();
    f.program.debug = true;
    f.program.measurement = Hash32([9; 32]);
    let ev = f.platform.attest(&f.program, f.claims.clone(), NOW - 2 * DAY, DAY);
    let fails = f.failures(&f.verifier(), &ev);
    assert_eq!(fails.len(), 3, "{fails:?}");
    let msg = Refusal { failures: fails }.to_string();
    assert!(
        msg.contains("debug") && msg.contains("allow-list") && msg.contains("expired"),
        "{msg}"
    );
}

#[test]
fn decoder_round_trips_and_rejects_malformed_input() {
    let f = fx();
    let ev = f.evidence();
    let bytes = ev.to_bytes();
    assert_eq!(Evidence::from_bytes(&bytes).unwrap(), ev);
    let json = serde_json::to_string_pretty(&ev).unwrap();
    assert_eq!(serde_json::from_str::<Evidence>(&json).unwrap(), ev);
    for n in 0..bytes.len() {
        assert!(Evidence::from_bytes(&bytes[..n]).is_err(), "truncated to {n} bytes");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Evidence::from_bytes(&long),
        Err(EvidenceDecodeError::Encoding(DecodeError::TrailingBytes { count: 1 }))
    );
    let mut v = bytes.clone();
    v[0] = EVIDENCE_VERSION + 1;
    assert_eq!(
        Evidence::from_bytes(&v),
        Err(EvidenceDecodeError::Version { version: EVIDENCE_VERSION + 1 })
    );
    let mut t = bytes.clone();
    t[1] = 0xf0;
    assert_eq!(Evidence::from_bytes(&t), Err(EvidenceDecodeError::UnknownTee { tag: 0xf0 }));
    t[1] = TeeType::SgxDcap.tag();
    assert_eq!(
        Evidence::from_bytes(&t),
        Err(EvidenceDecodeError::UnsupportedTee { tee: TeeType::SgxDcap })
    );
    let mut inner = bytes.clone();
    inner[2] = TeeType::Nitro.tag();
    assert!(matches!(
        Evidence::from_bytes(&inner),
        Err(EvidenceDecodeError::Encoding(DecodeError::InvalidTag { .. }))
    ));
    assert_eq!(Evidence::from_bytes(&[]), Err(EvidenceDecodeError::Empty));
    let huge = vec![EVIDENCE_VERSION; MAX_EVIDENCE_LEN + 1];
    assert!(matches!(Evidence::from_bytes(&huge), Err(EvidenceDecodeError::TooLarge { .. })));
    assert!(serde_json::from_str::<Evidence>(&json.replace("\"sim\"", "\"nitro\"")).is_err());
}

proptest! {
    #[test]
    fn fuzz_evidence_on_random_and_mutated_input(
        b in proptest::collection::vec(any::<u8>(), 0..600),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        fuzzing::fuzz_evidence(&b);
        let mut genuine = fx().evidence().to_bytes();
        let i = at.index(genuine.len());
        genuine[i] = byte;
        fuzzing::fuzz_evidence(&genuine);
    }
}

/// Counts WARN events (a minimal subscriber: the crate does not depend on tracing-subscriber).
struct WarnCounter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        if *e.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn accepting_simulated_evidence_logs_a_warning_and_refusing_does_not() {
    let f = fx();
    let warnings = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || warnings.load(std::sync::atomic::Ordering::SeqCst);
    tracing::subscriber::with_default(WarnCounter(warnings.clone()), || {
        assert!(f.verifier().verify(&f.evidence(), &f.expected(), NOW).is_ok());
        assert_eq!(count(), 1);
        let mut exp = f.expected();
        exp.chain_id = Some("main".into());
        assert!(f.verifier().verify(&f.evidence(), &exp, NOW).is_err());
        assert_eq!(count(), 1);
    });
}
