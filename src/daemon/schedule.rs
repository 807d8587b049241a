//! When to fetch a feed next: pure functions of what the last fetch said, so every rule of the
//! polite-polling policy is unit-tested without a clock or a network.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The limits from `[fetch]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub max_backoff: Duration,
}

/// What is known about a feed when its next fetch is planned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observation {
    /// The feed's configured `interval`, which overrides the adaptive one.
    pub configured: Option<Duration>,
    /// Items the feed published per day recently.
    pub items_per_day: f64,
    /// The feed's RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age` / `Expires`, as an absolute time.
    pub cache_until: Option<DateTime<Utc>>,
    /// `Retry-After` from a 429 or 503.
    pub retry_after: Option<DateTime<Utc>>,
    /// Consecutive failures, counting the fetch just made.
    pub errors: u32,
    /// Whether any fetch of this feed ever succeeded. One that never did (a typo in the URL, a
    /// server down at install time) retries within minutes instead of at the backed-off
    /// regular interval, which for a feed with no history is the adaptive maximum.
    pub ever_succeeded: bool,
}

/// The first retry of a feed that has never succeeded; it doubles per failure up to
/// [`NEVER_SUCCEEDED_CAP`].
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
/// The longest wait between retries of a feed that has never succeeded.
pub const NEVER_SUCCEEDED_CAP: Duration = Duration::from_secs(3600);

/// The feed's regular interval: configured, else about one fetch per new item, within limits.
pub fn base_interval(obs: &Observation, limits: &Limits) -> Duration {
    if let Some(configured) = obs.configured {
        return configured;
    }
    let adaptive = if obs.items_per_day > 0.0 {
        seconds((86_400.0 / obs.items_per_day).min(limits.max_interval.as_secs_f64()))
    } else {
        limits.max_interval
    };
    adaptive.clamp(
        limits.min_interval,
        limits.max_interval.max(limits.min_interval),
    )
}

/// The delay before the next fetch, before jitter: the base interval, doubled per consecutive
/// error up to `max_backoff`. A failing feed is never dropped: it keeps being retried at the cap.
/// A feed that has never succeeded retries after 1, 2, 4 … minutes up to an hour (never later
/// than the regular rule would).
pub fn delay(obs: &Observation, limits: &Limits) -> Duration {
    let base = base_interval(obs, limits);
    if obs.errors == 0 {
        return base;
    }
    let factor = 2f64.powi(obs.errors.min(30) as i32);
    let backoff = seconds((base.as_secs_f64() * factor).min(limits.max_backoff.as_secs_f64()));
    if obs.ever_succeeded {
        return backoff;
    }
    let first = FIRST_RETRY.as_secs_f64() * 2f64.powi(obs.errors.min(30) as i32 - 1);
    backoff.min(seconds(first.min(NEVER_SUCCEEDED_CAP.as_secs_f64())))
}

/// Seconds as a duration, saturating instead of panicking on huge or invalid values.
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(if secs > 0.0 {
        Duration::MAX
    } else {
        Duration::ZERO
    })
}

