//! Cosmos DB with a cross-tenant customer-managed key: the `identity` block, the `defaultIdentity`
//! string, the account body, and the ARM deployment template in `templates/` that the builder fills.
//!
//! Facts (Microsoft's "configure cross-tenant customer-managed keys" article for Cosmos DB and the
//! cosmosdb 2022-05-15 / 2026-07-15 specs): `identity.type` `UserAssigned` with the UAMI id as a key of
//! `identity.userAssignedIdentities`; `defaultIdentity` =
//! `UserAssignedIdentity=<UAMI resource id>&FederatedClientId=<app id>`; `keyVaultKeyUri` without a
//! version; apiVersion 2022-05-15 or later.

pub mod status;

use crate::key_uri::VersionlessKeyUri;
use crate::resource_id::{ResourceId, USER_ASSIGNED_IDENTITY_TYPE};
use crate::{AppId, InputError, Refusal, SubscriptionId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::fmt;

/// The apiVersion the template and the account PUT use: the newest stable Microsoft.DocumentDB version
/// in the published specs. It reads back `customerManagedKeyStatus` (2023-09-15 and later).
pub const API_VERSION: &str = "2026-07-15";
/// The first apiVersion that accepts a cross-tenant `defaultIdentity` (`FederatedClientId=`).
pub const MIN_CROSS_TENANT_API_VERSION: &str = "2022-05-15";
/// File name of the deployment template.
pub const TEMPLATE_FILE_NAME: &str = "cosmos-cross-tenant-cmk.json";
/// File name of the deployment parameters file.
pub const PARAMETERS_FILE_NAME: &str = "cosmos-cross-tenant-cmk.parameters.json";
/// The deployment template, as shipped in `templates/`.
pub const TEMPLATE_JSON: &str = include_str!("../../templates/cosmos-cross-tenant-cmk.json");
/// The example parameters file shipped in `templates/` (the shape [`CosmosCmkAccount::parameters`] fills).
pub const PARAMETERS_EXAMPLE_JSON: &str =
    include_str!("../../templates/cosmos-cross-tenant-cmk.parameters.json");
/// `$schema` of a deployment parameters file.
pub const PARAMETERS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// Cosmos DB's answer to a versioned `keyVaultKeyUri` (MicrosoftDocs/azure-docs#70179).
pub const VERSIONED_KEY_REFUSED: &str =
    "Please provide KeyVault Key Uri without version. We will use latest version of the key";
/// Cosmos DB's answer when it cannot use the key, whatever the broken link (troubleshoot-cmk 1.2).
pub const KEY_VAULT_UNREACHABLE: &str = "Error contacting the Azure Key Vault resource";
/// Cosmos DB's answer to any change but identities while the key is revoked (troubleshoot-cmk 1.5).
pub const REVOKED_NO_UPDATE: &str =
    "No Update is allowed on Database Account with Customer Managed Key in Revoked Status";

/// Cosmos DB's answer to a key from another tenant on an account pinned to its first key's tenant
/// (troubleshoot-cmk 1.7).
pub fn pinned_tenant_refusal(new: &crate::TenantId, old: &crate::TenantId) -> String {
    format!(
        "The tenant for the new Key Vault {new} does not match the one in the old Key Vault {old}. New Key Vaults must be on the same tenant as the old ones."
    )
}

/// The message Cosmos DB answers when a cross-tenant key is paired with a system-assigned identity.
const SYSTEM_ASSIGNED_REFUSED: &str = "Cross-tenant CMK is not supported with System Assigned identities: Cosmos DB reaches the other tenant's key only through a user-assigned managed identity federated to a multi-tenant app";

/// A Cosmos DB account name: 3–44 characters (Azure's resource-name rules for
/// Microsoft.DocumentDB/databaseAccounts; the spec's `maxLength` 50 is not what the service allows),
/// `^[a-z0-9]+(-[a-z0-9]+)*$` (cosmosdb 2022-05-15 `accountNameParameter`; the published pattern lacks
/// the `$` anchor that Azure enforces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountName(String);

/// The longest account name Azure accepts (resource-name rules, Microsoft.DocumentDB).
pub const MAX_ACCOUNT_NAME: usize = 44;

impl AccountName {
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let fix = "Cosmos DB account names are 3–44 lowercase letters, digits and single hyphens, not starting or ending with a hyphen (they become <name>.documents.azure.com)";
        let v = value.trim();
        let count = v.chars().count();
        let problem = if !(3..=MAX_ACCOUNT_NAME).contains(&count) {
            Some(format!(
                "an account name has 3–{MAX_ACCOUNT_NAME} characters, this has {count}"
            ))
        } else if v.chars().any(|c| c.is_ascii_uppercase()) {
            Some("an account name has no uppercase letters".to_string())
        } else if let Some(c) = v
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            Some(format!("an account name cannot contain `{c}`"))
        } else if v.starts_with('-') || v.ends_with('-') {
            Some("an account name cannot start or end with a hyphen".to_string())
        } else if v.contains("--") {
            Some("an account name cannot contain consecutive hyphens".to_string())
        } else {
            None
        };
        match problem {
            Some(p) => Err(InputError::new(field, value, p).with_fix(fix)),
            None => Ok(Self(v.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub use crate::location::Location;

/// `identity.type` of a Cosmos DB account (cosmosdb 2022-05-15 `ManagedServiceIdentity.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityType {
    SystemAssigned,
    UserAssigned,
    SystemAssignedUserAssigned,
    None,
}

impl IdentityType {
    pub fn as_str(&self) -> &'static str {
        match self {
            IdentityType::SystemAssigned => "SystemAssigned",
            IdentityType::UserAssigned => "UserAssigned",
            IdentityType::SystemAssignedUserAssigned => "SystemAssigned,UserAssigned",
            IdentityType::None => "None",
        }
    }

    /// Parses the type as ARM prints it (case and spaces around the comma ignored).
    pub fn parse(value: &str) -> Option<Self> {
        let v: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        match v.as_str() {
            "systemassigned" => Some(Self::SystemAssigned),
            "userassigned" => Some(Self::UserAssigned),
            "systemassigned,userassigned" | "userassigned,systemassigned" => {
                Some(Self::SystemAssignedUserAssigned)
            }
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

impl Serialize for IdentityType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdentityType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown identity type `{s}`")))
    }
}

/// The account's `identity` block, as sent and as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountIdentity {
    #[serde(rename = "type")]
    pub kind: IdentityType,
    /// Keyed by UAMI resource id; values are `{}` in requests (principalId/clientId are read-only).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub user_assigned_identities: Map<String, Value>,
}

impl AccountIdentity {
    /// `{"type":"UserAssigned","userAssignedIdentities":{"<uami id>":{}}}`.
    pub fn user_assigned(uami: &ResourceId) -> Self {
        let mut ids = Map::new();
        ids.insert(uami.to_string(), json!({}));
        Self {
            kind: IdentityType::UserAssigned,
            user_assigned_identities: ids,
        }
    }

    /// Whether `uami` is among the account's user-assigned identities (ids compared as ARM does).
    pub fn has_user_assigned(&self, uami: &ResourceId) -> bool {
        self.user_assigned_identities
            .keys()
            .any(|k| k.parse::<ResourceId>().is_ok_and(|id| id == *uami))
    }

    /// Refuses an identity that cannot carry a cross-tenant key for `uami`: system-assigned only, none,
    /// or without the UAMI.
    pub fn check_cross_tenant(&self, uami: &ResourceId) -> Result<(), Refusal> {
        match self.kind {
            IdentityType::SystemAssigned | IdentityType::None => {
                return Err(Refusal::new(format!("the account's identity is {}. {SYSTEM_ASSIGNED_REFUSED}", self.kind.as_str()))
                    .hint(format!("add the user-assigned identity {uami} to the account (identity type UserAssigned)")));
            }
            IdentityType::UserAssigned | IdentityType::SystemAssignedUserAssigned => {}
        }
        if !self.has_user_assigned(uami) {
            return Err(Refusal::new(format!("the account's user-assigned identities do not include {uami}, which defaultIdentity names"))
                .hint("the same UAMI id must be a key of identity.userAssignedIdentities and appear in defaultIdentity"));
        }
        Ok(())
    }
}

/// `UserAssignedIdentity=<UAMI resource id>&FederatedClientId=<app id>`: the one place this string is built.
pub fn default_identity(uami: &ResourceId, app: &AppId) -> String {
    format!("UserAssignedIdentity={uami}&FederatedClientId={app}")
}

/// The app id of a cross-tenant `defaultIdentity` (`…&FederatedClientId=<app id>`), if it has one.
pub fn federated_client_id(default_identity: &str) -> Option<AppId> {
    let (_, tail) = default_identity.split_once('&')?;
    tail.strip_prefix("FederatedClientId=")?.trim().parse().ok()
}

/// Parses `--identity`: the UAMI's resource id. `SystemAssigned` (and other identity types) are refused
/// with Cosmos DB's own reason.
pub fn parse_cross_tenant_identity(field: &str, value: &str) -> Result<ResourceId, InputError> {
    if let Some(t) = IdentityType::parse(value) {
        return Err(InputError::new(field, value, format!("`{}` is an identity type, not a user-assigned identity. {SYSTEM_ASSIGNED_REFUSED}", t.as_str()))
            .with_fix("pass the resource id of the provider's user-assigned managed identity (`az identity show -g <group> -n <name> --query id -o tsv`)"));
    }
    ResourceId::parse_typed(field, value, USER_ASSIGNED_IDENTITY_TYPE)
}

/// Everything a Cosmos DB account with a cross-tenant CMK needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CosmosCmkAccount {
    pub name: AccountName,
    pub location: Location,
    /// The provider's UAMI (on the account, and named in `defaultIdentity`).
    pub identity: ResourceId,
    /// The provider's multi-tenant app, installed in the key's tenant.
    pub app_id: AppId,
    pub key: VersionlessKeyUri,
}

impl CosmosCmkAccount {
    /// Checks that `identity` is a UAMI id.
    pub fn new(
        name: AccountName,
        location: Location,
        identity: ResourceId,
        app_id: AppId,
        key: VersionlessKeyUri,
    ) -> Result<Self, InputError> {
        identity.expect_type("identity", USER_ASSIGNED_IDENTITY_TYPE)?;
        Ok(Self {
            name,
            location,
            identity,
            app_id,
            key,
        })
    }

    pub fn default_identity(&self) -> String {
        default_identity(&self.identity, &self.app_id)
    }

    pub fn identity_block(&self) -> AccountIdentity {
        AccountIdentity::user_assigned(&self.identity)
    }

    /// The account's id in `subscription`/`resource_group`.
    pub fn account_id(&self, subscription: SubscriptionId, resource_group: &str) -> ResourceId {
        ResourceId::cosmos_account(subscription, resource_group, self.name.as_str())
    }

    /// The template's parameter values, as a name → value map.
    pub fn parameter_values(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("accountName".into(), json!(self.name));
        m.insert("location".into(), json!(self.location));
        m.insert("identityResourceId".into(), json!(self.identity));
        m.insert("federatedClientId".into(), json!(self.app_id));
        m.insert("keyVaultKeyUri".into(), json!(self.key));
        m
    }

    /// The deployment parameters file (same shape as `templates/cosmos-cross-tenant-cmk.parameters.json`).
    pub fn parameters_file(&self) -> Value {
        let params: Map<String, Value> = self
            .parameter_values()
            .into_iter()
            .map(|(k, v)| (k, json!({ "value": v })))
            .collect();
        json!({ "$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": params })
    }

    /// The body of `PUT …/Microsoft.DocumentDB/databaseAccounts/{name}?api-version=`[`API_VERSION`]: the
    /// template's account resource with the parameters filled in (so the template and the direct PUT
    /// cannot drift apart).
    pub fn account_body(&self) -> Value {
        let resource = template_account_resource();
        let mut resolved = resolve(&resource, &self.parameter_values())
            .expect("the shipped template uses only parameters() and concat()");
        if let Value::Object(m) = &mut resolved {
            for template_only in ["type", "apiVersion", "name", "dependsOn", "comments"] {
                m.remove(template_only);
            }
        }
        resolved
    }
}

/// The shipped template, parsed.
pub fn template() -> Value {
    serde_json::from_str(TEMPLATE_JSON)
        .expect("templates/cosmos-cross-tenant-cmk.json is valid JSON")
}

fn template_account_resource() -> Value {
    template()["resources"]
        .as_array()
        .and_then(|r| {
            r.iter().find(|r| {
                r["type"].as_str().is_some_and(|t| {
                    t.eq_ignore_ascii_case("Microsoft.DocumentDB/databaseAccounts")
                })
            })
        })
        .cloned()
        .expect("the template holds a Microsoft.DocumentDB/databaseAccounts resource")
}

/// Fills a template value: every string (and object key) that is an ARM expression `[…]` is evaluated.
/// Only `parameters('name')`, `concat(…)` and string literals are supported — all the shipped template
/// uses in its resource; anything else is an error.
pub fn resolve(value: &Value, parameters: &Map<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => eval_string(s, parameters)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, parameters))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match eval_string(k, parameters)? {
                    Value::String(s) => s,
                    other => {
                        return Err(format!(
                            "object key `{k}` evaluates to a non-string {other}"
                        ));
                    }
                };
                out.insert(key, resolve(v, parameters)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn eval_string(s: &str, parameters: &Map<String, Value>) -> Result<Value, String> {
    if let Some(escaped) = s.strip_prefix("[[") {
        return Ok(Value::String(format!("[{escaped}")));
    }
    let Some(expr) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Ok(Value::String(s.to_string()));
    };
    let mut p = ExprParser {
        src: expr.as_bytes(),
        pos: 0,
        parameters,
    };
    let v = p.expr()?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(format!("unexpected text after position {} in `{s}`", p.pos));
    }
    Ok(v)
}

