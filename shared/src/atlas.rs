//! MongoDB Atlas encryption at rest with the customer's Azure key: the ids Atlas uses (24 hex
//! digits), its Azure regions, the two ways Atlas reaches the key (the provider's app with a client
//! secret, or Atlas's own Azure app through a `cloudProviderAccess` role), and the body of
//! `PATCH /api/atlas/v2/groups/{groupId}/encryptionAtRest` (media type
//! `application/vnd.atlas.2023-01-01+json`; field names from the Atlas Admin API v2 `AzureKeyVault`
//! schema, specs/mongodb-atlas).

use crate::cloud::AtlasEnvironment;
use crate::key_uri::{KeyStoreKind, VersionedKeyUri};
use crate::{AppId, Cloud, InputError, Secret, SubscriptionId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;

/// The media type Atlas reads and writes encryption-at-rest bodies in.
pub const MEDIA_TYPE: &str = "application/vnd.atlas.2023-01-01+json";

/// Atlas's own multi-tenant Azure app (the `atlasAzureAppId` Atlas derives when it is not given;
/// the mongodbatlas Terraform examples' default for `atlas_azure_app_id`).
pub const ATLAS_AZURE_APP_ID: &str = "9f2deb0d-be22-4524-a403-df531868bac0";

/// How Atlas's app is named in a customer's directory.
pub const ATLAS_APP_DISPLAY_NAME: &str = "MongoDB Atlas";

/// Atlas's Azure app id as a typed id.
pub fn atlas_app_id() -> AppId {
    ATLAS_AZURE_APP_ID
        .parse()
        .expect("the Atlas app id is a GUID")
}

/// Atlas's key-rotation alert fires this many days after the key identifier last changed
/// ("MongoDB Cloud automatically creates a 90-day key rotation alert", updateGroupEncryptionAtRest).
pub const KEY_ROTATION_ALERT_DAYS: i64 = 90;

/// Atlas client secrets live at most two years (Atlas's Azure Key Vault page).
pub const MAX_SECRET_DAYS: i64 = 730;

/// `secret list` warns about secrets that expire within this many days.
pub const SECRET_WARNING_DAYS: i64 = 60;

fn is_hex24(value: &str) -> bool {
    value.len() == 24
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

macro_rules! hex24_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses the id (`^([a-f0-9]{24})$`), naming `field` in the error.
            pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
                let trimmed = value.trim();
                if is_hex24(trimmed) {
                    return Ok(Self(trimmed.to_string()));
                }
                let problem = if trimmed.chars().any(|c| c.is_ascii_uppercase()) {
                    format!("an Atlas {} is 24 lower-case hex digits", $what)
                } else {
                    format!(
                        "an Atlas {} is 24 hex digits (`^([a-f0-9]{{24}})$`), this has {} characters",
                        $what,
                        trimmed.chars().count()
                    )
                };
                Err(InputError::new(field, value, problem).with_fix(format!(
                    "pass the {} as Atlas shows it, e.g. 32b6e34b3d91647abb20e7b8",
                    $what
                )))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

hex24_id!(
    /// An Atlas project ("group") id.
    GroupId,
    "project (group) id"
);
hex24_id!(
    /// A `cloudProviderAccess` role id (`azureKeyVault.roleId`).
    RoleId,
    "role id"
);
hex24_id!(
    /// An encryption-at-rest private endpoint id.
    EndpointId,
    "private endpoint id"
);

/// Atlas's Azure region names and the Azure location each one is (the `Azure Regions` enum of
/// `AzureKeyVaultEARPrivateEndpoint.regionName`).
const REGIONS: &[(&str, &str)] = &[
    ("US_CENTRAL", "centralus"),
    ("US_EAST", "eastus"),
    ("US_EAST_2", "eastus2"),
    ("US_NORTH_CENTRAL", "northcentralus"),
    ("US_WEST", "westus"),
    ("US_SOUTH_CENTRAL", "southcentralus"),
    ("EUROPE_NORTH", "northeurope"),
    ("EUROPE_WEST", "westeurope"),
    ("US_WEST_CENTRAL", "westcentralus"),
    ("US_WEST_2", "westus2"),
    ("US_WEST_3", "westus3"),
    ("CANADA_EAST", "canadaeast"),
    ("CANADA_CENTRAL", "canadacentral"),
    ("BRAZIL_SOUTH", "brazilsouth"),
    ("BRAZIL_SOUTHEAST", "brazilsoutheast"),
    ("AUSTRALIA_CENTRAL", "australiacentral"),
    ("AUSTRALIA_CENTRAL_2", "australiacentral2"),
    ("AUSTRALIA_EAST", "australiaeast"),
    ("AUSTRALIA_SOUTH_EAST", "australiasoutheast"),
    ("GERMANY_WEST_CENTRAL", "germanywestcentral"),
    ("GERMANY_NORTH", "germanynorth"),
    ("SWEDEN_CENTRAL", "swedencentral"),
    ("SWEDEN_SOUTH", "swedensouth"),
    ("SWITZERLAND_NORTH", "switzerlandnorth"),
    ("SWITZERLAND_WEST", "switzerlandwest"),
    ("UK_SOUTH", "uksouth"),
    ("UK_WEST", "ukwest"),
    ("NORWAY_EAST", "norwayeast"),
    ("NORWAY_WEST", "norwaywest"),
    ("INDIA_CENTRAL", "centralindia"),
    ("INDIA_SOUTH", "southindia"),
    ("INDIA_WEST", "westindia"),
    ("CHINA_EAST", "chinaeast"),
    ("CHINA_NORTH", "chinanorth"),
    ("ASIA_EAST", "eastasia"),
    ("JAPAN_EAST", "japaneast"),
    ("JAPAN_WEST", "japanwest"),
    ("ASIA_SOUTH_EAST", "southeastasia"),
    ("KOREA_CENTRAL", "koreacentral"),
    ("KOREA_SOUTH", "koreasouth"),
    ("FRANCE_CENTRAL", "francecentral"),
    ("FRANCE_SOUTH", "francesouth"),
    ("SOUTH_AFRICA_NORTH", "southafricanorth"),
    ("SOUTH_AFRICA_WEST", "southafricawest"),
    ("UAE_CENTRAL", "uaecentral"),
    ("UAE_NORTH", "uaenorth"),
    ("QATAR_CENTRAL", "qatarcentral"),
    ("POLAND_CENTRAL", "polandcentral"),
    ("ISRAEL_CENTRAL", "israelcentral"),
    ("ITALY_NORTH", "italynorth"),
    ("SPAIN_CENTRAL", "spaincentral"),
    ("MEXICO_CENTRAL", "mexicocentral"),
    ("NEW_ZEALAND_NORTH", "newzealandnorth"),
    ("US_GOV_VIRGINIA", "usgovvirginia"),
    ("US_GOV_ARIZONA", "usgovarizona"),
    ("US_GOV_TEXAS", "usgovtexas"),
];

/// Every Azure region name Atlas accepts for an encryption-at-rest private endpoint.
pub fn atlas_region_names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(atlas, _)| *atlas)
}

