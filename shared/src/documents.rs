//! The two documents that cross between the sides, as versioned JSON (`kind`, `schemaVersion`):
//! the provider's **invitation** (phase 1 → customer) and the customer's **handoff** (phase 2 →
//! provider). Neither carries anything secret. Parsing is strict: unknown fields, a wrong kind or
//! version are refused, and every error names the JSON field (e.g. `handoff.keyUri`) and the fix.

use crate::atlas::{AccessMode, GroupId, atlas_app_id};
use crate::key_uri::{KeyStoreKind, KeyUri, VersionedKeyUri, check_key_version, check_vault_name};
use crate::resource_id::{self, ROLE_ASSIGNMENT_TYPE, ResourceId};
use crate::{AppId, Cloud, InputError, ObjectId, SubscriptionId, TenantId};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::path::Path;
use url::Url;

/// The schema version of handoffs, and of invitations for Cosmos DB.
pub const SCHEMA_VERSION: u64 = 1;
/// The schema version of invitations for MongoDB Atlas (they add `target` and `atlas`); an
/// older xtcmk refuses them as written by a newer one instead of misreading them.
pub const INVITATION_SCHEMA_VERSION_ATLAS: u64 = 2;
/// `kind` of an invitation.
pub const INVITATION_KIND: &str = "xtcmk.invitation";
/// `kind` of a handoff.
pub const HANDOFF_KIND: &str = "xtcmk.handoff";

/// What the customer's key will encrypt: decides the key URI form and the permissions granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionTarget {
    /// Azure Cosmos DB: versionless key URI, wrapKey/unwrapKey.
    Cosmos,
    /// MongoDB Atlas: versioned key identifier, encrypt/decrypt.
    Atlas,
}

impl EncryptionTarget {
    pub fn as_str(&self) -> &'static str {
        match self {
            EncryptionTarget::Cosmos => "cosmos",
            EncryptionTarget::Atlas => "atlas",
        }
    }
}

/// How the customer's vault grants the provider's service principal access to the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionModel {
    /// Azure RBAC role assignment (Key Vault Crypto Service Encryption User).
    Rbac,
    /// Vault access policy (get, wrapKey, unwrapKey).
    AccessPolicy,
}

impl PermissionModel {
    pub fn as_str(&self) -> &'static str {
        match self {
            PermissionModel::Rbac => "rbac",
            PermissionModel::AccessPolicy => "access-policy",
        }
    }
}

/// The provider's invitation: what the customer's admin needs to install the app and onboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// The cloud's name (`AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`, or a profile's name).
    pub cloud: String,
    pub provider_tenant_id: TenantId,
    pub app_id: AppId,
    pub app_display_name: String,
    pub admin_consent_url: Url,
    /// Whether the consent URL carries a redirect URI registered on the app.
    pub redirect_uri_registered: bool,
    /// The exact command the customer runs next (see [`onboard_command`]).
    pub next_command: String,
    /// For MongoDB Atlas: which way Atlas reaches the key, and the provider's Atlas project
    /// (schemaVersion 2). `None`: an invitation for Cosmos DB (schemaVersion 1).
    pub atlas: Option<AtlasInvitation>,
}

/// What an invitation for MongoDB Atlas adds: the way in, which decides the app to install
/// (the provider's app for `secret`, MongoDB Atlas's own app for `role`), and the Atlas project
/// whose private endpoint requests the customer may approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtlasInvitation {
    pub mode: AccessMode,
    pub group_id: GroupId,
}

/// The customer's handoff: where the key is and who may use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    /// The cloud's name (`AzureCloud`, …, or a profile's name), so it is read under the same one.
    pub cloud: String,
    pub customer_tenant_id: TenantId,
    pub subscription_id: SubscriptionId,
    pub resource_group: String,
    /// The vault (or Managed HSM) name; the same as the key URI's.
    pub vault_name: String,
    /// The key at its current version: serialised as `keyUri` (versionless) and `keyVersion`.
    pub key: VersionedKeyUri,
    /// The provider's app the grant is for.
    pub app_id: AppId,
    /// The app's service principal in the customer's tenant (the principal of the grant).
    pub service_principal_object_id: ObjectId,
    pub permission_model: PermissionModel,
    pub target: EncryptionTarget,
    /// The role assignment the customer made (RBAC only), so it can be found and revoked.
    pub role_assignment_id: Option<ResourceId>,
}

const INVITATION_FIELDS: &[&str] = &[
    "kind",
    "schemaVersion",
    "cloud",
    "providerTenantId",
    "appId",
    "appDisplayName",
    "adminConsentUrl",
    "redirectUriRegistered",
    "nextCommand",
];
/// schemaVersion 2 adds these.
const INVITATION_ATLAS_FIELDS: &[&str] = &["target", "atlas"];
const HANDOFF_FIELDS: &[&str] = &[
    "kind",
    "schemaVersion",
    "cloud",
    "customerTenantId",
    "subscriptionId",
    "resourceGroup",
    "vaultName",
    "keyUri",
    "keyVersion",
    "appId",
    "servicePrincipalObjectId",
    "permissionModel",
    "target",
    "roleAssignmentId",
];

/// The `--cloud` value that selects `cloud`, as a customer would type it.
fn cloud_flag_value(cloud_arg: &str) -> Option<String> {
    match cloud_arg.trim().to_ascii_lowercase().as_str() {
        "" | "public" | "azurecloud" | "azure" => None,
        _ => Some(cloud_arg.trim().to_string()),
    }
}

