//! The api-versions the Key Vault and Managed HSM data planes accept: the versions of
//! azure-keyvault-keys' `ApiVersion` (azure-sdk-for-python, `_shared/client_base.py`), which
//! lists every version the service publishes (2016-10-01, 7.0 … 7.6, 2025-07-01 and the
//! 2026-01-01-preview), plus the preview versions published under
//! specification/keyvault/data-plane (7.6-preview.2 is what azure-cli 2.91's vendored keys SDK
//! sends). Another one is 400 `BadParameter` "The specified version (X) is not
//! recognized. Consider using the latest supported version (Y)." (azure-sdk-for-net#14789,
//! azure-sdk-for-python#28595); a missing one is `BadParameter` too.

use super::error;
use crate::reply::Reply;

/// Accepted data-plane api-versions, newest first.
pub const VERSIONS: &[&str] = &[
    "2026-01-01-preview",
    "2025-07-01",
    "7.6",
    "7.6-preview.2",
    "7.6-preview.1",
    "7.5",
    "7.5-preview.1",
    "7.4",
    "7.4-preview.1",
    "7.3",
    "7.3-preview",
    "7.2",
    "7.1",
    "7.0",
    "2016-10-01",
];

/// The newest stable version (what the refusal recommends; keyvault-data/2025-07-01).
pub const LATEST_STABLE: &str = "2025-07-01";

/// The refusal of a missing or unknown api-version, or `None`.
pub fn check(version: Option<&str>) -> Option<Reply> {
    match version.filter(|v| !v.is_empty()) {
        None => Some(error(
            400,
            "BadParameter",
            "The 'api-version' query parameter is required.",
        )),
        Some(v) if VERSIONS.iter().any(|known| known.eq_ignore_ascii_case(v)) => None,
        Some(v) => Some(error(
            400,
            "BadParameter",
            &format!(
                "The specified version ({v}) is not recognized. Consider using the latest supported version ({LATEST_STABLE})."
            ),
        )),
    }
}