/// An Azure region as Atlas names it (`EUROPE_WEST`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtlasRegion(&'static str, &'static str);

impl AtlasRegion {
    /// Accepts Atlas's name (`EUROPE_WEST`, any case) or the Azure location (`westeurope`).
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let v = value.trim();
        let found = REGIONS.iter().find(|(atlas, azure)| {
            atlas.eq_ignore_ascii_case(v) || azure.eq_ignore_ascii_case(&v.replace([' ', '-'], ""))
        });
        match found {
            Some((atlas, azure)) => Ok(Self(atlas, azure)),
            None => Err(InputError::new(
                field,
                value,
                "not an Azure region Atlas offers private endpoints in",
            )
            .with_fix(
                "pass the Azure location (westeurope) or Atlas's name (EUROPE_WEST) of a region in Atlas's list",
            )),
        }
    }

    /// Atlas's name, e.g. `EUROPE_WEST`.
    pub fn atlas_name(&self) -> &'static str {
        self.0
    }

    /// The Azure location, e.g. `westeurope`.
    pub fn azure_location(&self) -> &'static str {
        self.1
    }
}

impl fmt::Display for AtlasRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for AtlasRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtlasRegion({})", self.0)
    }
}

impl Serialize for AtlasRegion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// How Atlas reaches the customer's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessMode {
    /// The provider's multi-tenant app with a client secret (`clientID` + `secret`).
    Secret,
    /// Atlas's own Azure app through a `cloudProviderAccess` role (`roleId`): no secret.
    Role,
}

