//! The sentences of every [`Problem`], in English and in French. Each says what is wrong with
//! the figures, then what to do ("remove 32", "compress the file"), as `DomainError` messages do.

use super::format::{en_num, format_name, fr_num, join, lower_first, sizes};
use super::measure::Unit;
use super::network::Network;
use super::problem::{Problem, ProblemCode};

/// Which attachment a media problem is about, in both languages ("Image 2" / "L’image 2").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    en: String,
    fr_subject: String,
    fr_of: String,
}

impl Item {
    pub fn image(n: usize) -> Item {
        Item {
            en: format!("image {n}"),
            fr_subject: format!("L’image {n}"),
            fr_of: format!("de l’image {n}"),
        }
    }
    pub fn video(n: usize) -> Item {
        Item {
            en: format!("video {n}"),
            fr_subject: format!("La vidéo {n}"),
            fr_of: format!("de la vidéo {n}"),
        }
    }
    pub fn gif(n: usize) -> Item {
        Item {
            en: format!("GIF {n}"),
            fr_subject: format!("Le GIF {n}"),
            fr_of: format!("du GIF {n}"),
        }
    }
    fn en_subject(&self) -> String {
        let mut chars = self.en.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

/// The field a text problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Text,
    /// YouTube calls the post's text the description.
    Description,
    Title,
}

impl Field {
    fn en(self) -> &'static str {
        match self {
            Field::Text => "The text",
            Field::Description => "The description",
            Field::Title => "The title",
        }
    }
    fn fr(self) -> &'static str {
        match self {
            Field::Text => "Le texte",
            Field::Description => "La description",
            Field::Title => "Le titre",
        }
    }
}

pub fn text_too_long(
    network: Network,
    field: Field,
    used: usize,
    max: usize,
    unit: Unit,
) -> Problem {
    let over = used.saturating_sub(max);
    let net = network.display_name();
    if unit == Unit::Bytes {
        return text_too_many_bytes(network, field, used, max);
    }
    let (hint_en, hint_fr) = match (network, field) {
        (Network::X, Field::Text) => (
            " On X, a link counts as 23 characters, an emoji or a Chinese, Japanese or Korean character as 2.",
            " Sur X, un lien compte pour 23 caractères, un emoji ou un caractère chinois, japonais ou coréen pour 2.",
        ),
        (Network::Mastodon, Field::Text) => (
            " On Mastodon, a link counts as 23 characters, and the content warning counts too.",
            " Sur Mastodon, un lien compte pour 23 caractères, et l’avertissement de contenu compte aussi.",
        ),
        (Network::Threads, Field::Text) => (
            " On Threads, an emoji counts as many characters as its bytes (4 or more).",
            " Sur Threads, un emoji compte autant de caractères que d’octets (4 ou plus).",
        ),
        _ => ("", ""),
    };
    let code = if field == Field::Title {
        ProblemCode::TitleTooLong
    } else {
        ProblemCode::TextTooLong
    };
    Problem::new(
        code,
        format!(
            "{} is {} characters long for {net}; the limit is {}: remove {}.{hint_en}",
            field.en(),
            en_num(used),
            en_num(max),
            en_num(over)
        ),
        format!(
            "{} fait {} caractères pour {net} ; la limite est {} : retirez-en {}.{hint_fr}",
            field.fr(),
            fr_num(used),
            fr_num(max),
            fr_num(over)
        ),
    )
}

pub fn text_too_many_bytes(network: Network, field: Field, used: usize, max: usize) -> Problem {
    let over = used.saturating_sub(max);
    let net = network.display_name();
    Problem::new(
        ProblemCode::TextTooManyBytes,
        format!(
            "{} takes {} bytes for {net}; the limit is {}: remove {} bytes (an accented letter, an emoji or a non-Latin character takes 2 to 4 bytes).",
            field.en(),
            en_num(used),
            en_num(max),
            en_num(over)
        ),
        format!(
            "{} occupe {} octets pour {net} ; la limite est {} : retirez-en {} (une lettre accentuée, un emoji ou un caractère non latin prend 2 à 4 octets).",
            field.fr(),
            fr_num(used),
            fr_num(max),
            fr_num(over)
        ),
    )
}

pub fn empty_post(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::EmptyPost,
        format!("The post is empty: write some text or attach a file for {net}."),
        format!("La publication est vide : écrivez un texte ou joignez un fichier pour {net}."),
    )
}

pub fn title_required(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::TitleRequired,
        format!("{net} needs a title: add one."),
        format!("{net} demande un titre : ajoutez-en un."),
    )
}

