//! What the composer (web or `relais post`) hands to the rules: the text, the attachments as
//! described by their metadata (the rules never read a file), and the optional fields some
//! networks use.

use serde::{Deserialize, Serialize};

/// One post as written, before it is adapted to a network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub text: String,
    #[serde(default)]
    pub media: Vec<MediaInfo>,
    /// YouTube's video title, WordPress's post title; other networks ignore it.
    #[serde(default)]
    pub title: Option<String>,
    /// Mastodon's content warning (`spoiler_text`), which counts towards the length there;
    /// other networks ignore it.
    #[serde(default)]
    pub content_warning: Option<String>,
}

impl Draft {
    /// A draft with only text, the common case in tests and in the live counter.
    pub fn text(text: impl Into<String>) -> Draft {
        Draft {
            text: text.into(),
            ..Draft::default()
        }
    }

    pub fn with_media(mut self, media: MediaInfo) -> Draft {
        self.media.push(media);
        self
    }

    pub fn with_title(mut self, title: impl Into<String>) -> Draft {
        self.title = Some(title.into());
        self
    }
}

/// What the rules need to know about an attachment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// As detected from the file's content by the caller (`image/jpeg`, `video/mp4`, ...).
    pub mime: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Alternative text for people who cannot see the image.
    #[serde(default)]
    pub alt: Option<String>,
    pub kind: MediaKind,
}

impl MediaInfo {
    pub fn new(kind: MediaKind, mime: impl Into<String>, bytes: u64) -> MediaInfo {
        MediaInfo {
            mime: mime.into(),
            bytes,
            alt: None,
            kind,
        }
    }

    pub fn with_alt(mut self, alt: impl Into<String>) -> MediaInfo {
        self.alt = Some(alt.into());
        self
    }
}

/// Networks treat an animated GIF neither as an image nor as a video, hence its own kind.
/// A still GIF is an `Image` with MIME `image/gif`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Gif,
}