impl AccessMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            AccessMode::Secret => "secret",
            AccessMode::Role => "role",
        }
    }

    /// The mode the app a handoff grants implies: Atlas's own app means `roleId`.
    pub fn of_app(app: &AppId) -> Self {
        if *app == atlas_app_id() {
            AccessMode::Role
        } else {
            AccessMode::Secret
        }
    }
}

impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `azureKeyVault` as Atlas answers it (every member optional: a project without it answers
/// `{"enabled": false}`; `secret` is write-only and never read back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVaultView {
    #[serde(default)]
    pub azure_environment: Option<String>,
    #[serde(default, rename = "clientID")]
    pub client_id: Option<String>,
    #[serde(default, rename = "tenantID")]
    pub tenant_id: Option<String>,
    #[serde(default, rename = "subscriptionID")]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub resource_group_name: Option<String>,
    #[serde(default)]
    pub key_vault_name: Option<String>,
    #[serde(default)]
    pub key_identifier: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub require_private_networking: Option<bool>,
    #[serde(default)]
    pub valid: Option<bool>,
    #[serde(default)]
    pub role_id: Option<String>,
}

impl AzureKeyVaultView {
    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }

    pub fn is_valid(&self) -> bool {
        self.valid == Some(true)
    }

    pub fn private_networking(&self) -> bool {
        self.require_private_networking == Some(true)
    }

    /// `role` when a `roleId` is set, `secret` when a `clientID` is; `None` when not configured.
    pub fn mode(&self) -> Option<AccessMode> {
        match (&self.role_id, &self.client_id) {
            (Some(r), _) if !r.is_empty() => Some(AccessMode::Role),
            (_, Some(c)) if !c.is_empty() => Some(AccessMode::Secret),
            _ => None,
        }
    }

    /// The configured client id (secret mode).
    pub fn client(&self) -> Option<AppId> {
        self.client_id.as_deref().and_then(|c| c.parse().ok())
    }
}

/// The `encryptionAtRest` document as Atlas answers it (only the Azure member is read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionAtRestView {
    #[serde(default)]
    pub azure_key_vault: Option<AzureKeyVaultView>,
}

impl EncryptionAtRestView {
    pub fn azure(&self) -> AzureKeyVaultView {
        self.azure_key_vault.clone().unwrap_or_default()
    }
}

/// `azureKeyVault` of a PATCH body. Members left `None` are not sent: once encryption at rest is
/// on, "administrators can pass only the changed fields" (updateGroupEncryptionAtRest). `Debug`
/// redacts the secret (a [`Secret`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AzureKeyVaultPatch {
    #[serde(rename = "azureEnvironment", skip_serializing_if = "Option::is_none")]
    pub azure_environment: Option<AtlasEnvironment>,
    /// The app Atlas signs in as (secret mode).
    #[serde(rename = "clientID", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<AppId>,
    /// The tenant of the **key** (the customer's), where that app must be installed.
    #[serde(rename = "tenantID", skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    /// The app's client secret (write-only in Atlas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// The `cloudProviderAccess` role of Atlas's own app (role mode).
    #[serde(rename = "roleId", skip_serializing_if = "Option::is_none")]
    pub role_id: Option<RoleId>,
    #[serde(rename = "subscriptionID", skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    #[serde(rename = "resourceGroupName", skip_serializing_if = "Option::is_none")]
    pub resource_group_name: Option<String>,
    #[serde(rename = "keyVaultName", skip_serializing_if = "Option::is_none")]
    pub key_vault_name: Option<String>,
    /// The full versioned key identifier.
    #[serde(rename = "keyIdentifier", skip_serializing_if = "Option::is_none")]
    pub key_identifier: Option<VersionedKeyUri>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(
        rename = "requirePrivateNetworking",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_private_networking: Option<bool>,
}

