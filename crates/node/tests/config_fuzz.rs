//! Property tests: configuration and key-file decoders return errors, never panic, on any input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::Path;

use mcnode_node::config::{self, Overrides, keyfile};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../examples/node.toml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        if let Ok(l) = config::parse(&text, &Overrides::default(), Path::new("/")) {
            let _ = l.problems(None);
        }
        let _ = keyfile::decode_message_key(&text);
        let _ = keyfile::decode_account_key(&text);
    }

    #[test]
    fn mutated_example_never_panics(pos in 0usize..EXAMPLE.len(), len in 0usize..40, insert in "[\\[\\]{}=\".,0-9a-z \\n]{0,12}") {
        let mut t = EXAMPLE.as_bytes().to_vec();
        let end = (pos + len).min(t.len());
        t.splice(pos..end, insert.bytes());
        let text = String::from_utf8_lossy(&t);
        if let Ok(l) = config::parse(&text, &Overrides::default(), Path::new("/")) {
            let _ = l.problems(None);
        }
    }

    #[test]
    fn arbitrary_set_flags_never_panic(arg in "[a-z_.\\[\\]0-9]{0,30}=[\\PC]{0,20}") {
        let mut o = Overrides::default();
        if o.push_set(&arg).is_ok() {
            let _ = config::parse(EXAMPLE, &o, Path::new("/"));
        }
    }
}
