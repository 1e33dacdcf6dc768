//! What to do about the errors Azure, Graph, Entra ID and Atlas are known to give during
//! cross-tenant CMK onboarding (DESIGN.md §3, "What goes wrong in real onboarding").

use super::error::Service;

/// The hint for an error answer, looked up by code first and by status where the code is generic.
pub fn lookup(service: Service, status: u16, code: Option<&str>, message: &str) -> Option<String> {
    let code = code.unwrap_or_default();
    let hint = match code {
        // Role assignment right after the SP was created: Entra has not replicated it to ARM yet.
        "PrincipalNotFound" => {
            "the principal is not visible to Azure RBAC yet (a new service principal takes a while to replicate): send principalType ServicePrincipal and retry in a minute; also check that the id is the service principal's object id in the key's tenant, not the app id"
        }
        "RoleAssignmentExists" => "the role assignment exists already; a re-run treats it as done",
        "Request_MultipleObjectsWithSameKeyValue" => {
            "the object exists already (a re-run or a concurrent install): read it by its alternate key, e.g. /servicePrincipals(appId='…'), and adopt it"
        }
        "Authorization_RequestDenied" => {
            "the signed-in principal lacks the directory role for this Graph call: installing another tenant's app needs Global Administrator, Application Administrator or Cloud Application Administrator in that tenant"
        }
        "AADSTS700016" => {
            "the provider's application is not installed in this tenant: the customer's admin must open the admin-consent URL from the invitation or run `xtcmk-customer onboard` to create its service principal"
        }
        "AADSTS70021" => {
            "no federated identity credential on the app matches this token (issuer, subject, audience), or a new one has not propagated yet: wait a minute and retry; `xtcmk-provider doctor` compares the credentials with the managed identity"
        }
        "AADSTS700211" => {
            "the federated credential's issuer does not match the token's issuer: it must be https://login.microsoftonline.com/{provider tenant}/v2.0 (sovereign clouds use their own login host); `xtcmk-provider doctor` names the near miss"
        }
        "AADSTS700213" => {
            "the federated credential's subject does not match: it must be the managed identity's principal (object) id; `xtcmk-provider doctor` names the near miss"
        }
        "AADSTS500113" => {
            "no reply address is registered on the app: register the redirect URI on the app, or drop redirect_uri and install the service principal with Graph instead"
        }
        // Entra's code for a client secret past its end date (distinct from a wrong one, 7000215).
        "AADSTS7000222" => {
            "the client secret has expired: create a new one on the app registration and set AZURE_CLIENT_SECRET to its value"
        }
        "AADSTS7000215" => {
            "the client secret is wrong or expired: check AZURE_CLIENT_SECRET (the secret's value, not its id)"
        }
        "AADSTS90002" => "the tenant does not exist in this cloud: check the tenant id and --cloud",
        "AADSTS65001" => {
            "the application has not been consented in this tenant: an admin must grant consent (admin-consent URL)"
        }
        "ForbiddenByRbac" => {
            "the signed-in principal holds no Key Vault data-plane role allowing this on the vault or key (e.g. Key Vault Crypto Officer to create keys): grant it, or ask the vault's owner"
        }
        "ForbiddenByPolicy" => {
            "the vault uses access policies and the signed-in principal's policy lacks this key permission: add it to the vault's access policies"
        }
        "ForbiddenByFirewall" => {
            "the vault's firewall blocks this client's address: add it to the vault's networkAcls.ipRules (or set defaultAction Allow); bypass AzureServices lets trusted Azure services such as Cosmos DB through, not this tool"
        }
        "ForbiddenByConnection" => {
            "the vault accepts only private-endpoint traffic; Cosmos DB cannot use such a vault for CMK"
        }
        "AuthorizationFailed" | "LinkedAuthorizationFailed" => {
            "the signed-in principal lacks an Azure role on this scope (e.g. Contributor to create resources, Owner or User Access Administrator to assign roles): ask for it or sign in as someone who has it"
        }
        "ResourceGroupNotFound" => {
            "the resource group does not exist in this subscription: create it first or check --resource-group and --subscription"
        }
        "SubscriptionNotFound" | "InvalidSubscriptionId" => {
            "the subscription is not visible to the signed-in principal in this tenant: check --subscription and the tenant you signed in to"
        }
        "MissingSubscriptionRegistration" => {
            "the resource provider is not registered in the subscription: run `az provider register --namespace <provider>`"
        }
        "InvalidAuthenticationTokenTenant" => {
            "the token was issued by another tenant than the one owning this resource: sign in to the resource's tenant (`az login --tenant <tenant id>`) or pass the right --tenant"
        }
        "InvalidAuthenticationTokenAudience" => {
            "the token was issued for another API: this is a bug in the tool's scope selection, please report it"
        }
        "ExpiredAuthenticationToken" => "the token expired: sign in again (`az login`) and re-run",
        "VaultAlreadyExists" => {
            "vault names are global: pick another --vault name (a soft-deleted vault also keeps its name until purged)"
        }
        "KeyNotFound" => {
            "the key does not exist in this vault: check the key name, or create it with `xtcmk-customer`"
        }
        "429" | "TooManyRequests" => {
            "the service is throttling: wait a minute and re-run, or raise XTCMK_MAX_RETRIES"
        }
        _ => "",
    };
    if !hint.is_empty() {
        return Some(hint.to_string());
    }
    if code.starts_with("InvalidAuthenticationToken") {
        return Some(
            "the token was refused (wrong tenant or audience, or expired): sign in to the right tenant (`az login --tenant <tenant id>`) or check --tenant".into(),
        );
    }
    match (service, status) {
        (Service::Atlas, 401) => Some(
            "Atlas refused the credentials: check MONGODB_ATLAS_PUBLIC_API_KEY/MONGODB_ATLAS_PRIVATE_API_KEY (or the service account's MONGODB_ATLAS_CLIENT_ID/MONGODB_ATLAS_CLIENT_SECRET) and the key's IP access list".into(),
        ),
        (Service::Atlas, 403) => Some("the Atlas API key lacks the Project Owner role on this project".into()),
        (_, 401) => Some("the service refused the token: sign in again (`az login --tenant <tenant id>`) and check that you are in the right tenant".into()),
        (Service::Arm, 503) if message.contains("Key Vault") => Some(
            "Cosmos DB could not use the customer's key, and gives this same answer for every broken link: `xtcmk-provider doctor` checks the federated credential, the service principal in the key's tenant, its key permissions and the key itself".into(),
        ),
        (_, 429) => Some("the service is throttling: wait a minute and re-run, or raise XTCMK_MAX_RETRIES".into()),
        (_, 500..=599) => Some("the service had a transient failure: re-run the command (every step is safe to repeat)".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_hints() {
        for code in [
            "PrincipalNotFound",
            "RoleAssignmentExists",
            "Request_MultipleObjectsWithSameKeyValue",
            "AADSTS700016",
            "AADSTS70021",
            "AADSTS700211",
            "AADSTS700213",
            "AADSTS500113",
            "AADSTS7000222",
            "ForbiddenByRbac",
            "ForbiddenByPolicy",
            "ForbiddenByFirewall",
            "AuthorizationFailed",
            "ResourceGroupNotFound",
            "InvalidAuthenticationTokenTenant",
            "InvalidAuthenticationTokenAudience",
            "InvalidAuthenticationToken",
        ] {
            assert!(
                lookup(Service::Arm, 400, Some(code), "").is_some(),
                "{code}"
            );
        }
        assert!(lookup(Service::Arm, 400, Some("SomethingElse"), "").is_none());
        assert!(
            lookup(Service::Arm, 401, None, "")
                .unwrap()
                .contains("az login")
        );
        assert!(
            lookup(
                Service::Arm,
                503,
                Some("ServiceUnavailable"),
                "Error contacting the Azure Key Vault resource"
            )
            .unwrap()
            .contains("xtcmk-provider doctor")
        );
    }
}