/// The PATCH body: `{"azureKeyVault": {…}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncryptionAtRestPatch {
    #[serde(rename = "azureKeyVault")]
    pub azure_key_vault: AzureKeyVaultPatch,
}

/// What Atlas needs to know about the customer's key.
#[derive(Debug, Clone)]
pub struct AtlasKeyTarget {
    pub key_tenant: TenantId,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub key: VersionedKeyUri,
}

/// How Atlas signs in to reach the key.
#[derive(Debug, Clone, PartialEq)]
pub enum AtlasAccess {
    Secret { client_id: AppId, secret: Secret },
    Role { role_id: RoleId },
}

impl AtlasAccess {
    pub fn mode(&self) -> AccessMode {
        match self {
            AtlasAccess::Secret { .. } => AccessMode::Secret,
            AtlasAccess::Role { .. } => AccessMode::Role,
        }
    }
}

/// Atlas's Azure provider names a Key Vault (`keyVaultName`): a Managed HSM key cannot be used.
pub fn check_key_for_atlas(field: &str, key: &VersionedKeyUri) -> Result<(), InputError> {
    if key.kind() != KeyStoreKind::Vault {
        return Err(InputError::new(field, key.to_string(), "this is a Managed HSM key; Atlas's azureKeyVault configuration names a Key Vault (keyVaultName)")
            .with_fix("use an RSA key in a Key Vault for Atlas"));
    }
    Ok(())
}

impl EncryptionAtRestPatch {
    /// The full body that turns encryption at rest on with `target`'s key and `access`.
    pub fn enable(
        cloud: &Cloud,
        access: AtlasAccess,
        target: &AtlasKeyTarget,
        require_private_networking: bool,
    ) -> Result<Self, InputError> {
        check_key_for_atlas("key URI", &target.key)?;
        crate::resource_id::check_resource_group_name("resourceGroupName", &target.resource_group)?;
        let mut akv = AzureKeyVaultPatch {
            azure_environment: Some(cloud.atlas_environment),
            subscription_id: Some(target.subscription),
            resource_group_name: Some(target.resource_group.clone()),
            key_vault_name: Some(target.key.vault_name().to_string()),
            key_identifier: Some(target.key.clone()),
            enabled: Some(true),
            require_private_networking: Some(require_private_networking),
            ..Default::default()
        };
        match access {
            AtlasAccess::Secret { client_id, secret } => {
                if secret.is_empty() {
                    return Err(InputError::new("client secret", "", "it is empty")
                        .with_fix("pass the client secret of the app Atlas signs in as"));
                }
                akv.client_id = Some(client_id);
                akv.tenant_id = Some(target.key_tenant);
                akv.secret = Some(secret);
            }
            AtlasAccess::Role { role_id } => akv.role_id = Some(role_id),
        }
        Ok(Self {
            azure_key_vault: akv,
        })
    }

    /// Only the fields that change, for a project whose encryption at rest is on.
    pub fn changes(azure_key_vault: AzureKeyVaultPatch) -> Self {
        Self { azure_key_vault }
    }

    /// The body as JSON with the secret replaced by `***`, for dry runs and logs.
    pub fn redacted(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("the body serialises");
        if v["azureKeyVault"].get("secret").is_some() {
            v["azureKeyVault"]["secret"] = json!("***");
        }
        v
    }
}

