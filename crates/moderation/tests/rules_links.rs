//! Links rules: what counts as a link, the host a browser would go to, allowed domains and
//! their subdomains, look-alikes.

use relais_moderation::rules::links::{find_links, is_allowed, normalise_domain};
use relais_moderation::rules::{Action, Reason, Rule, RuleKind, RuleProblem, test_rule};

fn links_rule(allowed: &[&str]) -> Rule {
    Rule {
        id: 9,
        name: "Liens".into(),
        kind: RuleKind::Links {
            allowed_domains: allowed.iter().map(|domain| domain.to_string()).collect(),
        },
        actions: vec![Action::Review],
        enabled: true,
    }
}

/// The hosts of the links of `text`.
fn hosts(text: &str) -> Vec<String> {
    find_links(text).into_iter().map(|link| link.host).collect()
}

/// The refused hosts a rule allowing `allowed` reports on `text`.
fn refused(allowed: &[&str], text: &str) -> Option<Vec<String>> {
    match test_rule(&links_rule(allowed), text).expect("the rule compiles") {
        Some(Reason::Links { hosts }) => Some(hosts),
        Some(other) => panic!("unexpected reason {other:?}"),
        None => None,
    }
}

#[test]
fn finds_addresses_and_bare_domains() {
    assert_eq!(hosts("voir https://exemple.fr/a ici"), ["exemple.fr"]);
    assert_eq!(hosts("voir:HTTP://Exemple.FR/page"), ["exemple.fr"]);
    assert_eq!(hosts("(https://exemple.fr), merci"), ["exemple.fr"]);
    assert_eq!(
        hosts("www.exemple.io et shop.exemple.fr/x"),
        ["www.exemple.io", "shop.exemple.fr"]
    );
    assert_eq!(hosts("bit.ly/abc"), ["bit.ly"]);
    assert_eq!(hosts("👉promo.shop !"), ["promo.shop"]);
    assert_eq!(hosts("exemple.fr👍"), ["exemple.fr"]);
    // A short top-level domain that is also a word needs a path.
    assert_eq!(hosts("t.me/canal"), ["t.me"]);
    assert!(hosts("t.me").is_empty());
    // Two addresses glued together are two links.
    assert_eq!(hosts("https://a.fr/https://b.com/x"), ["a.fr", "b.com"]);
}

#[test]
fn sentences_handles_and_mail_are_not_links() {
    assert!(hosts("c'est payé.de plus rien").is_empty());
    assert!(hosts("il.me dit 3.14 et e.g. ou M.Dupont").is_empty());
    assert!(hosts("@alice.bsky.social merci").is_empty());
    assert!(hosts("@bob@mastodon.social et jean@exemple.fr").is_empty());
    assert!(hosts("fichier.txt et index.html").is_empty());
    assert!(hosts("fin de phrase.Début").is_empty());
}

#[test]
fn hosts_are_read_as_browsers_read_them() {
    assert_eq!(hosts("https://exemple.fr@evil.com"), ["evil.com"]);
    assert_eq!(hosts("https://exemple.fr:pass@evil.com/x"), ["evil.com"]);
    assert_eq!(hosts("https://ÉXEMPLE.FR./page"), ["xn--xemple-9ua.fr"]);
    assert_eq!(hosts("https://exemple.fr:8443/x"), ["exemple.fr"]);
    // The same internationalised name, however written.
    assert_eq!(
        hosts("https://xn--xemple-9ua.fr"),
        hosts("https://éxemple.fr")
    );
    assert_eq!(
        refused(&["exemple.fr"], "https://exemple.fr@evil.com"),
        Some(vec!["evil.com".into()])
    );
}

#[test]
fn allowed_domains_allow_their_subdomains_and_nothing_else() {
    let allowed = ["exemple.fr"];
    assert_eq!(refused(&allowed, "https://exemple.fr/a"), None);
    assert_eq!(
        refused(&allowed, "www.exemple.fr et shop.exemple.fr/x"),
        None
    );
    assert_eq!(
        refused(&allowed, "https://exemple.fr.evil.com/"),
        Some(vec!["exemple.fr.evil.com".into()])
    );
    assert_eq!(
        refused(&allowed, "monexemple.fr"),
        Some(vec!["monexemple.fr".into()])
    );
    assert_eq!(refused(&allowed, "pas de lien ici"), None);
    let normalised = [normalise_domain("exemple.fr").expect("a domain")];
    assert!(is_allowed("a.b.exemple.fr", &normalised));
    assert!(!is_allowed("exemple.fr.evil.com", &normalised));
    assert!(!is_allowed("xexemple.fr", &normalised));
}

#[test]
fn allowed_domains_are_normalised() {
    assert_eq!(
        normalise_domain(" WWW.Exemple.FR. ").as_deref(),
        Some("exemple.fr")
    );
    assert_eq!(
        normalise_domain("*.exemple.fr").as_deref(),
        Some("exemple.fr")
    );
    assert_eq!(
        normalise_domain("https://www.exemple.fr/page?x=1").as_deref(),
        Some("exemple.fr")
    );
    assert_eq!(
        normalise_domain("éxemple.fr").as_deref(),
        Some("xn--xemple-9ua.fr")
    );
    // Written any of those ways, the rule allows the same links.
    for written in ["https://www.exemple.fr/page", "*.EXEMPLE.fr", "exemple.fr."] {
        assert_eq!(refused(&[written], "shop.exemple.fr/x"), None, "{written}");
        assert!(refused(&[written], "evil.com/x").is_some(), "{written}");
    }
}

#[test]
fn a_domain_that_cannot_be_read_is_refused_by_name() {
    for bad in ["pas un domaine", "", "http://", "exa mple.fr"] {
        let error = test_rule(&links_rule(&["exemple.fr", bad]), "x").expect_err(bad);
        assert_eq!(
            error.problem,
            RuleProblem::BadDomain {
                domain: bad.trim().into()
            }
        );
        assert_eq!(error.rule_name, "Liens");
    }
}

#[test]
fn without_allowed_domains_every_link_matches() {
    assert_eq!(
        refused(&[], "https://exemple.fr/a"),
        Some(vec!["exemple.fr".into()])
    );
    assert_eq!(refused(&[], "un texte sans lien."), None);
}

#[test]
fn the_reason_names_each_refused_host_once() {
    let text = "a.com/1 a.com/2 https://b.com exemple.fr c.com d.com e.com f.com g.com";
    let hosts = refused(&["exemple.fr"], text).expect("matches");
    // Each once, in order, the first five.
    assert_eq!(hosts, ["a.com", "b.com", "c.com", "d.com", "e.com"]);
    let reason = Reason::Links {
        hosts: vec!["a.com".into()],
    };
    assert!(reason.describe("en").contains("“a.com”"));
    assert!(reason.describe("fr").contains("«\u{a0}a.com\u{a0}»"));
}
