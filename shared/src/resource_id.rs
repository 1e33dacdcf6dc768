//! Azure Resource Manager resource ids: parse and print any id, compare them the way ARM does.
//!
//! Shapes (ARM's resource id grammar, as used by every `*.json` spec's path templates):
//! `/subscriptions/{sub}`, `/subscriptions/{sub}/resourceGroups/{rg}`,
//! `[/subscriptions/{sub}[/resourceGroups/{rg}]]/providers/{namespace}/{type}/{name}[/{type}/{name}]…`,
//! optionally followed by further `/providers/{namespace}/{type}/{name}…` segments (extension resources
//! such as role assignments on a key).

use crate::{InputError, SubscriptionId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Resource type of a user-assigned managed identity.
pub const USER_ASSIGNED_IDENTITY_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
/// Resource type of a Key Vault.
pub const VAULT_TYPE: &str = "Microsoft.KeyVault/vaults";
/// Resource type of a key in a Key Vault (ARM side).
pub const KEY_TYPE: &str = "Microsoft.KeyVault/vaults/keys";
/// Resource type of a Managed HSM.
pub const MANAGED_HSM_TYPE: &str = "Microsoft.KeyVault/managedHSMs";
/// Resource type of a Cosmos DB account.
pub const COSMOS_ACCOUNT_TYPE: &str = "Microsoft.DocumentDB/databaseAccounts";
/// Resource type of a role assignment.
pub const ROLE_ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";
/// Resource type ARM reports for a resource group id.
pub const RESOURCE_GROUP_TYPE: &str = "Microsoft.Resources/resourceGroups";
/// Resource type ARM reports for a subscription id.
pub const SUBSCRIPTION_TYPE: &str = "Microsoft.Resources/subscriptions";

/// One `providers/{namespace}/{type}/{name}[/{type}/{name}]…` part of an id.
#[derive(Debug, Clone)]
struct ProviderPart {
    namespace: String,
    /// `(type, name)` pairs, outermost first; never empty.
    types: Vec<(String, String)>,
}

/// An ARM resource id. Keywords (`subscriptions`, `resourceGroups`, `providers`) are accepted in any
/// case and printed in ARM's canonical case; namespaces, types and names are kept as given.
/// Equality and hashing ignore ASCII case, as ARM does.
#[derive(Debug, Clone)]
pub struct ResourceId {
    subscription: Option<SubscriptionId>,
    /// The subscription as printed (lowercase GUID), so [`ResourceId::name`] can borrow it.
    subscription_text: Option<String>,
    resource_group: Option<String>,
    providers: Vec<ProviderPart>,
}

fn err(field: &str, value: &str, problem: impl Into<String>) -> InputError {
    InputError::new(field, value, problem).with_fix(
        "pass the full ARM resource id, e.g. /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name> (`az resource show … --query id -o tsv` prints it)",
    )
}

/// Characters no ARM name segment may hold (they would end the path or start a query/fragment).
fn bad_segment_char(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '%' | '\\')
}

