//! The words mentions use most, for the analysis page. Words are cut and folded as queries see
//! them ([`relais_listen::text::Words`]: lowercase, accents off), so `Livraison` and
//! `livraison` count together. Left out: the most common words of French and English (a short
//! list of our own, folded), the words of the workspace's own queries (every mention holds
//! them; they say nothing new), words under 3 letters, and numbers.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use relais_listen::text::Words;

/// Common French and English words, written folded (no accents), 3 letters or more (shorter
/// ones are left out anyway).
const STOP_WORDS: &str = "
    les des une dans pour par sur avec sans sous chez vers entre contre plus moins tres trop bien
    aussi encore deja meme tout tous toute toutes autre autres comme mais donc car puis alors
    ainsi quand que qui quoi dont elle elles ils nous vous leur leurs lui eux moi toi mon ton
    son mes tes ses notre votre nos vos cette cet ces ceux celle celui celles ceci cela est
    sont etait etaient ete etre avoir avait avaient ont fait faire peut peuvent doit faut
    vais vas allons allez vont suis sommes etes pas non oui rien jamais toujours ici
    voila apres avant depuis pendant selon sinon lors enfin ceux quel quelle quels quelles
    aux
    the and for are but not you all any can had her was one our out has him his how its
    may new now old see two who did get got let put say she too use that with have this
    will your from they been were said each which their there what about would when make
    like than then them these some into just only over also back after very well where
    most more much such here does doing done being because could should while other those
    through before again further once both few own same off until above below between
    why yes yet our ours yours theirs himself herself itself themselves myself
    http https www com html amp
";

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.split_whitespace().collect())
}

/// Counts the words of `texts`, leaving out stop words, the words of `queries`, words under 3
/// letters and numbers; the `limit` most frequent, most first (ties alphabetical).
pub fn top_terms<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    queries: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<(String, u64)> {
    let own: HashSet<String> = queries
        .into_iter()
        .flat_map(|q| {
            Words::of(q)
                .iter()
                .map(|w| w.text.to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let stop = stop_words();
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut words = Words::new();
    for text in texts {
        words.fill(text);
        for word in words.iter() {
            let w = word.text;
            if w.chars().count() < 3
                || w.chars().all(|c| c.is_ascii_digit())
                || stop.contains(w)
                || own.contains(w)
            {
                continue;
            }
            match counts.get_mut(w) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(w.to_owned(), 1);
                }
            }
        }
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_folded_and_leaves_out_the_noise() {
        let texts = [
            "La livraison de Relais est trop lente, vraiment lente.",
            "Livraison reçue : 3 jours. The delivery was OK.",
            "#Relais livraison 2024",
        ];
        let top = top_terms(texts, ["relais OR \"relais app\""], 10);
        assert_eq!(top[0], ("livraison".to_owned(), 3));
        assert_eq!(top[1], ("lente".to_owned(), 2));
        let words: Vec<&str> = top.iter().map(|(w, _)| w.as_str()).collect();
        for gone in [
            "relais", "app", "la", "de", "est", "trop", "the", "was", "ok", "2024", "3",
        ] {
            assert!(
                !words.contains(&gone),
                "{gone} should be left out: {words:?}"
            );
        }
        assert!(words.contains(&"recue"), "folded: {words:?}");
        assert!(words.contains(&"delivery"));
    }

    #[test]
    fn ties_are_alphabetical_and_the_limit_holds() {
        let top = top_terms(["zebre alpaga zebre alpaga castor"], [], 2);
        assert_eq!(top, vec![("alpaga".to_owned(), 2), ("zebre".to_owned(), 2)]);
    }

    #[test]
    fn stop_words_are_written_folded() {
        for w in stop_words() {
            assert_eq!(relais_listen::text::fold(w), *w);
            assert!(
                w.chars().count() >= 3,
                "{w} is short enough to be left out anyway"
            );
        }
    }
}
