//! Feeds arbitrary text to the checks that guard `relais-core`'s edge types.
//!
//! Besides "never panics", it checks what each type promises once built: a slug is 2 to 40
//! bytes of `a-z`, `0-9` and inner single hyphens; an e-mail is lower case with one `@`; and
//! every accepted value (slug, e-mail, name, role, id) parses back to itself from its own text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_core::{DisplayName, Email, Password, Role, Slug, UserId};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    if let Ok(slug) = Slug::parse(text) {
        let s = slug.as_str();
        assert!((2..=40).contains(&s.len()), "slug length: {s:?}");
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "slug alphabet: {s:?}"
        );
        assert!(
            !s.starts_with('-') && !s.ends_with('-') && !s.contains("--"),
            "slug hyphens: {s:?}"
        );
        assert_eq!(Slug::parse(s).ok(), Some(slug.clone()), "slug round trip");
    }

    if let Ok(email) = Email::parse(text) {
        let s = email.as_str();
        assert_eq!(s, s.to_lowercase(), "e-mail is lower case");
        assert_eq!(s.matches('@').count(), 1, "e-mail has one @: {s:?}");
        assert!(s.len() <= 254, "e-mail length: {s:?}");
        assert_eq!(
            Email::parse(s).ok(),
            Some(email.clone()),
            "e-mail round trip"
        );
    }

    if let Ok(name) = DisplayName::parse(text) {
        let s = name.as_str();
        assert!((1..=100).contains(&s.chars().count()), "name length: {s:?}");
        assert!(
            !s.chars().any(char::is_control),
            "name control chars: {s:?}"
        );
        assert_eq!(
            DisplayName::parse(s).ok(),
            Some(name.clone()),
            "name round trip"
        );
    }

    if let Ok(password) = Password::new(text) {
        assert_eq!(password.expose(), text, "a password is kept as typed");
        assert!(password.expose().chars().count() >= Password::MIN_CHARS);
        assert!(password.expose().len() <= 1024);
        assert_eq!(
            format!("{password:?}"),
            "Password(…)",
            "Debug hides the password"
        );
    }

    if let Ok(role) = text.parse::<Role>() {
        assert_eq!(
            role.as_str().parse::<Role>().ok(),
            Some(role),
            "role round trip"
        );
        assert_eq!(role.to_string(), role.as_str());
    }

    if let Ok(id) = text.parse::<UserId>() {
        let shown = id.to_string();
        assert_eq!(
            shown.parse::<UserId>().ok(),
            Some(id),
            "id round trip: {shown}"
        );
    }
});
