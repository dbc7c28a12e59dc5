//! Time as the caller gives it, and the node's configuration.
//!
//! The core never reads a clock: every input carries `now`, a [`Time`] in milliseconds on
//! whatever timeline the caller uses (wall clock in the node, virtual time in the simulator).

use std::time::Duration;

use mcnode_types::{Decode, DecodeError, Encode, Reader};

/// A point in time, in milliseconds since an origin the caller chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    /// `ms` milliseconds after the origin.
    pub const fn from_millis(ms: u64) -> Self {
        Time(ms)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }
}

impl Encode for Time {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for Time {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Time(u64::decode(r)?))
    }
}

/// Node configuration. Timeouts grow linearly with the round (nomination) or ballot counter:
/// round `n` lasts `base + (n - 1) * increment`, capped at `max_timeout` (stellar-core
/// `computeTimeout`; the draft's `1 + n` seconds is base 2 s, increment 1 s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScpConfig {
    /// Length of nomination round 1.
    pub nomination_timeout_base: Duration,
    /// Added per further nomination round.
    pub nomination_timeout_increment: Duration,
    /// Length of the ballot timer at counter 1.
    pub ballot_timeout_base: Duration,
    /// Added per further ballot counter.
    pub ballot_timeout_increment: Duration,
    /// Upper bound on any timeout.
    pub max_timeout: Duration,
    /// Whether this node takes part (emits statements). A non-validator only watches: it
    /// follows the protocol, externalizes, and emits nothing.
    pub is_validator: bool,
}

impl Default for ScpConfig {
    /// stellar-core's defaults: 1 s + 1 s per round for both timers, capped at 30 minutes.
    fn default() -> Self {
        ScpConfig {
            nomination_timeout_base: Duration::from_millis(1000),
            nomination_timeout_increment: Duration::from_millis(1000),
            ballot_timeout_base: Duration::from_millis(1000),
            ballot_timeout_increment: Duration::from_millis(1000),
            max_timeout: Duration::from_secs(30 * 60),
            is_validator: true,
        }
    }
}

/// Longest `max_timeout` a configuration may set: beyond a day a stuck slot would look dead.
pub const MAX_TIMEOUT_CEILING: Duration = Duration::from_secs(24 * 60 * 60);

/// A timer setting [`ScpConfig::validate`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SCP config field {field}: {reason}")]
pub struct ScpConfigError {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ScpConfig {
    /// Refuses timers that make no sense: a zero base (round 1 would end as it starts, so the
    /// node would spin through rounds without hearing anyone), a zero or absurd
    /// `max_timeout` (above [`MAX_TIMEOUT_CEILING`]), and a base or increment above
    /// `max_timeout` (the cap would hide it).
    pub fn validate(&self) -> Result<(), ScpConfigError> {
        let bad = |field, reason| Err(ScpConfigError { field, reason });
        if self.max_timeout.is_zero() || self.max_timeout > MAX_TIMEOUT_CEILING {
            return bad("max_timeout", "must be 1 ms to 24 h");
        }
        let timers = [
            ("nomination_timeout_base", self.nomination_timeout_base, false),
            ("nomination_timeout_increment", self.nomination_timeout_increment, true),
            ("ballot_timeout_base", self.ballot_timeout_base, false),
            ("ballot_timeout_increment", self.ballot_timeout_increment, true),
        ];
        for (field, d, zero_ok) in timers {
            if d.as_millis() == 0 && !zero_ok {
                return bad(field, "must be at least 1 ms");
            }
            if d > self.max_timeout {
                return bad(field, "must not exceed max_timeout");
            }
        }
        Ok(())
    }

    /// Length of nomination round `round` (1-based).
    pub fn nomination_timeout(&self, round: u32) -> Duration {
        grow(
            self.nomination_timeout_base,
            self.nomination_timeout_increment,
            round,
            self.max_timeout,
        )
    }

    /// Length of the ballot timer at counter `counter` (1-based).
    pub fn ballot_timeout(&self, counter: u32) -> Duration {
        grow(self.ballot_timeout_base, self.ballot_timeout_increment, counter, self.max_timeout)
    }
}

fn grow(base: Duration, inc: Duration, n: u32, max: Duration) -> Duration {
    let extra = inc.saturating_mul(n.saturating_sub(1));
    base.saturating_add(extra).min(max)
}

fn encode_duration(d: Duration, out: &mut Vec<u8>) {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).encode(out);
}

impl Encode for ScpConfig {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_duration(self.nomination_timeout_base, out);
        encode_duration(self.nomination_timeout_increment, out);
        encode_duration(self.ballot_timeout_base, out);
        encode_duration(self.ballot_timeout_increment, out);
        encode_duration(self.max_timeout, out);
        self.is_validator.encode(out);
    }
}

impl Decode for ScpConfig {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut d = || u64::decode(r).map(Duration::from_millis);
        let nomination_timeout_base = d()?;
        let nomination_timeout_increment = d()?;
        let ballot_timeout_base = d()?;
        let ballot_timeout_increment = d()?;
        let max_timeout = d()?;
        Ok(ScpConfig {
            nomination_timeout_base,
            nomination_timeout_increment,
            ballot_timeout_base,
            ballot_timeout_increment,
            max_timeout,
            is_validator: bool::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_grow_linearly_and_are_capped() {
        let c = ScpConfig {
            nomination_timeout_base: Duration::from_millis(1000),
            nomination_timeout_increment: Duration::from_millis(500),
            ballot_timeout_base: Duration::from_millis(2000),
            ballot_timeout_increment: Duration::from_millis(1000),
            max_timeout: Duration::from_secs(10),
            is_validator: true,
        };
        assert_eq!(c.nomination_timeout(1), Duration::from_millis(1000));
        assert_eq!(c.nomination_timeout(3), Duration::from_millis(2000));
        assert_eq!(c.ballot_timeout(1), Duration::from_millis(2000));
        assert_eq!(c.ballot_timeout(4), Duration::from_millis(5000));
        assert_eq!(c.ballot_timeout(u32::MAX), Duration::from_secs(10));
        let back = ScpConfig::from_canonical_bytes(&c.to_canonical_bytes()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn zero_and_absurd_timeouts_are_refused() {
        assert_eq!(ScpConfig::default().validate(), Ok(()));
        let ms = Duration::from_millis;
        let field = |c: ScpConfig| c.validate().map_err(|e| e.field);
        let d = ScpConfig::default;
        assert_eq!(
            field(ScpConfig { nomination_timeout_base: ms(0), ..d() }),
            Err("nomination_timeout_base")
        );
        assert_eq!(
            field(ScpConfig { ballot_timeout_base: ms(0), ..d() }),
            Err("ballot_timeout_base")
        );
        assert_eq!(field(ScpConfig { max_timeout: ms(0), ..d() }), Err("max_timeout"));
        assert_eq!(
            field(ScpConfig { max_timeout: MAX_TIMEOUT_CEILING + ms(1), ..d() }),
            Err("max_timeout")
        );
        assert_eq!(
            field(ScpConfig { ballot_timeout_increment: ms(31 * 60 * 1000), ..d() }),
            Err("ballot_timeout_increment")
        );
        assert_eq!(field(ScpConfig { nomination_timeout_increment: ms(0), ..d() }), Ok(()));
    }
}