pub fn forbidden_character(network: Network, field: Field, c: char) -> Problem {
    let net = network.display_name();
    let shown = if c.is_control()
        || c.is_whitespace()
        || (!c.is_alphanumeric() && !c.is_ascii_punctuation())
    {
        format!("U+{:04X}", u32::from(c))
    } else {
        c.to_string()
    };
    Problem::new(
        ProblemCode::ForbiddenCharacter,
        format!(
            "{} contains “{shown}”, which {net} refuses: remove it.",
            field.en()
        ),
        format!(
            "{} contient « {shown} », que {net} refuse : retirez-le.",
            field.fr()
        ),
    )
}

pub fn media_required(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::MediaRequired,
        format!("{net} needs at least one image or video: attach one."),
        format!("{net} demande au moins une image ou une vidéo : joignez-en une."),
    )
}

pub fn video_required(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::VideoRequired,
        format!("{net} needs a video: attach one."),
        format!("{net} demande une vidéo : joignez-en une."),
    )
}

/// What kind of attachment a count problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Images,
    Videos,
    Attachments,
    Links,
    Hashtags,
    Mentions,
}

impl Counted {
    fn code(self) -> ProblemCode {
        match self {
            Counted::Images => ProblemCode::TooManyImages,
            Counted::Videos => ProblemCode::TooManyVideos,
            Counted::Attachments => ProblemCode::TooManyMedia,
            Counted::Links => ProblemCode::TooManyLinks,
            Counted::Hashtags => ProblemCode::TooManyHashtags,
            Counted::Mentions => ProblemCode::TooManyMentions,
        }
    }
    /// (singular, plural) in English, then in French, and whether the French noun is feminine.
    fn words(self) -> (&'static str, &'static str, &'static str, &'static str, bool) {
        match self {
            Counted::Images => ("image", "images", "image", "images", true),
            Counted::Videos => ("video", "videos", "vidéo", "vidéos", true),
            Counted::Attachments => (
                "attachment",
                "attachments",
                "fichier joint",
                "fichiers joints",
                false,
            ),
            Counted::Links => ("link", "links", "lien", "liens", false),
            Counted::Hashtags => ("hashtag", "hashtags", "hashtag", "hashtags", false),
            Counted::Mentions => ("mention", "mentions", "mention", "mentions", true),
        }
    }
}

pub fn too_many(network: Network, what: Counted, n: usize, max: usize) -> Problem {
    let net = network.display_name();
    let (en1, en_n, fr1, fr_n, fem) = what.words();
    let en_word = if n == 1 { en1 } else { en_n };
    let fr_word = if n == 1 { fr1 } else { fr_n };
    let in_text = matches!(what, Counted::Links | Counted::Hashtags | Counted::Mentions);
    let (en_where, fr_where) = if in_text {
        ("The text holds", "Le texte contient")
    } else {
        ("The post has", "La publication a")
    };
    if max == 0 {
        let fr_none = if fem { "aucune" } else { "aucun" };
        let (fr_obj, en_obj) = if n == 1 {
            ("retirez-la", "remove it")
        } else {
            ("retirez-les", "remove them")
        };
        let fr_obj = if n == 1 && !fem { "retirez-le" } else { fr_obj };
        return Problem::new(
            what.code(),
            format!("{en_where} {n} {en_word}, but {net} takes none: {en_obj}."),
            format!("{fr_where} {n} {fr_word}, mais {net} n’en accepte {fr_none} : {fr_obj}."),
        );
    }
    let over = n.saturating_sub(max);
    Problem::new(
        what.code(),
        format!("{en_where} {n} {en_word}; {net} takes at most {max}: remove {over}."),
        format!("{fr_where} {n} {fr_word} ; {net} en accepte au plus {max} : retirez-en {over}."),
    )
}

pub fn mixed_media(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::MixedMedia,
        format!(
            "{net} does not mix images and videos in one post: keep only the images or only the video."
        ),
        format!(
            "{net} ne mélange pas images et vidéos dans une publication : gardez seulement les images ou seulement la vidéo."
        ),
    )
}

pub fn gif_not_alone(network: Network) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::GifNotAlone,
        format!(
            "On {net}, an animated GIF must be alone in its post: remove the other attachments or publish the GIF on its own."
        ),
        format!(
            "Sur {net}, un GIF animé doit être seul dans sa publication : retirez les autres fichiers ou publiez le GIF à part."
        ),
    )
}

pub fn gif_not_accepted(network: Network, item: &Item) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::GifNotAccepted,
        format!(
            "{net} does not take animated GIFs: convert {} to a video or an image.",
            item.en
        ),
        format!(
            "{net} n’accepte pas les GIF animés : convertissez {} en vidéo ou en image.",
            lower_first(&item.fr_subject)
        ),
    )
}