/// Quotes a word for a POSIX shell when it holds anything beyond `[A-Za-z0-9_./:=@-]`.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@-".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `xtcmk-customer onboard --invitation <file> --subscription … --key … [--cloud <cloud>]`: the
/// customer's next command, with placeholders for what only the customer knows.
/// `cloud_arg` is the `--cloud` value the provider used (omitted when it is the public cloud).
pub fn onboard_command(cloud_arg: &str, invitation_file: &str) -> String {
    onboard_command_for(cloud_arg, invitation_file, EncryptionTarget::Cosmos)
}

/// [`onboard_command`] for `target` (`--for atlas` for MongoDB Atlas).
pub fn onboard_command_for(
    cloud_arg: &str,
    invitation_file: &str,
    target: EncryptionTarget,
) -> String {
    let mut cmd = format!(
        "xtcmk-customer onboard --invitation {} --subscription <subscription-id> --resource-group <resource-group> --location <region> --vault <vault-name> --key <key-name>",
        shell_quote(invitation_file)
    );
    if target == EncryptionTarget::Atlas {
        cmd.push_str(" --for atlas");
    }
    if let Some(c) = cloud_flag_value(cloud_arg) {
        cmd.push_str(&format!(" --cloud {}", shell_quote(&c)));
    }
    cmd
}

/// Reads the fields of one JSON document, naming each as `{doc}.{field}` in errors.
struct Fields {
    doc: &'static str,
    obj: Map<String, Value>,
}

impl Fields {
    fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.doc)
    }

    fn shown(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn missing(&self, name: &str, what: &str) -> InputError {
        InputError::new(
            self.path(name),
            "",
            format!("the field is missing; it holds {what}"),
        )
        .with_fix(format!(
            "regenerate the {} with xtcmk, or add `{name}`",
            self.doc
        ))
    }

    fn string(&self, name: &str, what: &str) -> Result<String, InputError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Err(self.missing(name, what)),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(
                    InputError::new(self.path(name), "", format!("it is empty; it holds {what}"))
                        .with_fix(format!("regenerate the {} with xtcmk", self.doc)),
                )
            }
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(InputError::new(
                self.path(name),
                Self::shown(other),
                format!("must be a string ({what})"),
            )
            .with_fix(format!("regenerate the {} with xtcmk", self.doc))),
        }
    }

    fn optional_string(&self, name: &str, what: &str) -> Result<Option<String>, InputError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.string(name, what).map(Some),
        }
    }

    fn boolean(&self, name: &str, what: &str) -> Result<bool, InputError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Err(self.missing(name, what)),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(InputError::new(
                self.path(name),
                Self::shown(other),
                format!("must be true or false ({what})"),
            )
            .with_fix(format!("regenerate the {} with xtcmk", self.doc))),
        }
    }

    fn parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        let s = self.string(name, what)?;
        parse(&self.path(name), &s)
    }

    fn one_of<T: Copy>(
        &self,
        name: &str,
        what: &str,
        options: &[(&str, T)],
    ) -> Result<T, InputError> {
        let s = self.string(name, what)?;
        options
            .iter()
            .find(|(k, _)| *k == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let allowed: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
                InputError::new(
                    self.path(name),
                    &s,
                    format!("must be one of {}", allowed.join(", ")),
                )
                .with_fix(format!("use one of {}", allowed.join(", ")))
            })
    }
}

