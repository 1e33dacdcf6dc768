//! [`Ctx`]: what every operation and step of one run uses — the clients in one tenant, all
//! reporting their waits to the run's [`Reporter`](crate::report::Reporter).

use crate::clients::{ArmClient, GraphClient, KeyVaultClient};
use crate::http::{Audience, HttpError, HttpStack, Sleeper, TokenClaims};
use crate::report::{Event, SharedReporter, Wait};
use crate::{Cloud, Refusal, TenantId};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The clients of one tenant and the run's reporter.
#[derive(Clone)]
pub struct Ctx {
    pub stack: HttpStack,
    /// The tenant the run works in.
    pub tenant: TenantId,
    pub arm: ArmClient,
    pub graph: GraphClient,
    pub reporter: SharedReporter,
    /// What this run has read (shared by a batch's customers).
    pub memo: Arc<crate::memo::Memo>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// The clients for `tenant`, reporting to `reporter`.
    pub fn new(
        stack: HttpStack,
        tenant: TenantId,
        reporter: SharedReporter,
    ) -> Result<Self, HttpError> {
        Ok(Self {
            arm: stack.arm(Some(&tenant))?.observed(reporter.clone()),
            graph: stack.graph(Some(&tenant))?.observed(reporter.clone()),
            stack,
            tenant,
            reporter,
            memo: Arc::default(),
        })
    }

    /// The same clients and reads, reporting to `reporter` (one customer of a batch).
    pub fn with_reporter(&self, reporter: SharedReporter) -> Result<Self, HttpError> {
        Ok(Self {
            memo: self.memo.clone(),
            ..Self::new(self.stack.clone(), self.tenant, reporter)?
        })
    }

    /// The clients for `tenant`, or for the tenant of the signed-in principal when `None`.
    pub async fn connect(
        stack: HttpStack,
        tenant: Option<TenantId>,
        reporter: SharedReporter,
    ) -> anyhow::Result<Self> {
        let tenant = match tenant {
            Some(t) => t,
            None => {
                let claims = stack.signed_in(None, Audience::Arm).await?;
                claims.tenant_id().ok_or_else(|| {
                    Refusal::new("the access token names no tenant (tid claim)")
                        .hint("pass --tenant with the tenant id")
                })?
            }
        };
        Ok(Self::new(stack, tenant, reporter)?)
    }

    pub fn cloud(&self) -> &Cloud {
        self.stack.cloud()
    }

    /// The signed-in principal's claims in this tenant (from a token for `audience`).
    pub async fn claims(&self, audience: Audience) -> Result<TokenClaims, HttpError> {
        self.stack.signed_in(Some(&self.tenant), audience).await
    }

    /// The Key Vault data plane of the vault at `vault_url`, in this tenant.
    pub fn key_vault(&self, vault_url: &Url) -> Result<KeyVaultClient, HttpError> {
        Ok(self
            .stack
            .key_vault(Some(&self.tenant), vault_url)?
            .observed(self.reporter.clone()))
    }

    /// The sleeper every wait goes through (scaled by `XTCMK_RETRY_TIME_SCALE`).
    pub fn sleeper(&self) -> Arc<dyn Sleeper> {
        self.arm.service_client().sleeper().clone()
    }

    /// Calls `f` until it succeeds, fails with an error `retry` does not accept, or `attempts`
    /// are used up, waiting 2, 4, 8, 16, 30, 30… seconds between tries and reporting each wait.
    pub async fn retrying<T, F, Fut>(
        &self,
        what: &str,
        attempts: u32,
        retry: impl Fn(&HttpError) -> bool,
        mut f: F,
    ) -> Result<T, HttpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let bound: Duration = (1..attempts).map(propagation_delay).sum();
        let mut elapsed = Duration::ZERO;
        let mut n = 0;
        loop {
            match f().await {
                Err(e) if retry(&e) && n + 1 < attempts => {
                    n += 1;
                    let delay = propagation_delay(n);
                    self.reporter.report(Event::Waiting(Wait {
                        what: what.to_string(),
                        attempt: n + 1,
                        attempts,
                        delay,
                        elapsed,
                        bound,
                    }));
                    self.sleeper().sleep(delay).await;
                    elapsed += delay;
                }
                other => return other,
            }
        }
    }
}

impl Ctx {
    /// Reads again with `read`, bounded (the propagation waits, each reported as waiting for
    /// `what` of the last read), while `pending` says what was read is still settling — being
    /// provisioned, or not yet shown by the replica that answered; returns the last read.
    pub async fn while_pending<T, F, Fut>(
        &self,
        first: T,
        pending: impl Fn(&T) -> Option<String>,
        mut read: F,
    ) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let bound: Duration = (1..PROPAGATION_ATTEMPTS).map(propagation_delay).sum();
        let mut elapsed = Duration::ZERO;
        let mut last = first;
        let mut attempt = 1;
        while let Some(what) = pending(&last) {
            if attempt >= PROPAGATION_ATTEMPTS {
                break;
            }
            let delay = propagation_delay(attempt);
            attempt += 1;
            self.reporter.report(Event::Waiting(Wait {
                what,
                attempt,
                attempts: PROPAGATION_ATTEMPTS,
                delay,
                elapsed,
                bound,
            }));
            self.sleeper().sleep(delay).await;
            elapsed += delay;
            last = read().await?;
        }
        Ok(last)
    }
}

/// How many times a propagation-bound call is tried (about two minutes of waits).
pub const PROPAGATION_ATTEMPTS: u32 = 8;

/// The wait before retry `n` (1-based) of a propagation-bound call: 2, 4, 8, 16, 30, 30… s.
pub fn propagation_delay(n: u32) -> Duration {
    Duration::from_secs((2u64 << n.saturating_sub(1).min(4)).min(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_delays_double_then_cap() {
        let d: Vec<u64> = (1..=7).map(|n| propagation_delay(n).as_secs()).collect();
        assert_eq!(d, [2, 4, 8, 16, 30, 30, 30]);
    }
}
