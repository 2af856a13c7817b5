//! Tracked links: a short address `/l/{slug}` that Relais answers with a redirect (302) to a
//! target, counting each click.
//!
//! This is the pure part: the slug is checked or drawn ([`slug`]), the target is built with its
//! campaign tags and links are found in a post's text ([`target`]), expiry and password decide
//! whether a visitor is sent on ([`rules`]), the link is drawn as a QR code ([`qr`]) and a click
//! is reduced to the facts that are counted ([`click`]). Storing links and answering requests is
//! the adapters' work.

pub mod click;
pub mod qr;
pub mod rules;
pub mod slug;
pub mod target;

pub use click::{Click, click_of, click_with};
pub use qr::{qr_png, qr_svg};
pub use rules::{Access, access};
pub use slug::{check_slug, random_slug};
pub use target::{Campaign, build_target, links_in_text, rewrite_links};

/// Why a link could not be made as asked. Each message says what to change, for the form that
/// creates links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "the slug is empty: give 1 to {} letters, digits, '-' or '_'",
        slug::MAX_SLUG
    )]
    EmptySlug,
    #[error("the slug has {0} characters: shorten it to at most {max}", max = slug::MAX_SLUG)]
    SlugTooLong(usize),
    #[error("the slug may only hold letters a-z and A-Z, digits, '-' and '_': remove {0:?}")]
    SlugCharacter(char),
    #[error("the slug {0:?} is reserved for Relais's own pages: choose another")]
    ReservedSlug(String),
    #[error("the target is {0} bytes long: shorten it to at most {max} bytes", max = crate::hit::MAX_URL)]
    TargetTooLong(usize),
    #[error("the target is not an address ({0}): give it in full, starting with https://")]
    TargetNotUrl(String),
    #[error("the target must be an http or https address with a host, not {0:?}")]
    TargetScheme(String),
    #[error("the target must not hold a user name or password: remove the part before '@'")]
    TargetCredentials,
    #[error("there is nothing to put in the QR code: give the link's address")]
    QrEmpty,
    #[error("the text is too long for a QR code ({0} bytes): encode the short link instead")]
    QrTooLong(usize),
    #[error("the QR code's scale must be 1 to {max} pixels per module, not {0}", max = qr::MAX_SCALE)]
    QrScale(u32),
    /// Not expected: the encoders refused what this module gave them.
    #[error("the QR code could not be drawn ({0}): try a shorter address")]
    QrEncoding(String),
}
