//! Table tests of the key URI and ARM resource id parsers: good and bad inputs across the public,
//! China and US Government clouds, Key Vault and Managed HSM. Every refusal must name the field, echo
//! the value, say what is wrong and carry a fix.

use xtcmk::resource_id::{COSMOS_ACCOUNT_TYPE, KEY_TYPE, USER_ASSIGNED_IDENTITY_TYPE, VAULT_TYPE};
use xtcmk::{Cloud, KeyStoreKind, KeyUri, ResourceId};

const V: &str = "0123456789abcdef0123456789abcdef";
const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

enum Expect {
    /// Parses; normalised form, kind, version present.
    Good(&'static str, KeyStoreKind, bool),
    /// Refused; the problem must contain this text.
    Bad(&'static str),
}
use Expect::{Bad, Good};

fn cloud(name: &str) -> Cloud {
    match name {
        "public" => Cloud::public(),
        "china" => Cloud::china(),
        "usgov" => Cloud::us_government(),
        other => panic!("unknown cloud {other}"),
    }
}

fn key_uri_cases() -> Vec<(&'static str, String, Expect)> {
    use KeyStoreKind::{ManagedHsm, Vault};
    let v = |s: &str| s.replace("{V}", V);
    vec![
        // Good: each cloud, vault and HSM, with and without version, normalised.
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk"),
            Good("https://contoso-kv.vault.azure.net/keys/cmk", Vault, false),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk/{V}"),
            Good(
                "https://contoso-kv.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
                Vault,
                true,
            ),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk/"),
            Good("https://contoso-kv.vault.azure.net/keys/cmk", Vault, false),
        ),
        (
            "public",
            v("https://Contoso-KV.Vault.Azure.Net/keys/CMK-1/{V}/"),
            Good(
                "https://contoso-kv.vault.azure.net/keys/CMK-1/0123456789abcdef0123456789abcdef",
                Vault,
                true,
            ),
        ),
        (
            "public",
            v("  https://kv1.vault.azure.net/keys/k  "),
            Good("https://kv1.vault.azure.net/keys/k", Vault, false),
        ),
        (
            "public",
            v("https://contoso-hsm.managedhsm.azure.net/keys/cmk"),
            Good(
                "https://contoso-hsm.managedhsm.azure.net/keys/cmk",
                ManagedHsm,
                false,
            ),
        ),
        (
            "public",
            v("https://contoso-hsm.managedhsm.azure.net/keys/cmk/{V}"),
            Good(
                "https://contoso-hsm.managedhsm.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
                ManagedHsm,
                true,
            ),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net:443/keys/cmk"),
            Good("https://contoso-kv.vault.azure.net/keys/cmk", Vault, false),
        ),
        (
            "china",
            v("https://contoso-kv.vault.azure.cn/keys/cmk"),
            Good("https://contoso-kv.vault.azure.cn/keys/cmk", Vault, false),
        ),
        (
            "china",
            v("https://contoso-kv.vault.azure.cn/keys/cmk/{V}"),
            Good(
                "https://contoso-kv.vault.azure.cn/keys/cmk/0123456789abcdef0123456789abcdef",
                Vault,
                true,
            ),
        ),
        (
            "china",
            v("https://contoso-hsm.managedhsm.azure.cn/keys/cmk/"),
            Good(
                "https://contoso-hsm.managedhsm.azure.cn/keys/cmk",
                ManagedHsm,
                false,
            ),
        ),
        (
            "usgov",
            v("https://contoso-kv.vault.usgovcloudapi.net/keys/cmk"),
            Good(
                "https://contoso-kv.vault.usgovcloudapi.net/keys/cmk",
                Vault,
                false,
            ),
        ),
        (
            "usgov",
            v("https://contoso-kv.vault.usgovcloudapi.net/keys/cmk/{V}"),
            Good(
                "https://contoso-kv.vault.usgovcloudapi.net/keys/cmk/0123456789abcdef0123456789abcdef",
                Vault,
                true,
            ),
        ),
        (
            "usgov",
            v("https://contoso-hsm.managedhsm.usgovcloudapi.net/keys/cmk/{V}"),
            Good(
                "https://contoso-hsm.managedhsm.usgovcloudapi.net/keys/cmk/0123456789abcdef0123456789abcdef",
                ManagedHsm,
                true,
            ),
        ),
        // Bad: scheme, shape, query, fragment, credentials.
        ("public", v(""), Bad("it is empty")),
        (
            "public",
            v("http://contoso-kv.vault.azure.net/keys/cmk"),
            Bad("https only"),
        ),
        (
            "public",
            v("contoso-kv.vault.azure.net/keys/cmk"),
            Bad("not a URL"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk?api-version=7.4"),
            Bad("query"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk#v1"),
            Bad("fragment"),
        ),
        (
            "public",
            v("https://user:pw@contoso-kv.vault.azure.net/keys/cmk"),
            Bad("user name or password"),
        ),
        ("public", v("https://10.0.0.4/keys/cmk"), Bad("IP address")),
        // Bad: paths.
        (
            "public",
            v("https://contoso-kv.vault.azure.net/"),
            Bad("the vault's URL, not a key's"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/"),
            Bad("key name is missing"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/secrets/cmk"),
            Bad("secret's URI (/secrets/)"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/certificates/cmk/{V}"),
            Bad("certificate's URI (/certificates/)"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/deletedkeys/cmk"),
            Bad("the path starts with `/deletedkeys/`"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk/{V}/extra"),
            Bad("extra segments"),
        ),
        (
            "usgov",
            v("https://contoso-hsm.managedhsm.usgovcloudapi.net/secrets/cmk"),
            Bad("secret's URI"),
        ),
        // Bad: names and versions.
        (
            "public",
            v("https://kv.vault.azure.net/keys/cmk"),
            Bad("has 2 characters; Azure allows 3–24"),
        ),
        (
            "public",
            v("https://a-very-long-vault-name-0001.vault.azure.net/keys/cmk"),
            Bad("Azure allows 3–24"),
        ),
        (
            "public",
            v("https://1contoso.vault.azure.net/keys/cmk"),
            Bad("does not start with a letter"),
        ),
        (
            "public",
            v("https://contoso-.vault.azure.net/keys/cmk"),
            Bad("ends with a hyphen"),
        ),
        (
            "public",
            v("https://con--toso.vault.azure.net/keys/cmk"),
            Bad("consecutive hyphens"),
        ),
        (
            "public",
            v("https://contoso_kv.vault.azure.net/keys/cmk"),
            Bad("contains `_`"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk.key"),
            Bad("the key name `cmk.key` contains `.`"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net/keys/cmk/abc123"),
            Bad("the key version `abc123` is not 32 hexadecimal characters (it has 6)"),
        ),
        (
            "china",
            v("https://contoso-kv.vault.azure.cn/keys/cmk/0123456789abcdef0123456789abcdeg"),
            Bad("not 32 hexadecimal characters"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.net:8443/keys/cmk"),
            Bad("port 8443"),
        ),
        // Bad: suffixes — typo, private zone, another cloud's, unknown, extra labels.
        (
            "public",
            v("https://contoso-kv.vault.azure.com/keys/cmk"),
            Bad("`vault.azure.com` is not a Key Vault DNS suffix"),
        ),
        (
            "public",
            v("https://contoso-hsm.managedhsm.azure.com/keys/cmk"),
            Bad("`managedhsm.azure.com` is not a Managed HSM DNS suffix"),
        ),
        (
            "public",
            v("https://contoso-kv.privatelink.vaultcore.azure.net/keys/cmk"),
            Bad("private DNS zone"),
        ),
        (
            "public",
            v("https://contoso-kv.vault.azure.cn/keys/cmk"),
            Bad("the Key Vault suffix of AzureChinaCloud, but the selected cloud is AzureCloud"),
        ),
        (
            "public",
            v("https://contoso-hsm.managedhsm.usgovcloudapi.net/keys/cmk"),
            Bad("the Managed HSM suffix of AzureUSGovernment"),
        ),
        (
            "china",
            v("https://contoso-kv.vault.azure.net/keys/cmk"),
            Bad("the Key Vault suffix of AzureCloud, but the selected cloud is AzureChinaCloud"),
        ),
        (
            "china",
            v("https://contoso-kv.vault.usgovcloudapi.net/keys/cmk/{V}"),
            Bad("suffix of AzureUSGovernment"),
        ),
        (
            "usgov",
            v("https://contoso-kv.vault.azure.net/keys/cmk"),
            Bad("the selected cloud is AzureUSGovernment"),
        ),
        (
            "usgov",
            v("https://contoso-hsm.managedhsm.azure.cn/keys/cmk"),
            Bad("the Managed HSM suffix of AzureChinaCloud"),
        ),
        (
            "public",
            v("https://contoso-kv.blob.core.windows.net/keys/cmk"),
            Bad("is not a Key Vault (`*.vault.azure.net`) or Managed HSM"),
        ),
        (
            "public",
            v("https://a.contoso-kv.vault.azure.net/keys/cmk"),
            Bad("extra labels"),
        ),
    ]
}

#[test]
fn key_uris_across_clouds_and_managed_hsm() {
    let cases = key_uri_cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (cloud_name, input, expect) in cases {
        let c = cloud(cloud_name);
        let parsed = KeyUri::parse(&c, "--key-uri", &input);
        match (expect, parsed) {
            (Good(normalised, kind, versioned), Ok(k)) => {
                assert_eq!(k.to_string(), normalised, "{cloud_name} {input}");
                assert_eq!(k.kind(), kind, "{input}");
                assert_eq!(k.version().is_some(), versioned, "{input}");
                // Cosmos's form never has a version; Atlas's form exists exactly when a version was given.
                let versionless = k.versionless().to_string();
                assert!(normalised.starts_with(&versionless), "{input}");
                assert_eq!(versionless.matches('/').count(), 4, "{versionless}");
                assert_eq!(k.versioned().is_ok(), versioned, "{input}");
            }
            (Bad(needle), Err(e)) => {
                assert_eq!(e.field, "--key-uri", "{input}");
                assert_eq!(e.value, input, "the error echoes the value as given");
                assert!(
                    e.problem.contains(needle),
                    "{cloud_name} {input}: expected `{needle}` in `{}`",
                    e.problem
                );
                assert!(e.fix.is_some(), "{input}: a refusal carries a fix");
                assert!(e.to_string().starts_with("invalid --key-uri `"), "{e}");
            }
            (Good(..), Err(e)) => panic!("{cloud_name} {input}: refused: {e}"),
            (Bad(needle), Ok(k)) => {
                panic!("{cloud_name} {input}: accepted as {k}, expected `{needle}`")
            }
        }
    }
}

#[test]
fn the_typo_fix_suggests_the_right_suffix_per_cloud() {
    let e =
        KeyUri::parse(&Cloud::public(), "u", "https://kv1.vault.azure.com/keys/k/").unwrap_err();
    assert_eq!(
        e.fix.unwrap(),
        "use `vault.azure.net`: https://kv1.vault.azure.net/keys/k/"
    );
    let e = KeyUri::parse(&Cloud::china(), "u", "https://kv1.vault.azure.com/keys/k").unwrap_err();
    assert!(e.fix.unwrap().contains("https://kv1.vault.azure.cn/keys/k"));
    let e = KeyUri::parse(
        &Cloud::us_government(),
        "u",
        "https://kv1.vault.azure.cn/keys/k",
    )
    .unwrap_err();
    assert!(e.fix.unwrap().contains("--cloud china"));
}

/// `(id, Ok((resource type, name)) | Err(text the problem must contain))`.
type IdCase = (String, Result<(&'static str, &'static str), &'static str>);

fn resource_id_cases() -> Vec<IdCase> {
    let s = |t: &str| t.replace("{SUB}", SUB);
    vec![
        // Good: (input, (expected type, name)).
        (
            s(
                "/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk",
            ),
            Ok((USER_ASSIGNED_IDENTITY_TYPE, "uami-cmk")),
        ),
        (
            s(
                "/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/rg-id/PROVIDERS/microsoft.managedidentity/USERASSIGNEDIDENTITIES/uami-cmk/",
            ),
            Ok((USER_ASSIGNED_IDENTITY_TYPE, "uami-cmk")),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"),
            Ok((VAULT_TYPE, "kv1")),
        ),
        (
            s(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/cmk",
            ),
            Ok((KEY_TYPE, "cmk")),
        ),
        (
            s(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm1",
            ),
            Ok(("Microsoft.KeyVault/managedHSMs", "hsm1")),
        ),
        (
            s(
                "/subscriptions/{SUB}/resourceGroups/my_rg-(1).prod/providers/Microsoft.DocumentDB/databaseAccounts/orders",
            ),
            Ok((COSMOS_ACCOUNT_TYPE, "orders")),
        ),
        (
            s(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/cmk/providers/Microsoft.Authorization/roleAssignments/5f0e4a62-0000-0000-0000-000000000001",
            ),
            Ok((
                "Microsoft.Authorization/roleAssignments",
                "5f0e4a62-0000-0000-0000-000000000001",
            )),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg"),
            Ok(("Microsoft.Resources/resourceGroups", "rg")),
        ),
        (
            s(
                "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
            ),
            Ok((
                "Microsoft.Authorization/roleDefinitions",
                "e147488a-f6f5-4113-8e2d-b22465e65bf6",
            )),
        ),
        // Bad.
        (s(""), Err("it is empty")),
        (
            s("subscriptions/{SUB}/resourceGroups/rg"),
            Err("starts with `/subscriptions/` or `/providers/`"),
        ),
        (
            s(
                "https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1?api-version=2026-02-01",
            ),
            Err(
                "the id is the path part: /subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1",
            ),
        ),
        (
            s("/subscriptions/my-sub/resourceGroups/rg"),
            Err("the subscription segment `my-sub` is not a GUID"),
        ),
        (
            s("/subscriptions"),
            Err("not followed by a subscription id"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups"),
            Err("not followed by a resource group name"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg./providers/Microsoft.KeyVault/vaults/kv1"),
            Err("cannot end with `.`"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg//providers/Microsoft.KeyVault/vaults/kv1"),
            Err("empty path segment"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv 1"),
            Err("segment `kv 1` holds a space"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/providers/KeyVault/vaults/kv1"),
            Err("`KeyVault` is not a resource provider namespace"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault"),
            Err("not followed by a resource type and name"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults"),
            Err("resource type `vaults` is not followed by a name"),
        ),
        (
            s("/subscriptions/{SUB}/resourceGroups/rg/vaults/kv1"),
            Err("expected `providers` where `vaults` is"),
        ),
    ]
}

#[test]
fn resource_ids_good_and_bad() {
    let cases = resource_id_cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for (input, expect) in cases {
        match (expect, ResourceId::parse_field("--identity", &input)) {
            (Ok((ty, name)), Ok(id)) => {
                assert!(
                    id.is_type(ty),
                    "{input}: type {} not {ty}",
                    id.resource_type()
                );
                assert_eq!(id.name(), name, "{input}");
                // Printing and parsing again gives the same id.
                assert_eq!(id.to_string().parse::<ResourceId>().unwrap(), id, "{input}");
            }
            (Err(needle), Err(e)) => {
                assert_eq!(e.field, "--identity", "{input}");
                assert_eq!(e.value, input);
                assert!(
                    e.problem.contains(needle),
                    "{input}: expected `{needle}` in `{}`",
                    e.problem
                );
                assert!(e.fix.is_some(), "{input}: a refusal carries a fix");
            }
            (Ok(_), Err(e)) => panic!("{input}: refused: {e}"),
            (Err(needle), Ok(id)) => panic!("{input}: accepted as {id}, expected `{needle}`"),
        }
    }
}

#[test]
fn typed_resource_ids_refuse_the_wrong_type_naming_both() {
    let vault =
        format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1");
    let e = ResourceId::parse_typed("--identity", &vault, USER_ASSIGNED_IDENTITY_TYPE).unwrap_err();
    assert_eq!(e.field, "--identity");
    assert!(e.problem.contains("Microsoft.KeyVault/vaults id, not a Microsoft.ManagedIdentity/userAssignedIdentities id"), "{e}");
    let e = xtcmk::cosmos::parse_cross_tenant_identity("--identity", "SystemAssigned").unwrap_err();
    assert!(
        e.problem
            .contains("Cross-tenant CMK is not supported with System Assigned identities"),
        "{e}"
    );
    let key = format!("{vault}/keys/cmk");
    assert!(ResourceId::parse_typed("--key", &key, "microsoft.keyvault/VAULTS/KEYS").is_ok());
}
