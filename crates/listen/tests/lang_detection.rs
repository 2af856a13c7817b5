//! Language identification: short texts of each configured language, the traps of tweets
//! (links, handles, hashtags, elongations, other scripts), and the accuracy on the development
//! tweets (`../shared/data/sentiment`, when present: see `sentiment_quality.rs`).

#[path = "common/devdata.rs"]
mod devdata;

use relais_listen::lang::{Lang, LanguageSet, LanguageSetError};

fn fr_en() -> LanguageSet {
    LanguageSet::french_english()
}

#[test]
fn short_texts_in_french_and_english() {
    let set = fr_en();
    let cases = [
        ("Merci beaucoup !", Lang::French),
        ("Thanks a lot!", Lang::English),
        ("c'est nul", Lang::French),
        ("this is bad", Lang::English),
        ("Je l'adore", Lang::French),
        ("I love it", Lang::English),
        ("Trop bien ce concert", Lang::French),
        ("Great show tonight", Lang::English),
        ("Où est la gare ?", Lang::French),
        ("Where is the station?", Lang::English),
        ("service client catastrophique", Lang::French),
        ("worst customer service ever", Lang::English),
    ];
    for (text, want) in cases {
        assert_eq!(set.detect(text), Some(want), "{text:?}");
    }
}

#[test]
fn links_handles_and_hashtags_do_not_decide() {
    let set = fr_en();
    // English-looking links, handles and hashtags around a French sentence.
    let text = "@TheBestShopEver voilà encore une livraison en retard https://www.shipping-tracker.com/the/order #BlackFriday #customerservice";
    assert_eq!(set.detect(text), Some(Lang::French));
    let text =
        "@lesamisdelaterre what a beautiful morning http://www.lemonde.fr/actualites/ #ecologie";
    assert_eq!(set.detect(text), Some(Lang::English));
    // Nothing but a link and a handle: nothing to go on.
    assert_eq!(set.detect("@user https://t.co/abcdef"), None);
}

#[test]
fn elongations_and_capitals_are_read_as_words() {
    let set = fr_en();
    assert_eq!(set.detect("TROOOOP BIEEEEN"), Some(Lang::French));
    assert_eq!(set.detect("SOOOOO GOOOOD"), Some(Lang::English));
}

#[test]
fn no_letters_or_another_script_gives_none() {
    let set = fr_en();
    assert_eq!(set.detect(""), None);
    assert_eq!(set.detect("12:45 !!! 😂😂 :-)"), None);
    assert_eq!(set.detect("Привет, как дела?"), None);
    assert_eq!(set.detect("東京は晴れです"), None);
}

#[test]
fn confidence_is_a_probability_that_grows_with_evidence() {
    let set = fr_en();
    let short = set.detect_with_confidence("le").expect("a French word");
    let long = set
        .detect_with_confidence("le chat est sur le tapis et il dort depuis ce matin")
        .expect("a French sentence");
    assert_eq!(long.lang, Lang::French);
    assert!((0.5..=1.0).contains(&short.confidence), "{short:?}");
    assert!(
        long.confidence > 0.99 && long.confidence >= short.confidence,
        "{long:?}"
    );
}

#[test]
fn more_languages_can_be_configured() {
    let set = LanguageSet::from_codes(&["fr", "en", "es", "de", "it"]).expect("known codes");
    assert_eq!(set.languages().len(), 5);
    let cases = [
        ("¿Dónde está la estación de tren?", Lang::Spanish),
        (
            "Wo ist der Bahnhof? Ich kann ihn nicht finden.",
            Lang::German,
        ),
        ("Dov'è la stazione? Non la trovo più.", Lang::Italian),
        ("Où est la gare ? Je ne la trouve plus.", Lang::French),
        ("Where is the station? I cannot find it.", Lang::English),
    ];
    for (text, want) in cases {
        assert_eq!(set.detect(text), Some(want), "{text:?}");
    }
    // A set without French never answers French.
    let en_de = LanguageSet::new(&[Lang::English, Lang::German]).expect("two languages");
    assert_ne!(en_de.detect("Bonjour à tous"), Some(Lang::French));
}

#[test]
fn bad_configurations_are_clear_errors() {
    assert!(matches!(
        LanguageSet::new(&[]),
        Err(LanguageSetError::Empty)
    ));
    match LanguageSet::from_codes(&["fr", "xx"]) {
        Err(LanguageSetError::UnknownCode(code)) => assert_eq!(code, "xx"),
        other => panic!("expected an unknown-code error, got {other:?}"),
    }
    assert_eq!(Lang::from_code(" FR "), Some(Lang::French));
    assert_eq!(Lang::French.code(), "fr");
}

/// Level reached on the 4,326 development tweets (train and validation, both languages).
const MIN_ACCURACY: f64 = 0.998;

#[test]
fn accuracy_on_the_development_tweets() {
    let data = devdata::sentiment_data_dir().unwrap_or_else(|e| panic!("{e}"));
    let set = fr_en();
    let mut right = 0usize;
    let mut total = 0usize;
    for (folder, lang) in [
        ("xlmt-english", Lang::English),
        ("xlmt-french", Lang::French),
    ] {
        for split in ["train", "val"] {
            let path = data.join(folder).join(format!("{split}_text.txt"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            for line in text.lines() {
                total += 1;
                right += usize::from(set.detect(line) == Some(lang));
            }
        }
    }
    let accuracy = right as f64 / total as f64;
    println!("language accuracy on {total} development tweets: {accuracy:.4}");
    assert!(accuracy >= MIN_ACCURACY, "accuracy fell to {accuracy:.4}");
}
