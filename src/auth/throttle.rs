//! Sign-in throttling (docs/access.md, "Sign-in throttling"): failed
//! sign-ins are counted per account name and per client address in
//! PostgreSQL (`sign_in_throttle`, shared by every server process). Past a
//! limit, each further failure blocks the key for a growing delay (1 s,
//! doubling, up to a cap of 5 minutes); while blocked, attempts are refused
//! with `SIGN_IN_THROTTLED` and `extensions.retryAfter` without checking the
//! password. The cap bounds what an attacker can do to a real user: at worst
//! the user waits a few minutes, never a lockout that needs an administrator.
//! A success clears the account's count; a quiet spell of the window clears
//! any count.

use crate::error::{AppError, AppResult};
use sqlx::PgPool;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The limits, from the environment (`TIDTAM_SIGN_IN_*`), or a test's own
/// (put into a request's data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failures of one account name before it is blocked.
    pub account_failures: u32,
    /// Failures from one address before it is blocked.
    pub address_failures: u32,
    /// A failure older than this no longer counts (counts restart after a
    /// quiet spell this long).
    pub window: Duration,
    /// The first block lasts a second, each further failure doubles it, up to this.
    pub max_delay: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            account_failures: 5,
            address_failures: 20,
            window: Duration::from_secs(15 * 60),
            max_delay: Duration::from_secs(5 * 60),
        }
    }
}

impl SignInLimits {
    /// The defaults with `TIDTAM_SIGN_IN_ACCOUNT_FAILURES`,
    /// `TIDTAM_SIGN_IN_ADDRESS_FAILURES` and `TIDTAM_SIGN_IN_MAX_DELAY`
    /// (seconds) applied; 0 failures turns that limit off.
    pub fn from_env() -> Self {
        let d = SignInLimits::default();
        let number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        SignInLimits {
            account_failures: number("TIDTAM_SIGN_IN_ACCOUNT_FAILURES")
                .map_or(d.account_failures, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            address_failures: number("TIDTAM_SIGN_IN_ADDRESS_FAILURES")
                .map_or(d.address_failures, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            window: d.window,
            max_delay: number("TIDTAM_SIGN_IN_MAX_DELAY").map_or(d.max_delay, Duration::from_secs),
        }
    }

    /// How long a key is blocked after its `failures`-th failure (past `limit`).
    pub fn delay(&self, failures: u32, limit: u32) -> Option<Duration> {
        if limit == 0 || failures < limit {
            return None;
        }
        let doublings = (failures - limit).min(30);
        Some(Duration::from_secs(1u64 << doublings).min(self.max_delay))
    }
}

/// The keys of one attempt: its account name and, if known, its address.
#[derive(Clone, Debug)]
pub struct Keys {
    pub account: String,
    pub address: Option<String>,
}

impl Keys {
    /// The keys of a sign-in as `username` from `address`. Names are cut to
    /// 100 characters (no username is longer than 64); an IPv6 address counts
    /// by its /64, which one machine usually holds whole.
    pub fn new(username: &str, address: Option<IpAddr>) -> Keys {
        let name: String = username.trim().to_lowercase().chars().take(100).collect();
        let address = address.map(|ip| match ip {
            IpAddr::V4(v4) => format!("address:{v4}"),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("address:{v4}"),
                None => {
                    let s = v6.segments();
                    format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        });
        Keys {
            account: format!("account:{name}"),
            address,
        }
    }

    fn all(&self) -> Vec<String> {
        std::iter::once(self.account.clone())
            .chain(self.address.clone())
            .collect()
    }
}

/// Failures recorded since the last clean-up of quiet rows.
static SINCE_CLEANUP: AtomicU64 = AtomicU64::new(0);

/// `Err(SignInThrottled)` when a key of this attempt is blocked; the refusal
/// is counted on the blocked rows (and so audited).
pub async fn admit(pool: &PgPool, actor: &str, keys: &Keys) -> AppResult<()> {
    let blocked: Option<f64> = crate::db::query_scalar(include_str!("sql/throttle_refuse.sql"))
        .bind(keys.all())
        .fetch_optional(&super::system_db(pool, actor))
        .await?
        .flatten();
    match blocked {
        Some(seconds) => {
            tracing::warn!(%actor, keys = ?keys.all(), "sign-in throttled");
            Err(AppError::SignInThrottled(seconds.ceil().max(1.0) as u64))
        }
        None => Ok(()),
    }
}

/// Counts a failed attempt on each key, blocking those past their limit.
pub async fn failed(
    pool: &PgPool,
    actor: &str,
    keys: &Keys,
    limits: &SignInLimits,
) -> AppResult<()> {
    let db = super::system_db(pool, actor);
    let rows: Vec<(String, i32)> = crate::db::query_as(include_str!("sql/throttle_fail.sql"))
        .bind(keys.all())
        .bind(limits.window.as_secs_f64())
        .fetch_all(&db)
        .await?;
    for (key, failures) in rows {
        let limit = if key == keys.account {
            limits.account_failures
        } else {
            limits.address_failures
        };
        let failures = u32::try_from(failures).unwrap_or(0);
        if let Some(delay) = limits.delay(failures, limit) {
            tracing::warn!(%key, failures, delay_s = delay.as_secs(), "sign-in blocked");
            crate::db::query(
                "UPDATE sign_in_throttle SET blocked_until = now() + make_interval(secs => $2) WHERE id = $1",
            )
            .bind(&key)
            .bind(delay.as_secs_f64())
            .execute(&db)
            .await?;
        }
    }
    if SINCE_CLEANUP.fetch_add(1, Ordering::Relaxed) % 1000 == 999 {
        forget_quiet(pool, limits).await?;
    }
    Ok(())
}

/// A success clears the account's count (not the address's: one good
/// password does not excuse a crowd of bad ones from the same place).
pub async fn succeeded(pool: &PgPool, actor: &str, keys: &Keys) -> AppResult<()> {
    crate::db::query("DELETE FROM sign_in_throttle WHERE id = $1")
        .bind(&keys.account)
        .execute(&super::system_db(pool, actor))
        .await?;
    Ok(())
}

/// Drops rows quiet for a day past the window, unblocked: they count nothing
/// any more, and random names would otherwise pile up.
async fn forget_quiet(pool: &PgPool, limits: &SignInLimits) -> AppResult<()> {
    crate::db::query(
        "DELETE FROM sign_in_throttle WHERE last_failure < now() - make_interval(secs => $1) - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())",
    )
    .bind(limits.window.as_secs_f64())
    .execute(&super::system_db(pool, "sign-in"))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_limit_double_and_stop_at_the_cap() {
        let limits = SignInLimits::default();
        assert_eq!(limits.delay(4, 5), None);
        assert_eq!(limits.delay(5, 5), Some(Duration::from_secs(1)));
        assert_eq!(limits.delay(6, 5), Some(Duration::from_secs(2)));
        assert_eq!(limits.delay(9, 5), Some(Duration::from_secs(16)));
        assert_eq!(limits.delay(50, 5), Some(Duration::from_secs(300)));
        assert_eq!(limits.delay(50, 0), None);
    }

    #[test]
    fn keys_name_the_account_and_the_address_block() {
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().expect("ip");
        let k = Keys::new(" Somchai ", Some(v6));
        assert_eq!(k.account, "account:somchai");
        assert_eq!(k.address.as_deref(), Some("address:2001:db8:1:2::/64"));
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(
            Keys::new("x", Some(v4)).address.as_deref(),
            Some("address:192.0.2.7")
        );
        assert_eq!(Keys::new("x", None).all().len(), 1);
    }
}