/// Parses the envelope of a document: JSON object, `kind`, `schemaVersion`, no unknown fields.
fn envelope(
    doc: &'static str,
    kind: &str,
    known: &[&str],
    max_version: u64,
    source: &str,
    text: &str,
) -> Result<(Fields, u64), InputError> {
    let regenerate = match doc {
        "handoff" => "ask the customer for the handoff file `xtcmk-customer onboard` wrote",
        _ => "ask the provider for the invitation file `xtcmk-provider setup` wrote",
    };
    // Editors on Windows may save a UTF-8 byte-order mark; it carries no meaning in JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(key) = duplicate_key(text) {
        return Err(InputError::new(
            format!("{doc}.{key}"),
            source,
            "the field appears more than once; a reader would have to guess which one counts",
        )
        .with_fix(regenerate));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        InputError::new(
            doc,
            source,
            format!(
                "not valid JSON (line {}, column {}: {e})",
                e.line(),
                e.column()
            ),
        )
        .with_fix(regenerate)
    })?;
    let Value::Object(obj) = value else {
        return Err(
            InputError::new(doc, source, "the document is not a JSON object").with_fix(regenerate),
        );
    };
    let fields = Fields { doc, obj };
    match fields.obj.get("kind") {
        Some(Value::String(k)) if k == kind => {}
        Some(Value::String(k)) if k == INVITATION_KIND || k == HANDOFF_KIND => {
            let other = if k == INVITATION_KIND {
                "an invitation"
            } else {
                "a handoff"
            };
            let wanted = if doc == "invitation" {
                "an invitation"
            } else {
                "a handoff"
            };
            return Err(InputError::new(
                fields.path("kind"),
                k,
                format!("this file is {other}, not {wanted}"),
            )
            .with_fix(regenerate));
        }
        Some(other) => {
            return Err(InputError::new(
                fields.path("kind"),
                Fields::shown(other),
                format!("not an xtcmk {doc} (kind must be `{kind}`)"),
            )
            .with_fix(regenerate));
        }
        None => {
            return Err(InputError::new(
                fields.path("kind"),
                "",
                format!("the field is missing; this is not an xtcmk {doc}"),
            )
            .with_fix(regenerate));
        }
    }
    let readable = if max_version == SCHEMA_VERSION {
        format!("version {SCHEMA_VERSION}")
    } else {
        format!("versions {SCHEMA_VERSION} to {max_version}")
    };
    let version = match fields.obj.get("schemaVersion") {
        Some(Value::Number(n))
            if n.as_u64()
                .is_some_and(|v| (SCHEMA_VERSION..=max_version).contains(&v)) =>
        {
            n.as_u64().unwrap_or(SCHEMA_VERSION)
        }
        Some(Value::String(v)) if v.trim().parse::<u64>().is_ok() => {
            return Err(InputError::new(
                fields.path("schemaVersion"),
                format!("\"{v}\""),
                format!("it is the string \"{v}\"; schemaVersion is a number ({SCHEMA_VERSION})"),
            )
            .with_fix(regenerate));
        }
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v > max_version) => {
            return Err(InputError::new(
                fields.path("schemaVersion"),
                n.to_string(),
                format!("written by a newer xtcmk; this one reads {readable}"),
            )
            .with_fix(format!(
                "upgrade xtcmk, or ask for a file written with schemaVersion {max_version} or lower"
            )));
        }
        Some(other) => {
            return Err(InputError::new(
                fields.path("schemaVersion"),
                Fields::shown(other),
                format!("unsupported schema version; this xtcmk reads {readable}"),
            )
            .with_fix(regenerate));
        }
        None => {
            return Err(
                InputError::new(fields.path("schemaVersion"), "", "the field is missing")
                    .with_fix(regenerate),
            );
        }
    };
    if let Some(unknown) = fields.obj.keys().find(|k| !known.contains(&k.as_str())) {
        let suggestion = known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(unknown))
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        return Err(InputError::new(
            fields.path(unknown),
            Fields::shown(&fields.obj[unknown]),
            format!("unknown field (a {doc} has: {})", known.join(", ")),
        )
        .with_fix(format!(
            "{suggestion}remove the field; {doc} files are written by xtcmk and read strictly"
        )));
    }
    Ok((fields, version))
}

fn read_text(flag: &str, path: &Path, doc: &str, how_to_get: &str) -> Result<String, InputError> {
    match crate::files::read_text(flag, path) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(InputError::new(
            flag,
            path.display().to_string(),
            format!("the {doc} file does not exist"),
        )
        .with_fix(how_to_get.to_string())),
        Err(e) => Err(e),
    }
}

/// The dotted path of the first object key that appears twice in `text` (JSON parsers keep one
/// of them silently), if any.
fn duplicate_key(text: &str) -> Option<String> {
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    struct Seek<'a>(&'a mut Option<String>, String);
    impl<'de> DeserializeSeed<'de> for Seek<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Seek<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.1.is_empty() {
                    key.clone()
                } else {
                    format!("{}.{key}", self.1)
                };
                if !seen.insert(key) && self.0.is_none() {
                    *self.0 = Some(path.clone());
                }
                map.next_value_seed(Seek(self.0, path))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq
                .next_element_seed(Seek(self.0, self.1.clone()))?
                .is_some()
            {}
            Ok(())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(text);
    Seek(&mut found, String::new()).deserialize(&mut de).ok()?;
    found
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("documents serialise");
    s.push('\n');
    s
}

/// `target` and `atlas` of a schemaVersion 2 invitation: the mode must fit the app it names.
fn parse_atlas_section(f: &Fields, app_id: &AppId) -> Result<Option<AtlasInvitation>, InputError> {
    let target = f.one_of(
        "target",
        "what the key will encrypt",
        &[
            ("cosmos", EncryptionTarget::Cosmos),
            ("atlas", EncryptionTarget::Atlas),
        ],
    )?;
    let atlas = f.obj.get("atlas").filter(|v| !v.is_null());
    match (target, atlas) {
        (EncryptionTarget::Cosmos, None) => return Ok(None),
        (EncryptionTarget::Cosmos, Some(v)) => {
            return Err(InputError::new(
                f.path("atlas"),
                Fields::shown(v),
                "an invitation for cosmos has no atlas section",
            )
            .with_fix("ask the provider for the invitation file xtcmk wrote, unchanged"));
        }
        (EncryptionTarget::Atlas, None) => {
            return Err(f.missing(
                "atlas",
                "the way Atlas reaches the key and the Atlas project",
            ));
        }
        (EncryptionTarget::Atlas, Some(_)) => {}
    }
    let Some(Value::Object(section)) = atlas else {
        return Err(InputError::new(
            f.path("atlas"),
            atlas.map(Fields::shown).unwrap_or_default(),
            "must be an object with mode and groupId",
        )
        .with_fix("ask the provider for the invitation file xtcmk wrote, unchanged"));
    };
    let inner = Fields {
        doc: "invitation.atlas",
        obj: section.clone(),
    };
    if let Some(unknown) = inner
        .obj
        .keys()
        .find(|k| !["mode", "groupId"].contains(&k.as_str()))
    {
        return Err(InputError::new(
            inner.path(unknown),
            Fields::shown(&inner.obj[unknown]),
            "unknown field (the atlas section has: mode, groupId)",
        )
        .with_fix("remove the field; invitation files are written by xtcmk and read strictly"));
    }
    let mode = inner.one_of(
        "mode",
        "how Atlas reaches the key",
        &[("secret", AccessMode::Secret), ("role", AccessMode::Role)],
    )?;
    let group_id = inner.parsed(
        "groupId",
        "the provider's Atlas project id",
        GroupId::parse_field,
    )?;
    let atlas_app = *app_id == atlas_app_id();
    if (mode == AccessMode::Role) != atlas_app {
        let problem = if atlas_app {
            "mode secret names MongoDB Atlas's own app, which Atlas reaches without a secret"
        } else {
            "mode role is for MongoDB Atlas's own app, but appId names another app"
        };
        return Err(InputError::new(inner.path("mode"), mode.as_str(), problem)
            .with_fix("ask the provider for the invitation file `xtcmk-provider atlas invite` wrote, unchanged"));
    }
    Ok(Some(AtlasInvitation { mode, group_id }))
}

