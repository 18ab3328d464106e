//! The two languages Verity speaks, German first.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A customer's language. German and English are first-class; anything else falls back
/// to English at the edges that accept free input (`Locale::from_tag`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    De,
    En,
}

impl Locale {
    /// Strict parse for ingestion: `de`, `en`, or a region tag such as `de-AT`, `en_GB`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let lang = s
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "de" => Ok(Self::De),
            "en" => Ok(Self::En),
            _ => Err(format!(
                "unsupported locale {}; allowed: de, en (optionally with a region, e.g. de-AT)",
                super::fields::shown(s)
            )),
        }
    }

    /// Lenient parse for query strings and headers: unknown tags fall back to English.
    pub fn from_tag(s: &str) -> Self {
        Self::parse(s).unwrap_or(Self::En)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_tags_are_accepted() {
        assert_eq!(Locale::parse("de-AT").unwrap(), Locale::De);
        assert_eq!(Locale::parse("en_GB").unwrap(), Locale::En);
        assert!(Locale::parse("fr").is_err());
        assert_eq!(Locale::from_tag("fr"), Locale::En);
    }
}
