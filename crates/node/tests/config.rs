//! The node configuration: schema errors with paths and lines, overrides, semantic rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::Path;

use mcnode_node::config::{
    self, ConfigError, EnclaveBackend, Invalid, LogFormat, OverrideProblem, Overrides, Problem,
    ValueSource, overrides,
};
use mcnode_scp::QuorumSetError;
use mcnode_types::NodeId;

fn id(i: u8) -> NodeId {
    NodeId([i; 32])
}

const RECIPIENT: &str = "mcd4EE2tGG6i3qbDJFua5WLaQbUMooRK25sCkEU18ekwbuLWf9967kGpjUwjC2BHR1pwme1nft9sYJuJjTVrGfdu4LxN3HwfYo";

/// A valid configuration of node 1 with peers 2, 3, 4 (quorum set: 2 of them).
fn base() -> String {
    format!(
        r#"chain_id = "local"
peer_listen = "127.0.0.1:8443"
client_listen = "127.0.0.1:3223"
admin_listen = "127.0.0.1:9090"

[keys]
message_signing_key = "keys/message-signing.key"
sealed_block_signing_key = "keys/block-signing.sealed"

[[peers]]
id = "{p2}"
address = "127.0.0.1:8444"

[[peers]]
id = "{p3}"
address = "127.0.0.1:8445"

[[peers]]
id = "{p4}"
address = "127.0.0.1:8446"

[quorum_set]
threshold = 2
validators = ["{p2}", "{p3}", "{p4}"]

[ledger]
path = "ledger"
origin = "/etc/mcnode/origin.json"

[fees]
minimum = {{ "0" = 400 }}
recipient = "{RECIPIENT}"
"#,
        p2 = id(2),
        p3 = id(3),
        p4 = id(4),
    )
}

fn parse(text: &str) -> Result<config::Loaded, ConfigError> {
    config::parse(text, &Overrides::default(), Path::new("/srv/node1"))
}

fn problems(text: &str) -> Vec<Invalid> {
    parse(text).unwrap().problems(Some(id(1)))
}

