//! Retries with exponential backoff that honour `Retry-After`, as an `azure_core` pipeline policy
//! (the pipelines are built with `RetryOptions::none()` and this policy in their per-call list, so
//! the bearer-token policy runs again on every attempt).
//!
//! Rules (Azure retry guidance, learn.microsoft.com/azure/architecture/best-practices/retry-service-specific,
//! and ARM throttling, learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling):
//! - retried statuses: 408, 429, 500, 502, 503, 504; retried transport errors: connection and I/O;
//! - GET, HEAD, PUT, DELETE and PATCH are retried on all of them (ARM PUT/DELETE/PATCH are
//!   idempotent by contract); POST is retried only on 429 or 503 that carry a retry hint, because
//!   those say the request was not processed — any other failure of a POST may have taken effect;
//! - the wait is the larger of the backoff (initial × 2^(retry-1), ±20 % jitter) and the server's
//!   `x-ms-retry-after-ms` / `retry-after-ms` (milliseconds) or `Retry-After` (seconds or an HTTP
//!   date), never more than the configured maximum;
//! - after the configured number of retries the last answer becomes an error that says how many
//!   attempts were made.
//!
//! Waits go through a [`Sleeper`]; the default one sleeps the requested time multiplied by
//! `XTCMK_RETRY_TIME_SCALE` (0 = do not sleep, only record and log), and records every request.

use super::error::Service;
use crate::InputError;
use crate::report::{CallObserver, Event, Wait};
use async_trait::async_trait;
use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Method, Request};
use azure_core::time::OffsetDateTime;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How hard to retry, how long to wait and how fast time runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySettings {
    /// Retries after the first attempt (`XTCMK_MAX_RETRIES`, default 4: five attempts in all).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub initial_delay: Duration,
    /// The longest single wait, whatever the server asks (`XTCMK_RETRY_MAX_DELAY_SECS`, default 60).
    pub max_delay: Duration,
    /// Multiplies every real wait, retries and polling alike (`XTCMK_RETRY_TIME_SCALE`, default 1;
    /// 0 records and logs the requested waits without sleeping).
    pub time_scale: f64,
    /// The longest a long-running operation is followed, in requested (unscaled) time
    /// (`XTCMK_OPERATION_TIMEOUT_SECS`, default 3600).
    pub operation_timeout: Duration,
    /// The polling interval when a long-running operation gives no `Retry-After`.
    pub default_poll_interval: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(60),
            time_scale: 1.0,
            operation_timeout: Duration::from_secs(3600),
            default_poll_interval: Duration::from_secs(5),
        }
    }
}

impl RetrySettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, InputError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (an environment), defaults where unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InputError> {
        let mut s = Self::default();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("XTCMK_MAX_RETRIES") {
            s.max_retries = v.parse::<u32>().ok().filter(|n| *n <= 20).ok_or_else(|| {
                env_error(
                    "XTCMK_MAX_RETRIES",
                    &v,
                    "not a whole number from 0 to 20",
                    "e.g. XTCMK_MAX_RETRIES=4",
                )
            })?;
        }
        if let Some(v) = get("XTCMK_RETRY_MAX_DELAY_SECS") {
            s.max_delay = positive_secs(&v).ok_or_else(|| {
                env_error(
                    "XTCMK_RETRY_MAX_DELAY_SECS",
                    &v,
                    "not a number of seconds from 1 to 3600",
                    "e.g. XTCMK_RETRY_MAX_DELAY_SECS=60",
                )
            })?;
        }
        if let Some(v) = get("XTCMK_RETRY_TIME_SCALE") {
            s.time_scale = v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (0.0..=10.0).contains(x))
                .ok_or_else(|| {
                    env_error(
                        "XTCMK_RETRY_TIME_SCALE",
                        &v,
                        "not a number from 0 to 10",
                        "1 waits as told, 0 does not sleep at all",
                    )
                })?;
        }
        if let Some(v) = get("XTCMK_OPERATION_TIMEOUT_SECS") {
            s.operation_timeout = v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    env_error(
                        "XTCMK_OPERATION_TIMEOUT_SECS",
                        &v,
                        "not a number of seconds from 1 to 86400",
                        "e.g. XTCMK_OPERATION_TIMEOUT_SECS=3600",
                    )
                })?;
        }
        Ok(s)
    }

    /// The backoff before retry number `retry` (1-based) for a jitter draw `jitter` in `[0, 1)`:
    /// `initial × 2^(retry-1) × (0.8 + 0.4 × jitter)`, at most `max_delay`.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let exp = 2f64.powi(retry.saturating_sub(1).min(30) as i32);
        let nominal = self.initial_delay.as_secs_f64() * exp * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
        Duration::from_secs_f64(nominal.min(self.max_delay.as_secs_f64()))
    }

    /// The wait before retry number `retry`: the larger of backoff and the server's request,
    /// at most `max_delay`.
    pub fn wait_for(&self, retry: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let backoff = self.backoff(retry, jitter);
        retry_after
            .map_or(backoff, |ra| ra.max(backoff))
            .min(self.max_delay)
    }
}