/// The time of the next fetch. `jitter` in [-1, 1] spreads it by up to ±10 % so feeds of one
/// host do not fire together. Never earlier than the server's `Retry-After`, its cache lifetime
/// or the feed's `<ttl>` allow.
pub fn next_fetch(
    now: DateTime<Utc>,
    obs: &Observation,
    limits: &Limits,
    jitter: f64,
) -> DateTime<Utc> {
    // Time arithmetic saturates: no limit or server-given value can overflow it.
    let delay = seconds(delay(obs, limits).as_secs_f64() * (1.0 + 0.1 * jitter.clamp(-1.0, 1.0)));
    let mut next = crate::time::after(now, delay);
    // Server-given times are bounded by max_backoff: a hostile `<ttl>`, `max-age` or
    // `Retry-After` must not stop polling for years.
    let latest = crate::time::after(now, limits.max_backoff);
    if let Some(ttl) = obs.ttl {
        next = next.max(crate::time::after(now, ttl).min(latest));
    }
    if obs.errors == 0
        && let Some(until) = obs.cache_until
    {
        next = next.max(until.min(latest));
    }
    if let Some(retry) = obs.retry_after {
        next = next.max(retry.min(latest));
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(600);
    const HOUR: Duration = Duration::from_secs(3600);

    fn limits() -> Limits {
        Limits {
            min_interval: MIN,
            max_interval: 6 * HOUR,
            max_backoff: 24 * HOUR,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        crate::time::parse(text).unwrap()
    }

    #[test]
    fn configured_interval_wins_over_adaptive() {
        let obs = Observation {
            configured: Some(Duration::from_secs(1800)),
            items_per_day: 500.0,
            ..Default::default()
        };
        assert_eq!(base_interval(&obs, &limits()), Duration::from_secs(1800));
    }

    #[test]
    fn adaptive_interval_follows_publishing_rate_within_limits() {
        let busy = Observation {
            items_per_day: 48.0,
            ..Default::default()
        };
        assert_eq!(base_interval(&busy, &limits()), Duration::from_secs(1800));
        let frantic = Observation {
            items_per_day: 10_000.0,
            ..Default::default()
        };
        assert_eq!(base_interval(&frantic, &limits()), MIN);
        let quiet = Observation::default();
        assert_eq!(base_interval(&quiet, &limits()), 6 * HOUR);
    }

    /// Issue 16, point 4: a feed whose first fetch failed waited 12 h (the adaptive maximum,
    /// doubled).
    #[test]
    fn a_feed_that_never_succeeded_retries_within_minutes_with_backoff() {
        let mut obs = Observation::default();
        let minutes: Vec<u64> = (1..10)
            .map(|errors| {
                obs.errors = errors;
                delay(&obs, &limits()).as_secs() / 60
            })
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // Never later than the regular rule: a configured 90 s interval doubles to 3 min.
        obs.configured = Some(Duration::from_secs(90));
        obs.errors = 3;
        assert_eq!(delay(&obs, &limits()), Duration::from_secs(240));
        obs.errors = 4;
        assert_eq!(delay(&obs, &limits()), Duration::from_secs(480));
        obs.configured = Some(Duration::from_secs(20));
        assert_eq!(delay(&obs, &limits()), Duration::from_secs(320));
        // Once it has succeeded, the normal rules: the quiet feed's 6 h, doubled.
        let ok_once = Observation {
            errors: 1,
            ever_succeeded: true,
            ..Default::default()
        };
        assert_eq!(delay(&ok_once, &limits()), 12 * HOUR);
        // Retry-After still wins over the quick retry.
        let now = at("2026-01-01T00:00:00Z");
        let told = Observation {
            errors: 1,
            retry_after: Some(at("2026-01-01T00:30:00Z")),
            ..Default::default()
        };
        assert_eq!(
            next_fetch(now, &told, &limits(), 0.0),
            at("2026-01-01T00:30:00Z")
        );
    }

    #[test]
    fn errors_back_off_exponentially_up_to_the_cap() {
        let mut obs = Observation {
            ever_succeeded: true,
            configured: Some(HOUR),
            ..Default::default()
        };
        let delays: Vec<u64> = (0..8)
            .map(|errors| {
                obs.errors = errors;
                delay(&obs, &limits()).as_secs() / 3600
            })
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 24, 24, 24]);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let now = at("2026-01-01T00:00:00Z");
        let obs = Observation {
            configured: Some(HOUR),
            ..Default::default()
        };
        let early = next_fetch(now, &obs, &limits(), -1.0);
        let late = next_fetch(now, &obs, &limits(), 1.0);
        assert_eq!(early, at("2026-01-01T00:54:00Z"));
        assert_eq!(late, at("2026-01-01T01:06:00Z"));
    }

    #[test]
    fn retry_after_is_the_earliest_next_fetch() {
        let now = at("2026-01-01T00:00:00Z");
        let obs = Observation {
            configured: Some(MIN),
            retry_after: Some(at("2026-01-01T05:00:00Z")),
            errors: 1,
            ..Default::default()
        };
        assert_eq!(
            next_fetch(now, &obs, &limits(), 0.0),
            at("2026-01-01T05:00:00Z")
        );
    }

    #[test]
    fn server_given_times_are_capped_at_max_backoff() {
        let now = at("2026-01-01T00:00:00Z");
        let obs = Observation {
            configured: Some(MIN),
            retry_after: Some(at("2036-01-01T00:00:00Z")),
            cache_until: Some(at("2030-01-01T00:00:00Z")),
            ..Default::default()
        };
        assert_eq!(
            next_fetch(now, &obs, &limits(), 0.0),
            at("2026-01-02T00:00:00Z")
        );
    }

    #[test]
    fn absurd_limits_saturate_instead_of_panicking() {
        let now = at("2026-01-01T00:00:00Z");
        let huge = Duration::from_secs(300_000 * 31_557_600);
        let limits = Limits {
            min_interval: MIN,
            max_interval: huge,
            max_backoff: huge,
        };
        let obs = Observation {
            configured: Some(huge),
            ttl: Some(Duration::MAX),
            errors: 30,
            ..Default::default()
        };
        let next = next_fetch(now, &obs, &limits, 1.0);
        assert_eq!(crate::time::format(next), "9999-12-31T23:59:59Z");
        let quiet = Observation::default();
        assert!(next_fetch(now, &quiet, &limits, 0.0) > now);
    }

    #[test]
    fn ttl_and_cache_lifetime_are_lower_bounds() {
        let now = at("2026-01-01T00:00:00Z");
        let obs = Observation {
            configured: Some(MIN),
            ttl: Some(HOUR),
            ..Default::default()
        };
        assert_eq!(
            next_fetch(now, &obs, &limits(), 0.0),
            at("2026-01-01T01:00:00Z")
        );
        let cached = Observation {
            configured: Some(MIN),
            cache_until: Some(at("2026-01-01T02:00:00Z")),
            ..Default::default()
        };
        assert_eq!(
            next_fetch(now, &cached, &limits(), 0.0),
            at("2026-01-01T02:00:00Z")
        );
    }
}