impl Invitation {
    /// The document as JSON (kind and schemaVersion first).
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "kind": INVITATION_KIND,
            "schemaVersion": SCHEMA_VERSION,
            "cloud": self.cloud,
            "providerTenantId": self.provider_tenant_id,
            "appId": self.app_id,
            "appDisplayName": self.app_display_name,
            "adminConsentUrl": self.admin_consent_url.as_str(),
            "redirectUriRegistered": self.redirect_uri_registered,
            "nextCommand": self.next_command,
        });
        if let Some(atlas) = &self.atlas {
            v["schemaVersion"] = json!(INVITATION_SCHEMA_VERSION_ATLAS);
            v["target"] = json!(EncryptionTarget::Atlas);
            v["atlas"] = json!({ "mode": atlas.mode, "groupId": atlas.group_id });
        }
        v
    }

    /// What the customer's key will encrypt: Atlas for an Atlas invitation, else Cosmos DB.
    pub fn target(&self) -> EncryptionTarget {
        match self.atlas {
            Some(_) => EncryptionTarget::Atlas,
            None => EncryptionTarget::Cosmos,
        }
    }

    /// Pretty JSON with a final newline, as written to a file.
    pub fn to_json(&self) -> String {
        pretty(&self.to_value())
    }

    /// Parses an invitation for `cloud`; `source` names where the text came from.
    pub fn parse(text: &str, source: &str, cloud: &Cloud) -> Result<Self, InputError> {
        let known: Vec<&str> = INVITATION_FIELDS
            .iter()
            .chain(INVITATION_ATLAS_FIELDS)
            .copied()
            .collect();
        let (f, version) = envelope(
            "invitation",
            INVITATION_KIND,
            &known,
            INVITATION_SCHEMA_VERSION_ATLAS,
            source,
            text,
        )?;
        if version == SCHEMA_VERSION
            && let Some(newer) = INVITATION_ATLAS_FIELDS
                .iter()
                .find(|k| f.obj.contains_key(**k))
        {
            return Err(InputError::new(
                f.path(newer),
                Fields::shown(&f.obj[*newer]),
                format!(
                    "`{newer}` belongs to schemaVersion {INVITATION_SCHEMA_VERSION_ATLAS} invitations, but this one says schemaVersion {SCHEMA_VERSION}"
                ),
            )
            .with_fix("ask the provider for the invitation file xtcmk wrote, unchanged"));
        }
        let cloud_name = f.string("cloud", "the name of the provider's Azure cloud")?;
        if cloud_name != cloud.name {
            return Err(InputError::new(f.path("cloud"), &cloud_name, format!("the invitation is for {cloud_name}, but the selected cloud is {}", cloud.name))
                .with_fix(format!("pass --cloud for {cloud_name} (public, china, usgov or the profile file the provider names)")));
        }
        let provider_tenant_id = f.parsed(
            "providerTenantId",
            "the provider's tenant id",
            TenantId::parse_field,
        )?;
        let app_id = f.parsed("appId", "the provider app's client id", AppId::parse_field)?;
        let app_display_name = f.string("appDisplayName", "the provider app's display name")?;
        if app_display_name.chars().count() > 256 {
            return Err(InputError::new(
                f.path("appDisplayName"),
                &app_display_name,
                "longer than 256 characters",
            )
            .with_fix("regenerate the invitation with xtcmk"));
        }
        let admin_consent_url =
            f.parsed("adminConsentUrl", "the admin-consent URL", |field, v| {
                let url = Url::parse(v).map_err(|e| {
                    InputError::new(field, v, format!("not a URL ({e})"))
                        .with_fix("regenerate the invitation with xtcmk")
                })?;
                if url.scheme() != "https" || !url.path().ends_with("/adminconsent") {
                    return Err(InputError::new(field, v, "not an https …/adminconsent URL")
                        .with_fix("regenerate the invitation with xtcmk"));
                }
                Ok(url)
            })?;
        // The URL installs the app its client_id names: it must be the app the invitation names.
        let client_id = admin_consent_url
            .query_pairs()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.into_owned());
        if !client_id
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(&app_id.to_string()))
        {
            return Err(InputError::new(
                f.path("adminConsentUrl"),
                admin_consent_url.as_str(),
                format!(
                    "its client_id is {}, not the invitation's appId {app_id}: it would install another app",
                    client_id.as_deref().unwrap_or("missing")
                ),
            )
            .with_fix("ask the provider for a new invitation (written by `xtcmk-provider setup`)"));
        }
        let redirect_uri_registered = f.boolean(
            "redirectUriRegistered",
            "whether the consent URL carries a registered redirect URI",
        )?;
        let next_command = f.string("nextCommand", "the command the customer runs next")?;
        if !next_command.starts_with("xtcmk-customer ") {
            return Err(InputError::new(
                f.path("nextCommand"),
                &next_command,
                "not an xtcmk-customer command",
            )
            .with_fix("regenerate the invitation with xtcmk"));
        }
        let atlas = if version >= INVITATION_SCHEMA_VERSION_ATLAS {
            parse_atlas_section(&f, &app_id)?
        } else {
            None
        };
        Ok(Self {
            cloud: cloud_name,
            provider_tenant_id,
            app_id,
            app_display_name,
            admin_consent_url,
            redirect_uri_registered,
            next_command,
            atlas,
        })
    }

    /// Reads an invitation file; `flag` names the option that gave the path.
    pub fn read_from_file(flag: &str, path: &Path, cloud: &Cloud) -> Result<Self, InputError> {
        let text = read_text(
            flag,
            path,
            "invitation",
            "pass the invitation file the provider sent (written by `xtcmk-provider setup`)",
        )?;
        Self::parse(&text, &path.display().to_string(), cloud)
    }
}

