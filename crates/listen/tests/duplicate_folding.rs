//! Near-duplicate folding: reposts and syndicated copies fold onto the first mention; different
//! texts, even on the same subject, do not.

#![allow(clippy::unwrap_used)]

use relais_listen::duplicate::{Folder, fingerprint, same_content};

const ARTICLE: &str = "La marque Relais annonce le rappel de ses trottinettes électriques après \
    plusieurs incidents de batterie signalés par des clients en France et en Belgique. Le \
    fabricant propose un remboursement complet ou un échange gratuit, et invite les \
    propriétaires à cesser immédiatement d'utiliser les modèles concernés vendus depuis mars.";

fn distance(a: &str, b: &str) -> u32 {
    (fingerprint(a).unwrap() ^ fingerprint(b).unwrap()).count_ones()
}

#[test]
fn reposts_and_syndicated_copies_have_the_same_content() {
    let tweet = "Le service client de Relais ne répond plus depuis trois jours, c'est inadmissible";
    for copy in [
        format!("RT @colere_client: {tweet}"),
        tweet.to_uppercase(),
        tweet.replace('é', "e"),
        format!("{tweet} @Relais_FR"),
    ] {
        assert!(
            same_content(fingerprint(tweet).unwrap(), fingerprint(&copy).unwrap()),
            "{copy}: {}",
            distance(tweet, &copy)
        );
    }
    let syndicated = ARTICLE.replace("annonce", "a annoncé ce lundi");
    assert!(
        distance(ARTICLE, &syndicated) <= 6,
        "{}",
        distance(ARTICLE, &syndicated)
    );
}

#[test]
fn different_texts_on_the_same_subject_differ() {
    let others = [
        "Le service client de Relais m'a rappelé en dix minutes, bravo à eux",
        "Relais rappelle ses trottinettes : voici comment obtenir votre remboursement",
        "Trois jours sans réponse du service après-vente, je change de marque",
    ];
    let base = "Le service client de Relais ne répond plus depuis trois jours, c'est inadmissible";
    for other in others.iter().chain([&ARTICLE]) {
        assert!(
            distance(base, other) > 12,
            "{other}: {}",
            distance(base, other)
        );
    }
    assert_eq!(
        fingerprint("@a @b"),
        None,
        "only mentions: nothing to compare"
    );
}

#[test]
fn the_folder_names_the_first_mention_and_forgets_the_oldest() {
    let tweet = "Le service client de Relais ne répond plus depuis trois jours, c'est inadmissible";
    let mut folder = Folder::new(2);
    assert_eq!(folder.fold(1, fingerprint(tweet).unwrap()), None);
    assert_eq!(
        folder.fold(2, fingerprint(&format!("RT @x: {tweet}")).unwrap()),
        Some(1)
    );
    assert_eq!(folder.fold(3, fingerprint(ARTICLE).unwrap()), None);
    assert_eq!(
        folder.fold(
            4,
            fingerprint("Tout autre chose, sans rapport aucun avec le reste").unwrap()
        ),
        None
    );
    // Capacity 2: mention 1 was forgotten when mention 4 came, mention 3 when 5 came.
    assert_eq!(folder.fold(5, fingerprint(tweet).unwrap()), None);
    assert_eq!(folder.fold(6, fingerprint(tweet).unwrap()), Some(5));
    assert_eq!(folder.fold(7, fingerprint(ARTICLE).unwrap()), None);
}
