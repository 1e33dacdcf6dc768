//! Consistency checks of a scenario, each naming the field, the value and the fix.

use super::Scenario;
use std::collections::HashSet;
use xtcmk::InputError;

fn refuse(field: String, value: impl Into<String>, problem: &str, fix: &str) -> InputError {
    InputError::new(field, value, problem).with_fix(fix)
}

/// Resource group names: 1–90 characters, letters, digits, `-_.()`, not ending in `.` (ARM naming rules).
pub fn valid_resource_group_name(name: &str) -> bool {
    (1..=90).contains(&name.chars().count())
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c))
}

/// Vault names `^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$` without `--`: 3–24 characters, a
/// letter first, a letter or digit last, no consecutive hyphens (Key Vault's `VaultNameNotValid`,
/// MicrosoftDocs/azure-docs#92981; the spec's `^[a-zA-Z0-9-]{3,24}$` is looser than the service).
pub fn valid_vault_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=24).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && !name.contains("--")
}

fn is_guid(s: &str) -> bool {
    s.parse::<xtcmk::ObjectId>().is_ok()
}

impl Scenario {
    /// Checks ids, names and references; the first problem found is returned.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.tenants.is_empty() {
            return Err(refuse(
                "tenants".into(),
                "[]",
                "a scenario needs at least one tenant",
                "add a provider tenant",
            ));
        }
        let mut aliases = HashSet::new();
        let mut tenant_ids = HashSet::new();
        let mut domains = HashSet::new();
        let mut subscriptions = HashSet::new();
        let mut vaults = HashSet::new();
        let mut app_ids = HashSet::new();
        let mut upns = HashSet::new();
        let all_apps: HashSet<String> = self
            .tenants
            .iter()
            .flat_map(|t| t.applications.iter().map(|a| a.app_id.to_string()))
            .collect();
        for (ti, t) in self.tenants.iter().enumerate() {
            let at = |f: &str| format!("tenants[{ti}].{f}");
            if t.alias.trim().is_empty() || !aliases.insert(t.alias.to_ascii_lowercase()) {
                return Err(refuse(
                    at("alias"),
                    &t.alias,
                    "empty or used by another tenant",
                    "give each tenant its own short alias",
                ));
            }
            if !tenant_ids.insert(t.id) {
                return Err(refuse(
                    at("id"),
                    t.id.to_string(),
                    "used by another tenant",
                    "give each tenant its own GUID",
                ));
            }
            if t.verified_domains.is_empty() {
                return Err(refuse(
                    at("verifiedDomains"),
                    "[]",
                    "a tenant needs at least one verified domain",
                    "add e.g. \"contoso.example\"",
                ));
            }
            for d in &t.verified_domains {
                if !d.contains('.') || !domains.insert(d.to_ascii_lowercase()) {
                    return Err(refuse(
                        at("verifiedDomains"),
                        d,
                        "not a domain name, or verified by another tenant",
                        "use a unique domain such as contoso.example",
                    ));
                }
            }
            for (si, s) in t.subscriptions.iter().enumerate() {
                let at = |f: &str| format!("tenants[{ti}].subscriptions[{si}].{f}");
                if !subscriptions.insert(s.id) {
                    return Err(refuse(
                        at("id"),
                        s.id.to_string(),
                        "used by another subscription",
                        "give each subscription its own GUID",
                    ));
                }
                let mut groups = HashSet::new();
                for (gi, g) in s.resource_groups.iter().enumerate() {
                    if !valid_resource_group_name(&g.name)
                        || !groups.insert(g.name.to_ascii_lowercase())
                    {
                        return Err(refuse(
                            at(&format!("resourceGroups[{gi}].name")),
                            &g.name,
                            "not a valid resource group name (1-90 letters, digits, -_.(), not ending in .) or used twice",
                            "rename it",
                        ));
                    }
                    if g.location.trim().is_empty() {
                        return Err(refuse(
                            at(&format!("resourceGroups[{gi}].location")),
                            &g.location,
                            "empty",
                            "use a region such as westeurope",
                        ));
                    }
                }
                for (ri, ra) in s.role_assignments.iter().enumerate() {
                    let at = |f: &str| at(&format!("roleAssignments[{ri}].{f}"));
                    if t.principal(&ra.principal).is_none() {
                        return Err(refuse(
                            at("principal"),
                            &ra.principal,
                            "no user of this tenant has that userPrincipalName, and no service principal of this tenant that app id",
                            "name one of the tenant's users, or the app id of one of its apps or service principals",
                        ));
                    }
                    if crate::arm::role_definitions::builtin(&ra.role).is_none() {
                        return Err(refuse(
                            at("role"),
                            &ra.role,
                            "not the GUID of a built-in role the simulator knows",
                            "use e.g. 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 (Owner)",
                        ));
                    }
                }
                for (vi, v) in s.vaults.iter().enumerate() {
                    let at = |f: &str| at(&format!("vaults[{vi}].{f}"));
                    if !valid_vault_name(&v.name) || !vaults.insert(v.name.to_ascii_lowercase()) {
                        return Err(refuse(
                            at("name"),
                            &v.name,
                            "vault names are 3-24 letters, digits and dashes, unique across the cloud",
                            "rename the vault",
                        ));
                    }
                    if !groups.contains(&v.resource_group.to_ascii_lowercase()) {
                        return Err(refuse(
                            at("resourceGroup"),
                            &v.resource_group,
                            "no such resource group in this subscription",
                            "add the resource group to resourceGroups",
                        ));
                    }
                    if !["standard", "premium"].contains(&v.sku.as_str()) {
                        return Err(refuse(
                            at("sku"),
                            &v.sku,
                            "the SKU name is standard or premium",
                            "use standard",
                        ));
                    }
                }
                for (ci, c) in s.cosmos_accounts.iter().enumerate() {
                    let at = |f: &str| at(&format!("cosmosAccounts[{ci}].{f}"));
                    if let Some(problem) = crate::arm::cosmos::rules::name_problem(&c.name) {
                        return Err(refuse(at("name"), &c.name, &problem, "rename the account"));
                    }
                    if !groups.contains(&c.resource_group.to_ascii_lowercase()) {
                        return Err(refuse(
                            at("resourceGroup"),
                            &c.resource_group,
                            "no such resource group in this subscription",
                            "add the resource group to resourceGroups",
                        ));
                    }
                }
            }
            for (ui, u) in t.users.iter().enumerate() {
                let at = |f: &str| format!("tenants[{ti}].users[{ui}].{f}");
                let domain = u.user_principal_name.rsplit_once('@').map(|(_, d)| d);
                if !domain
                    .is_some_and(|d| t.verified_domains.iter().any(|v| v.eq_ignore_ascii_case(d)))
                {
                    return Err(refuse(
                        at("userPrincipalName"),
                        &u.user_principal_name,
                        "the part after @ must be one of the tenant's verified domains",
                        "use name@<verified domain>",
                    ));
                }
                if !upns.insert(u.user_principal_name.to_ascii_lowercase()) {
                    return Err(refuse(
                        at("userPrincipalName"),
                        &u.user_principal_name,
                        "used by another user",
                        "give each user their own name",
                    ));
                }
                if let Some(r) = u.directory_roles.iter().find(|r| !is_guid(r)) {
                    return Err(refuse(
                        at("directoryRoles"),
                        r,
                        "directory roles are role template ids (GUIDs)",
                        "see DESIGN.md §3, e.g. 62e90394-69f5-4237-9190-012177145e10 (Global Administrator)",
                    ));
                }
            }
            for (ai, a) in t.applications.iter().enumerate() {
                let at = |f: &str| format!("tenants[{ti}].applications[{ai}].{f}");
                if !app_ids.insert(a.app_id) {
                    return Err(refuse(
                        at("appId"),
                        a.app_id.to_string(),
                        "used by another application",
                        "give each app its own GUID",
                    ));
                }
                let audiences = [
                    "AzureADMyOrg",
                    "AzureADMultipleOrgs",
                    "AzureADandPersonalMicrosoftAccount",
                    "PersonalMicrosoftAccount",
                ];
                if !audiences.contains(&a.sign_in_audience.as_str()) {
                    return Err(refuse(
                        at("signInAudience"),
                        &a.sign_in_audience,
                        "not one of Entra's sign-in audiences",
                        "use AzureADMyOrg or AzureADMultipleOrgs",
                    ));
                }
                // At most 20 federated identity credentials per application (Entra docs).
                if a.federated_identity_credentials.len() > 20 {
                    return Err(refuse(
                        at("federatedIdentityCredentials"),
                        a.federated_identity_credentials.len().to_string(),
                        "an application holds at most 20 federated identity credentials",
                        "remove some",
                    ));
                }
                for f in &a.federated_identity_credentials {
                    if f.audiences.len() != 1 {
                        return Err(refuse(
                            at("federatedIdentityCredentials.audiences"),
                            f.audiences.join(","),
                            "a federated identity credential has exactly one audience",
                            "use [\"api://AzureADTokenExchange\"]",
                        ));
                    }
                }
            }
            for (pi, p) in t.service_principals.iter().enumerate() {
                if !all_apps.contains(&p.app_id.to_string()) {
                    return Err(refuse(
                        format!("tenants[{ti}].servicePrincipals[{pi}].appId"),
                        p.app_id.to_string(),
                        "no application in the scenario has this app id",
                        "add the app registration to its home tenant",
                    ));
                }
            }
            for (mi, m) in t.managed_identities.iter().enumerate() {
                let at = |f: &str| format!("tenants[{ti}].managedIdentities[{mi}].{f}");
                let Some(sub) = t.subscriptions.iter().find(|s| s.id == m.subscription) else {
                    return Err(refuse(
                        at("subscription"),
                        m.subscription.to_string(),
                        "not a subscription of this tenant",
                        "use one of the tenant's subscriptions",
                    ));
                };
                if !sub
                    .resource_groups
                    .iter()
                    .any(|g| g.name.eq_ignore_ascii_case(&m.resource_group))
                {
                    return Err(refuse(
                        at("resourceGroup"),
                        &m.resource_group,
                        "no such resource group in the subscription",
                        "add it to resourceGroups",
                    ));
                }
            }
        }
        if let Some(atlas) = &self.atlas {
            self.validate_atlas(atlas)?;
        }
        Ok(())
    }

    /// Atlas ids are 24 hex digits; API keys name projects of the organization and Atlas roles.
    fn validate_atlas(&self, atlas: &super::AtlasSpec) -> Result<(), InputError> {
        let hex24 = |s: &str| {
            s.len() == 24
                && s.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        };
        if !hex24(&atlas.org_id) {
            return Err(refuse(
                "atlas.orgId".into(),
                &atlas.org_id,
                "not 24 lower-case hex digits",
                "use an id like 5f0000000000000000000001",
            ));
        }
        let mut ids = HashSet::new();
        for (pi, p) in atlas.projects.iter().enumerate() {
            if !hex24(&p.id) || !ids.insert(p.id.clone()) {
                return Err(refuse(
                    format!("atlas.projects[{pi}].id"),
                    &p.id,
                    "not 24 lower-case hex digits, or used twice",
                    "give each project its own 24-hex-digit id",
                ));
            }
        }
        for (ki, k) in atlas.api_keys.iter().enumerate() {
            for (project, roles) in &k.project_roles {
                if !ids.contains(project) {
                    return Err(refuse(
                        format!("atlas.apiKeys[{ki}].projectRoles"),
                        project,
                        "no such project in atlas.projects",
                        "name a project id of the organization",
                    ));
                }
                if let Some(bad) = roles
                    .iter()
                    .find(|r| !["GROUP_OWNER", "GROUP_READ_ONLY"].contains(&r.as_str()))
                {
                    return Err(refuse(
                        format!("atlas.apiKeys[{ki}].projectRoles.{project}"),
                        bad,
                        "not a project role the simulator knows",
                        "use GROUP_OWNER or GROUP_READ_ONLY",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_resource_group_name("rg-provider"));
        assert!(valid_resource_group_name("rg_(1).a"));
        assert!(!valid_resource_group_name("rg."));
        assert!(!valid_resource_group_name(""));
        assert!(!valid_resource_group_name("rg/x"));
        assert!(valid_vault_name("kv-1"));
        assert!(!valid_vault_name("kv"));
        assert!(!valid_vault_name("kv_1"));
    }

    #[test]
    fn refuses_inconsistent_scenarios() {
        let mut s = Scenario::demo();
        s.tenants[1].users[1].user_principal_name = "nico@elsewhere.example".into();
        let e = s.validate().unwrap_err();
        assert_eq!(e.field, "tenants[1].users[1].userPrincipalName");
        assert!(e.problem.contains("verified domains"));

        let mut s = Scenario::demo();
        s.tenants[1].alias = "provider".into();
        assert_eq!(s.validate().unwrap_err().field, "tenants[1].alias");

        let mut s = Scenario::demo();
        s.tenants[0].users[0].directory_roles = vec!["Global Administrator".into()];
        assert!(s.validate().unwrap_err().fix.unwrap().contains("62e90394"));

        let mut s = Scenario::demo();
        s.tenants[1].subscriptions[0].role_assignments[0].principal = "eve@fabrikam.example".into();
        let e = s.validate().unwrap_err();
        assert_eq!(
            e.field,
            "tenants[1].subscriptions[0].roleAssignments[0].principal"
        );

        let mut s = Scenario::demo();
        s.tenants[1].subscriptions[0].role_assignments[0].role = "Owner".into();
        assert!(s.validate().unwrap_err().fix.unwrap().contains("8e3af657"));
    }
}
