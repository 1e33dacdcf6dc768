//! Bounded waits for eventual consistency (Entra replication, RBAC propagation), slept through
//! the stack's sleeper so `XTCMK_RETRY_TIME_SCALE=0` records them without sleeping.

use super::Ctx;
use crate::http::HttpError;
use std::future::Future;
use std::time::Duration;

/// How many times a propagation-bound call is tried.
pub const ATTEMPTS: u32 = 8;

/// The wait before retry `n` (1-based): 2, 4, 8, 16, 30, 30… seconds.
fn delay(n: u32) -> Duration {
    Duration::from_secs((2u64 << n.saturating_sub(1).min(4)).min(30))
}

/// Sleeps before retry `n` of `attempts`, saying what it waits for.
pub async fn pause(ctx: &Ctx, n: u32, attempts: u32, what: &str) {
    let d = delay(n);
    ctx.printer.status(format!(
        "  waiting {}s for {what} (attempt {}/{attempts})",
        d.as_secs(),
        n + 1
    ));
    ctx.arm.service_client().sleeper().sleep(d).await;
}

/// Calls `f` until it succeeds, fails with an error `retry` does not accept, or
/// [`ATTEMPTS`] are used up.
pub async fn retrying<T, F, Fut>(
    ctx: &Ctx,
    what: &str,
    retry: impl Fn(&HttpError) -> bool,
    f: F,
) -> Result<T, HttpError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HttpError>>,
{
    retrying_n(ctx, what, ATTEMPTS, retry, f).await
}

/// [`retrying`] with `attempts` tries.
pub async fn retrying_n<T, F, Fut>(
    ctx: &Ctx,
    what: &str,
    attempts: u32,
    retry: impl Fn(&HttpError) -> bool,
    mut f: F,
) -> Result<T, HttpError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HttpError>>,
{
    let mut n = 0;
    loop {
        match f().await {
            Err(e) if retry(&e) && n + 1 < attempts => {
                n += 1;
                pause(ctx, n, attempts, what).await;
            }
            other => return other,
        }
    }
}
