//! What the caller supplies: the value type and the application's rules for values.
//!
//! SCP itself never looks inside a value. The application decides which values are valid and
//! how several confirmed nomination candidates combine into one (draft §2.2 "combine"); both
//! must be deterministic functions of their inputs (and of the application's own state, which
//! the record/replay decorator captures by logging every answer).

use std::fmt::Debug;

use mcnode_types::{Decode, Encode, SlotIndex};

/// A consensus value: totally ordered, cloneable, printable, with a canonical encoding.
/// Blanket-implemented for every type with these traits.
pub trait Value: Ord + Clone + Debug + Encode + Decode + 'static {}

impl<T: Ord + Clone + Debug + Encode + Decode + 'static> Value for T {}

/// The outcome of validating a value (stellar-core `SCPDriver::ValidationLevel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Validity {
    /// Never acceptable: statements carrying it are rejected.
    Invalid,
    /// Cannot be checked yet (for example the node lacks the transactions or is behind). The
    /// node keeps processing such statements but stops emitting its own for that slot, so it
    /// never vouches for something it could not check.
    MaybeValidLater,
    /// Acceptable.
    Valid,
}

/// The application's rules for values.
pub trait Driver<V> {
    /// Whether `value` may be decided in `slot`.
    fn validate(&mut self, slot: SlotIndex, value: &V) -> Validity;

    /// Combines the confirmed nomination candidates (sorted, unique, never empty) into the value
    /// the node proposes in the ballot protocol. Must be deterministic: every node given the
    /// same candidates must return the same value. `None` means "no value can be formed"; the
    /// node then keeps nominating.
    fn combine(&mut self, slot: SlotIndex, candidates: &[V]) -> Option<V>;

    /// From a value that did not validate, extract a valid one to vote for instead (for sets,
    /// the valid subset); `None` by default (stellar-core `extractValidValue`).
    fn extract_valid(&mut self, slot: SlotIndex, value: &V) -> Option<V> {
        let _ = (slot, value);
        None
    }
}
