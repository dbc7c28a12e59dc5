//! Reading and writing the stellarbeat JSON node format and organisation files.
//!
//! Nodes: a JSON array of `{"publicKey": .., "name"?: .., "quorumSet": {"threshold": t,
//! "validators": [..], "innerQuorumSets": [..]} | null}`; other fields are ignored. A key given
//! twice in one object is an error (serde's duplicate-field check), and so is every problem
//! [`BuildError`] lists. Organisations: `[{"id": .., "name": .., "validators": [..]}]`.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::fbas::{BuildError, Fbas, QSet, RawNode, RawQSet};
use crate::groups::Grouping;

/// Why an input file is rejected.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a JSON array at all.
    #[error("not a JSON array of nodes: {source}")]
    NotJson {
        /// The parser's complaint (with line and column).
        source: serde_json::Error,
    },
    /// One entry of the array is malformed.
    #[error("node {} (entry {index}): {source}", node.as_deref().unwrap_or("<no publicKey>"))]
    Entry {
        /// Position in the array, from 0.
        index: usize,
        /// Its `publicKey`, if one could be read.
        node: Option<String>,
        /// What is wrong.
        source: serde_json::Error,
    },
    /// The entries parse but describe an invalid network.
    #[error(transparent)]
    Invalid(#[from] BuildError),
    /// The organisations file is not an array of `{id, name, validators}`.
    #[error("organisations file: {source}")]
    OrgsNotJson {
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// A node listed in two organisations.
    #[error("node {node} is in two organisations: {first} and {second}")]
    NodeInTwoOrgs {
        /// The node.
        node: String,
        /// The first organisation naming it.
        first: String,
        /// The second.
        second: String,
    },
    /// An organisation id used twice.
    #[error("organisation {org} is defined twice")]
    DuplicateOrg {
        /// Its id.
        org: String,
    },
}

#[derive(Deserialize)]
struct JsonNode {
    #[serde(rename = "publicKey")]
    public_key: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(rename = "quorumSet", default)]
    quorum_set: Option<JsonQSet>,
}

#[derive(Deserialize)]
struct JsonQSet {
    // Missing reads as 0: with no members that is stellarbeat's "no quorum set" (`{}`).
    #[serde(default)]
    threshold: u64,
    #[serde(default)]
    validators: Vec<String>,
    #[serde(rename = "innerQuorumSets", default)]
    inner: Vec<JsonQSet>,
}

#[derive(Deserialize)]
struct KeyOnly {
    #[serde(rename = "publicKey")]
    public_key: Option<String>,
}

#[derive(Deserialize)]
struct JsonOrg {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    validators: Vec<String>,
}

impl From<JsonQSet> for RawQSet {
    fn from(q: JsonQSet) -> Self {
        RawQSet {
            threshold: q.threshold,
            validators: q.validators,
            inner: q.inner.into_iter().map(RawQSet::from).collect(),
        }
    }
}

/// What to do with a quorum set that no set of members can satisfy: a threshold above the
/// entries of its level, at any level (stellarbeat writes 2^53 - 1 for nodes it could not
/// read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsatisfiable {
    /// Reject the file ([`BuildError::ThresholdAboveMembers`]): quorum analysis of a
    /// configured network, where such a set is a mistake.
    Refuse,
    /// Read the node as having no quorum set and name it in [`Lenient::unsatisfiable`]:
    /// simulation of a crawled network, where such a node can never take part.
    AsNone,
}

/// A network read with [`Unsatisfiable::AsNone`].
#[derive(Clone, Debug)]
pub struct Lenient {
    /// The validated network.
    pub fbas: Fbas,
    /// Keys of the nodes whose unsatisfiable quorum set was read as none, in file order.
    pub unsatisfiable: Vec<String>,
}

/// Parses stellarbeat JSON into a validated network ([`Unsatisfiable::Refuse`]). A node's
/// name is its `name`, else its `hostname`.
pub fn parse_stellarbeat(text: &str) -> Result<Fbas, InputError> {
    parse_stellarbeat_with(text, Unsatisfiable::Refuse).map(|l| l.fbas)
}

/// Parses stellarbeat JSON, treating unsatisfiable quorum sets as `policy` says.
pub fn parse_stellarbeat_with(text: &str, policy: Unsatisfiable) -> Result<Lenient, InputError> {
    let entries: Vec<&RawValue> =
        serde_json::from_str(text).map_err(|source| InputError::NotJson { source })?;
    let mut defs = Vec::with_capacity(entries.len());
    let mut unsatisfiable = Vec::new();
    for (index, raw) in entries.into_iter().enumerate() {
        match serde_json::from_str::<JsonNode>(raw.get()) {
            Ok(n) => {
                let mut qset = n.quorum_set.map(RawQSet::from);
                if policy == Unsatisfiable::AsNone
                    && qset.as_ref().is_some_and(|q| !q.thresholds_reachable())
                {
                    qset = None;
                    unsatisfiable.push(n.public_key.clone());
                }
                defs.push(RawNode {
                    id: n.public_key,
                    name: n.name.filter(|s| !s.is_empty()).or(n.hostname.filter(|s| !s.is_empty())),
                    qset,
                });
            }
            Err(source) => {
                let node =
                    serde_json::from_str::<KeyOnly>(raw.get()).ok().and_then(|k| k.public_key);
                return Err(InputError::Entry { index, node, source });
            }
        }
    }
    Ok(Lenient { fbas: Fbas::from_raw(defs)?, unsatisfiable })
}

