//! Entra ID directory role template ids (the token's `wids` claim) this toolkit checks, in one
//! place (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).

pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const APPLICATION_ADMINISTRATOR: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
pub const CLOUD_APPLICATION_ADMINISTRATOR: &str = "158c047a-c907-4556-b7ef-446551a6b5f7";
pub const APPLICATION_DEVELOPER: &str = "cf1c38e5-3621-4004-a7cb-879624dced7c";

/// Roles that may change any app and create the service principal of another tenant's app
/// (an Application Developer may only register apps and change the ones it owns).
pub const APP_ADMIN_ROLES: [(&str, &str); 3] = [
    (APPLICATION_ADMINISTRATOR, "Application Administrator"),
    (
        CLOUD_APPLICATION_ADMINISTRATOR,
        "Cloud Application Administrator",
    ),
    (GLOBAL_ADMINISTRATOR, "Global Administrator"),
];

/// The roles that may register an app, for messages.
pub const APP_REGISTERING_ROLES: &str = "Application Developer (least privilege), Application Administrator, Cloud Application Administrator or Global Administrator";

/// The roles that may install another tenant's app, for messages.
pub const SP_INSTALLING_ROLES: &str =
    "Global Administrator, Application Administrator or Cloud Application Administrator";