struct ExprParser<'a> {
    src: &'a [u8],
    pos: usize,
    parameters: &'a Map<String, Value>,
}

impl ExprParser<'_> {
    fn skip_ws(&mut self) {
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn expr(&mut self) -> Result<Value, String> {
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'\'') {
            return self.literal().map(Value::String);
        }
        let start = self.pos;
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        let name = String::from_utf8_lossy(&self.src[start..self.pos]).to_string();
        self.skip_ws();
        if self.src.get(self.pos) != Some(&b'(') {
            return Err(format!("expected `(` after `{name}`"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            if self.src.get(self.pos) == Some(&b')') {
                self.pos += 1;
                break;
            }
            args.push(self.expr()?);
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b')') => {}
                _ => return Err(format!("expected `,` or `)` in the arguments of `{name}`")),
            }
        }
        match name.to_ascii_lowercase().as_str() {
            "parameters" => {
                let [Value::String(p)] = args.as_slice() else {
                    return Err("parameters() takes one string".into());
                };
                self.parameters
                    .get(p)
                    .cloned()
                    .ok_or_else(|| format!("no value for parameter `{p}`"))
            }
            "concat" => {
                let mut out = String::new();
                for a in &args {
                    match a {
                        Value::String(s) => out.push_str(s),
                        other => out.push_str(&other.to_string()),
                    }
                }
                Ok(Value::String(out))
            }
            other => Err(format!("`{other}()` cannot be evaluated locally")),
        }
    }

    fn literal(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.src.get(self.pos) {
                None => return Err("unterminated string literal".into()),
                Some(b'\'') if self.src.get(self.pos + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.pos += 2;
                }
                Some(b'\'') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).to_string());
                }
                Some(b) => {
                    out.push(*b);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cloud;
    use crate::key_uri::KeyUri;

    const SUB: &str = "00000000-0000-0000-0000-0000000000aa";
    const APP: &str = "33333333-3333-3333-3333-333333333333";

    fn account() -> CosmosCmkAccount {
        let uami = ResourceId::user_assigned_identity(SUB.parse().unwrap(), "rg-id", "uami-cmk");
        let key = KeyUri::parse(
            &Cloud::public(),
            "k",
            "https://kv1.vault.azure.net/keys/cmk",
        )
        .unwrap()
        .versionless();
        CosmosCmkAccount::new(
            AccountName::parse_field("--account", "orders-1").unwrap(),
            Location::parse_field("--location", "West Europe").unwrap(),
            uami,
            APP.parse().unwrap(),
            key,
        )
        .unwrap()
    }

    #[test]
    fn default_identity_is_built_in_one_place() {
        let a = account();
        assert_eq!(
            a.default_identity(),
            format!(
                "UserAssignedIdentity=/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk&FederatedClientId={APP}"
            )
        );
    }

    #[test]
    fn account_body_is_the_filled_template() {
        let a = account();
        let body = a.account_body();
        let uami = a.identity.to_string();
        assert_eq!(
            body,
            json!({
                "location": "westeurope",
                "kind": "GlobalDocumentDB",
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {uami.clone(): {}}},
                "properties": {
                    "databaseAccountOfferType": "Standard",
                    "locations": [{"locationName": "westeurope", "failoverPriority": 0, "isZoneRedundant": false}],
                    "keyVaultKeyUri": "https://kv1.vault.azure.net/keys/cmk",
                    "defaultIdentity": a.default_identity(),
                }
            })
        );
        assert_eq!(
            serde_json::to_value(a.identity_block()).unwrap(),
            body["identity"]
        );
        assert_eq!(template()["resources"][0]["apiVersion"], API_VERSION);
    }

    #[test]
    fn parameters_file_matches_the_template_and_example() {
        let t = template();
        let declared: Vec<&String> = t["parameters"].as_object().unwrap().keys().collect();
        let file = account().parameters_file();
        let example: Value = serde_json::from_str(PARAMETERS_EXAMPLE_JSON).unwrap();
        assert_eq!(
            file["parameters"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            declared
        );
        assert_eq!(
            example["parameters"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            declared
        );
        assert_eq!(file["$schema"], example["$schema"]);
    }

    #[test]
    fn names_locations_and_identities_are_checked() {
        for (bad, needle) in [
            ("ab", "3–44"),
            (&"a".repeat(45) as &str, "3–44"),
            ("Orders", "uppercase"),
            ("orders_1", "cannot contain `_`"),
            ("-orders", "start or end"),
            ("ord--ers", "consecutive"),
        ] {
            let e = AccountName::parse_field("--account", bad).unwrap_err();
            assert!(e.problem.contains(needle), "{bad}: {e}");
        }
        assert!(AccountName::parse_field("--account", &"a".repeat(44)).is_ok());
        assert!(
            Location::parse_field("--location", "west/europe")
                .unwrap_err()
                .problem
                .contains("cannot contain `/`")
        );
        let e = parse_cross_tenant_identity("--identity", "SystemAssigned").unwrap_err();
        assert!(
            e.problem
                .contains("Cross-tenant CMK is not supported with System Assigned identities"),
            "{e}"
        );
        let e = parse_cross_tenant_identity(
            "--identity",
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
            ),
        )
        .unwrap_err();
        assert!(
            e.problem
                .contains("not a Microsoft.ManagedIdentity/userAssignedIdentities id"),
            "{e}"
        );
    }

    #[test]
    fn existing_identity_checks() {
        let a = account();
        assert!(a.identity_block().check_cross_tenant(&a.identity).is_ok());
        let sys: AccountIdentity =
            serde_json::from_value(json!({"type": "SystemAssigned", "principalId": "x"})).unwrap();
        assert!(
            sys.check_cross_tenant(&a.identity)
                .unwrap_err()
                .message
                .contains("not supported with System Assigned")
        );
        let both: AccountIdentity = serde_json::from_value(json!({"type": "SystemAssigned, UserAssigned",
            "userAssignedIdentities": {a.identity.to_string().to_uppercase(): {"principalId": "p"}}})).unwrap();
        assert!(both.check_cross_tenant(&a.identity).is_ok());
        let other = AccountIdentity::user_assigned(&ResourceId::user_assigned_identity(
            SUB.parse().unwrap(),
            "rg",
            "other",
        ));
        assert!(
            other
                .check_cross_tenant(&a.identity)
                .unwrap_err()
                .message
                .contains("do not include")
        );
    }

    #[test]
    fn resolver_handles_literals_escapes_and_refuses_the_rest() {
        let mut p = Map::new();
        p.insert("a".into(), json!("x'y"));
        assert_eq!(
            resolve(&json!("[concat('it''s ', parameters('a'))]"), &p).unwrap(),
            json!("it's x'y")
        );
        assert_eq!(
            resolve(&json!("[[not an expression]"), &p).unwrap(),
            json!("[not an expression]")
        );
        assert!(
            resolve(&json!("[resourceGroup().location]"), &p)
                .unwrap_err()
                .contains("cannot be evaluated")
        );
        assert!(
            resolve(&json!("[parameters('missing')]"), &p)
                .unwrap_err()
                .contains("no value")
        );
    }
}
