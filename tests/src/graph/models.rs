//! What Graph declares on the entities the simulator writes (specs/msgraph
//! `v1.0-Prod.csdl.excerpt.xml`, with the members inherited from `entity` and
//! `directoryObject`), and the strict decoding of request bodies against them: a member the
//! entity does not declare is refused ("Property 'x' does not exist as a declared property or
//! extension property of 'microsoft.graph.application'."), a declared member the simulator does
//! not model is accepted and ignored (as Graph stores it), a read-only one is refused. The
//! conformance test checks these lists against the CSDL.

use crate::contract::{Dialect, parse, recorded_names, refuse};
use crate::reply::Reply;
use crate::routes::Call;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `microsoft.graph.application`'s properties (with `id` and `deletedDateTime`).
pub const APPLICATION: [&str; 44] = [
    "id",
    "deletedDateTime",
    "addIns",
    "api",
    "appId",
    "applicationTemplateId",
    "appRoles",
    "authenticationBehaviors",
    "certification",
    "createdByAppId",
    "createdDateTime",
    "defaultRedirectUri",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "groupMembershipClaims",
    "identifierUris",
    "info",
    "isDeviceOnlyAuthSupported",
    "isDisabled",
    "isFallbackPublicClient",
    "keyCredentials",
    "logo",
    "managerApplications",
    "nativeAuthenticationApisEnabled",
    "notes",
    "oauth2RequirePostResponse",
    "optionalClaims",
    "parentalControlSettings",
    "passwordCredentials",
    "publicClient",
    "publisherDomain",
    "requestSignatureVerification",
    "requiredResourceAccess",
    "samlMetadataUrl",
    "serviceManagementReference",
    "servicePrincipalLockConfiguration",
    "signInAudience",
    "spa",
    "tags",
    "tokenEncryptionKeyId",
    "uniqueName",
    "verifiedPublisher",
    "web",
];

/// `microsoft.graph.servicePrincipal`'s properties (with `id` and `deletedDateTime`).
pub const SERVICE_PRINCIPAL: [&str; 38] = [
    "id",
    "deletedDateTime",
    "accountEnabled",
    "addIns",
    "alternativeNames",
    "appDescription",
    "appDisplayName",
    "appId",
    "applicationTemplateId",
    "appOwnerOrganizationId",
    "appRoleAssignmentRequired",
    "appRoles",
    "createdByAppId",
    "customSecurityAttributes",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "homepage",
    "info",
    "isDisabled",
    "keyCredentials",
    "loginUrl",
    "logoutUrl",
    "notes",
    "notificationEmailAddresses",
    "oauth2PermissionScopes",
    "passwordCredentials",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "resourceSpecificApplicationPermissions",
    "samlSingleSignOnSettings",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "verifiedPublisher",
];

/// `microsoft.graph.federatedIdentityCredential`'s properties (with `id`).
pub const FEDERATED_IDENTITY_CREDENTIAL: [&str; 6] = [
    "id",
    "audiences",
    "description",
    "issuer",
    "name",
    "subject",
];

/// The entities, for the conformance test: (CSDL entity name, declared properties).
pub const ENTITIES: [(&str, &[&str]); 3] = [
    ("application", &APPLICATION),
    ("servicePrincipal", &SERVICE_PRINCIPAL),
    (
        "federatedIdentityCredential",
        &FEDERATED_IDENTITY_CREDENTIAL,
    ),
];

/// Decodes a Graph request body into `T` (whose members must be declared on the entity): the
/// declared members `T` does not model, except `read_only` ones, are dropped first.
pub fn decode_entity<T: DeserializeOwned>(
    call: &Call,
    entity: &'static str,
    declared: &[&str],
    read_only: &[&str],
) -> Result<T, Reply> {
    let modeled = recorded_names::<T>();
    let dialect = Dialect::Graph(entity);
    let body = match serde_json::from_slice::<Value>(&call.body) {
        Ok(Value::Object(mut map)) => {
            map.retain(|k, _| {
                !declared.contains(&k.as_str())
                    || modeled.contains(&k.as_str())
                    || read_only.contains(&k.as_str())
            });
            serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
        }
        _ => call.body.to_vec(),
    };
    parse(&body).map_err(|e| refuse(call, dialect, &e))
}

/// The request models decoded against Graph entities, for the conformance test: (entity, Rust
/// type, member names). Every member must be declared on the entity.
pub fn body_models() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        (
            "application",
            std::any::type_name::<super::applications::ApplicationBody>(),
            recorded_names::<super::applications::ApplicationBody>(),
        ),
        (
            "servicePrincipal",
            std::any::type_name::<super::service_principals::ServicePrincipalBody>(),
            recorded_names::<super::service_principals::ServicePrincipalBody>(),
        ),
        (
            "federatedIdentityCredential",
            std::any::type_name::<super::federated_credentials::CredentialBody>(),
            recorded_names::<super::federated_credentials::CredentialBody>(),
        ),
    ]
}
