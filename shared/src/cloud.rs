//! Azure clouds: every endpoint, audience and DNS suffix the toolkit uses, for the public cloud, the
//! sovereign clouds, and a custom cloud loaded from a JSON profile (as `az cloud register` does).

use crate::InputError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use url::Url;

/// The environment MongoDB Atlas names the Azure cloud by (`azureKeyVault.azureEnvironment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AtlasEnvironment {
    Azure,
    AzureChina,
    AzureUsGovernment,
}

/// A rule that maps every host ending in `hostSuffix` to `address` (used for `*.localhost`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveRule {
    pub host_suffix: String,
    pub address: std::net::IpAddr,
}

/// One Azure cloud. Nothing else differs between a run against Azure and one against a simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cloud {
    /// `AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`, or the profile's own name.
    pub name: String,
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com/`.
    pub login_endpoint: Url,
    /// Azure Resource Manager, e.g. `https://management.azure.com/`.
    pub resource_manager_endpoint: Url,
    /// Token audience for ARM (scope = audience + `/.default`).
    pub resource_manager_audience: String,
    /// Microsoft Graph, e.g. `https://graph.microsoft.com/`.
    pub graph_endpoint: Url,
    /// Token audience for Graph.
    pub graph_audience: String,
    /// Key Vault DNS suffix, e.g. `vault.azure.net`.
    pub key_vault_dns_suffix: String,
    /// Token audience for the Key Vault data plane, e.g. `https://vault.azure.net`.
    pub key_vault_audience: String,
    /// Managed HSM DNS suffix, e.g. `managedhsm.azure.net`.
    pub managed_hsm_dns_suffix: String,
    /// Token audience for Managed HSM, e.g. `https://managedhsm.azure.net`.
    pub managed_hsm_audience: String,
    /// The one audience of a federated identity credential, e.g. `api://AzureADTokenExchange`.
    pub fic_audience: String,
    /// What Atlas calls this cloud.
    pub atlas_environment: AtlasEnvironment,
    /// MongoDB Atlas Admin API base, e.g. `https://cloud.mongodb.com/`.
    pub atlas_endpoint: Url,
    /// A port every service of this cloud listens on instead of 443 (custom clouds only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_port: Option<u16>,
    /// An extra CA certificate (PEM) to trust for this cloud (custom clouds only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Host-name resolution rules (custom clouds only), e.g. `*.localhost` → 127.0.0.1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolve: Vec<ResolveRule>,
    /// The region names of a custom cloud (`westeurope`, …); empty = not checked. The built-in
    /// clouds know theirs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
}

/// Azure public regions (`az account list-locations --query "[].name"`, physical and logical
/// regions; learn.microsoft.com/azure/reliability/regions-list).
pub const PUBLIC_REGIONS: &[&str] = &[
    "australiacentral",
    "australiacentral2",
    "australiaeast",
    "australiasoutheast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "brazilsoutheast",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "centraluseuap",
    "chilecentral",
    "denmarkeast",
    "eastasia",
    "eastus",
    "eastus2",
    "eastus2euap",
    "francecentral",
    "francesouth",
    "germanynorth",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "jioindiacentral",
    "jioindiawest",
    "koreacentral",
    "koreasouth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "norwaywest",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southafricawest",
    "southcentralus",
    "southeastasia",
    "southindia",
    "spaincentral",
    "swedencentral",
    "swedensouth",
    "switzerlandnorth",
    "switzerlandwest",
    "uaecentral",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
];

/// Azure operated by 21Vianet (learn.microsoft.com/azure/china/overview-operations).
pub const CHINA_REGIONS: &[&str] = &[
    "chinaeast",
    "chinaeast2",
    "chinaeast3",
    "chinanorth",
    "chinanorth2",
    "chinanorth3",
];

/// Azure Government (learn.microsoft.com/azure/azure-government/documentation-government-overview-regions).
pub const US_GOVERNMENT_REGIONS: &[&str] = &[
    "usdodcentral",
    "usdodeast",
    "usgovarizona",
    "usgovtexas",
    "usgovvirginia",
];

/// The number of single-character edits between `a` and `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A DNS suffix of host names (`vault.azure.net`): dot-separated labels of letters, digits and
/// inner hyphens, no port, no scheme.
fn check_dns_suffix(field: &str, value: &str) -> Result<(), InputError> {
    let bad = |problem: &str| {
        InputError::new(field, value, problem.to_string()).with_fix(
            "a DNS suffix such as vault.azure.net (no scheme, no port: a port goes in servicePort)",
        )
    };
    if value.is_empty() || value.len() > 253 {
        return Err(bad("a DNS suffix has 1–253 characters"));
    }
    if value.contains(':') {
        return Err(bad("it carries a port or a scheme"));
    }
    for label in value.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad(
                "it has an empty or overlong label (two dots, or a leading or trailing dot)",
            ));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(bad("its labels are letters, digits and inner hyphens only"));
        }
    }
    Ok(())
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("built-in cloud URLs are valid")
}