pub fn media_type_not_accepted(
    network: Network,
    item: &Item,
    mime: &str,
    accepted: &[&str],
) -> Problem {
    let net = network.display_name();
    let names: Vec<String> = accepted.iter().map(|m| format_name(m)).collect();
    Problem::new(
        ProblemCode::MediaTypeNotAccepted,
        format!(
            "{} is in {mime} format, which {net} does not take: use {}.",
            item.en_subject(),
            join(&names, "or")
        ),
        format!(
            "{} est au format {mime}, que {net} n’accepte pas : utilisez {}.",
            item.fr_subject,
            join(&names, "ou")
        ),
    )
}

pub fn media_too_large(network: Network, item: &Item, bytes: u64, max: u64) -> Problem {
    let net = network.display_name();
    let (size_en, max_en) = sizes(bytes, max, false);
    let (size_fr, max_fr) = sizes(bytes, max, true);
    Problem::new(
        ProblemCode::MediaTooLarge,
        format!(
            "{} weighs {size_en}; {net} takes at most {max_en}: compress the file or choose a smaller one.",
            item.en_subject()
        ),
        format!(
            "{} pèse {size_fr} ; {net} accepte au plus {max_fr} : compressez le fichier ou choisissez-en un plus léger.",
            item.fr_subject
        ),
    )
}

pub fn alt_text_too_long(network: Network, item: &Item, used: usize, max: usize) -> Problem {
    let net = network.display_name();
    let over = used.saturating_sub(max);
    Problem::new(
        ProblemCode::AltTextTooLong,
        format!(
            "The description of {} is {} characters long; {net} takes at most {}: remove {}.",
            item.en,
            en_num(used),
            en_num(max),
            en_num(over)
        ),
        format!(
            "La description {} fait {} caractères ; {net} en accepte au plus {} : retirez-en {}.",
            item.fr_of,
            fr_num(used),
            fr_num(max),
            fr_num(over)
        ),
    )
}

pub fn thread_not_supported(network: Network, parts: usize) -> Problem {
    let net = network.display_name();
    Problem::new(
        ProblemCode::ThreadNotSupported,
        format!(
            "{net} cannot publish a thread: merge the {parts} posts into one or publish them separately."
        ),
        format!(
            "{net} ne publie pas de fil : fusionnez les {parts} messages en un seul ou publiez-les séparément."
        ),
    )
}

pub fn thread_too_long(parts: usize, max: usize) -> Problem {
    let over = parts.saturating_sub(max);
    Problem::new(
        ProblemCode::ThreadTooLong,
        format!(
            "The thread has {parts} posts; Relais publishes at most {max} in a row: remove {over} or split the thread in two."
        ),
        format!(
            "Le fil compte {parts} messages ; Relais en publie au plus {max} à la suite : retirez-en {over} ou coupez le fil en deux."
        ),
    )
}

pub fn empty_thread() -> Problem {
    Problem::new(
        ProblemCode::EmptyThread,
        "The thread has no post: write at least one.".to_owned(),
        "Le fil ne contient aucun message : écrivez-en au moins un.".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_x_example_reads_as_specified() {
        let p = text_too_long(Network::X, Field::Text, 312, 280, Unit::XWeighted);
        assert_eq!(p.code, ProblemCode::TextTooLong);
        assert!(
            p.message_en
                .starts_with("The text is 312 characters long for X; the limit is 280: remove 32.")
        );
        assert!(p.message_fr.starts_with(
            "Le texte fait 312 caractères pour X ; la limite est 280 : retirez-en 32."
        ));
    }

    #[test]
    fn thread_parts_are_named() {
        let p = empty_post(Network::Bluesky).in_part(3);
        assert_eq!(p.part, Some(3));
        assert!(p.message_en.starts_with("Post 3: The post is empty"));
        assert!(
            p.message_fr
                .starts_with("Message 3 : La publication est vide")
        );
    }

    #[test]
    fn counts_say_none_when_nothing_is_allowed() {
        let p = too_many(Network::YouTube, Counted::Images, 1, 0);
        assert_eq!(p.code, ProblemCode::TooManyImages);
        assert_eq!(
            p.message_en,
            "The post has 1 image, but YouTube takes none: remove it."
        );
        assert_eq!(
            p.message_fr,
            "La publication a 1 image, mais YouTube n’en accepte aucune : retirez-la."
        );
    }

    #[test]
    fn mime_lists_read_naturally() {
        let p = media_type_not_accepted(
            Network::Instagram,
            &Item::image(2),
            "image/png",
            &["image/jpeg"],
        );
        assert_eq!(
            p.message_en,
            "Image 2 is in image/png format, which Instagram does not take: use JPEG."
        );
        let names = vec!["JPEG".to_owned(), "PNG".to_owned(), "WebP".to_owned()];
        assert_eq!(
            super::super::format::join(&names, "or"),
            "JPEG, PNG or WebP"
        );
    }
}
