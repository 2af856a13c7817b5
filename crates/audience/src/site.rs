//! A site as people type it and as the trackers name it.

/// `https://www.Example.com/` → `example.com`: the domain as the trackers send it. `Err` says
/// what was wrong, in a way to show the person who typed it.
pub fn checked_domain(raw: &str) -> Result<String, String> {
    let raw = raw.trim().trim_end_matches('/');
    let host = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .unwrap_or(raw)
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if host.len() <= 253 && host.contains('.') && host.split('.').all(label_ok) {
        Ok(host)
    } else {
        Err(format!(
            "`{raw}` is not a domain; write the site's address, such as shop.example.com"
        ))
    }
}

/// Whether a goal typed by a person is usable: a page path (starting with `/`) or an event
/// name, at most 120 characters, no control characters.
pub fn checked_goal(page: bool, raw: &str) -> Option<String> {
    let value = raw.trim();
    let fine = !value.is_empty()
        && value.chars().count() <= 120
        && !value.chars().any(char::is_control)
        && (!page || value.starts_with('/'));
    fine.then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_written_as_the_trackers_send_them() {
        assert_eq!(
            checked_domain("https://www.Example.com/").unwrap(),
            "example.com"
        );
        assert_eq!(
            checked_domain("shop.example.co.uk").unwrap(),
            "shop.example.co.uk"
        );
        for bad in [
            "localhost",
            "exa mple.com",
            "example.com/path",
            "-a.com",
            "",
            "a..com",
        ] {
            assert!(checked_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn goals_are_paths_or_event_names() {
        assert_eq!(checked_goal(true, " /thanks/* "), Some("/thanks/*".into()));
        assert_eq!(checked_goal(true, "thanks"), None);
        assert_eq!(checked_goal(false, "Signup"), Some("Signup".into()));
        assert_eq!(checked_goal(false, &"x".repeat(121)), None);
        assert_eq!(checked_goal(false, "a\nb"), None);
    }
}