impl Handoff {
    /// The document as JSON (kind and schemaVersion first; `keyUri` versionless, `keyVersion` apart).
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "kind": HANDOFF_KIND,
            "schemaVersion": SCHEMA_VERSION,
            "cloud": self.cloud,
            "customerTenantId": self.customer_tenant_id,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "vaultName": self.vault_name,
            "keyUri": self.key.versionless(),
            "keyVersion": self.key.version(),
            "appId": self.app_id,
            "servicePrincipalObjectId": self.service_principal_object_id,
            "permissionModel": self.permission_model,
            "target": self.target,
        });
        if let Some(ra) = &self.role_assignment_id {
            v["roleAssignmentId"] = json!(ra);
        }
        v
    }

    /// Pretty JSON with a final newline, as written to a file.
    pub fn to_json(&self) -> String {
        pretty(&self.to_value())
    }

    /// The ARM id of the vault (or Managed HSM) that holds the key.
    pub fn vault_id(&self) -> ResourceId {
        match self.key.kind() {
            KeyStoreKind::Vault => {
                ResourceId::vault(self.subscription_id, &self.resource_group, &self.vault_name)
            }
            KeyStoreKind::ManagedHsm => ResourceId::in_resource_group(
                self.subscription_id,
                &self.resource_group,
                "Microsoft.KeyVault",
                "managedHSMs",
                &self.vault_name,
            ),
        }
    }

    /// The key's resource id (the scope a key-level role assignment names).
    pub fn key_id(&self) -> ResourceId {
        self.vault_id().child("keys", self.key.key_name())
    }

    /// Parses a handoff for `cloud`; `source` names where the text came from.
    pub fn parse(text: &str, source: &str, cloud: &Cloud) -> Result<Self, InputError> {
        let (f, _) = envelope(
            "handoff",
            HANDOFF_KIND,
            HANDOFF_FIELDS,
            SCHEMA_VERSION,
            source,
            text,
        )?;
        // Handoffs written before the field existed are read under the selected cloud.
        let cloud_name = f
            .optional_string("cloud", "the name of the customer's Azure cloud")?
            .unwrap_or_else(|| cloud.name.clone());
        if cloud_name != cloud.name {
            return Err(InputError::new(f.path("cloud"), &cloud_name, format!("the handoff is from {cloud_name}, but the selected cloud is {}", cloud.name))
                .with_fix(format!("pass --cloud for {cloud_name} (public, china, usgov or the same cloud profile the customer used)")));
        }
        let customer_tenant_id = f.parsed(
            "customerTenantId",
            "the customer's tenant id",
            TenantId::parse_field,
        )?;
        let subscription_id = f.parsed(
            "subscriptionId",
            "the subscription of the key's vault",
            SubscriptionId::parse_field,
        )?;
        let resource_group = f.parsed(
            "resourceGroup",
            "the resource group of the key's vault",
            |field, v| resource_id::check_resource_group_name(field, v).map(|()| v.to_string()),
        )?;
        let vault_name = f.parsed("vaultName", "the key vault's name", |field, v| {
            check_vault_name(field, v, v).map(|()| v.to_string())
        })?;
        let key_uri = f.parsed("keyUri", "the key URI without version", |field, v| {
            KeyUri::parse(cloud, field, v)
        })?;
        if let Some(version) = key_uri.version() {
            return Err(InputError::new(
                f.path("keyUri"),
                key_uri.to_string(),
                format!("it carries the version {version}; a handoff's keyUri is versionless"),
            )
            .with_fix(format!(
                "set keyUri to {} and keyVersion to {version}",
                key_uri.versionless()
            )));
        }
        if !key_uri.vault_name().eq_ignore_ascii_case(&vault_name) {
            return Err(InputError::new(f.path("vaultName"), &vault_name, format!("it differs from the vault `{}` in keyUri", key_uri.vault_name()))
                .with_fix("regenerate the handoff with xtcmk-customer; vaultName and keyUri must name the same vault"));
        }
        let key_version = f.parsed("keyVersion", "the key's current version", |field, v| {
            check_key_version(field, v, v).map(|()| v.to_string())
        })?;
        let key = key_uri
            .versionless()
            .with_version(&f.path("keyVersion"), &key_version)?;
        let app_id = f.parsed("appId", "the provider app's client id", AppId::parse_field)?;
        let service_principal_object_id = f.parsed(
            "servicePrincipalObjectId",
            "the object id of the app's service principal in the customer's tenant",
            ObjectId::parse_field,
        )?;
        if *service_principal_object_id.as_uuid() == *app_id.as_uuid() {
            return Err(InputError::new(f.path("servicePrincipalObjectId"), service_principal_object_id.to_string(), "it equals the app id; grants take the service principal's object id, never the app id")
                .with_fix("`az ad sp show --id <app id> --query id -o tsv` in the customer's tenant prints the object id"));
        }
        let permission_model = f.one_of(
            "permissionModel",
            "how the key access was granted",
            &[
                ("rbac", PermissionModel::Rbac),
                ("access-policy", PermissionModel::AccessPolicy),
            ],
        )?;
        let target = f.one_of(
            "target",
            "what the key encrypts",
            &[
                ("cosmos", EncryptionTarget::Cosmos),
                ("atlas", EncryptionTarget::Atlas),
            ],
        )?;
        let role_assignment_id =
            match f.optional_string("roleAssignmentId", "the role assignment's ARM id")? {
                None => None,
                Some(s) => Some(ResourceId::parse_typed(
                    &f.path("roleAssignmentId"),
                    &s,
                    ROLE_ASSIGNMENT_TYPE,
                )?),
            };
        if role_assignment_id.is_some() && permission_model == PermissionModel::AccessPolicy {
            return Err(InputError::new(
                f.path("roleAssignmentId"),
                role_assignment_id
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                "a role assignment id with permissionModel access-policy",
            )
            .with_fix("set permissionModel to rbac, or remove roleAssignmentId"));
        }
        Ok(Self {
            cloud: cloud_name,
            customer_tenant_id,
            subscription_id,
            resource_group,
            vault_name,
            key,
            app_id,
            service_principal_object_id,
            permission_model,
            target,
            role_assignment_id,
        })
    }

    /// Reads a handoff file; `flag` names the option that gave the path.
    pub fn read_from_file(flag: &str, path: &Path, cloud: &Cloud) -> Result<Self, InputError> {
        let text = read_text(
            flag,
            path,
            "handoff",
            "pass the handoff file the customer sent (written by `xtcmk-customer onboard`)",
        )?;
        Self::parse(&text, &path.display().to_string(), cloud)
    }
}

