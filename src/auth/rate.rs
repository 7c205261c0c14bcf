//! Per-caller rate limits: each token (or, without one, each client address)
//! gets a steady rate with a burst. In memory per server process: with N
//! processes behind a load balancer, `TIDTAM_RATE_PROCESSES=N` gives each
//! process a share of the rate ([`per_process`]), so that together they
//! allow what one would (docs/access.md).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Keys kept before forgetting callers that have been quiet.
const RETAIN_ABOVE: usize = 50_000;

/// The limits of one server process.
pub struct RateLimits {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl RateLimits {
    /// `per_minute` requests per caller per minute, bursts of up to a sixth
    /// of that; 0 turns limiting off (load tests).
    pub fn new(per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new((per_minute / 6).max(1)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        RateLimits { limiter }
    }

    /// `Ok` to go ahead, or how long the caller must wait.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > RETAIN_ABOVE {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// One process's share of `per_minute` when `processes` serve together
/// (rounded up; 0 stays 0, no limit).
pub fn per_process(per_minute: u32, processes: u32) -> u32 {
    if per_minute == 0 {
        return 0;
    }
    per_minute.div_ceil(processes.max(1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_process_takes_its_share() {
        assert_eq!(super::per_process(1200, 1), 1200);
        assert_eq!(super::per_process(1200, 3), 400);
        assert_eq!(super::per_process(10, 4), 3);
        assert_eq!(super::per_process(0, 4), 0);
        assert_eq!(super::per_process(5, 0), 5);
    }

    #[test]
    fn a_caller_over_its_burst_waits_and_others_do_not() {
        let limits = super::RateLimits::new(60);
        for _ in 0..10 {
            assert!(limits.check("token:1").is_ok());
        }
        let wait = limits.check("token:1").expect_err("over the burst");
        assert!(wait.as_millis() > 0);
        assert!(limits.check("token:2").is_ok());
        assert!(super::RateLimits::new(0).check("x").is_ok());
    }
}
