//! Values that come from outside (forms, CLI, API) and must be checked once, at the edge.
//! Once built, a [`Slug`], [`Email`], [`DisplayName`] or [`Password`] is known to be valid.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{DomainError, ErrorCode};

/// A workspace's short name in URLs: `a-z`, `0-9` and inner hyphens, 2 to 40 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        let bad = |why: &str| {
            DomainError::invalid(
                ErrorCode::InvalidSlug,
                format!(
                    "`{s}` cannot be a workspace slug: {why}; use 2 to 40 lowercase letters, digits or hyphens, such as `acme-france`"
                ),
            )
        };
        if s.len() < 2 || s.len() > 40 {
            return Err(bad("its length must be 2 to 40"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("it contains a character other than a-z, 0-9 or -"));
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(bad("hyphens go only between letters or digits"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, kept in lower case so that one person cannot sign up twice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// A deliberately plain check: one `@`, something before it, a dotted domain after it, no
    /// spaces or control characters. The mail server is the final judge.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim().to_lowercase();
        let bad = || {
            DomainError::invalid(
                ErrorCode::InvalidEmail,
                format!(
                    "`{}` is not an e-mail address; write it as name@example.com",
                    input.trim()
                ),
            )
        };
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || s.contains(['<', '>', '"', ',', ';'])
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's or workspace's name as shown: 1 to 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        let count = s.chars().count();
        if count == 0 || count > 100 || s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                ErrorCode::InvalidName,
                "a name must have 1 to 100 characters and no control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(value: DisplayName) -> Self {
        value.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password, before hashing. Never printed: its `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    /// Length is what makes a password strong; we ask for 10 characters and nothing else
    /// (composition rules make passwords weaker in practice).
    pub fn new(input: &str) -> Result<Self, DomainError> {
        let count = input.chars().count();
        if count < Self::MIN_CHARS {
            return Err(DomainError::invalid(
                ErrorCode::WeakPassword,
                format!(
                    "the password is too short: use at least {} characters (a few words make a good one)",
                    Self::MIN_CHARS
                ),
            ));
        }
        if input.len() > 1024 {
            return Err(DomainError::invalid(
                ErrorCode::WeakPassword,
                "the password is longer than 1024 bytes; choose a shorter one",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(Slug::parse(" acme-fr ").unwrap().as_str(), "acme-fr");
        for bad in [
            "a", "Acme", "acme_fr", "-acme", "acme-", "ac--me", "été", "",
        ] {
            let err = Slug::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidSlug, "{bad}");
            assert!(
                err.message.contains("acme-france"),
                "says what to do: {}",
                err.message
            );
        }
        assert!(Slug::parse(&"a".repeat(41)).is_err());
        assert!(Slug::parse(&"a".repeat(40)).is_ok());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Zoe@Example.FR ").unwrap().as_str(),
            "zoe@example.fr"
        );
        for bad in [
            "zoe",
            "zoe@",
            "@example.com",
            "zoe@example",
            "a b@c.fr",
            "a@b..fr",
            "a@@b.fr",
            "<a@b.fr>",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn names_and_passwords() {
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse("Zoé Martin").is_ok());
        assert!(DisplayName::parse("a\u{0}b").is_err());
        assert_eq!(
            Password::new("short").unwrap_err().code,
            ErrorCode::WeakPassword
        );
        let p = Password::new("correct horse battery").unwrap();
        assert_eq!(
            format!("{p:?}"),
            "Password(…)",
            "a password never reaches a log"
        );
        // Ten characters, counted as characters and not bytes.
        assert!(Password::new("éééééééééé").is_ok());
    }
}
