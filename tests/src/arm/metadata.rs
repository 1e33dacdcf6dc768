//! `GET /metadata/endpoints?api-version=…`: Resource Manager's description of its cloud, which
//! `az cloud register --endpoint-resource-manager …` reads (azure-cli
//! `_populate_from_metadata_endpoint`, api-version 2022-09-01, one object) and
//! `ARM_CLOUD_METADATA_URL` lists (2019-05-01, an array of clouds). It needs no token. The
//! endpoints carry the host and port the client used.

use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::service::{GRAPH_HOST, HSM_SUFFIX, LOGIN_HOST, VAULT_SUFFIX};
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    vec![Route::get("/metadata/endpoints", endpoints)]
}

/// `https://{host}[:port]` of a simulated host, with the port the client used.
fn url(call: &Call, host: &str) -> String {
    match call.host.rsplit_once(':') {
        Some((_, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
            format!("https://{host}:{port}")
        }
        _ => format!("https://{host}"),
    }
}

/// The cloud description (the member names of ARM's metadata).
fn cloud(call: &Call) -> Value {
    let cloud = &call.sim.cloud;
    json!({
        "name": cloud.name,
        "portal": url(call, "portal.localhost"),
        "authentication": {
            "loginEndpoint": url(call, LOGIN_HOST),
            "audiences": [cloud.resource_manager_audience],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": format!("{}/", url(call, &call.host_name())),
        "graph": format!("{}/", url(call, GRAPH_HOST)),
        "graphAudience": format!("{}/", cloud.graph_audience.trim_end_matches('/')),
        "microsoftGraphResourceId": format!("{}/", url(call, GRAPH_HOST)),
        "suffixes": {
            "keyVaultDns": VAULT_SUFFIX,
            "mhsmDns": HSM_SUFFIX,
        },
    })
}

fn endpoints(call: &Call) -> Reply {
    // 2022-09-01 answers the cloud itself; older versions the list of clouds.
    if call
        .query("api-version")
        .is_some_and(|v| v.eq_ignore_ascii_case("2022-09-01"))
    {
        Reply::ok(cloud(call))
    } else {
        Reply::ok(json!([cloud(call)]))
    }
}
