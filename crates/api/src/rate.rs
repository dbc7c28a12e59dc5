//! Rate limits: a token bucket ([`TokenBucket`]) and a table of buckets per key
//! ([`RateLimiter`], e.g. per peer node id or per client address) with a bounded number of
//! keys. Pure: the caller passes the time (milliseconds on any monotonic clock), so the
//! runtime, the simulator and tests drive it alike.
//!
//! A bucket holds at most `burst` tokens and gains `per_second` tokens a second; a request
//! costs one token (or more) and is refused when the bucket has too few, with the time after
//! which it would succeed. Time that goes backwards adds nothing.

use std::collections::HashMap;
use std::hash::Hash;

/// A bucket's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateConfig {
    /// Most tokens the bucket holds (the largest burst).
    pub burst: u32,
    /// Tokens gained per second.
    pub per_second: u32,
}

/// A request refused by a rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rate limited: retry after {retry_after_ms} ms")]
pub struct RateLimited {
    /// Milliseconds until the request would be allowed (`u64::MAX`: never, it costs more
    /// than the bucket holds or the bucket never refills).
    pub retry_after_ms: u64,
}

impl From<RateLimited> for tonic::Status {
    fn from(e: RateLimited) -> tonic::Status {
        tonic::Status::resource_exhausted(e.to_string())
    }
}

/// One token bucket. Tokens are counted in thousandths so that refills are exact integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    config: RateConfig,
    milli_tokens: u64,
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket at time `now_ms`.
    pub fn new(config: RateConfig, now_ms: u64) -> Self {
        TokenBucket { config, milli_tokens: u64::from(config.burst) * 1000, last_ms: now_ms }
    }

    fn refill(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        let gained = elapsed.saturating_mul(u64::from(self.config.per_second));
        let max = u64::from(self.config.burst) * 1000;
        self.milli_tokens = self.milli_tokens.saturating_add(gained).min(max);
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// Takes `cost` tokens at `now_ms`, or refuses without taking any.
    pub fn try_take(&mut self, now_ms: u64, cost: u32) -> Result<(), RateLimited> {
        self.refill(now_ms);
        let need = u64::from(cost) * 1000;
        if self.milli_tokens >= need {
            self.milli_tokens -= need;
            return Ok(());
        }
        let retry_after_ms = if cost > self.config.burst || self.config.per_second == 0 {
            u64::MAX
        } else {
            (need - self.milli_tokens).div_ceil(u64::from(self.config.per_second))
        };
        Err(RateLimited { retry_after_ms })
    }

    /// Whole tokens available at `now_ms`.
    pub fn available(&mut self, now_ms: u64) -> u64 {
        self.refill(now_ms);
        self.milli_tokens / 1000
    }
}

/// Token buckets per key, at most `max_keys` of them: when full, the bucket touched least
/// recently is dropped to make room (so a flood of new keys cannot grow memory; a dropped key
/// starts again with a full bucket).
#[derive(Clone, Debug)]
pub struct RateLimiter<K> {
    config: RateConfig,
    max_keys: usize,
    buckets: HashMap<K, TokenBucket>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter giving every key a bucket of `config`, tracking at most `max_keys` keys
    /// (at least one).
    pub fn new(config: RateConfig, max_keys: usize) -> Self {
        RateLimiter { config, max_keys: max_keys.max(1), buckets: HashMap::new() }
    }

    /// Takes `cost` tokens from `key`'s bucket at `now_ms`.
    pub fn check(&mut self, key: &K, now_ms: u64, cost: u32) -> Result<(), RateLimited> {
        if !self.buckets.contains_key(key) && self.buckets.len() >= self.max_keys {
            let oldest = self.buckets.iter().min_by_key(|(_, b)| b.last_ms).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.buckets.remove(&k);
            }
        }
        let config = self.config;
        self.buckets
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::new(config, now_ms))
            .try_take(now_ms, cost)
    }

    /// Number of keys tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: RateConfig = RateConfig { burst: 3, per_second: 2 };

    #[test]
    fn a_burst_is_allowed_then_refused_until_refilled() {
        let mut b = TokenBucket::new(CFG, 1000);
        for _ in 0..3 {
            b.try_take(1000, 1).unwrap();
        }
        assert_eq!(b.try_take(1000, 1), Err(RateLimited { retry_after_ms: 500 }));
        assert_eq!(b.try_take(1499, 1), Err(RateLimited { retry_after_ms: 1 }));
        b.try_take(1500, 1).unwrap();
    }

    #[test]
    fn refill_stops_at_the_burst() {
        let mut b = TokenBucket::new(CFG, 0);
        b.try_take(0, 3).unwrap();
        assert_eq!(b.available(1_000_000), 3);
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let mut b = TokenBucket::new(CFG, 10_000);
        b.try_take(10_000, 3).unwrap();
        assert!(b.try_take(0, 1).is_err());
        assert!(b.try_take(10_000, 1).is_err(), "the earlier time must not reset the clock");
    }

    #[test]
    fn a_cost_above_the_burst_is_never_allowed() {
        let mut b = TokenBucket::new(CFG, 0);
        assert_eq!(b.try_take(0, 4), Err(RateLimited { retry_after_ms: u64::MAX }));
        assert_eq!(b.available(0), 3, "a refused request takes nothing");
    }

    #[test]
    fn a_refusal_is_resource_exhausted() {
        let s = tonic::Status::from(RateLimited { retry_after_ms: 250 });
        assert_eq!(s.code(), tonic::Code::ResourceExhausted);
        assert_eq!(s.message(), "rate limited: retry after 250 ms");
    }

    #[test]
    fn keys_have_separate_buckets_and_the_table_is_bounded() {
        let mut l = RateLimiter::new(RateConfig { burst: 1, per_second: 1 }, 2);
        l.check(&"a", 0, 1).unwrap();
        assert!(l.check(&"a", 0, 1).is_err());
        l.check(&"b", 1, 1).unwrap();
        l.check(&"c", 2, 1).unwrap();
        assert_eq!(l.len(), 2, "the least recently used key was dropped");
        assert!(l.check(&"c", 2, 1).is_err());
    }
}
