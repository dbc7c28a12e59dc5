//! The runtime's clock: the engine's [`Time`] is milliseconds since the process started
//! (monotonic, so a wall-clock step never fires or delays a timer), and enclave calls get
//! Unix seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcnode_scp::Time;
use tokio::time::Instant;

/// The process's timeline.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { origin: Instant::now() }
    }
}

impl Clock {
    /// Now, on the engine's timeline.
    pub fn now(&self) -> Time {
        Time(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The instant of engine time `t`.
    pub fn instant(&self, t: Time) -> Instant {
        self.origin + Duration::from_millis(t.0)
    }

    /// Wall-clock Unix seconds (0 before 1970).
    pub fn unix_secs() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}