/// Parses an organisations file against a network. Validators the network does not know are
/// ignored (organisation files list nodes that may be offline).
pub fn parse_organizations(text: &str, fbas: &Fbas) -> Result<Grouping, InputError> {
    let orgs: Vec<JsonOrg> =
        serde_json::from_str(text).map_err(|source| InputError::OrgsNotJson { source })?;
    let mut owner: Vec<Option<usize>> = vec![None; fbas.len()];
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut seen_ids = std::collections::HashSet::new();
    for org in &orgs {
        if !seen_ids.insert(org.id.as_str()) {
            return Err(InputError::DuplicateOrg { org: org.id.clone() });
        }
        let label = org.name.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| org.id.clone());
        let gi = groups.len();
        let mut members = Vec::new();
        for v in &org.validators {
            let Some(i) = fbas.index_of(v) else { continue };
            if let Some(prev) = owner[i] {
                if prev == gi {
                    continue;
                }
                return Err(InputError::NodeInTwoOrgs {
                    node: v.clone(),
                    first: groups[prev].0.clone(),
                    second: label,
                });
            }
            owner[i] = Some(gi);
            members.push(i);
        }
        groups.push((label, members));
    }
    Ok(Grouping::from_groups(fbas, groups))
}

/// Writes a network back as stellarbeat JSON (unknown nodes are omitted: they have no entry).
pub fn to_stellarbeat(fbas: &Fbas) -> serde_json::Value {
    fn qset(f: &Fbas, q: &QSet) -> serde_json::Value {
        serde_json::json!({
            "threshold": q.threshold,
            "validators": q.validators.iter().map(|&v| f.nodes()[v].id.as_str()).collect::<Vec<_>>(),
            "innerQuorumSets": q.inner.iter().map(|i| qset(f, i)).collect::<Vec<_>>(),
        })
    }
    let nodes: Vec<serde_json::Value> = fbas
        .nodes()
        .iter()
        .filter(|n| !n.unknown)
        .map(|n| {
            let mut o = serde_json::json!({
                "publicKey": n.id,
                "quorumSet": n.qset.as_ref().map(|q| qset(fbas, q)),
            });
            if let (Some(name), Some(map)) = (&n.name, o.as_object_mut()) {
                map.insert("name".into(), name.clone().into());
            }
            o
        })
        .collect();
    serde_json::Value::Array(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let text = r#"[
          {"publicKey": "a", "name": "A", "quorumSet": {"threshold": 2, "validators": ["a", "b"],
             "innerQuorumSets": [{"threshold": 1, "validators": ["c"]}]}, "other": 1},
          {"publicKey": "b", "quorumSet": null},
          {"publicKey": "c"}
        ]"#;
        let f = parse_stellarbeat(text).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f.label(0), "A");
        let again = parse_stellarbeat(&to_stellarbeat(&f).to_string()).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn errors_name_the_node() {
        let e = parse_stellarbeat("{").unwrap_err();
        assert!(matches!(e, InputError::NotJson { .. }));
        let dup = r#"[{"publicKey": "a", "quorumSet": {"threshold": 1, "threshold": 2, "validators": ["a"]}}]"#;
        let e = parse_stellarbeat(dup).unwrap_err();
        assert!(
            e.to_string().contains("node a") && e.to_string().contains("duplicate field"),
            "{e}"
        );
        let e = parse_stellarbeat(r#"[{"publicKey": "z", "quorumSet": {"threshold": -1}}]"#)
            .unwrap_err();
        assert!(e.to_string().starts_with("node z (entry 0)"), "{e}");
        let e = parse_stellarbeat(r#"[{"publicKey": "a"}, {"publicKey": "a"}]"#).unwrap_err();
        assert_eq!(e.to_string(), "node a is defined twice");
    }

    #[test]
    fn organizations() {
        let f =
            parse_stellarbeat(r#"[{"publicKey": "a"}, {"publicKey": "b"}, {"publicKey": "c"}]"#)
                .unwrap();
        let g = parse_organizations(
            r#"[{"id": "o1", "name": "Org One", "validators": ["a", "b", "zz"]}]"#,
            &f,
        )
        .unwrap();
        assert_eq!(g.len(), 2, "one organisation and one lone node");
        assert_eq!(g.label(0), "Org One");
        let e = parse_organizations(
            r#"[{"id": "o1", "validators": ["a"]}, {"id": "o2", "validators": ["a"]}]"#,
            &f,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "node a is in two organisations: o1 and o2");
    }

    #[test]
    fn unsatisfiable_sets_are_refused_or_read_as_none_by_policy() {
        // stellarbeat's marker for a set it could not read, nested one level down.
        let text = r#"[
          {"publicKey": "a", "hostname": "a.example", "quorumSet": {"threshold": 1, "validators": ["b"]}},
          {"publicKey": "b", "quorumSet": {"threshold": 2, "validators": ["a"],
             "innerQuorumSets": [{"threshold": 9007199254740991, "validators": ["c"]}]}}
        ]"#;
        let e = parse_stellarbeat(text).unwrap_err();
        assert!(
            matches!(e, InputError::Invalid(BuildError::ThresholdAboveMembers { ref node, .. }) if node == "b"),
            "{e}"
        );
        let l = parse_stellarbeat_with(text, Unsatisfiable::AsNone).unwrap();
        assert_eq!(l.unsatisfiable, vec!["b".to_string()]);
        assert!(l.fbas.nodes()[1].qset.is_none(), "read as no quorum set");
        assert!(l.fbas.nodes()[0].qset.is_some(), "a satisfiable set is kept");
        assert_eq!(l.fbas.label(0), "a.example", "hostname when there is no name");
    }
}
