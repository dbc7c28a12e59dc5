//! The runtime's clock: the engine's [`Time`] is milliseconds since the process started
//! (monotonic, so a wall-clock step never fires or delays a timer), and enclave calls get
//! Unix seconds.
//!
//! For fault tests the engine's timeline can run fast or slow against real time
//! ([`Clock::with_rate_percent`], `consensus.clock_rate_percent`): at 200 % every engine
//! deadline (block interval, SCP timers, rebroadcast, catch-up grace) comes in half the real
//! time, as on a node whose oscillator runs fast. Unix seconds (block timestamps, attestation
//! expiry) stay real.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcnode_scp::Time;
use tokio::time::Instant;

/// The process's timeline.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
    /// Engine milliseconds per 100 real milliseconds; never 0.
    rate_percent: u64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::with_rate_percent(100)
    }
}

impl Clock {
    /// A clock whose engine time runs at `rate_percent` of real time (100: real time; 0 is
    /// taken as 1).
    pub fn with_rate_percent(rate_percent: u64) -> Clock {
        Clock { origin: Instant::now(), rate_percent: rate_percent.max(1) }
    }

    /// Now, on the engine's timeline.
    pub fn now(&self) -> Time {
        let real = self.origin.elapsed().as_millis();
        let scaled = real.saturating_mul(u128::from(self.rate_percent)) / 100;
        Time(u64::try_from(scaled).unwrap_or(u64::MAX))
    }

    /// The instant of engine time `t` (rounded up, so a timer never fires before `t`).
    pub fn instant(&self, t: Time) -> Instant {
        let real_ms = u128::from(t.0).saturating_mul(100).div_ceil(u128::from(self.rate_percent));
        let real_ms = u64::try_from(real_ms).unwrap_or(u64::MAX);
        self.origin.checked_add(Duration::from_millis(real_ms)).unwrap_or_else(far_future)
    }

    /// Wall-clock Unix seconds (0 before 1970).
    pub fn unix_secs() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// An instant no timer reaches (about 30 years ahead).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A clock at `rate_percent` that started one real second ago.
    fn started_1s_ago(rate_percent: u64) -> Clock {
        let origin = Instant::now().checked_sub(Duration::from_secs(1)).unwrap();
        Clock { origin, rate_percent }
    }

    #[test]
    fn a_fast_clock_runs_ahead_and_its_deadlines_come_early() {
        let (real, fast, slow) = (started_1s_ago(100), started_1s_ago(200), started_1s_ago(50));
        // Read within a few ms of each other; the scaled times keep their ratio.
        let within = |t: Time, lo: u64| t.0 >= lo && t.0 < lo + 500;
        assert!(within(real.now(), 1000), "{:?}", real.now());
        assert!(within(fast.now(), 2000), "{:?}", fast.now());
        assert!(within(slow.now(), 500), "{:?}", slow.now());
        // Engine time 3000 is 1.5 s of real time on the fast clock, 6 s on the slow one.
        assert_eq!(fast.instant(Time(3000)) - fast.origin, Duration::from_millis(1500));
        assert_eq!(slow.instant(Time(3000)) - slow.origin, Duration::from_millis(6000));
        assert_eq!(real.instant(Time(3000)) - real.origin, Duration::from_millis(3000));
        // Rounded up: engine time 1 on a 3x clock is real 1 ms, not 0 (never early).
        let third = Clock::with_rate_percent(300);
        assert_eq!(third.instant(Time(1)) - third.origin, Duration::from_millis(1));
        assert!(real.instant(Time(u64::MAX)) > Instant::now());
        assert_eq!(Clock::with_rate_percent(0).rate_percent, 1);
    }
}
