//! Line numbers of field paths in the configuration text (from the TOML parser's spans).

use serde_path_to_error::{Path, Segment};
use toml::de::{DeTable, DeValue};

use super::overrides::Step;

/// 1-based line of byte offset `offset`.
pub(super) fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|b| **b == b'\n').count() + 1
}

/// A serde path as steps.
pub(super) fn steps_of(path: &Path) -> Vec<Step> {
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Map { key } | Segment::Enum { variant: key } => Some(Step::Key(key.clone())),
            _ => None,
        })
        .collect()
}

/// The line of the value at `steps`, and whether it is the value itself (`true`) or only the
/// nearest enclosing value found (`false`). `None` if the text does not parse.
pub(super) fn line_of(text: &str, steps: &[Step]) -> Option<(usize, bool)> {
    let root = DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut cur: Option<&DeValue<'_>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    for step in steps {
        let next = match (step, table, cur) {
            (Step::Key(k), Some(t), _) => {
                t.iter().find(|(key, _)| key.get_ref() == k).map(|(key, v)| {
                    // An empty table header has the span of its key; values have their own.
                    let s = if v.span().is_empty() { key.span() } else { v.span() };
                    (s, v.get_ref())
                })
            }
            (Step::Index(i), _, Some(DeValue::Array(a))) => {
                a.get(*i).map(|v| (v.span(), v.get_ref()))
            }
            _ => None,
        };
        let Some((s, v)) = next else { return Some((line_at(text, span.start), false)) };
        span = s;
        cur = Some(v);
        table = match v {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    Some((line_at(text, span.start), true))
}