impl Cloud {
    /// The Azure public cloud.
    pub fn public() -> Self {
        Self {
            name: "AzureCloud".into(),
            login_endpoint: url("https://login.microsoftonline.com/"),
            resource_manager_endpoint: url("https://management.azure.com/"),
            resource_manager_audience: "https://management.azure.com/".into(),
            graph_endpoint: url("https://graph.microsoft.com/"),
            graph_audience: "https://graph.microsoft.com".into(),
            key_vault_dns_suffix: "vault.azure.net".into(),
            key_vault_audience: "https://vault.azure.net".into(),
            managed_hsm_dns_suffix: "managedhsm.azure.net".into(),
            managed_hsm_audience: "https://managedhsm.azure.net".into(),
            fic_audience: "api://AzureADTokenExchange".into(),
            atlas_environment: AtlasEnvironment::Azure,
            atlas_endpoint: url("https://cloud.mongodb.com/"),
            service_port: None,
            ca_file: None,
            resolve: Vec::new(),
            locations: Vec::new(),
        }
    }

    /// Azure operated by 21Vianet (China).
    pub fn china() -> Self {
        Self {
            name: "AzureChinaCloud".into(),
            login_endpoint: url("https://login.chinacloudapi.cn/"),
            resource_manager_endpoint: url("https://management.chinacloudapi.cn/"),
            resource_manager_audience: "https://management.chinacloudapi.cn/".into(),
            graph_endpoint: url("https://microsoftgraph.chinacloudapi.cn/"),
            graph_audience: "https://microsoftgraph.chinacloudapi.cn".into(),
            key_vault_dns_suffix: "vault.azure.cn".into(),
            key_vault_audience: "https://vault.azure.cn".into(),
            managed_hsm_dns_suffix: "managedhsm.azure.cn".into(),
            managed_hsm_audience: "https://managedhsm.azure.cn".into(),
            fic_audience: "api://AzureADTokenExchangeChina".into(),
            atlas_environment: AtlasEnvironment::AzureChina,
            ..Self::public()
        }
    }

    /// Azure US Government.
    pub fn us_government() -> Self {
        Self {
            name: "AzureUSGovernment".into(),
            login_endpoint: url("https://login.microsoftonline.us/"),
            resource_manager_endpoint: url("https://management.usgovcloudapi.net/"),
            resource_manager_audience: "https://management.usgovcloudapi.net/".into(),
            graph_endpoint: url("https://graph.microsoft.us/"),
            graph_audience: "https://graph.microsoft.us".into(),
            key_vault_dns_suffix: "vault.usgovcloudapi.net".into(),
            key_vault_audience: "https://vault.usgovcloudapi.net".into(),
            managed_hsm_dns_suffix: "managedhsm.usgovcloudapi.net".into(),
            managed_hsm_audience: "https://managedhsm.usgovcloudapi.net".into(),
            fic_audience: "api://AzureADTokenExchangeUSGov".into(),
            atlas_environment: AtlasEnvironment::AzureUsGovernment,
            ..Self::public()
        }
    }

    /// The three built-in clouds.
    pub fn builtins() -> [Cloud; 3] {
        [Self::public(), Self::china(), Self::us_government()]
    }

    /// The regions of this cloud, if known.
    pub fn regions(&self) -> Vec<&str> {
        match self.name.as_str() {
            "AzureCloud" => PUBLIC_REGIONS.to_vec(),
            "AzureChinaCloud" => CHINA_REGIONS.to_vec(),
            "AzureUSGovernment" => US_GOVERNMENT_REGIONS.to_vec(),
            _ => self.locations.iter().map(String::as_str).collect(),
        }
    }

    /// Refuses a region this cloud does not have (when its regions are known), suggesting the
    /// nearest names.
    pub fn check_location(
        &self,
        field: &str,
        location: &crate::Location,
    ) -> Result<(), InputError> {
        let regions = self.regions();
        if regions.is_empty() || regions.contains(&location.as_str()) {
            return Ok(());
        }
        let mut near: Vec<(usize, &str)> = regions
            .iter()
            .map(|r| (distance(location.as_str(), r), *r))
            .filter(|(d, _)| *d <= 3)
            .collect();
        near.sort();
        let fix = match near.first() {
            Some((_, r)) => {
                format!("did you mean {r}? `az account list-locations -o table` lists the regions")
            }
            None => "pass a region of this cloud; `az account list-locations -o table` lists them"
                .to_string(),
        };
        Err(InputError::new(
            field,
            location.as_str(),
            format!("not a region of {}", self.name),
        )
        .with_fix(fix))
    }

