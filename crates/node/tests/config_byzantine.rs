//! `[byzantine]`: a build without the `byzantine` feature refuses it with its own error (the
//! CLI exits 2); a build with it parses the section and checks `rate_per_sec`. Run both
//! halves: `cargo test -p mcnode-node --test config_byzantine` and the same with
//! `--features byzantine`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::Path;

use mcnode_node::config::{self, ConfigError, Overrides};
use mcnode_types::NodeId;

const RECIPIENT: &str = "mcd4EE2tGG6i3qbDJFua5WLaQbUMooRK25sCkEU18ekwbuLWf9967kGpjUwjC2BHR1pwme1nft9sYJuJjTVrGfdu4LxN3HwfYo";

fn base(extra: &str) -> String {
    let p = NodeId([2; 32]);
    format!(
        r#"chain_id = "local"
peer_listen = "127.0.0.1:8443"
client_listen = "127.0.0.1:3223"
admin_listen = "127.0.0.1:9090"

[keys]
message_signing_key = "k"
sealed_block_signing_key = "s"

[[peers]]
id = "{p}"
address = "127.0.0.1:8444"

[quorum_set]
threshold = 1
validators = ["{p}"]

[ledger]
path = "ledger"
origin = "/origin.json"

[fees]
minimum = {{ "0" = 400 }}
recipient = "{RECIPIENT}"
{extra}"#
    )
}

fn parse(text: &str) -> Result<config::Loaded, ConfigError> {
    config::parse(text, &Overrides::default(), Path::new("/etc/mcnode"))
}

#[test]
fn no_section_parses_in_every_build() {
    assert!(parse(&base("")).unwrap().config.byzantine.is_none());
}

#[cfg(not(feature = "byzantine"))]
#[test]
fn a_build_without_the_feature_refuses_the_section() {
    const { assert!(!config::BYZANTINE_BUILD) };
    let e = parse(&base("[byzantine]\nbehaviour = \"silent\"\n")).unwrap_err();
    assert!(matches!(e, ConfigError::ByzantineNotBuilt), "{e:?}");
    assert!(e.to_string().contains("built without the `byzantine` feature"), "{e}");
    // Also when it comes from an override only.
    let mut o = Overrides::default();
    o.push_set("byzantine.behaviour=\"garbage\"").unwrap();
    let e = config::parse(&base(""), &o, Path::new("/")).unwrap_err();
    assert!(matches!(e, ConfigError::ByzantineNotBuilt), "{e:?}");
}

#[cfg(feature = "byzantine")]
#[test]
fn a_build_with_the_feature_parses_the_section_and_checks_the_rate() {
    use config::{ByzantineBehaviour, Problem};
    const { assert!(config::BYZANTINE_BUILD) };
    for (name, b) in [
        ("equivocate", ByzantineBehaviour::Equivocate),
        ("garbage", ByzantineBehaviour::Garbage),
        ("replay", ByzantineBehaviour::Replay),
        ("silent", ByzantineBehaviour::Silent),
    ] {
        let l = parse(&base(&format!("[byzantine]\nbehaviour = \"{name}\"\n"))).unwrap();
        let c = l.config.byzantine.clone().unwrap();
        assert_eq!((c.behaviour, c.rate_per_sec, b.name()), (b, 50, name));
        assert!(l.problems(None).is_empty(), "{:?}", l.problems(None));
    }
    let e = parse(&base("[byzantine]\nbehaviour = \"lying\"\n")).unwrap_err();
    assert!(matches!(e, ConfigError::Schema { ref path, .. } if path == "byzantine.behaviour"));
    for (rate, want) in
        [(0, Problem::Zero), (10_001, Problem::TooLarge { value: 10_001, max: 10_000 })]
    {
        let l =
            parse(&base(&format!("[byzantine]\nbehaviour = \"garbage\"\nrate_per_sec = {rate}\n")))
                .unwrap();
        let p = l.problems(None);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].path.as_str(), &p[0].problem), ("byzantine.rate_per_sec", &want));
    }
}
