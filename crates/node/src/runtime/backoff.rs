//! Reconnect backoff for peer connections: exponential from `base` to `max`, with jitter the
//! caller supplies (so this stays a pure function, testable without a clock or an RNG), and a
//! reset after a connection that lasted.
//!
//! Why jitter: after a network blip every node reconnects to every peer at once; spreading
//! the retries over `[d/2, d]` keeps them from arriving in lock step.

use std::time::Duration;

/// Exponential backoff state of one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `base`, doubles per failure up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff { base, max: max.max(base), failures: 0 }
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next attempt. `jitter` in
    /// `[0, 1]` picks a point in `[d/2, d]` (values outside are clamped).
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let shift = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        let d = self.base.saturating_mul(1u32 << shift).min(self.max);
        let j = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 1.0 };
        d / 2 + d.mul_f64(j / 2.0)
    }

    /// A connection succeeded: start again from `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(100 * MS, 1000 * MS);
        let got: Vec<_> = (0..6).map(|_| b.next_delay(1.0)).collect();
        assert_eq!(got, [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]);
        b.reset();
        assert_eq!(b.next_delay(1.0), 100 * MS);
    }

    #[test]
    fn jitter_stays_within_half_to_full_delay_even_for_bad_input() {
        let mut b = Backoff::new(100 * MS, 100 * MS);
        assert_eq!(b.next_delay(0.0), 50 * MS);
        assert_eq!(b.next_delay(-3.0), 50 * MS);
        assert_eq!(b.next_delay(7.0), 100 * MS);
        assert_eq!(b.next_delay(f64::NAN), 100 * MS);
    }

    #[test]
    fn many_failures_do_not_overflow() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..100 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(30));
        }
    }
}