impl ResourceId {
    /// Parses an ARM resource id, naming `field` in the error.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(err(field, value, "it is empty"));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let hint = match lower.find("/subscriptions/") {
                Some(i) => format!(
                    "it is a URL, not a resource id; the id is the path part: {}",
                    &trimmed[i..].split(['?', '#']).next().unwrap_or_default()
                ),
                None => "it is a URL, not a resource id".to_string(),
            };
            return Err(err(field, value, hint));
        }
        if !trimmed.starts_with('/') {
            return Err(err(
                field,
                value,
                "a resource id starts with `/subscriptions/` or `/providers/`",
            ));
        }
        let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
        // A single trailing slash is normalised away.
        let body = body.strip_suffix('/').unwrap_or(body);
        let segments: Vec<&str> = body.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(err(field, value, "it has an empty path segment (`//`)"));
        }
        if let Some(s) = segments.iter().find(|s| s.chars().any(bad_segment_char)) {
            return Err(err(
                field,
                value,
                format!(
                    "segment `{s}` holds a space, `?`, `#`, `%` or `\\`, which ARM ids never contain"
                ),
            ));
        }

        let mut id = ResourceId {
            subscription: None,
            subscription_text: None,
            resource_group: None,
            providers: Vec::new(),
        };
        let mut rest: &[&str] = &segments;
        if rest[0].eq_ignore_ascii_case("subscriptions") {
            let Some(sub) = rest.get(1) else {
                return Err(err(
                    field,
                    value,
                    "`subscriptions` is not followed by a subscription id",
                ));
            };
            let parsed = SubscriptionId::parse_field(field, sub).map_err(|e| {
                err(
                    field,
                    value,
                    format!("the subscription segment `{sub}` is {}", e.problem),
                )
            })?;
            id.subscription_text = Some(parsed.to_string());
            id.subscription = Some(parsed);
            rest = &rest[2..];
            if let Some(first) = rest.first()
                && first.eq_ignore_ascii_case("resourceGroups")
            {
                let Some(rg) = rest.get(1) else {
                    return Err(err(
                        field,
                        value,
                        "`resourceGroups` is not followed by a resource group name",
                    ));
                };
                check_resource_group_name(field, rg).map_err(|e| err(field, value, e.problem))?;
                id.resource_group = Some((*rg).to_string());
                rest = &rest[2..];
            }
        }
        if id.subscription.is_none() && !rest[0].eq_ignore_ascii_case("providers") {
            return Err(err(
                field,
                value,
                "a resource id starts with `/subscriptions/` or `/providers/`",
            ));
        }
        while let Some(first) = rest.first() {
            if !first.eq_ignore_ascii_case("providers") {
                return Err(err(
                    field,
                    value,
                    format!("expected `providers` where `{first}` is"),
                ));
            }
            let Some(namespace) = rest.get(1) else {
                return Err(err(
                    field,
                    value,
                    "`providers` is not followed by a resource provider namespace",
                ));
            };
            if !namespace.contains('.') {
                return Err(err(
                    field,
                    value,
                    format!(
                        "`{namespace}` is not a resource provider namespace (like Microsoft.KeyVault)"
                    ),
                ));
            }
            rest = &rest[2..];
            let mut types = Vec::new();
            while let Some(t) = rest.first() {
                if t.eq_ignore_ascii_case("providers") && !types.is_empty() {
                    break;
                }
                let Some(name) = rest.get(1) else {
                    return Err(err(
                        field,
                        value,
                        format!("resource type `{t}` is not followed by a name"),
                    ));
                };
                types.push(((*t).to_string(), (*name).to_string()));
                rest = &rest[2..];
            }
            if types.is_empty() {
                return Err(err(
                    field,
                    value,
                    format!("`providers/{namespace}` is not followed by a resource type and name"),
                ));
            }
            id.providers.push(ProviderPart {
                namespace: (*namespace).to_string(),
                types,
            });
        }
        Ok(id)
    }

    /// Parses an id and checks its resource type (e.g. [`USER_ASSIGNED_IDENTITY_TYPE`]).
    pub fn parse_typed(field: &str, value: &str, expected_type: &str) -> Result<Self, InputError> {
        let id = Self::parse_field(field, value)?;
        id.expect_type(field, expected_type)?;
        Ok(id)
    }

    /// `/subscriptions/{sub}`.
    pub fn subscription_scope(subscription: SubscriptionId) -> Self {
        Self {
            subscription_text: Some(subscription.to_string()),
            subscription: Some(subscription),
            resource_group: None,
            providers: Vec::new(),
        }
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}`.
    pub fn resource_group(subscription: SubscriptionId, resource_group: &str) -> Self {
        Self {
            resource_group: Some(resource_group.to_string()),
            ..Self::subscription_scope(subscription)
        }
    }

    /// A resource directly in a resource group: `…/providers/{namespace}/{type}/{name}`.
    pub fn in_resource_group(
        subscription: SubscriptionId,
        resource_group: &str,
        namespace: &str,
        resource_type: &str,
        name: &str,
    ) -> Self {
        let mut id = Self::resource_group(subscription, resource_group);
        id.providers.push(ProviderPart {
            namespace: namespace.to_string(),
            types: vec![(resource_type.to_string(), name.to_string())],
        });
        id
    }

    /// A user-assigned managed identity.
    pub fn user_assigned_identity(
        subscription: SubscriptionId,
        resource_group: &str,
        name: &str,
    ) -> Self {
        Self::in_resource_group(
            subscription,
            resource_group,
            "Microsoft.ManagedIdentity",
            "userAssignedIdentities",
            name,
        )
    }

    /// A Key Vault.
    pub fn vault(subscription: SubscriptionId, resource_group: &str, name: &str) -> Self {
        Self::in_resource_group(
            subscription,
            resource_group,
            "Microsoft.KeyVault",
            "vaults",
            name,
        )
    }

    /// A key in a Key Vault (`…/vaults/{vault}/keys/{key}`), e.g. the scope of a least-privilege role assignment.
    pub fn key(subscription: SubscriptionId, resource_group: &str, vault: &str, key: &str) -> Self {
        Self::vault(subscription, resource_group, vault).child("keys", key)
    }

    /// A Cosmos DB account.
    pub fn cosmos_account(subscription: SubscriptionId, resource_group: &str, name: &str) -> Self {
        Self::in_resource_group(
            subscription,
            resource_group,
            "Microsoft.DocumentDB",
            "databaseAccounts",
            name,
        )
    }

    /// A child resource of this one: `{self}/{type}/{name}`.
    ///
    /// # Panics
    /// On a subscription or resource group id (no provider part): use [`ResourceId::in_resource_group`].
    pub fn child(&self, resource_type: &str, name: &str) -> Self {
        let mut id = self.clone();
        match id.providers.last_mut() {
            Some(part) => part
                .types
                .push((resource_type.to_string(), name.to_string())),
            None => {
                panic!("ResourceId::child needs a resource id with a provider part, not {self}")
            }
        }
        id
    }

    /// An extension resource on this one: `{self}/providers/{namespace}/{type}/{name}`.
    pub fn extension(&self, namespace: &str, resource_type: &str, name: &str) -> Self {
        let mut id = self.clone();
        id.providers.push(ProviderPart {
            namespace: namespace.to_string(),
            types: vec![(resource_type.to_string(), name.to_string())],
        });
        id
    }

    /// The subscription, if the id is at or below one (tenant-level ids such as
    /// `/providers/Microsoft.Authorization/roleDefinitions/{id}` have none).
    pub fn subscription(&self) -> Option<SubscriptionId> {
        self.subscription
    }

    /// The resource group name, if the id is at or below one.
    pub fn resource_group_name(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// The namespace of the innermost provider part, e.g. `Microsoft.KeyVault`.
    pub fn provider_namespace(&self) -> Option<&str> {
        self.providers.last().map(|p| p.namespace.as_str())
    }

    /// The full resource type, e.g. `Microsoft.KeyVault/vaults/keys`; `Microsoft.Resources/resourceGroups`
    /// for a resource group and `Microsoft.Resources/subscriptions` for a subscription.
    pub fn resource_type(&self) -> String {
        match self.providers.last() {
            Some(part) => {
                let mut s = part.namespace.clone();
                for (t, _) in &part.types {
                    s.push('/');
                    s.push_str(t);
                }
                s
            }
            None if self.resource_group.is_some() => RESOURCE_GROUP_TYPE.to_string(),
            None => SUBSCRIPTION_TYPE.to_string(),
        }
    }

    /// Whether the resource type is `expected` (compared ignoring case, as ARM does).
    pub fn is_type(&self, expected: &str) -> bool {
        self.resource_type().eq_ignore_ascii_case(expected)
    }

    /// Refuses an id of another resource type than `expected`, naming `field`.
    pub fn expect_type(&self, field: &str, expected: &str) -> Result<(), InputError> {
        if self.is_type(expected) {
            return Ok(());
        }
        Err(InputError::new(field, self.to_string(), format!("this is a {} id, not a {expected} id", self.resource_type()))
            .with_fix(format!("pass the resource id of a {expected} (`az resource list --resource-type {expected} --query [].id -o tsv` lists them)")))
    }

    /// The last name in the id (the resource's own name; the group name for a group id).
    pub fn name(&self) -> &str {
        if let Some(part) = self.providers.last() {
            return &part
                .types
                .last()
                .expect("provider parts hold at least one type")
                .1;
        }
        if let Some(rg) = &self.resource_group {
            return rg;
        }
        self.subscription_text.as_deref().unwrap_or_default()
    }

    /// The id one level up: a key's vault, a vault's resource group, a group's subscription; `None`
    /// for a subscription or a tenant-level resource.
    pub fn parent(&self) -> Option<Self> {
        let mut id = self.clone();
        if let Some(part) = id.providers.last_mut() {
            part.types.pop();
            if part.types.is_empty() {
                id.providers.pop();
                if id.providers.is_empty() && id.subscription.is_none() {
                    return None;
                }
            }
            return Some(id);
        }
        if id.resource_group.take().is_some() {
            return Some(id);
        }
        None
    }

    /// The name of the resource of type `resource_type` in this id's innermost provider part, e.g. the
    /// vault name of a key id (`name_of("vaults")`).
    pub fn name_of(&self, resource_type: &str) -> Option<&str> {
        self.providers
            .last()?
            .types
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(resource_type))
            .map(|(_, n)| n.as_str())
    }

    fn canonical_lowercase(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

/// Resource group names: 1–90 characters, letters, digits, `_`, `(`, `)`, `-`, `.`, not ending in `.`
/// (ARM naming rules, Microsoft.Resources: "resource-name-rules").
pub fn check_resource_group_name(field: &str, name: &str) -> Result<(), InputError> {
    let fix = "resource group names are 1–90 letters, digits, `_`, `(`, `)`, `-` or `.`, not ending in `.`";
    let count = name.chars().count();
    if count == 0 || count > 90 {
        return Err(InputError::new(
            field,
            name,
            format!("a resource group name has 1–90 characters, this has {count}"),
        )
        .with_fix(fix));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.')))
    {
        return Err(InputError::new(
            field,
            name,
            format!("a resource group name cannot contain `{c}`"),
        )
        .with_fix(fix));
    }
    if name.ends_with('.') {
        return Err(
            InputError::new(field, name, "a resource group name cannot end with `.`").with_fix(fix),
        );
    }
    Ok(())
}

/// A user-assigned managed identity's name: 3–128 letters, digits, hyphens and underscores,
/// starting with a letter or digit (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity).
pub fn check_identity_name(field: &str, name: &str) -> Result<(), InputError> {
    let fix = "managed identity names have 3–128 letters, digits, `-` or `_`, starting with a letter or digit, e.g. uami-cmk";
    let count = name.chars().count();
    if !(3..=128).contains(&count) {
        return Err(InputError::new(
            field,
            name,
            format!("a managed identity name has 3–128 characters, this has {count}"),
        )
        .with_fix(fix));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    {
        return Err(InputError::new(
            field,
            name,
            format!("a managed identity name cannot contain `{c}`"),
        )
        .with_fix(fix));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(InputError::new(
            field,
            name,
            "a managed identity name starts with a letter or digit",
        )
        .with_fix(fix));
    }
    Ok(())
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sub) = &self.subscription_text {
            write!(f, "/subscriptions/{sub}")?;
        }
        if let Some(rg) = &self.resource_group {
            write!(f, "/resourceGroups/{rg}")?;
        }
        for part in &self.providers {
            write!(f, "/providers/{}", part.namespace)?;
            for (t, n) in &part.types {
                write!(f, "/{t}/{n}")?;
            }
        }
        Ok(())
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.to_string().eq_ignore_ascii_case(&other.to_string())
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical_lowercase().hash(state);
    }
}

impl FromStr for ResourceId {
    type Err = InputError;
    fn from_str(value: &str) -> Result<Self, InputError> {
        Self::parse_field("resource id", value)
    }
}

impl Serialize for ResourceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

    fn sub() -> SubscriptionId {
        SUB.parse().unwrap()
    }

    #[test]
    fn typed_constructors_print_arm_ids() {
        let uami = ResourceId::user_assigned_identity(sub(), "rg-id", "uami-cmk");
        assert_eq!(
            uami.to_string(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk"
            )
        );
        assert_eq!(uami.resource_type(), USER_ASSIGNED_IDENTITY_TYPE);
        let key = ResourceId::key(sub(), "rg", "kv1", "cmk");
        assert_eq!(
            key.to_string(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/cmk"
            )
        );
        assert_eq!(key.resource_type(), KEY_TYPE);
        assert_eq!(key.name(), "cmk");
        assert_eq!(key.name_of("vaults"), Some("kv1"));
        assert_eq!(key.parent().unwrap(), ResourceId::vault(sub(), "rg", "kv1"));
        assert_eq!(
            ResourceId::vault(sub(), "rg", "kv1").parent().unwrap(),
            ResourceId::resource_group(sub(), "rg")
        );
        assert_eq!(
            ResourceId::resource_group(sub(), "rg").parent().unwrap(),
            ResourceId::subscription_scope(sub())
        );
        assert_eq!(ResourceId::subscription_scope(sub()).parent(), None);
        assert_eq!(
            ResourceId::cosmos_account(sub(), "rg", "acct").resource_type(),
            COSMOS_ACCOUNT_TYPE
        );
        assert_eq!(
            ResourceId::resource_group(sub(), "rg").resource_type(),
            RESOURCE_GROUP_TYPE
        );
        assert_eq!(ResourceId::resource_group(sub(), "rg").name(), "rg");
        let ra = key.extension(
            "Microsoft.Authorization",
            "roleAssignments",
            "5f0e4a62-0000-0000-0000-000000000001",
        );
        assert_eq!(ra.resource_type(), ROLE_ASSIGNMENT_TYPE);
        assert_eq!(ra.parent().unwrap(), key);
    }

    #[test]
    fn equality_and_hash_ignore_case_like_arm() {
        use std::collections::HashSet;
        let a: ResourceId = format!(
            "/SUBSCRIPTIONS/{SUB}/resourcegroups/RG/providers/microsoft.keyvault/VAULTS/KV1"
        )
        .parse()
        .unwrap();
        let b = ResourceId::vault(sub(), "rg", "kv1");
        assert_eq!(a, b);
        assert_eq!(
            HashSet::from([a.clone()]).len(),
            HashSet::from([a.clone(), b]).len()
        );
        // Keywords printed canonically, names and types as given.
        assert_eq!(
            a.to_string(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/RG/providers/microsoft.keyvault/VAULTS/KV1"
            )
        );
    }

    #[test]
    fn serde_is_a_string() {
        let id = ResourceId::user_assigned_identity(sub(), "rg", "u");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<ResourceId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ResourceId>("\"subscriptions/x\"").is_err());
    }

    #[test]
    fn expect_type_names_field_and_types() {
        let vault = ResourceId::vault(sub(), "rg", "kv1");
        let e = vault
            .expect_type("--identity", USER_ASSIGNED_IDENTITY_TYPE)
            .unwrap_err();
        assert_eq!(e.field, "--identity");
        assert!(e.problem.contains("Microsoft.KeyVault/vaults id, not a Microsoft.ManagedIdentity/userAssignedIdentities id"), "{e}");
        assert!(
            vault
                .expect_type("--vault", "microsoft.keyvault/VAULTS")
                .is_ok()
        );
    }

    #[test]
    fn refuses_bad_group_names() {
        assert!(
            check_resource_group_name("g", "rg.")
                .unwrap_err()
                .problem
                .contains("end with")
        );
        assert!(
            check_resource_group_name("g", "rg x")
                .unwrap_err()
                .problem
                .contains("cannot contain ` `")
        );
        assert!(
            check_resource_group_name("g", &"a".repeat(91))
                .unwrap_err()
                .problem
                .contains("1–90")
        );
        assert!(check_resource_group_name("g", "my_rg-(1).prod").is_ok());
    }
}
