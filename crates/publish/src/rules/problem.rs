//! What the composer says when a draft does not fit a network: a stable code for scripts and
//! the API, and a sentence in English and in French that says what to change, with the figures
//! (how long, what limit, how much to remove). The sentences are written in `messages.rs`.

use serde::Serialize;

/// Stable problem codes. Their text form (`snake_case`) is part of the API and of `relais post`'s
/// output: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    TextTooLong,
    TextTooManyBytes,
    EmptyPost,
    TitleRequired,
    TitleTooLong,
    ForbiddenCharacter,
    MediaRequired,
    VideoRequired,
    TooManyImages,
    TooManyVideos,
    TooManyMedia,
    MixedMedia,
    GifNotAlone,
    GifNotAccepted,
    MediaTypeNotAccepted,
    MediaTooLarge,
    AltTextTooLong,
    TooManyLinks,
    TooManyHashtags,
    TooManyMentions,
    ThreadNotSupported,
    ThreadTooLong,
    EmptyThread,
}

impl ProblemCode {
    pub const ALL: [ProblemCode; 23] = [
        ProblemCode::TextTooLong,
        ProblemCode::TextTooManyBytes,
        ProblemCode::EmptyPost,
        ProblemCode::TitleRequired,
        ProblemCode::TitleTooLong,
        ProblemCode::ForbiddenCharacter,
        ProblemCode::MediaRequired,
        ProblemCode::VideoRequired,
        ProblemCode::TooManyImages,
        ProblemCode::TooManyVideos,
        ProblemCode::TooManyMedia,
        ProblemCode::MixedMedia,
        ProblemCode::GifNotAlone,
        ProblemCode::GifNotAccepted,
        ProblemCode::MediaTypeNotAccepted,
        ProblemCode::MediaTooLarge,
        ProblemCode::AltTextTooLong,
        ProblemCode::TooManyLinks,
        ProblemCode::TooManyHashtags,
        ProblemCode::TooManyMentions,
        ProblemCode::ThreadNotSupported,
        ProblemCode::ThreadTooLong,
        ProblemCode::EmptyThread,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextTooLong => "text_too_long",
            Self::TextTooManyBytes => "text_too_many_bytes",
            Self::EmptyPost => "empty_post",
            Self::TitleRequired => "title_required",
            Self::TitleTooLong => "title_too_long",
            Self::ForbiddenCharacter => "forbidden_character",
            Self::MediaRequired => "media_required",
            Self::VideoRequired => "video_required",
            Self::TooManyImages => "too_many_images",
            Self::TooManyVideos => "too_many_videos",
            Self::TooManyMedia => "too_many_media",
            Self::MixedMedia => "mixed_media",
            Self::GifNotAlone => "gif_not_alone",
            Self::GifNotAccepted => "gif_not_accepted",
            Self::MediaTypeNotAccepted => "media_type_not_accepted",
            Self::MediaTooLarge => "media_too_large",
            Self::AltTextTooLong => "alt_text_too_long",
            Self::TooManyLinks => "too_many_links",
            Self::TooManyHashtags => "too_many_hashtags",
            Self::TooManyMentions => "too_many_mentions",
            Self::ThreadNotSupported => "thread_not_supported",
            Self::ThreadTooLong => "thread_too_long",
            Self::EmptyThread => "empty_thread",
        }
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason a draft cannot be published as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: ProblemCode,
    /// In a thread, the 1-based position of the post concerned; `None` for the whole draft.
    pub part: Option<usize>,
    pub message_en: String,
    pub message_fr: String,
}

impl Problem {
    pub(super) fn new(code: ProblemCode, en: String, fr: String) -> Problem {
        Problem {
            code,
            part: None,
            message_en: en,
            message_fr: fr,
        }
    }

    /// The same problem, located in post `part` (1-based) of a thread.
    pub fn in_part(mut self, part: usize) -> Problem {
        self.part = Some(part);
        self.message_en = format!("Post {part}: {}", self.message_en);
        self.message_fr = format!("Message {part} : {}", self.message_fr);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_serialise_as_such() {
        for code in ProblemCode::ALL {
            let s = code.as_str();
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert_eq!(
                serde_json::to_string(&code).expect("serialise"),
                format!("\"{s}\"")
            );
        }
    }
}
