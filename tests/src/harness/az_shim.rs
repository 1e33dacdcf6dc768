//! The `az` executable the harness puts first on `PATH`, so the tools' Azure CLI credential
//! (`azure_identity`'s `AzureCliCredential`, which runs `az account get-access-token -o json
//! --scope S [--tenant T]`) gets the signed-in user's tokens from the simulator.
//!
//! It is a POSIX `sh` script needing only `curl`, so it works from a clean clone without any
//! `xtcmk-sim` binary: it reads `$AZURE_CONFIG_DIR/xtcmk-sim.conf` (port, CA, default tenant)
//! and posts `$AZURE_CONFIG_DIR/xtcmk-sim-refresh-token` (what `az login` left behind; sent from
//! the file, never on a command line) with the az options to the simulator's admin endpoint,
//! which answers the JSON the Azure CLI prints (`accessToken`, `expiresOn`, `expires_on`,
//! `subscription`, `tenant`, `tokenType`) or, with status 400, its stderr text.

use std::path::{Path, PathBuf};

/// The file holding the refresh token in a config dir.
pub const REFRESH_TOKEN_FILE: &str = "xtcmk-sim-refresh-token";
/// The file holding port, CA and default tenant in a config dir.
pub const CONF_FILE: &str = "xtcmk-sim.conf";

/// The script's text.
pub const SCRIPT: &str = r#"#!/bin/sh
# az for xtcmk-sim: `az account get-access-token` and `az account show` answered by the local
# simulator for the user signed in to $AZURE_CONFIG_DIR (written by the xtcmk-sim harness or
# `xtcmk-sim az login`). Needs curl.
set -u
conf="${AZURE_CONFIG_DIR:-$HOME/.azure}"
if [ ! -r "$conf/xtcmk-sim.conf" ] || [ ! -r "$conf/xtcmk-sim-refresh-token" ]; then
    echo "Please run 'az login' to setup account." >&2
    exit 1
fi
. "$conf/xtcmk-sim.conf"
if [ "${1:-}" != account ] || { [ "${2:-}" != get-access-token ] && [ "${2:-}" != show ]; }; then
    echo "ERROR: the xtcmk-sim az supports only 'az account get-access-token' and 'az account show'" >&2
    exit 2
fi
action="$2"
shift 2
scope=""; resource=""; tenant=""; subscription=""
while [ $# -gt 0 ]; do
    case "$1" in
        --scope|--scopes) scope="${2:-}"; shift 2 ;;
        --resource) resource="${2:-}"; shift 2 ;;
        --tenant|-t) tenant="${2:-}"; shift 2 ;;
        --subscription|-s) subscription="${2:-}"; shift 2 ;;
        -o|--output) shift 2 ;;
        --only-show-errors|--debug|--verbose) shift ;;
        *) echo "ERROR: unrecognized arguments: $1" >&2; exit 2 ;;
    esac
done
if [ -z "$tenant" ] && [ -z "$subscription" ]; then
    tenant="${SIM_TENANT:-}"
fi
out="$(mktemp)" || exit 1
status="$(curl -sS -o "$out" -w '%{http_code}' --connect-timeout 10 --max-time 120 --cacert "$SIM_CA" \
    --resolve "sim.localhost:$SIM_PORT:127.0.0.1" \
    --data-urlencode "refresh_token@$conf/xtcmk-sim-refresh-token" \
    --data-urlencode "scope=$scope" --data-urlencode "resource=$resource" \
    --data-urlencode "tenant=$tenant" --data-urlencode "subscription=$subscription" \
    "https://sim.localhost:$SIM_PORT/az/account/$action")"
if [ "$status" = 200 ]; then
    cat "$out"
    echo
    rm -f "$out"
    exit 0
fi
if [ "$status" = 000 ]; then
    echo "ERROR: cannot reach xtcmk-sim on port $SIM_PORT (is it running?)" >&2
else
    cat "$out" >&2
fi
rm -f "$out"
exit 1
"#;

/// Writes the script as `dir/az` (mode 755); returns its path.
pub fn install(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("az");
    std::fs::write(&path, SCRIPT)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(path)
}

/// Shell single quotes around a value.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Fills `config_dir` as `az login` would for the simulator on `port`.
pub fn sign_in(
    config_dir: &Path,
    port: u16,
    ca_file: &Path,
    tenant: Option<&str>,
    refresh_token: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    let conf = format!(
        "SIM_PORT={port}\nSIM_CA={}\nSIM_TENANT={}\n",
        quoted(&ca_file.display().to_string()),
        quoted(tenant.unwrap_or_default())
    );
    std::fs::write(config_dir.join(CONF_FILE), conf)?;
    let token_path = config_dir.join(REFRESH_TOKEN_FILE);
    std::fs::write(&token_path, refresh_token)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Reads a config dir written by [`sign_in`]: (port, CA file, default tenant, refresh token).
pub fn read_config(config_dir: &Path) -> std::io::Result<(u16, PathBuf, String, String)> {
    let conf = std::fs::read_to_string(config_dir.join(CONF_FILE))?;
    let mut port = 0;
    let mut ca = PathBuf::new();
    let mut tenant = String::new();
    for line in conf.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim_matches('\'').replace(r"'\''", "'");
        match k {
            "SIM_PORT" => port = v.parse().unwrap_or(0),
            "SIM_CA" => ca = PathBuf::from(v),
            "SIM_TENANT" => tenant = v,
            _ => {}
        }
    }
    let token = std::fs::read_to_string(config_dir.join(REFRESH_TOKEN_FILE))?;
    Ok((port, ca, tenant, token.trim().to_string()))
}
