//! Why a protobuf message does not convert to its domain type ([`WireError`]), and how the
//! servers report it ([`tonic::Status`] `InvalidArgument`).
//!
//! Every conversion from the wire is total: it returns a domain value or a `WireError` naming
//! the protobuf field (`Message.field`) and the rule broken; it never panics.

/// Why a protobuf message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A fixed-size field (hash, key, signature, ...) has another length.
    #[error("{field}: expected {expected} bytes, got {got}")]
    WrongLength {
        /// The field (`Message.field`).
        field: &'static str,
        /// Required length.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// A required message field is absent.
    #[error("{field} is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A list has more items than allowed.
    #[error("{field}: {got} items, at most {max} allowed")]
    TooMany {
        /// The field.
        field: &'static str,
        /// Items received.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// A list or count that must not be empty (or zero) is.
    #[error("{field}: at least one required")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A byte field is longer than allowed.
    #[error("{field}: {got} bytes, at most {max} allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Bytes received.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// A list is not in the canonical order the protocol requires.
    #[error("{field}: {rule}")]
    NotCanonical {
        /// The field.
        field: &'static str,
        /// The ordering rule.
        rule: &'static str,
    },
    /// An enum field holds a code this version does not know (or `UNSPECIFIED`).
    #[error("{field}: unknown code {code}")]
    UnknownCode {
        /// The field.
        field: &'static str,
        /// The code received.
        code: i32,
    },
}

impl From<WireError> for tonic::Status {
    fn from(e: WireError) -> tonic::Status {
        tonic::Status::invalid_argument(e.to_string())
    }
}

/// `bytes` -> `[u8; N]`, refusing any other length.
pub(crate) fn fixed<const N: usize>(field: &'static str, b: &[u8]) -> Result<[u8; N], WireError> {
    b.try_into().map_err(|_| WireError::WrongLength { field, expected: N, got: b.len() })
}

/// Refuses a list longer than `max`.
pub(crate) fn cap<T>(field: &'static str, items: &[T], max: usize) -> Result<(), WireError> {
    if items.len() > max {
        return Err(WireError::TooMany { field, got: items.len(), max });
    }
    Ok(())
}

/// A required message field.
pub(crate) fn required<T>(field: &'static str, v: Option<T>) -> Result<T, WireError> {
    v.ok_or(WireError::Missing { field })
}
