//! Exponential back-off with jitter between the attempts at one event, and the pause that
//! waits it out: [`TokioSleep`] in production, anything else in tests (a pause that records
//! the delays and returns at once, so no test sleeps).

use async_trait::async_trait;
use std::time::Duration;

/// How a failing POST is retried: the `n`-th retry waits `initial * 2^(n-1)`, capped at
/// `max`, times a random factor in `[0.5, 1.0)` ("equal jitter": receivers that failed
/// together are not hit again together, and no wait is shorter than half its step). After
/// `max_attempts` attempts the relay stops at that event and tries it again on its next
/// call, never skipping it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The step before the first retry.
    pub initial: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
    /// Attempts at one event within one [`super::Relay::relay_once`] call (at least 1).
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 1 s, 2 s, 4 s ... up to 5 minutes, 10 attempts (about 17 minutes in all).
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            max_attempts: 10,
        }
    }
}

impl Backoff {
    /// The step of the `retry`-th retry (1 for the wait after the first failure), before
    /// jitter.
    pub fn step(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// The wait before the `retry`-th retry, with `unit` a random number in `[0, 1)`.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        self.step(retry).mul_f64(0.5 + unit.clamp(0.0, 1.0) / 2.0)
    }

    /// The wait before the `retry`-th retry, jittered from the operating system's random
    /// source (without jitter if that fails).
    pub fn jittered(&self, retry: u32) -> Duration {
        let unit = getrandom::u64().map_or(1.0, |r| (r >> 11) as f64 / (1u64 << 53) as f64);
        self.delay(retry, unit)
    }
}

/// Waits between attempts, and while the relay has nothing to do.
#[async_trait]
pub trait Pause: Send + Sync {
    /// Returns after `delay`, or whenever a test likes.
    async fn pause(&self, delay: Duration);
}

/// [`Pause`] on tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleep;

#[async_trait]
impl Pause for TokioSleep {
    async fn pause(&self, delay: Duration) {
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_within_half_a_step() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            max_attempts: 5,
        };
        let steps: Vec<u128> = (1..=6).map(|n| b.step(n).as_millis()).collect();
        assert_eq!(steps, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(300));
        assert_eq!(b.step(u32::MAX), b.max);
        for n in 1..=6 {
            let d = b.jittered(n);
            assert!(d >= b.step(n) / 2 && d <= b.step(n), "{d:?}");
        }
    }
}
