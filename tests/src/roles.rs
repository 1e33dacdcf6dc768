//! Entra directory role template ids (the `wids` token claim), DESIGN.md §3.

pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const APPLICATION_ADMINISTRATOR: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
pub const CLOUD_APPLICATION_ADMINISTRATOR: &str = "158c047a-c907-4556-b7ef-446551a6b5f7";
pub const APPLICATION_DEVELOPER: &str = "cf1c38e5-3621-4004-a7cb-879624dced7c";

/// Microsoft Graph application permissions (the `roles` claim of app-only Graph tokens; Graph
/// permissions reference): manage every app registration and service principal, or only the
/// ones the app owns (and create new ones, which it then owns).
pub const APPLICATION_READWRITE_ALL: &str = "Application.ReadWrite.All";
pub const APPLICATION_READWRITE_OWNEDBY: &str = "Application.ReadWrite.OwnedBy";

/// Every signed-in user's token carries this one (Entra's "User" role template).
pub const USER: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/// The Azure CLI's public client id: `az` signs in as this first-party app in every tenant.
pub const AZURE_CLI_APP_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The name of a known directory role template, for messages.
pub fn name_of(template_id: &str) -> Option<&'static str> {
    [
        (GLOBAL_ADMINISTRATOR, "Global Administrator"),
        (APPLICATION_ADMINISTRATOR, "Application Administrator"),
        (
            CLOUD_APPLICATION_ADMINISTRATOR,
            "Cloud Application Administrator",
        ),
        (APPLICATION_DEVELOPER, "Application Developer"),
        (USER, "User"),
    ]
    .into_iter()
    .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
    .map(|(_, name)| name)
}