    /// Selects a cloud from `--cloud` / `XTCMK_CLOUD`: a built-in name or the path of a JSON profile.
    pub fn select(value: &str) -> Result<Self, InputError> {
        if value.trim().is_empty() {
            return Err(InputError::new("--cloud (or XTCMK_CLOUD)", value, "it is empty")
                .with_fix("pass public, china, usgov or the path of a cloud profile, or unset XTCMK_CLOUD"));
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "public" | "azurecloud" | "azure" => return Ok(Self::public()),
            "china" | "azurechinacloud" => return Ok(Self::china()),
            "usgov" | "us-gov" | "azureusgovernment" => return Ok(Self::us_government()),
            _ => {}
        }
        Self::load(Path::new(value))
    }

    /// Loads a custom cloud profile. A relative `caFile` is taken relative to the profile's folder.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let field = "--cloud";
        let shown = path.display().to_string();
        let text = crate::files::read_text(field, path)?.ok_or_else(|| {
            InputError::new(field, &shown, "not a built-in cloud name, and no profile file has this path")
                .with_fix("use public, china or usgov, or the path of a cloud profile JSON file (such as the one `xtcmk-sim serve --profile-out` writes)")
        })?;
        let mut cloud: Cloud = serde_json::from_str(&text).map_err(|e| {
            InputError::new(field, &shown, format!("the cloud profile is not valid: {e}"))
                .with_fix("compare the file with the profile `xtcmk-sim serve --profile-out` writes; every endpoint field is required")
        })?;
        for (name, u) in [
            ("loginEndpoint", &cloud.login_endpoint),
            ("resourceManagerEndpoint", &cloud.resource_manager_endpoint),
            ("graphEndpoint", &cloud.graph_endpoint),
            ("atlasEndpoint", &cloud.atlas_endpoint),
        ] {
            if u.scheme() != "https" {
                return Err(InputError::new(
                    format!("{field} {name}"),
                    u.as_str(),
                    "endpoints must use https",
                )
                .with_fix(
                    "every Azure endpoint is https; serve the simulator with its generated CA",
                ));
            }
        }
        check_dns_suffix(
            &format!("{field} keyVaultDnsSuffix"),
            &cloud.key_vault_dns_suffix,
        )?;
        check_dns_suffix(
            &format!("{field} managedHsmDnsSuffix"),
            &cloud.managed_hsm_dns_suffix,
        )?;
        if cloud.service_port == Some(0) {
            return Err(InputError::new(format!("{field} servicePort"), "0", "port 0 is not a port")
                .with_fix("set servicePort to the port the services listen on (1–65535), or remove it for 443"));
        }
        for (name, audience) in [
            ("resourceManagerAudience", &cloud.resource_manager_audience),
            ("graphAudience", &cloud.graph_audience),
            ("keyVaultAudience", &cloud.key_vault_audience),
            ("managedHsmAudience", &cloud.managed_hsm_audience),
        ] {
            if !audience.starts_with("https://") || Url::parse(audience).is_err() {
                return Err(InputError::new(
                    format!("{field} {name}"),
                    audience,
                    "an audience is an https URL",
                )
                .with_fix(
                    "compare the file with the profile `xtcmk-sim serve --profile-out` writes",
                ));
            }
        }
        if let Some(ca) = &cloud.ca_file {
            let resolved = if ca.is_relative() {
                path.parent().unwrap_or(Path::new(".")).join(ca)
            } else {
                ca.clone()
            };
            if !resolved.is_file() {
                return Err(InputError::new(
                    format!("{field} caFile"),
                    resolved.display().to_string(),
                    "the CA certificate file does not exist",
                )
                .with_fix(
                    "point caFile at the PEM file the simulator wrote, or remove the field",
                ));
            }
            cloud.ca_file = Some(resolved);
        }
        Ok(cloud)
    }

    /// Whether this is one of the built-in Azure clouds.
    pub fn is_builtin(&self) -> bool {
        Self::builtins()
            .iter()
            .any(|b| b.name == self.name && b.login_endpoint == self.login_endpoint)
    }

    /// The issuer Entra puts in tokens for `tenant`, and the issuer a federated credential must name.
    pub fn issuer(&self, tenant: &crate::TenantId) -> String {
        format!("{}{}/v2.0", self.login_endpoint, tenant)
    }

    /// `scope` for a token to `audience` (`<audience>/.default`, one slash).
    pub fn scope_for(audience: &str) -> String {
        format!("{}/.default", audience.trim_end_matches('/'))
    }

    /// The base URL of a vault (`https://{name}.{suffix}[:port]/`).
    pub fn vault_url(&self, vault_name: &str) -> Url {
        self.service_url(&format!("{vault_name}.{}", self.key_vault_dns_suffix))
    }

    /// The base URL of a Managed HSM.
    pub fn managed_hsm_url(&self, hsm_name: &str) -> Url {
        self.service_url(&format!("{hsm_name}.{}", self.managed_hsm_dns_suffix))
    }

    fn service_url(&self, host: &str) -> Url {
        let port = self
            .service_port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        Url::parse(&format!("https://{host}{port}/")).expect("vault host names are valid URL hosts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_have_their_suffixes_and_audiences() {
        assert_eq!(Cloud::public().fic_audience, "api://AzureADTokenExchange");
        assert_eq!(
            Cloud::us_government().fic_audience,
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            Cloud::china().fic_audience,
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(Cloud::china().key_vault_dns_suffix, "vault.azure.cn");
        assert_eq!(
            Cloud::us_government().managed_hsm_dns_suffix,
            "managedhsm.usgovcloudapi.net"
        );
        assert_eq!(
            Cloud::select("usgov").unwrap().atlas_environment,
            AtlasEnvironment::AzureUsGovernment
        );
        assert_eq!(
            Cloud::public().vault_url("kv1").as_str(),
            "https://kv1.vault.azure.net/"
        );
        let t = "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap();
        assert_eq!(
            Cloud::public().issuer(&t),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
        );
        assert_eq!(
            Cloud::scope_for("https://management.azure.com/"),
            "https://management.azure.com/.default"
        );
    }

    #[test]
    fn loads_a_custom_profile_and_resolves_the_ca_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "pem").unwrap();
        let mut c = Cloud::public();
        c.name = "sim".into();
        c.service_port = Some(8443);
        c.key_vault_dns_suffix = "vault.localhost".into();
        c.ca_file = Some("ca.pem".into());
        c.resolve = vec![ResolveRule {
            host_suffix: "localhost".into(),
            address: "127.0.0.1".parse().unwrap(),
        }];
        let p = dir.path().join("profile.json");
        std::fs::write(&p, serde_json::to_string_pretty(&c).unwrap()).unwrap();
        let loaded = Cloud::select(p.to_str().unwrap()).unwrap();
        assert_eq!(
            loaded.ca_file.as_deref(),
            Some(dir.path().join("ca.pem").as_path())
        );
        assert_eq!(
            loaded.vault_url("kv1").as_str(),
            "https://kv1.vault.localhost:8443/"
        );
        assert!(!loaded.is_builtin());
    }

    #[test]
    fn refuses_missing_or_bad_profiles() {
        assert!(
            Cloud::select("").is_err(),
            "an empty --cloud is not the public cloud"
        );
        let err = Cloud::select("/nonexistent/profile.json").unwrap_err();
        assert_eq!(err.field, "--cloud");
        assert!(err.fix.unwrap().contains("public, china or usgov"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.json");
        std::fs::write(&p, "{\"name\":\"x\"}").unwrap();
        assert!(Cloud::load(&p).unwrap_err().problem.contains("not valid"));
        for (suffix, port) in [
            ("vault..localhost", Some(8443)),
            ("vault.localhost:9", None),
            ("vault.localhost", Some(0)),
        ] {
            let mut c = Cloud::public();
            c.name = "broken".into();
            c.key_vault_dns_suffix = suffix.into();
            c.service_port = port;
            std::fs::write(&p, serde_json::to_string(&c).unwrap()).unwrap();
            let e = Cloud::load(&p).unwrap_err();
            assert!(e.field.starts_with("--cloud "), "{e}");
        }
    }

    #[test]
    fn regions_are_checked_with_a_suggestion() {
        let l = crate::Location::parse_field("--location", "westeurpe").unwrap();
        let e = Cloud::public()
            .check_location("--location", &l)
            .unwrap_err();
        assert!(e.fix.unwrap().contains("did you mean westeurope"));
        let narnia = crate::Location::parse_field("--location", "narnia").unwrap();
        assert!(
            Cloud::public()
                .check_location("--location", &narnia)
                .is_err()
        );
        let china = crate::Location::parse_field("--location", "chinaeast2").unwrap();
        assert!(Cloud::china().check_location("--location", &china).is_ok());
        assert!(
            Cloud::public()
                .check_location("--location", &china)
                .is_err()
        );
        let mut custom = Cloud::public();
        custom.name = "custom".into();
        assert!(
            custom.check_location("--location", &narnia).is_ok(),
            "unknown regions are not checked"
        );
    }
}
