//! Login attempt limits per account and per client address.
//!
//! With `REDIS_URL` the counts live in Redis (a fixed window per key: `INCR` + `EXPIRE`), so
//! every node shares them; otherwise governor's in-process keyed limiter (GCRA with the same
//! burst and refill) serves the single node.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::ConnectionManager;

use crate::error::{AppError, AppResult};

/// How many attempts one key may make per window.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub attempts: u32,
    pub window: Duration,
}

pub const PER_ACCOUNT: Limit = Limit {
    attempts: 10,
    window: Duration::from_secs(15 * 60),
};
pub const PER_ADDRESS: Limit = Limit {
    attempts: 50,
    window: Duration::from_secs(15 * 60),
};

#[derive(Clone)]
pub enum LoginLimiter {
    InProcess {
        accounts: Arc<DefaultKeyedRateLimiter<String>>,
        addresses: Arc<DefaultKeyedRateLimiter<String>>,
    },
    Redis {
        connection: ConnectionManager,
        prefix: String,
    },
}

fn in_process(limit: Limit) -> Arc<DefaultKeyedRateLimiter<String>> {
    let burst = NonZeroU32::new(limit.attempts).expect("a limit allows at least one attempt");
    let quota = Quota::with_period(limit.window / limit.attempts)
        .expect("a non-zero window")
        .allow_burst(burst);
    Arc::new(DefaultKeyedRateLimiter::keyed(quota))
}

impl LoginLimiter {
    pub fn in_process() -> Self {
        Self::InProcess {
            accounts: in_process(PER_ACCOUNT),
            addresses: in_process(PER_ADDRESS),
        }
    }

    pub fn redis(connection: ConnectionManager, prefix: &str) -> Self {
        Self::Redis {
            connection,
            prefix: format!("{prefix}:login"),
        }
    }

    /// Counts one login attempt for `email` from `address`; `RATE_LIMITED` once either key
    /// has used up its window.
    pub async fn check(&self, email: &str, address: &str) -> AppResult<()> {
        match self {
            Self::InProcess {
                accounts,
                addresses,
            } => {
                for (limiter, key, limit) in [
                    (accounts, email, PER_ACCOUNT),
                    (addresses, address, PER_ADDRESS),
                ] {
                    if limiter.check_key(&key.to_owned()).is_err() {
                        return Err(AppError::RateLimited {
                            retry_after_secs: (limit.window / limit.attempts).as_secs().max(1),
                        });
                    }
                    // Keep the map from growing without bound under a spray of keys.
                    if limiter.len() > 100_000 {
                        limiter.retain_recent();
                    }
                }
                Ok(())
            }
            Self::Redis { connection, prefix } => {
                for (kind, key, limit) in [
                    ("account", email, PER_ACCOUNT),
                    ("address", address, PER_ADDRESS),
                ] {
                    let redis_key = format!("{prefix}:{kind}:{key}");
                    let counted: Result<(u32, i64), _> = redis::pipe()
                        .atomic()
                        .incr(&redis_key, 1)
                        .cmd("EXPIRE")
                        .arg(&redis_key)
                        .arg(limit.window.as_secs())
                        .arg("NX")
                        .ignore()
                        .ttl(&redis_key)
                        .query_async(&mut connection.clone())
                        .await;
                    // With Redis unreachable, logins stay possible (fail open) rather than
                    // locking every user out; the outage is logged.
                    let (count, ttl) = match counted {
                        Ok(counted) => counted,
                        Err(err) => {
                            tracing::warn!(error = %err, "login rate limit unavailable");
                            return Ok(());
                        }
                    };
                    if count > limit.attempts {
                        return Err(AppError::RateLimited {
                            retry_after_secs: ttl.max(1) as u64,
                        });
                    }
                }
                Ok(())
            }
        }
    }
}
