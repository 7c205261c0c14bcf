//! One admission rule for every door: `POST`/`GET /graphql`, each operation
//! of a `/graphql/ws` connection, and the exports. A caller is keyed by its
//! token, else by its address, and the three doors draw on one allowance:
//! before, the WebSocket had no rate limit at all (443 checked sign-ins on
//! one connection while HTTP answered 429) and the exports kept a separate
//! allowance per address.

use super::ServerLimits;
use crate::auth::Access;
use crate::error::AppError;
use std::net::IpAddr;

/// The rate-limit key: the token, else the client address.
pub fn rate_key(access: &Access, address: Option<IpAddr>) -> String {
    match (access.token_id, address) {
        (Some(id), _) => format!("token:{id}"),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "anonymous".into(),
    }
}

/// Whether the caller is within its rate; else `RATE_LIMITED` with the
/// seconds to wait.
pub fn within_rate(
    limits: &ServerLimits,
    access: &Access,
    address: Option<IpAddr>,
) -> Result<(), AppError> {
    limits
        .rate
        .check(&rate_key(access, address))
        .map_err(|wait| AppError::RateLimited(wait.as_secs() + 1))
}
