//! The cloud profile of a running simulator: every endpoint on `*.localhost:PORT`, audiences
//! without the port (audiences are identifiers, not addresses), the generated CA, and the rule
//! that resolves `*.localhost` to 127.0.0.1. The tools load it with `--cloud <file>`.

use crate::service::{ARM_HOST, ATLAS_HOST, GRAPH_HOST, HSM_SUFFIX, LOGIN_HOST, VAULT_SUFFIX};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use url::Url;
use xtcmk::Cloud;
use xtcmk::cloud::{AtlasEnvironment, ResolveRule};

/// The profile's `name`.
pub const CLOUD_NAME: &str = "xtcmk-sim";

fn endpoint(host: &str, port: u16) -> Url {
    Url::parse(&format!("https://{host}:{port}/")).expect("simulator hosts are valid URL hosts")
}

/// The cloud a simulator on 127.0.0.1:`port` with CA file `ca_file` plays.
pub fn cloud(port: u16, ca_file: PathBuf) -> Cloud {
    cloud_at(IpAddr::V4(Ipv4Addr::LOCALHOST), port, ca_file)
}

/// The cloud a simulator listening on `address`:`port` plays (`*.localhost` resolves there).
pub fn cloud_at(address: IpAddr, port: u16, ca_file: PathBuf) -> Cloud {
    Cloud {
        name: CLOUD_NAME.into(),
        login_endpoint: endpoint(LOGIN_HOST, port),
        resource_manager_endpoint: endpoint(ARM_HOST, port),
        resource_manager_audience: format!("https://{ARM_HOST}/"),
        graph_endpoint: endpoint(GRAPH_HOST, port),
        graph_audience: format!("https://{GRAPH_HOST}"),
        key_vault_dns_suffix: VAULT_SUFFIX.into(),
        key_vault_audience: format!("https://{VAULT_SUFFIX}"),
        managed_hsm_dns_suffix: HSM_SUFFIX.into(),
        managed_hsm_audience: format!("https://{HSM_SUFFIX}"),
        fic_audience: "api://AzureADTokenExchange".into(),
        atlas_environment: AtlasEnvironment::Azure,
        atlas_endpoint: endpoint(ATLAS_HOST, port),
        service_port: Some(port),
        ca_file: Some(ca_file),
        resolve: vec![ResolveRule {
            host_suffix: "localhost".into(),
            address,
        }],
        // The simulator plays the public cloud's regions.
        locations: xtcmk::cloud::PUBLIC_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect(),
    }
}
