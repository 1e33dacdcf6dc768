//! GUID identifiers of Entra ID and ARM: tenant, application (client) id, object id, subscription.

use crate::InputError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// Parses a GUID in its canonical 8-4-4-4-12 form (braces and `urn:uuid:` refused: Azure never prints them).
fn parse_guid(what: &str, field: &str, value: &str) -> Result<Uuid, InputError> {
    let trimmed = value.trim();
    let canonical = trimmed.len() == 36
        && trimmed.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if !canonical {
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let count = trimmed.chars().count();
        let hint = if trimmed.is_empty() {
            "it is empty".to_string()
        } else if trimmed.contains('.') {
            format!("{article} {what} is a GUID, not a domain name or URL")
        } else if let Some((i, c)) = trimmed
            .char_indices()
            .find(|&(i, c)| count == 36 && !matches!(i, 8 | 13 | 18 | 23) && !c.is_ascii_hexdigit())
        {
            format!("`{c}` at position {} is not a hex digit", i + 1)
        } else if count == 36 {
            "the dashes must sit after characters 8, 13, 18 and 23 (8-4-4-4-12)".to_string()
        } else {
            format!(
                "{article} {what} is a GUID like 00000000-0000-0000-0000-000000000000 (36 characters, hex digits and dashes), this has {count} characters"
            )
        };
        return Err(InputError::new(field, value, format!("not a GUID: {hint}"))
            .with_fix(format!("pass the {what} as a GUID, e.g. as shown by `az account show` or the Entra admin center")));
    }
    let uuid = Uuid::parse_str(trimmed)
        .map_err(|e| InputError::new(field, value, format!("not a GUID: {e}")))?;
    // Entra and ARM never assign the all-zero GUID: it is a placeholder left in a template.
    if uuid.is_nil() {
        return Err(InputError::new(
            field,
            value,
            format!("the all-zero GUID is a placeholder, not a real {what}"),
        )
        .with_fix(format!(
            "pass the real {what}, e.g. as shown by `az account show` or the Entra admin center"
        )));
    }
    Ok(uuid)
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// What this id is, in words, for messages.
            pub const WHAT: &'static str = $what;

            /// Parses the id, naming `field` in the error.
            pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
                parse_guid($what, field, value).map(Self)
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InputError;
            fn from_str(value: &str) -> Result<Self, InputError> {
                Self::parse_field($field, value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

guid_id!(
    /// An Entra ID tenant (directory) id.
    TenantId, "tenant id", "tenant id"
);
guid_id!(
    /// An application's client id (`appId`): the same in every tenant.
    AppId, "application (client) id", "app id"
);
guid_id!(
    /// A directory object id: an app's or service principal's `id` in one tenant, a principal id.
    ObjectId, "object id", "object id"
);
guid_id!(
    /// An Azure subscription id.
    SubscriptionId, "subscription id", "subscription id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_canonical_guids_and_prints_lowercase() {
        let t: TenantId = "72F988BF-86F1-41AF-91AB-2D7CD011DB47".parse().unwrap();
        assert_eq!(t.to_string(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        let a = AppId::parse_field("--app-id", " 00000000-0000-0000-0000-000000000001 ").unwrap();
        assert_eq!(a.to_string(), "00000000-0000-0000-0000-000000000001");
    }

    #[test]
    fn refuses_malformed_guids_naming_the_field() {
        for bad in [
            "",
            "not-a-guid",
            "72f988bf86f141af91ab2d7cd011db47",
            "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
            "72f988bf-86f1-41af-91ab-2d7cd011db4",
            "72f988bf-86f1-41af-91ab-2d7cd011db4g",
            "contoso.onmicrosoft.com",
        ] {
            let err = TenantId::parse_field("--tenant", bad).unwrap_err();
            assert_eq!(err.field, "--tenant");
            assert!(err.problem.starts_with("not a GUID"), "{bad}: {err}");
            assert!(err.fix.is_some());
        }
        let err = TenantId::parse_field("--tenant", "contoso.onmicrosoft.com").unwrap_err();
        assert!(err.problem.contains("not a domain name"), "{err}");
        let err =
            AppId::parse_field("--app-id", "00000000-0000-0000-0000-000000000000").unwrap_err();
        assert!(err.problem.contains("placeholder"), "{err}");
    }

    #[test]
    fn serde_round_trip_and_strict() {
        let o: ObjectId = serde_json::from_str("\"11111111-2222-3333-4444-555555555555\"").unwrap();
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            "\"11111111-2222-3333-4444-555555555555\""
        );
        assert!(serde_json::from_str::<ObjectId>("\"nope\"").is_err());
    }
}