/// A refused environment setting, naming the variable, its value and an example.
fn env_error(name: &str, value: &str, problem: &str, fix: &str) -> InputError {
    InputError::new(name, value, problem).with_fix(fix)
}

fn positive_secs(v: &str) -> Option<Duration> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 1.0 && *x <= 3600.0)
        .map(Duration::from_secs_f64)
}

/// How long the server asks to wait: `x-ms-retry-after-ms`, `retry-after-ms` (milliseconds),
/// or `Retry-After` (delta-seconds or an HTTP date, RFC 9110 §10.2.3), in that order.
pub fn retry_after(headers: &Headers, now: OffsetDateTime) -> Option<Duration> {
    for name in ["x-ms-retry-after-ms", "retry-after-ms"] {
        if let Some(ms) = headers
            .get_optional_str(&name.into())
            .and_then(|v| v.trim().parse::<f64>().ok())
            && ms.is_finite()
            && ms >= 0.0
        {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = headers.get_optional_str(&"retry-after".into())?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = azure_core::time::parse_rfc7231(value).ok()?;
    let delta = date - now;
    Some(if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    })
}

/// Waits as asked. Implementations decide how much real time passes.
#[async_trait]
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Waits for `requested` (the unscaled wait a server or the backoff asked for).
    async fn sleep(&self, requested: Duration);

    /// The time on this sleeper's timeline (what pacing measures holds and refills by): waits
    /// that were not slept still count as passed, so a hold ends when its wait "ended".
    fn now(&self) -> Duration {
        epoch().elapsed()
    }
}

/// The process's start on the monotonic clock.
fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Sleeps the requested time multiplied by a scale (0 = no sleep) and records every request.
#[derive(Debug, Default)]
pub struct ScaledSleeper {
    scale: f64,
    requested: Mutex<Vec<Duration>>,
    /// Requested time not slept (scale below 1), added to the real clock by `now`.
    skipped: Mutex<Duration>,
}

impl ScaledSleeper {
    pub fn new(scale: f64) -> Self {
        Self {
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                0.0
            },
            requested: Mutex::new(Vec::new()),
            skipped: Mutex::new(Duration::ZERO),
        }
    }

    /// Every wait requested so far, unscaled, in order.
    pub fn requested(&self) -> Vec<Duration> {
        self.requested.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Sleeper for ScaledSleeper {
    async fn sleep(&self, requested: Duration) {
        if let Ok(mut v) = self.requested.lock() {
            v.push(requested);
        }
        let real = requested.mul_f64(self.scale.min(1.0));
        if let Ok(mut skipped) = self.skipped.lock() {
            *skipped += requested.saturating_sub(real);
        }
        let real = requested.mul_f64(self.scale);
        if !real.is_zero() {
            tokio::time::sleep(real).await;
        }
    }

    fn now(&self) -> Duration {
        epoch().elapsed() + self.skipped.lock().map(|s| *s).unwrap_or_default()
    }
}

/// The retries ran out: carried inside the final `azure_core::Error` so the caller can say how
/// many attempts were made.
#[derive(Debug)]
pub struct GaveUp {
    pub attempts: u32,
    pub status: Option<u16>,
    pub source: Option<azure_core::Error>,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gave up after {} attempts", self.attempts)?;
        if let Some(s) = self.status {
            write!(f, " (last answer {s} {})", super::error::reason(s))?;
        }
        Ok(())
    }
}

