//! Whether a visitor of `/l/{slug}` is sent on: a link may expire, and may ask for a password.

/// What the server does with a request for a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Send the visitor to the target (and count the click).
    Redirect,
    /// The link is past its end: say so, and send no one anywhere.
    Expired,
    /// Ask for the link's password (again, if a wrong one was given).
    NeedsPassword,
}

/// Decides what to do with a request at `now_ms`. The caller checks the password given against
/// the link's hash and says whether it matched; `password_ok` means nothing for a link without
/// a password. A link expires at the instant `expires_at_ms`, and an expired link is refused
/// before any password is asked: a password must not reopen it, and asking would tell a visitor
/// nothing useful.
pub fn access(
    expires_at_ms: Option<i64>,
    has_password: bool,
    password_ok: bool,
    now_ms: i64,
) -> Access {
    if expires_at_ms.is_some_and(|end| now_ms >= end) {
        Access::Expired
    } else if has_password && !password_ok {
        Access::NeedsPassword
    } else {
        Access::Redirect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-06-01T00:00:00Z.
    const JUNE_1ST: i64 = 1_748_736_000_000;

    #[test]
    fn a_plain_link_always_redirects() {
        assert_eq!(access(None, false, false, JUNE_1ST), Access::Redirect);
        assert_eq!(access(None, false, true, i64::MIN), Access::Redirect);
        assert_eq!(access(None, false, false, i64::MAX), Access::Redirect);
    }

    #[test]
    fn a_link_expires_at_its_instant() {
        let end = Some(JUNE_1ST);
        assert_eq!(access(end, false, false, JUNE_1ST - 1), Access::Redirect);
        assert_eq!(access(end, false, false, JUNE_1ST), Access::Expired);
        assert_eq!(
            access(end, false, false, JUNE_1ST + 86_400_000),
            Access::Expired
        );
        assert_eq!(
            access(Some(i64::MIN), false, false, i64::MIN),
            Access::Expired
        );
        assert_eq!(
            access(Some(i64::MAX), false, false, JUNE_1ST),
            Access::Redirect
        );
    }

    #[test]
    fn a_password_is_asked_until_it_is_right() {
        assert_eq!(access(None, true, false, JUNE_1ST), Access::NeedsPassword);
        assert_eq!(access(None, true, true, JUNE_1ST), Access::Redirect);
        let end = Some(JUNE_1ST + 1);
        assert_eq!(access(end, true, false, JUNE_1ST), Access::NeedsPassword);
        assert_eq!(access(end, true, true, JUNE_1ST), Access::Redirect);
    }

    #[test]
    fn expiry_wins_over_the_password() {
        let end = Some(JUNE_1ST);
        assert_eq!(access(end, true, false, JUNE_1ST), Access::Expired);
        assert_eq!(access(end, true, true, JUNE_1ST), Access::Expired);
    }
}
