//! [`Location`]: an Azure region as ARM names it (`westeurope`), from what a user types
//! (`West Europe`, ` westeurope `). ARM compares region names without case or spaces.

use crate::InputError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A normalised region name: lower case ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Location(String);

impl Location {
    /// Normalises `value` (case and spaces) and refuses what cannot be a region name.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let fix = "pass a region name as `az account list-locations --query [].name -o tsv` prints it, e.g. westeurope";
        let normalised: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        if normalised.is_empty() {
            return Err(InputError::new(field, value, "it is empty").with_fix(fix));
        }
        if normalised.len() < 2 || normalised.len() > 40 {
            return Err(
                InputError::new(field, value, "a region name has 2–40 characters").with_fix(fix),
            );
        }
        if let Some(c) = normalised.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(InputError::new(
                field,
                value,
                format!("a region name cannot contain `{c}`"),
            )
            .with_fix(fix));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` (as ARM returned it, e.g. `West Europe`) names this region.
    pub fn is(&self, other: &str) -> bool {
        let other: String = other
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        other == self.0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_compares_like_arm() {
        let l = Location::parse_field("--location", " West Europe ").unwrap();
        assert_eq!(l.as_str(), "westeurope");
        assert!(l.is("West Europe"));
        assert!(!l.is("northeurope"));
        let e = Location::parse_field("--location", "  ").unwrap_err();
        assert_eq!(e.field, "--location");
        assert!(Location::parse_field("--location", "west_europe").is_err());
    }
}
