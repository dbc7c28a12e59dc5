//! The canonical byte encoding: the one form used for hashing, signing and the wire.
//!
//! Rules (pinned by the golden fixtures in `tests/golden.rs`):
//! - unsigned integers: fixed width, big-endian;
//! - `bool`: one byte, `0` or `1` (anything else is rejected);
//! - fixed arrays (`[u8; 32]`, hashes, node ids): the raw bytes;
//! - sequences (`Vec<T>`, byte strings): a `u32` element count, then the elements;
//!   counts above [`MAX_SEQUENCE_LEN`] are rejected;
//! - `Option<T>`: a tag byte `0` (none) or `1` (some) then the value;
//! - structs: their fields in declaration order, no padding, no field names.
//!
//! A decoder consumes exactly the bytes of one value; [`Decode::from_canonical_bytes`] rejects
//! trailing bytes, so every value has exactly one accepted encoding.

use crate::{Hash32, NodeId};

/// Upper bound on any encoded sequence's element count, whatever the caller's own limit.
pub const MAX_SEQUENCE_LEN: u32 = 1 << 20;

/// Why bytes do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("input ends early: needed {needed} more bytes at offset {offset}")]
    UnexpectedEnd {
        /// Offset where the read started.
        offset: usize,
        /// Bytes that were missing.
        needed: usize,
    },
    /// Bytes remained after a complete value.
    #[error("{count} trailing bytes after the value")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// A sequence longer than allowed.
    #[error("sequence of {len} elements exceeds the limit of {max}")]
    TooLong {
        /// Declared length.
        len: u64,
        /// Limit that applied.
        max: u64,
    },
    /// A tag or flag byte with a value the type does not define.
    #[error("invalid tag {tag} for {what}")]
    InvalidTag {
        /// What was being decoded.
        what: &'static str,
        /// The byte found.
        tag: u8,
    },
    /// A value that is well formed bytes but breaks a rule of its type.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// The rule it breaks.
        reason: &'static str,
    },
}

/// A value with a canonical encoding.
pub trait Encode {
    /// Appends the canonical encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The canonical encoding as a new vector.
    fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// A value that can be read back from its canonical encoding.
pub trait Decode: Sized {
    /// Reads one value from `r`.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Decodes exactly one value from `bytes`; trailing bytes are an error.
    fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

/// A cursor over input bytes. Every read is bounds checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::UnexpectedEnd {
                offset: self.pos,
                needed: n - self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// Reads a sequence count and checks it against `max` (and [`MAX_SEQUENCE_LEN`]).
    pub fn seq_len(&mut self, max: u32) -> Result<usize, DecodeError> {
        let len = u32::decode(self)?;
        let max = max.min(MAX_SEQUENCE_LEN);
        if len > max {
            return Err(DecodeError::TooLong { len: len as u64, max: max as u64 });
        }
        Ok(len as usize)
    }

    /// Reads a sequence of at most `max` elements. Capacity is bounded by the bytes left, so a
    /// forged count cannot make the decoder allocate more than the input's size.
    pub fn seq<T: Decode>(&mut self, max: u32) -> Result<Vec<T>, DecodeError> {
        let len = self.seq_len(max)?;
        let mut v = Vec::with_capacity(len.min(self.remaining()));
        for _ in 0..len {
            v.push(T::decode(self)?);
        }
        Ok(v)
    }

    /// Reads a length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: u32) -> Result<&'a [u8], DecodeError> {
        let len = self.seq_len(max)?;
        self.take(len)
    }

    /// Fails if any bytes remain.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }
}

/// Appends a length-prefixed byte string.
pub fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    (bytes.len() as u32).encode(out);
    out.extend_from_slice(bytes);
}

macro_rules! int_impl {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(<$t>::from_be_bytes(r.array()?))
            }
        }
    )*};
}
int_impl!(u8, u16, u32, u64);

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::decode(r)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::InvalidTag { what: "bool", tag }),
        }
    }
}

impl<const N: usize> Encode for [u8; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> Decode for [u8; N] {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array()
    }
}

impl Encode for Hash32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for Hash32 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Hash32(r.array()?))
    }
}

impl Encode for NodeId {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for NodeId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(NodeId(r.array()?))
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_slice().encode(out);
    }
}

impl<T: Encode> Encode for [T] {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u32).encode(out);
        for item in self {
            item.encode(out);
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.seq(MAX_SEQUENCE_LEN)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::decode(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            tag => Err(DecodeError::InvalidTag { what: "option", tag }),
        }
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forged_length_does_not_allocate_or_panic() {
        // Claims 2^20 u64s but holds none.
        let bytes = (1u32 << 20).to_be_bytes();
        assert!(matches!(
            Vec::<u64>::from_canonical_bytes(&bytes),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
        let too_long = (MAX_SEQUENCE_LEN + 1).to_be_bytes();
        assert!(matches!(
            Vec::<u8>::from_canonical_bytes(&too_long),
            Err(DecodeError::TooLong { .. })
        ));
    }

    #[test]
    fn trailing_bytes_and_bad_tags_rejected() {
        assert_eq!(
            u32::from_canonical_bytes(&[0, 0, 0, 1, 9]),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            bool::from_canonical_bytes(&[2]),
            Err(DecodeError::InvalidTag { what: "bool", tag: 2 })
        );
        assert_eq!(
            Option::<u8>::from_canonical_bytes(&[7, 0]),
            Err(DecodeError::InvalidTag { what: "option", tag: 7 })
        );
    }

    proptest! {
        #[test]
        fn round_trips(v in proptest::collection::vec(any::<(u64, bool, Option<u16>)>(), 0..20)) {
            let enc: Vec<(u64, bool, Option<u16>)> = v.clone();
            let mut out = Vec::new();
            (enc.len() as u32).encode(&mut out);
            for (a, b, c) in &enc { a.encode(&mut out); b.encode(&mut out); c.encode(&mut out); }
            let mut r = Reader::new(&out);
            let n = r.seq_len(100).unwrap();
            let mut back = Vec::new();
            for _ in 0..n {
                back.push((u64::decode(&mut r).unwrap(), bool::decode(&mut r).unwrap(),
                    Option::<u16>::decode(&mut r).unwrap()));
            }
            r.finish().unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Vec::<Option<Hash32>>::from_canonical_bytes(&b);
            let _ = Vec::<Vec<u32>>::from_canonical_bytes(&b);
        }
    }
}