impl Serialize for Invitation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl Serialize for Handoff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{ConsentTenant, admin_consent_url};

    const KEY: &str =
        "https://contoso-kv.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef";

    pub(crate) fn handoff() -> Handoff {
        let key = KeyUri::parse(&Cloud::public(), "k", KEY)
            .unwrap()
            .versioned()
            .unwrap();
        let sub: SubscriptionId = "00000000-0000-0000-0000-0000000000aa".parse().unwrap();
        Handoff {
            cloud: "AzureCloud".into(),
            customer_tenant_id: "22222222-2222-2222-2222-222222222222".parse().unwrap(),
            subscription_id: sub,
            resource_group: "rg-keys".into(),
            vault_name: "contoso-kv".into(),
            key,
            app_id: "33333333-3333-3333-3333-333333333333".parse().unwrap(),
            service_principal_object_id: "44444444-4444-4444-4444-444444444444".parse().unwrap(),
            permission_model: PermissionModel::Rbac,
            target: EncryptionTarget::Cosmos,
            role_assignment_id: Some(
                ResourceId::key(sub, "rg-keys", "contoso-kv", "cmk").extension(
                    "Microsoft.Authorization",
                    "roleAssignments",
                    "55555555-5555-5555-5555-555555555555",
                ),
            ),
        }
    }

    fn invitation() -> Invitation {
        let app: AppId = "33333333-3333-3333-3333-333333333333".parse().unwrap();
        Invitation {
            cloud: "AzureCloud".into(),
            provider_tenant_id: "11111111-1111-1111-1111-111111111111".parse().unwrap(),
            app_id: app,
            app_display_name: "Contoso SaaS CMK".into(),
            admin_consent_url: admin_consent_url(
                &Cloud::public(),
                &ConsentTenant::Organizations,
                &app,
                None,
            ),
            redirect_uri_registered: false,
            next_command: onboard_command("public", "invitation.json"),
            atlas: None,
        }
    }

    fn atlas_invitation(mode: AccessMode) -> Invitation {
        let app = match mode {
            AccessMode::Role => atlas_app_id(),
            AccessMode::Secret => "33333333-3333-3333-3333-333333333333".parse().unwrap(),
        };
        Invitation {
            app_id: app,
            admin_consent_url: admin_consent_url(
                &Cloud::public(),
                &ConsentTenant::Organizations,
                &app,
                None,
            ),
            next_command: onboard_command_for("public", "invitation.json", EncryptionTarget::Atlas),
            atlas: Some(AtlasInvitation {
                mode,
                group_id: GroupId::parse_field("g", "32b6e34b3d91647abb20e7b8").unwrap(),
            }),
            ..invitation()
        }
    }

    #[test]
    fn atlas_invitations_are_schema_version_2_and_strict() {
        for mode in [AccessMode::Secret, AccessMode::Role] {
            let i = atlas_invitation(mode);
            let v = i.to_value();
            assert_eq!(v["schemaVersion"], 2);
            assert_eq!(v["target"], "atlas");
            assert_eq!(v["atlas"]["groupId"], "32b6e34b3d91647abb20e7b8");
            assert!(
                i.next_command.ends_with("--for atlas"),
                "{}",
                i.next_command
            );
            let back = Invitation::parse(&i.to_json(), "i.json", &Cloud::public()).unwrap();
            assert_eq!(back, i);
            assert_eq!(back.target(), EncryptionTarget::Atlas);
        }
        assert_eq!(
            invitation().to_value()["schemaVersion"],
            1,
            "cosmos stays at 1"
        );
        assert_eq!(invitation().target(), EncryptionTarget::Cosmos);
        let role = atlas_invitation(AccessMode::Role).to_value();
        let cases: Vec<(String, &str, &str)> = vec![
            (
                edit(&role, |m| {
                    m.insert(
                        "atlas".into(),
                        json!({ "mode": "secret", "groupId": "32b6e34b3d91647abb20e7b8" }),
                    );
                }),
                "invitation.atlas.mode",
                "Atlas's own app",
            ),
            (
                edit(&role, |m| {
                    m.insert("atlas".into(), json!({ "mode": "role", "groupId": "nope" }));
                }),
                "invitation.atlas.groupId",
                "24 hex digits",
            ),
            (
                edit(&role, |m| {
                    m.insert("atlas".into(), json!({ "mode": "role", "groupId": "32b6e34b3d91647abb20e7b8", "secret": "x" }));
                }),
                "invitation.atlas.secret",
                "unknown field",
            ),
            (
                edit(&role, |m| {
                    m.remove("atlas");
                }),
                "invitation.atlas",
                "missing",
            ),
            (
                edit(&role, |m| {
                    m.insert("schemaVersion".into(), json!(1));
                }),
                "invitation.target",
                "schemaVersion 2",
            ),
            (
                edit(&role, |m| {
                    m.insert("schemaVersion".into(), json!(3));
                }),
                "invitation.schemaVersion",
                "newer xtcmk",
            ),
        ];
        for (text, field, needle) in cases {
            let e = Invitation::parse(&text, "i.json", &Cloud::public()).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(
                format!("{} {}", e.problem, e.fix.clone().unwrap_or_default()).contains(needle),
                "{needle}: {e}"
            );
        }
        let secret = atlas_invitation(AccessMode::Secret).to_value();
        let e = Invitation::parse(
            &edit(&secret, |m| {
                m.insert(
                    "atlas".into(),
                    json!({ "mode": "role", "groupId": "32b6e34b3d91647abb20e7b8" }),
                );
            }),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert!(e.problem.contains("another app"), "{e}");
    }

    #[test]
    fn hostile_and_clumsy_documents_are_named_or_accepted() {
        let text = invitation().to_json();
        // A byte-order mark from a Windows editor is accepted.
        let bom = format!("\u{feff}{text}");
        assert!(Invitation::parse(&bom, "i.json", &Cloud::public()).is_ok());
        // A key twice is refused, naming it.
        let twice = text.replacen(
            "\"appId\"",
            "\"appId\": \"33333333-3333-3333-3333-333333333334\",\n  \"appId\"",
            1,
        );
        let e = Invitation::parse(&twice, "i.json", &Cloud::public()).unwrap_err();
        assert_eq!(e.field, "invitation.appId", "{e}");
        assert!(e.problem.contains("more than once"), "{e}");
        // schemaVersion as a string says so.
        let e = Invitation::parse(
            &text.replace("\"schemaVersion\": 1", "\"schemaVersion\": \"1\""),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert!(e.problem.contains("is the string \"1\""), "{e}");
        // A consent URL for another app is refused.
        let e = Invitation::parse(
            &text.replace(
                "client_id=33333333-3333-3333-3333-333333333333",
                "client_id=99999999-3333-3333-3333-333333333333",
            ),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert_eq!(e.field, "invitation.adminConsentUrl");
        assert!(e.problem.contains("another app"), "{e}");
    }

    fn edit(doc: &Value, f: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut v = doc.clone();
        f(v.as_object_mut().unwrap());
        v.to_string()
    }

    #[test]
    fn round_trips() {
        let h = handoff();
        let text = h.to_json();
        assert!(
            text.starts_with("{\n  \"kind\": \"xtcmk.handoff\",\n  \"schemaVersion\": 1,"),
            "{text}"
        );
        assert!(text.contains("\"keyUri\": \"https://contoso-kv.vault.azure.net/keys/cmk\""));
        assert_eq!(
            Handoff::parse(&text, "h.json", &Cloud::public()).unwrap(),
            h
        );
        assert_eq!(
            h.vault_id().to_string(),
            "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/contoso-kv"
        );
        let i = invitation();
        assert_eq!(
            Invitation::parse(&i.to_json(), "i.json", &Cloud::public()).unwrap(),
            i
        );
        const REST: &str = "--subscription <subscription-id> --resource-group <resource-group> --location <region> --vault <vault-name> --key <key-name>";
        assert_eq!(
            i.next_command,
            format!("xtcmk-customer onboard --invitation invitation.json {REST}")
        );
        assert_eq!(
            onboard_command("/tmp/my profile.json", "inv.json"),
            format!(
                "xtcmk-customer onboard --invitation inv.json {REST} --cloud '/tmp/my profile.json'"
            )
        );
    }

    #[test]
    fn strict_handoff_errors_name_the_field() {
        let base = handoff().to_value();
        let cases: Vec<(String, &str, &str)> = vec![
            (
                edit(&base, |m| {
                    m.insert("keyURI".into(), json!("x"));
                }),
                "handoff.keyURI",
                "did you mean `keyUri`?",
            ),
            (
                edit(&base, |m| {
                    m.insert("kind".into(), json!(INVITATION_KIND));
                }),
                "handoff.kind",
                "this file is an invitation",
            ),
            (
                edit(&base, |m| {
                    m.insert("schemaVersion".into(), json!(2));
                }),
                "handoff.schemaVersion",
                "newer xtcmk",
            ),
            (
                edit(&base, |m| {
                    m.remove("keyVersion");
                }),
                "handoff.keyVersion",
                "missing",
            ),
            (
                edit(&base, |m| {
                    m.insert("keyUri".into(), json!(KEY));
                }),
                "handoff.keyUri",
                "carries the version",
            ),
            (
                edit(&base, |m| {
                    m.insert(
                        "keyUri".into(),
                        json!("https://kv.vault.azure.com/keys/cmk"),
                    );
                }),
                "handoff.keyUri",
                "vault.azure.com",
            ),
            (
                edit(&base, |m| {
                    m.insert("vaultName".into(), json!("other-kv"));
                }),
                "handoff.vaultName",
                "differs from the vault",
            ),
            (
                edit(&base, |m| {
                    m.insert("customerTenantId".into(), json!("contoso"));
                }),
                "handoff.customerTenantId",
                "not a GUID",
            ),
            (
                edit(&base, |m| {
                    m.insert("permissionModel".into(), json!("RBAC"));
                }),
                "handoff.permissionModel",
                "one of rbac, access-policy",
            ),
            (
                edit(&base, |m| {
                    m.insert("target".into(), json!(1));
                }),
                "handoff.target",
                "must be a string",
            ),
            (
                edit(&base, |m| {
                    m.insert(
                        "servicePrincipalObjectId".into(),
                        json!("33333333-3333-3333-3333-333333333333"),
                    );
                }),
                "handoff.servicePrincipalObjectId",
                "equals the app id",
            ),
            (
                edit(&base, |m| {
                    m.insert(
                        "roleAssignmentId".into(),
                        json!("/subscriptions/00000000-0000-0000-0000-0000000000aa"),
                    );
                }),
                "handoff.roleAssignmentId",
                "not a Microsoft.Authorization/roleAssignments id",
            ),
            (
                edit(&base, |m| {
                    m.insert("permissionModel".into(), json!("access-policy"));
                }),
                "handoff.roleAssignmentId",
                "access-policy",
            ),
        ];
        for (text, field, needle) in cases {
            let e = Handoff::parse(&text, "h.json", &Cloud::public()).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(
                format!("{} {}", e.problem, e.fix.clone().unwrap_or_default()).contains(needle),
                "{needle}: {e} / {:?}",
                e.fix
            );
            assert!(e.fix.is_some());
        }
        let e = Handoff::parse("{not json", "h.json", &Cloud::public()).unwrap_err();
        assert!(e.problem.contains("not valid JSON (line 1"), "{e}");
        let e = Handoff::parse(&base.to_string(), "h.json", &Cloud::china()).unwrap_err();
        assert_eq!(e.field, "handoff.cloud");
        assert!(
            e.fix.unwrap().contains("pass --cloud"),
            "the hint blames the cloud"
        );
        // A handoff written before `cloud` existed is read under the selected cloud.
        let mut old = base.clone();
        old.as_object_mut().unwrap().remove("cloud");
        let e = Handoff::parse(&old.to_string(), "h.json", &Cloud::china()).unwrap_err();
        assert!(e.problem.contains("suffix of AzureCloud"), "{e}");
        assert!(Handoff::parse(&old.to_string(), "h.json", &Cloud::public()).is_ok());
        let mut no_ra = base.clone();
        no_ra.as_object_mut().unwrap().remove("roleAssignmentId");
        assert!(
            Handoff::parse(&no_ra.to_string(), "h.json", &Cloud::public())
                .unwrap()
                .role_assignment_id
                .is_none()
        );
    }

    #[test]
    fn strict_invitation_errors_name_the_field() {
        let base = invitation().to_value();
        let e =
            Invitation::parse(&base.to_string(), "i.json", &Cloud::us_government()).unwrap_err();
        assert_eq!(e.field, "invitation.cloud");
        assert!(e.problem.contains("selected cloud is AzureUSGovernment"));
        let e = Invitation::parse(
            &edit(&base, |m| {
                m.insert("secret".into(), json!("x"));
            }),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert_eq!(e.field, "invitation.secret");
        let e = Invitation::parse(
            &edit(&base, |m| {
                m.insert("kind".into(), json!(HANDOFF_KIND));
            }),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert_eq!(e.problem, "this file is a handoff, not an invitation");
        let e = Invitation::parse(
            &edit(&base, |m| {
                m.insert("redirectUriRegistered".into(), json!("no"));
            }),
            "i.json",
            &Cloud::public(),
        )
        .unwrap_err();
        assert_eq!(e.field, "invitation.redirectUriRegistered");
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let e = Handoff::read_from_file(
            "--handoff",
            Path::new("/nonexistent/handoff.json"),
            &Cloud::public(),
        )
        .unwrap_err();
        assert_eq!(e.field, "--handoff");
        assert!(e.problem.contains("does not exist"));
        assert!(e.fix.unwrap().contains("xtcmk-customer onboard"));
    }
}
