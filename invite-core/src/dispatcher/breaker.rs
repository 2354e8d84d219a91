//! The dispatcher's circuit breaker: after repeated transport failures (the SMTP server down,
//! credentials refused) it pauses delivery, backing off, instead of burning through the
//! outbox; the paused messages keep their attempts. It resumes by itself: when the pause is
//! over one batch is tried, and the first delivery that succeeds closes it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// When the breaker opens and how long it pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive transport failures that open it.
    pub failures_to_open: u32,
    /// The first pause; each time it opens again without a success in between, twice as long.
    pub first_pause: TimeDelta,
    /// The longest pause.
    pub max_pause: TimeDelta,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures_to_open: 5,
            first_pause: TimeDelta::seconds(5),
            max_pause: TimeDelta::minutes(5),
        }
    }
}

/// How a dispatcher is doing, for a health check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DispatcherHealth {
    /// Paused by the circuit breaker until this instant, if it is.
    pub paused_until: Option<DateTime<Utc>>,
    /// Transport failures since the last successful delivery.
    pub consecutive_transport_failures: u32,
    /// The last transport failure, if any since the last success.
    pub last_transport_error: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    consecutive: u32,
    open_until: Option<DateTime<Utc>>,
    pause: Option<TimeDelta>,
    last_error: Option<String>,
}

impl Breaker {
    /// Until when delivery is paused at `now`, if it is.
    pub(crate) fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.open_until.filter(|until| *until > now)
    }

    /// Whether it is open at `now` (or opened during the batch being delivered).
    pub(crate) fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.paused_until(now).is_some()
    }

    /// How long a message the transport failed should wait: the current pause, or the first.
    pub(crate) fn pause(&self, config: &BreakerConfig) -> TimeDelta {
        self.pause.unwrap_or(config.first_pause)
    }

    /// A delivery succeeded: closed, and the pause forgotten.
    pub(crate) fn succeeded(&mut self) {
        *self = Self::default();
    }

    /// A transport failure at `now`; opens (or reopens, pausing twice as long) after
    /// `failures_to_open` in a row.
    pub(crate) fn transport_failed(
        &mut self,
        config: &BreakerConfig,
        error: &str,
        now: DateTime<Utc>,
    ) {
        self.consecutive = self.consecutive.saturating_add(1);
        self.last_error = Some(error.to_owned());
        if self.consecutive < config.failures_to_open.max(1) || self.is_open(now) {
            return;
        }
        let pause = match self.pause {
            Some(p) => (p * 2).min(config.max_pause),
            None => config.first_pause,
        };
        self.pause = Some(pause);
        self.open_until = Some(crate::clock::saturating_add(now, pause));
        tracing::error!(
            failures = self.consecutive,
            pause_seconds = pause.num_seconds(),
            error,
            "the notifier's transport keeps failing: delivery paused (attempts are not spent)"
        );
    }

    pub(crate) fn health(&self, now: DateTime<Utc>) -> DispatcherHealth {
        DispatcherHealth {
            paused_until: self.paused_until(now),
            consecutive_transport_failures: self.consecutive,
            last_transport_error: self.last_error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r7_2_repeated_transport_failures_pause_with_growing_back_off_and_a_success_resumes() {
        let config = BreakerConfig::default();
        let t0: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
        let mut b = Breaker::default();
        for _ in 0..4 {
            b.transport_failed(&config, "connection refused", t0);
        }
        assert!(!b.is_open(t0));
        b.transport_failed(&config, "connection refused", t0);
        assert_eq!(b.paused_until(t0), Some(t0 + TimeDelta::seconds(5)));
        let t1 = t0 + TimeDelta::seconds(6);
        assert!(!b.is_open(t1), "it resumes by itself");
        b.transport_failed(&config, "connection refused", t1);
        assert_eq!(b.paused_until(t1), Some(t1 + TimeDelta::seconds(10)));
        b.succeeded();
        assert_eq!(b.health(t1).consecutive_transport_failures, 0);
        assert!(!b.is_open(t1));
    }
}