impl std::error::Error for GaveUp {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

const RETRIED_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// Marks a call whose POST changes nothing (a token request, `checkNameAvailability`), so it is
/// retried like a GET: repeating it cannot do anything twice.
#[derive(Debug, Clone, Copy)]
pub struct RetrySafe;

/// Whether an answer `status` to `method` may be retried (see the module rules).
pub fn status_is_retried(method: Method, status: u16, has_retry_after: bool) -> bool {
    if !RETRIED_STATUSES.contains(&status) {
        return false;
    }
    match method {
        Method::Post => matches!(status, 429 | 503) && has_retry_after,
        _ => true,
    }
}

/// Whether a transport failure of `method` may be retried: never for POST, which may have
/// reached the service.
pub fn connection_error_is_retried(method: Method) -> bool {
    !matches!(method, Method::Post)
}

/// A uniformly distributed draw in `[0, 1)` for jitter (from the OS random source via UUID v4).
fn jitter() -> f64 {
    const BITS: u64 = 1 << 53;
    // The low 53 bits of a v4 UUID are all random (version and variant bits sit higher).
    ((uuid::Uuid::new_v4().as_u128() as u64) & (BITS - 1)) as f64 / BITS as f64
}

/// The pipeline policy implementing the rules above.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    service: Service,
    settings: RetrySettings,
    sleeper: Arc<dyn Sleeper>,
}

impl RetryPolicy {
    pub fn new(service: Service, settings: RetrySettings, sleeper: Arc<dyn Sleeper>) -> Self {
        Self {
            service,
            settings,
            sleeper,
        }
    }
}

