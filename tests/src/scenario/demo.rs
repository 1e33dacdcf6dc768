//! The ready-made scenario: a provider tenant (Contoso SaaS), one customer tenant (Fabrikam), the
//! tenant where MongoDB Atlas's own multi-tenant Azure app is registered, and an Atlas organization
//! with one project (M10) and a Project Owner API key. The same data is in `tests/scenarios/demo.json`.

use super::{AtlasApiKeySpec, AtlasProjectSpec, AtlasSpec, Scenario};
use crate::arm::role_definitions::{CONTRIBUTOR, OWNER};
use crate::roles;
use xtcmk::{AppId, ObjectId, Secret, SubscriptionId, TenantId};

pub const PROVIDER: &str = "provider";
pub const PROVIDER_TENANT_ID: &str = "10000000-0000-4000-8000-000000000001";
pub const PROVIDER_DOMAIN: &str = "contoso-saas.example";
pub const PROVIDER_SUBSCRIPTION_ID: &str = "10000000-0000-4000-8000-0000000000a1";
pub const PROVIDER_RESOURCE_GROUP: &str = "rg-provider";
/// Application Administrator in the provider tenant.
pub const PROVIDER_ADMIN: &str = "alex@contoso-saas.example";
pub const PROVIDER_ADMIN_ID: &str = "10000000-0000-4000-8000-0000000000b1";
/// The provider's CI app registration (client-secret sign-in).
pub const CI_APP_NAME: &str = "xtcmk-ci";
pub const CI_APP_ID: &str = "10000000-0000-4000-8000-0000000000c1";
pub const CI_APP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000c2";
pub const CI_SP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000c3";
/// Test data only: the CI app's client secret in this scenario.
pub const CI_SECRET: &str = "demo-ci-secret-for-the-simulator-only";

pub const CUSTOMER: &str = "customer";
pub const CUSTOMER_TENANT_ID: &str = "20000000-0000-4000-8000-000000000002";
pub const CUSTOMER_DOMAIN: &str = "fabrikam.example";
pub const CUSTOMER_SUBSCRIPTION_ID: &str = "20000000-0000-4000-8000-0000000000a1";
pub const CUSTOMER_RESOURCE_GROUP: &str = "rg-customer";
/// Global Administrator in the customer tenant.
pub const CUSTOMER_ADMIN: &str = "gina@fabrikam.example";
pub const CUSTOMER_ADMIN_ID: &str = "20000000-0000-4000-8000-0000000000b1";
/// A customer user without any directory role.
pub const CUSTOMER_USER: &str = "nico@fabrikam.example";
pub const CUSTOMER_USER_ID: &str = "20000000-0000-4000-8000-0000000000b2";
/// The customer's automation app (client-secret sign-in): Owner of the customer subscription
/// and `Application.ReadWrite.All` in Graph, the rights phase 2 needs (install the provider's
/// app, create the vault and key, grant the role).
pub const CUSTOMER_CI_APP_NAME: &str = "fabrikam-ci";
pub const CUSTOMER_CI_APP_ID: &str = "20000000-0000-4000-8000-0000000000c1";
pub const CUSTOMER_CI_APP_OBJECT_ID: &str = "20000000-0000-4000-8000-0000000000c2";
pub const CUSTOMER_CI_SP_OBJECT_ID: &str = "20000000-0000-4000-8000-0000000000c3";
/// Test data only: the customer CI app's client secret in this scenario.
pub const CUSTOMER_CI_SECRET: &str = "demo-customer-ci-secret-for-the-simulator-only";

pub const LOCATION: &str = "westeurope";

/// The tenant that holds MongoDB Atlas's multi-tenant Azure app (a simulator stand-in for
/// MongoDB's own tenant, which is not published).
pub const ATLAS_TENANT: &str = "atlas";
pub const ATLAS_TENANT_ID: &str = "30000000-0000-4000-8000-000000000003";
pub const ATLAS_DOMAIN: &str = "mongodb-atlas.example";
/// Atlas's app registration and its service principal in its home tenant.
pub const ATLAS_APP_OBJECT_ID: &str = "30000000-0000-4000-8000-0000000000c2";
pub const ATLAS_APP_SP_OBJECT_ID: &str = "30000000-0000-4000-8000-0000000000c3";
/// The Atlas organization and its project (an M10 cluster tier, so encryption at rest applies).
pub const ATLAS_ORG_ID: &str = "65f00000000000000000a000";
pub const ATLAS_ORG_NAME: &str = "Contoso SaaS";
pub const ATLAS_GROUP_ID: &str = "65f00000000000000000a001";
pub const ATLAS_PROJECT_NAME: &str = "contoso-orders";
/// A Project Owner API key of that project. Test data only.
pub const ATLAS_PUBLIC_KEY: &str = "xtcmkdemo";
pub const ATLAS_PRIVATE_KEY: &str = "demo-atlas-private-key-for-the-simulator-only";