/// The body that turns Azure Key Vault encryption at rest off (`{"azureKeyVault":{"enabled":false}}`:
/// "pass only this parameter with a value of false").
pub fn disable_body() -> Value {
    json!({ "azureKeyVault": { "enabled": false } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_uri::KeyUri;

    pub(crate) fn target(cloud: &Cloud, uri: &str) -> AtlasKeyTarget {
        AtlasKeyTarget {
            key_tenant: "22222222-2222-2222-2222-222222222222".parse().unwrap(),
            subscription: "00000000-0000-0000-0000-0000000000aa".parse().unwrap(),
            resource_group: "rg-keys".into(),
            key: KeyUri::parse(cloud, "k", uri).unwrap().versioned().unwrap(),
        }
    }

    fn secret_access(secret: &str) -> AtlasAccess {
        AtlasAccess::Secret {
            client_id: "33333333-3333-3333-3333-333333333333".parse().unwrap(),
            secret: Secret::new(secret),
        }
    }

    #[test]
    fn body_has_atlas_field_names_and_redacts() {
        let cloud = Cloud::us_government();
        let t = target(
            &cloud,
            "https://kv1.vault.usgovcloudapi.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        let body = EncryptionAtRestPatch::enable(&cloud, secret_access("s3cr3t-value"), &t, false)
            .unwrap();
        let v = serde_json::to_value(&body).unwrap();
        let akv = &v["azureKeyVault"];
        assert_eq!(akv["azureEnvironment"], "AZURE_US_GOVERNMENT");
        assert_eq!(akv["tenantID"], "22222222-2222-2222-2222-222222222222");
        assert_eq!(akv["keyVaultName"], "kv1");
        assert_eq!(
            akv["keyIdentifier"],
            "https://kv1.vault.usgovcloudapi.net/keys/atlas/0123456789abcdef0123456789abcdef"
        );
        assert_eq!(akv["secret"], "s3cr3t-value");
        assert!(akv.get("roleId").is_none());
        assert!(!format!("{body:?}").contains("s3cr3t"));
        assert!(!body.redacted().to_string().contains("s3cr3t"));
        assert_eq!(disable_body()["azureKeyVault"]["enabled"], false);
    }

    #[test]
    fn role_mode_sends_no_client_tenant_or_secret() {
        let cloud = Cloud::public();
        let t = target(
            &cloud,
            "https://kv1.vault.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        let role = RoleId::parse_field("--role-id", "32b6e34b3d91647abb20e7b8").unwrap();
        let body =
            EncryptionAtRestPatch::enable(&cloud, AtlasAccess::Role { role_id: role }, &t, true)
                .unwrap();
        let v = serde_json::to_value(&body).unwrap();
        let akv = v["azureKeyVault"].as_object().unwrap();
        assert_eq!(akv["roleId"], "32b6e34b3d91647abb20e7b8");
        assert_eq!(akv["requirePrivateNetworking"], true);
        for absent in ["clientID", "tenantID", "secret"] {
            assert!(!akv.contains_key(absent), "{absent}");
        }
        let only_key = EncryptionAtRestPatch::changes(AzureKeyVaultPatch {
            key_identifier: Some(t.key.clone()),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_value(&only_key).unwrap()["azureKeyVault"]
                .as_object()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn refuses_managed_hsm_and_empty_secret() {
        let cloud = Cloud::public();
        let hsm = target(
            &cloud,
            "https://hsm1.managedhsm.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        assert!(
            EncryptionAtRestPatch::enable(&cloud, secret_access("x"), &hsm, false)
                .unwrap_err()
                .problem
                .contains("Managed HSM")
        );
        let kv = target(
            &cloud,
            "https://kv1.vault.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        assert!(
            EncryptionAtRestPatch::enable(&cloud, secret_access(""), &kv, false)
                .unwrap_err()
                .problem
                .contains("empty")
        );
    }

    #[test]
    fn ids_and_regions() {
        assert!(GroupId::parse_field("--group-id", "32b6e34b3d91647abb20e7b8").is_ok());
        let e = GroupId::parse_field("--group-id", "32B6E34B3D91647ABB20E7B8").unwrap_err();
        assert!(e.problem.contains("lower-case"), "{e}");
        let e = RoleId::parse_field("--role-id", "abc").unwrap_err();
        assert!(e.problem.contains("3 characters"), "{e}");
        let r = AtlasRegion::parse_field("--region", "westeurope").unwrap();
        assert_eq!(
            (r.atlas_name(), r.azure_location()),
            ("EUROPE_WEST", "westeurope")
        );
        assert_eq!(
            AtlasRegion::parse_field("--region", "us_east_2")
                .unwrap()
                .atlas_name(),
            "US_EAST_2"
        );
        assert!(AtlasRegion::parse_field("--region", "moon").is_err());
        assert_eq!(atlas_region_names().count(), 56);
        assert_eq!(AccessMode::of_app(&atlas_app_id()), AccessMode::Role);
    }
}