#[async_trait]
impl Policy for RetryPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        // OAuth token requests (RFC 6749 §4.4) only issue a token; retrying one is harmless.
        let method = match request.method() {
            Method::Post
                if self.service == Service::Login || ctx.value::<RetrySafe>().is_some() =>
            {
                Method::Get
            }
            other => other,
        };
        let shown_method = request.method();
        let attempts_allowed = self.settings.max_retries + 1;
        let mut attempt = 1u32;
        let mut waited = Duration::ZERO;
        loop {
            if attempt > 1 {
                request.body_mut().reset().await?;
            }
            let result = next[0].send(ctx, request, &next[1..]).await;
            let (what, server_wait) = match &result {
                Ok(response) => {
                    let status = u16::from(response.status());
                    let server_wait = retry_after(response.headers(), OffsetDateTime::now_utc());
                    if !status_is_retried(method, status, server_wait.is_some()) {
                        return result;
                    }
                    (format!("answered {status}"), server_wait)
                }
                Err(e) if matches!(e.kind(), ErrorKind::Io | ErrorKind::Connection) => {
                    if !connection_error_is_retried(method) {
                        return result;
                    }
                    (format!("failed ({})", super::error::chain_text(e)), None)
                }
                Err(_) => return result,
            };
            let path = request.url().path().to_string();
            if attempt >= attempts_allowed {
                tracing::warn!(
                    "{} {shown_method} {path} {what}; giving up after {attempt} attempts",
                    self.service
                );
                if attempt == 1 {
                    return result;
                }
                return Err(match result {
                    Ok(response) => {
                        let status = response.status();
                        let raw = response.try_into_raw_response().await?;
                        azure_core::Error::new(
                            ErrorKind::HttpResponse {
                                status,
                                error_code: None,
                                raw_response: Some(Box::new(raw)),
                            },
                            GaveUp {
                                attempts: attempt,
                                status: Some(u16::from(status)),
                                source: None,
                            },
                        )
                    }
                    Err(e) => azure_core::Error::new(
                        e.kind().clone(),
                        GaveUp {
                            attempts: attempt,
                            status: None,
                            source: Some(e),
                        },
                    ),
                });
            }
            let wait = self.settings.wait_for(attempt, jitter(), server_wait);
            tracing::info!(
                "{} {shown_method} {path} {what}; retrying in {:.1}s (attempt {} of {attempts_allowed})",
                self.service,
                wait.as_secs_f64(),
                attempt + 1
            );
            drop(result);
            if let Some(observer) = ctx.value::<CallObserver>() {
                observer.0.report(Event::Waiting(Wait {
                    what: format!("{} to accept {shown_method} {path} ({what})", self.service),
                    attempt: attempt + 1,
                    attempts: attempts_allowed,
                    delay: wait,
                    elapsed: waited,
                    bound: self.settings.max_delay * self.settings.max_retries,
                }));
            }
            waited += wait;
            self.sleeper.sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
        let mut h = Headers::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = azure_core::time::parse_rfc7231("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1")]), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", " 120 ")]), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:27:00 GMT")]),
                now
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500")]), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(
                &headers(&[("x-ms-retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&Headers::new(), now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_bounded() {
        let s = RetrySettings::default();
        for retry in 1..=12 {
            let nominal = 0.4 * 2f64.powi(retry as i32 - 1);
            let lo = s.backoff(retry, 0.0).as_secs_f64();
            let hi = s.backoff(retry, 0.999_999).as_secs_f64();
            assert!(lo <= hi);
            assert!(hi <= 60.0 + 1e-9, "retry {retry}: {hi}");
            if nominal * 1.2 < 60.0 {
                assert!(
                    (lo - nominal * 0.8).abs() < 1e-6
                        && (hi - nominal * 1.2).abs() < nominal * 1e-5,
                    "retry {retry}"
                );
            }
        }
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn wait_is_larger_of_backoff_and_server_but_bounded() {
        let s = RetrySettings {
            max_delay: Duration::from_secs(10),
            ..RetrySettings::default()
        };
        assert_eq!(
            s.wait_for(1, 0.5, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            s.wait_for(2, 0.999, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            s.wait_for(1, 0.5, Some(Duration::from_secs(100))),
            Duration::from_secs(10)
        );
        assert_eq!(s.wait_for(6, 0.5, None), Duration::from_secs(10));
        assert_eq!(s.wait_for(1, 0.5, None), Duration::from_millis(400));
    }

    #[test]
    fn which_methods_and_statuses_are_retried() {
        for status in RETRIED_STATUSES {
            for m in [
                Method::Get,
                Method::Put,
                Method::Delete,
                Method::Patch,
                Method::Head,
            ] {
                assert!(status_is_retried(m, status, false));
            }
        }
        assert!(!status_is_retried(Method::Get, 501, true));
        assert!(!status_is_retried(Method::Get, 409, true));
        assert!(status_is_retried(Method::Post, 429, true));
        assert!(status_is_retried(Method::Post, 503, true));
        assert!(!status_is_retried(Method::Post, 429, false));
        assert!(!status_is_retried(Method::Post, 500, true));
        assert!(connection_error_is_retried(Method::Put));
        assert!(!connection_error_is_retried(Method::Post));
    }

    #[test]
    fn settings_from_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = RetrySettings::from_lookup(env(&[
            ("XTCMK_MAX_RETRIES", "2"),
            ("XTCMK_RETRY_MAX_DELAY_SECS", "5"),
            ("XTCMK_RETRY_TIME_SCALE", "0"),
            ("XTCMK_OPERATION_TIMEOUT_SECS", "60"),
        ]))
        .unwrap();
        assert_eq!(
            (s.max_retries, s.max_delay, s.time_scale),
            (2, Duration::from_secs(5), 0.0)
        );
        assert_eq!(s.operation_timeout, Duration::from_secs(60));
        assert_eq!(
            RetrySettings::from_lookup(env(&[])).unwrap(),
            RetrySettings::default()
        );
        let err = RetrySettings::from_lookup(env(&[("XTCMK_RETRY_TIME_SCALE", "-1")])).unwrap_err();
        assert_eq!(err.field, "XTCMK_RETRY_TIME_SCALE");
        assert!(RetrySettings::from_lookup(env(&[("XTCMK_MAX_RETRIES", "many")])).is_err());
    }

    #[tokio::test]
    async fn zero_scale_records_without_sleeping() {
        let s = ScaledSleeper::new(0.0);
        let started = std::time::Instant::now();
        s.sleep(Duration::from_secs(3600)).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(s.requested(), vec![Duration::from_secs(3600)]);
    }
}