fn parse<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("demo ids are GUIDs")
}

impl Scenario {
    /// The demo: provider (one subscription, `rg-provider` in westeurope, an Application
    /// Administrator who owns the subscription, a CI app registration with a client secret that
    /// is Contributor there and may manage the apps it owns) and customer (one subscription,
    /// `rg-customer`, a Global Administrator who owns the subscription, a user without directory
    /// roles, and a CI app that owns the subscription and may manage every app).
    pub fn demo() -> Scenario {
        Scenario::builder()
            .tenant(PROVIDER, "Contoso SaaS", PROVIDER_DOMAIN, |t| {
                t.id(parse::<TenantId>(PROVIDER_TENANT_ID))
                    .subscription("Contoso SaaS production", |s| {
                        s.id(parse::<SubscriptionId>(PROVIDER_SUBSCRIPTION_ID))
                            .resource_group(PROVIDER_RESOURCE_GROUP, LOCATION)
                            .role_assignment(PROVIDER_ADMIN, OWNER)
                            .role_assignment(CI_APP_ID, CONTRIBUTOR)
                    })
                    .user_with_id(
                        PROVIDER_ADMIN,
                        parse::<ObjectId>(PROVIDER_ADMIN_ID),
                        "Alex Provider",
                        &[roles::APPLICATION_ADMINISTRATOR],
                    )
                    .application(CI_APP_NAME, |a| {
                        a.app_id(parse::<AppId>(CI_APP_ID))
                            .object_ids(parse(CI_APP_OBJECT_ID), parse(CI_SP_OBJECT_ID))
                            .client_secret("ci", CI_SECRET)
                            .app_roles(&[roles::APPLICATION_READWRITE_OWNEDBY])
                    })
            })
            .tenant(CUSTOMER, "Fabrikam", CUSTOMER_DOMAIN, |t| {
                t.id(parse::<TenantId>(CUSTOMER_TENANT_ID))
                    .subscription("Fabrikam data", |s| {
                        s.id(parse::<SubscriptionId>(CUSTOMER_SUBSCRIPTION_ID))
                            .resource_group(CUSTOMER_RESOURCE_GROUP, LOCATION)
                            .role_assignment(CUSTOMER_ADMIN, OWNER)
                            .role_assignment(CUSTOMER_CI_APP_ID, OWNER)
                    })
                    .user_with_id(
                        CUSTOMER_ADMIN,
                        parse::<ObjectId>(CUSTOMER_ADMIN_ID),
                        "Gina Admin",
                        &[roles::GLOBAL_ADMINISTRATOR],
                    )
                    .user_with_id(
                        CUSTOMER_USER,
                        parse::<ObjectId>(CUSTOMER_USER_ID),
                        "Nico User",
                        &[],
                    )
                    .application(CUSTOMER_CI_APP_NAME, |a| {
                        a.app_id(parse::<AppId>(CUSTOMER_CI_APP_ID))
                            .object_ids(
                                parse(CUSTOMER_CI_APP_OBJECT_ID),
                                parse(CUSTOMER_CI_SP_OBJECT_ID),
                            )
                            .client_secret("ci", CUSTOMER_CI_SECRET)
                            .app_roles(&[roles::APPLICATION_READWRITE_ALL])
                    })
            })
            .tenant(ATLAS_TENANT, "MongoDB Atlas", ATLAS_DOMAIN, |t| {
                t.id(parse::<TenantId>(ATLAS_TENANT_ID)).application(
                    xtcmk::atlas::ATLAS_APP_DISPLAY_NAME,
                    |a| {
                        a.app_id(xtcmk::atlas::atlas_app_id())
                            .object_ids(parse(ATLAS_APP_OBJECT_ID), parse(ATLAS_APP_SP_OBJECT_ID))
                            .multi_tenant()
                    },
                )
            })
            .atlas(AtlasSpec {
                org_id: ATLAS_ORG_ID.into(),
                org_name: ATLAS_ORG_NAME.into(),
                projects: vec![AtlasProjectSpec {
                    id: ATLAS_GROUP_ID.into(),
                    name: ATLAS_PROJECT_NAME.into(),
                    cluster_tier: "M10".into(),
                }],
                api_keys: vec![AtlasApiKeySpec {
                    public_key: ATLAS_PUBLIC_KEY.into(),
                    private_key: Secret::new(ATLAS_PRIVATE_KEY),
                    project_roles: [(ATLAS_GROUP_ID.to_string(), vec!["GROUP_OWNER".to_string()])]
                        .into_iter()
                        .collect(),
                }],
            })
            .build()
            .expect("the demo scenario is valid")
    }
}