fn schema_error(text: &str) -> (String, ValueSource, String) {
    match parse(text) {
        Err(ConfigError::Schema { path, at, message }) => (path, at, message),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn valid_config_parses_with_documented_defaults_and_resolved_paths() {
    let l = parse(&base()).unwrap();
    assert_eq!(l.problems(Some(id(1))), vec![]);
    let c = &l.config;
    assert_eq!(c.consensus.block_interval().as_millis(), 5000);
    assert_eq!(c.pool.pending_limit, 500);
    assert_eq!(c.pool.max_values_per_slot, 100);
    assert_eq!(c.enclave.backend, EnclaveBackend::Process);
    assert!(!c.enclave.attestation.allow_simulated);
    assert_eq!(c.log.format, LogFormat::Text);
    assert_eq!(c.consensus.scp_config(), mcnode_scp::ScpConfig::default());
    assert_eq!(c.keys.message_signing_key, Path::new("/srv/node1/keys/message-signing.key"));
    assert_eq!(c.ledger.path, Path::new("/srv/node1/ledger"));
    assert_eq!(c.ledger.origin, Path::new("/etc/mcnode/origin.json"));
    assert_eq!(c.fees.minimum_fees(), vec![(0, 400)]);
    assert_eq!(c.quorum_set.to_quorum_set().threshold, 2);
    assert_eq!(l.source_of("pool.pending_limit"), ValueSource::Default);
    assert_eq!(l.source_of("chain_id"), ValueSource::File { line: Some(1) });
}

#[test]
fn unknown_field_is_refused_with_its_path_and_line() {
    let text = base().replace("[ledger]\n", "[ledger]\npaht = \"x\"\n");
    let (path, at, message) = schema_error(&text);
    assert_eq!(path, "ledger.paht");
    let line = text.lines().position(|l| l.starts_with("paht")).unwrap() + 1;
    assert_eq!(at, ValueSource::File { line: Some(line) });
    assert!(message.contains("unknown field"), "{message}");
    // Also at the top level and in defaulted tables.
    let (path, ..) = schema_error(&format!("chainid = \"x\"\n{}", base()));
    assert_eq!(path, "chainid");
    let (path, ..) = schema_error(&format!("{}\n[pool]\npending = 3\n", base()));
    assert_eq!(path, "pool.pending");
}

#[test]
fn nested_quorum_set_error_names_path_and_line() {
    let text = base().replace(
        "validators = [\"",
        "inner = [{ threshold = 1, validators = [] }, { threshold = \"two\", validators = [] }]\nvalidators = [\"",
    );
    let (path, at, message) = schema_error(&text);
    assert_eq!(path, "quorum_set.inner[1].threshold");
    let line = text.lines().position(|l| l.starts_with("inner")).unwrap() + 1;
    assert_eq!(at, ValueSource::File { line: Some(line) });
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn bad_node_id_names_the_peer_entry() {
    let text = base().replace(&format!("id = \"{}\"", id(3)), "id = \"GBADKEY\"");
    let (path, at, _) = schema_error(&text);
    assert_eq!(path, "peers[1].id");
    let line = text.lines().position(|l| l == "id = \"GBADKEY\"").unwrap() + 1;
    assert_eq!(at, ValueSource::File { line: Some(line) });
}

#[test]
fn missing_required_field_is_named() {
    let text = base().replace("chain_id = \"local\"\n", "");
    let (path, _, message) = schema_error(&text);
    assert_eq!(path, "chain_id");
    assert!(message.contains("missing field"), "{message}");
    let (path, ..) = schema_error(&base().replace("origin = \"/etc/mcnode/origin.json\"\n", ""));
    assert_eq!(path, "ledger.origin");
}

#[test]
fn toml_syntax_error_has_a_line() {
    let text = base().replace("[ledger]", "[ledger");
    match parse(&text) {
        Err(ConfigError::Syntax { line: Some(l), .. }) => {
            assert_eq!(l, text.lines().position(|l| l == "[ledger").unwrap() + 1)
        }
        other => panic!("{other:?}"),
    }
}

fn env(vars: &[(&str, &str)]) -> Result<Overrides, ConfigError> {
    Overrides::from_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn environment_overrides_fields_and_errors_name_the_variable() {
    let o = env(&[
        ("MCNODE_CHAIN_ID", "prod-1"),
        ("MCNODE_PEER_LISTEN", "0.0.0.0:9443"),
        ("MCNODE_CONSENSUS_BLOCK_INTERVAL_MS", "1000"),
        ("MCNODE_FEES_MINIMUM", "{ \"0\" = 1024, \"1\" = 128 }"),
        ("MCNODE_ENCLAVE_ATTESTATION_ALLOW_SIMULATED", "true"),
        ("PATH", "/bin"),
    ])
    .unwrap();
    let l = config::parse(&base(), &o, Path::new("/")).unwrap();
    assert_eq!(l.config.chain_id, "prod-1");
    assert_eq!(l.config.peer_listen.to_string(), "0.0.0.0:9443");
    assert_eq!(l.config.consensus.block_interval_ms, 1000);
    assert_eq!(l.config.fees.minimum_fees(), vec![(0, 1024), (1, 128)]);
    assert!(l.config.enclave.attestation.allow_simulated);
    assert_eq!(l.source_of("chain_id"), ValueSource::Env { var: "MCNODE_CHAIN_ID".into() });

    let o = env(&[("MCNODE_PEER_LISTEN", "localhost")]).unwrap();
    match config::parse(&base(), &o, Path::new("/")) {
        Err(ConfigError::Schema { path, at, .. }) => {
            assert_eq!(path, "peer_listen");
            assert_eq!(at, ValueSource::Env { var: "MCNODE_PEER_LISTEN".into() });
        }
        other => panic!("{other:?}"),
    }
    match env(&[("MCNODE_CHAIN_IDD", "x")]) {
        Err(ConfigError::Override { problem: OverrideProblem::UnknownEnv, source_of }) => {
            assert_eq!(source_of, ValueSource::Env { var: "MCNODE_CHAIN_IDD".into() })
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        env(&[("MCNODE_POOL_PENDING_LIMIT", "lots")]),
        Err(ConfigError::Override { problem: OverrideProblem::NotAnInteger { .. }, .. })
    ));
    // MCNODE_CONFIG names the file for the command line; it is not a field.
    assert_eq!(env(&[("MCNODE_CONFIG", "/x.toml")]).unwrap(), Overrides::default());
}

#[test]
fn every_field_has_one_distinct_environment_variable() {
    let names: std::collections::BTreeSet<String> =
        overrides::FIELDS.iter().map(|(p, _)| overrides::env_var_for(p)).collect();
    assert_eq!(names.len(), overrides::FIELDS.len());
    assert!(names.contains("MCNODE_CHAIN_ID"));
    assert!(names.contains("MCNODE_PEER_LISTEN"));
}

#[test]
fn set_flags_reach_nested_fields_and_win_over_the_environment() {
    let text = base().replace(
        "validators = [\"",
        "inner = [{ threshold = 1, validators = [] }]\nvalidators = [\"",
    );
    let mut o = env(&[("MCNODE_CHAIN_ID", "from-env")]).unwrap();
    o.push_set("chain_id=from-flag").unwrap();
    o.push_set("quorum_set.inner[0].threshold=5").unwrap();
    let l = config::parse(&text, &o, Path::new("/")).unwrap();
    assert_eq!(l.config.chain_id, "from-flag");
    assert_eq!(l.config.quorum_set.inner[0].threshold, 5);
    let p = l.problems(Some(id(1)));
    assert_eq!(p[0].path, "quorum_set.inner[0].threshold");
    assert_eq!(p[0].at, ValueSource::Flag { arg: "quorum_set.inner[0].threshold=5".into() });
    assert!(matches!(
        p[0].problem,
        Problem::QuorumSet(QuorumSetError::ThresholdAboveEntries { depth: 1, .. })
    ));

    let mut o = Overrides::default();
    assert!(matches!(
        o.push_set("chain_id"),
        Err(ConfigError::Override { problem: OverrideProblem::NoEquals, .. })
    ));
    assert!(matches!(
        o.push_set("a..b=1"),
        Err(ConfigError::Override { problem: OverrideProblem::BadPath { .. }, .. })
    ));
    o.push_set("peers[7].id=x").unwrap();
    assert!(matches!(
        config::parse(&base(), &o, Path::new("/")),
        Err(ConfigError::Override { problem: OverrideProblem::Unreachable { .. }, .. })
    ));
}

fn only(p: Vec<Invalid>) -> Invalid {
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

#[test]
fn quorum_set_structure_errors_point_at_the_offending_set() {
    // Duplicate validator, in an inner set.
    let text = base().replace(
        "validators = [\"",
        &format!("inner = [{{ threshold = 1, validators = [\"{}\"] }}]\nvalidators = [\"", id(3)),
    );
    let p = only(problems(&text));
    assert_eq!(p.path, "quorum_set.inner[0].validators[0]");
    assert_eq!(p.problem, Problem::QuorumSet(QuorumSetError::DuplicateValidator { node: id(3) }));
    // Zero threshold at the top.
    let p = only(problems(&base().replace("threshold = 2", "threshold = 0")));
    assert_eq!(p.path, "quorum_set.threshold");
    assert_eq!(p.problem, Problem::QuorumSet(QuorumSetError::ZeroThreshold { depth: 0 }));
}

#[test]
fn unsafe_quorum_set_is_refused_unless_allowed() {
    let text = base().replace("threshold = 2", "threshold = 1");
    let p = problems(&text);
    assert!(!p.is_empty());
    assert!(p.iter().all(|i| matches!(i.problem, Problem::UnsafeQuorumSet(_))), "{p:#?}");
    assert!(p.iter().all(|i| i.path == "quorum_set.threshold"));
    let allowed = format!("{text}\n[consensus]\nunsafe_quorum = true\n");
    assert_eq!(problems(&allowed), vec![]);
}

#[test]
fn every_validator_must_be_a_peer_or_this_node() {
    // Node 1 (this node) may be in its own quorum set; node 9 is nobody's peer.
    let text = base().replace(
        &format!("validators = [\"{}\"", id(2)),
        &format!("validators = [\"{}\", \"{}\", \"{}\"", id(1), id(9), id(2)),
    );
    let text = text.replace("threshold = 2", "threshold = 4");
    let p = only(problems(&text));
    assert_eq!(p.path, "quorum_set.validators[1]");
    assert_eq!(p.problem, Problem::ValidatorNotAPeer { node: id(9) });
}

#[test]
fn peer_rules() {
    let text = base().replace(&format!("id = \"{}\"", id(4)), &format!("id = \"{}\"", id(1)));
    let p = problems(&text);
    assert_eq!(p[0].path, "peers[2].id");
    assert_eq!(p[0].problem, Problem::PeerIsSelf { node: id(1) });
    let text = base().replace(&format!("id = \"{}\"", id(4)), &format!("id = \"{}\"", id(3)));
    let p = problems(&text);
    assert_eq!(p[0].problem, Problem::DuplicatePeer { node: id(3) });
    let p = only(problems(&base().replace("127.0.0.1:8445", "127.0.0.1")));
    assert_eq!(p.path, "peers[1].address");
    assert!(matches!(p.problem, Problem::PeerAddress { .. }));
    for bad in ["http://127.0.0.1:8445", "127.0.0.1:0", ":8445", "h:99999"] {
        let p = only(problems(&base().replace("127.0.0.1:8445", bad)));
        assert!(matches!(p.problem, Problem::PeerAddress { .. }), "{bad}");
    }
    assert_eq!(problems(&base().replace("127.0.0.1:8445", "node2.example.org:8445")), vec![]);
    assert_eq!(problems(&base().replace("127.0.0.1:8445", "[::1]:8445")), vec![]);
}

#[test]
fn listen_addresses_must_differ() {
    let p = only(problems(&base().replace("127.0.0.1:9090", "0.0.0.0:3223")));
    assert_eq!(p.path, "admin_listen");
    assert_eq!(p.problem, Problem::ListenClash { other: "client_listen" });
}

#[test]
fn fee_rules() {
    let p = only(problems(&base().replace("{ \"0\" = 400 }", "{ \"0\" = 0 }")));
    assert_eq!((p.path.as_str(), p.problem), ("fees.minimum.0", Problem::ZeroFee));
    let p = only(problems(&base().replace("{ \"0\" = 400 }", "{ \"0\" = 400, mob = 1 }")));
    assert_eq!(p.problem, Problem::BadTokenId { key: "mob".into() });
    let p = only(problems(&base().replace("{ \"0\" = 400 }", "{}")));
    assert_eq!(p.problem, Problem::NoMinimumFees);
    let (path, ..) = schema_error(&base().replace(RECIPIENT, "mcdNOTANADDRESS"));
    assert_eq!(path, "fees.recipient");
}

#[test]
fn number_and_attestation_rules() {
    let t = format!("{}\n[consensus]\nmax_timeout_ms = 10\n[pool]\npending_limit = 0\n", base());
    let p = problems(&t);
    let paths: Vec<_> = p.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        ["consensus.max_timeout_ms", "consensus.max_timeout_ms", "pool.pending_limit"]
    );
    assert_eq!(p[2].problem, Problem::Zero);
    let line = t.lines().position(|l| l.starts_with("pending_limit")).unwrap() + 1;
    assert_eq!(p[2].at, ValueSource::File { line: Some(line) });
    let t = format!("{}\n[consensus]\nclock_rate_percent = 0\n", base());
    let i = only(problems(&t));
    assert_eq!((i.path.as_str(), i.problem), ("consensus.clock_rate_percent", Problem::Zero));
    let t = format!("{}\n[consensus]\nclock_rate_percent = 1001\n", base());
    assert_eq!(only(problems(&t)).problem, Problem::TooLarge { value: 1001, max: 1000 });
    let t = format!("{}\n[pool]\nmax_values_per_slot = 70000\n", base());
    assert!(matches!(only(problems(&t)).problem, Problem::TooLarge { max: 65536, .. }));
    let t = format!("{}\n[pool]\ncheck_linger_ms = 501\n", base());
    let i = only(problems(&t));
    assert_eq!(
        (i.path.as_str(), i.problem),
        ("pool.check_linger_ms", Problem::TooLarge { value: 501, max: 500 })
    );
    let t = format!("{}\n[pool]\ncheck_linger_ms = 500\n", base());
    assert_eq!(parse(&t).unwrap().config.pool.check_linger_ms, 500);
    let t = format!(
        "{}\n[enclave.attestation]\ntrusted_measurements = \"m.toml\"\nmeasurements = [\"{}\"]\n",
        base(),
        "ab".repeat(32)
    );
    assert_eq!(only(problems(&t)).problem, Problem::MeasurementsTwice);
    let t = format!("{}\n[enclave]\nbackend = \"in-process\"\n[log]\nformat = \"json\"\n", base());
    let c = parse(&t).unwrap().config;
    assert_eq!((c.enclave.backend, c.log.format), (EnclaveBackend::InProcess, LogFormat::Json));
    let (path, ..) = schema_error(&format!("{}\n[enclave]\nbackend = \"sgx\"\n", base()));
    assert_eq!(path, "enclave.backend");
}

#[test]
fn chain_id_length() {
    let p = only(problems(&base().replace("\"local\"", "\"\"")));
    assert_eq!(p.problem, Problem::ChainIdLength { len: 0, max: 64 });
}

#[test]
fn example_file_parses_and_uses_every_table() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/node.toml"));
    let l = config::load(path, &Overrides::default()).unwrap();
    // The example's own key is not at hand; its peers and quorum set are consistent anyway.
    let own: NodeId = "GAAEXF26OPGXYQMYMZYKF5YQU2N4MOSWXXX5S7WOITXUZA23HFI2M6BR".parse().unwrap();
    assert_eq!(l.problems(Some(own)), vec![]);
    assert_eq!(l.config.consensus, config::ConsensusConfig::default());
    assert_eq!(l.config.pool, config::PoolConfig::default());
}

#[test]
fn attestation_policy_comes_from_the_configuration() {
    use mcnode_attest::TeeType;
    let l = parse(&base()).unwrap();
    let a = &l.config.enclave.attestation;
    // Default: this release's measurement, the devnet root, simulated evidence refused.
    let p = a.policy().unwrap();
    assert!(!p.allow_simulated && !p.allowed_tees.contains(&TeeType::Sim));
    assert_eq!(p.trusted, mcnode_enclave::measurement::default_trusted_measurements());
    assert_eq!(p.anchors[0].root_key, mcnode_attest::sim::SimRootKey::devnet().public());
    // Inline list, own anchor, opt-in.
    let m = "ab".repeat(32);
    let t = format!(
        "{}\n[enclave.attestation]\nmeasurements = [\"{m}\"]\ntrust_anchor = \"{}\"\nallow_simulated = true\n",
        base(),
        "cd".repeat(32)
    );
    let p = parse(&t).unwrap().config.enclave.attestation.policy().unwrap();
    assert!(p.allow_simulated && p.allowed_tees.contains(&TeeType::Sim));
    assert_eq!(p.anchors[0].root_key, [0xcd; 32]);
    let rules: Vec<_> = p.trusted.rules().cloned().collect();
    assert_eq!(rules, vec![mcnode_attest::MeasurementRule::Exact(m.parse().unwrap())]);
    // A missing measurements file is an error, not a silent default.
    let t = format!("{}\n[enclave.attestation]\ntrusted_measurements = \"nope.toml\"\n", base());
    assert!(matches!(
        parse(&t).unwrap().config.enclave.attestation.policy(),
        Err(mcnode_attest::MeasurementsError::Read { .. })
    ));
}
