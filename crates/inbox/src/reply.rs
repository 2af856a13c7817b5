//! Whether a reply can go out on its network, checked when a member sends it, so that a reply
//! too long for the network is refused in the page with the figures, never queued to fail.

use relais_publish::rules::{self, Network};

/// Why a reply cannot be sent as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyProblem {
    #[error("the reply is empty")]
    Empty,
    #[error("the reply is {used} {unit} long and {network} takes at most {limit}: shorten it by {over}", over = used - limit)]
    TooLong {
        network: &'static str,
        used: usize,
        limit: usize,
        unit: &'static str,
    },
    #[error(
        "this conversation has no channel to answer through (it came from listening): answer on the site itself"
    )]
    NoChannel,
}

impl ReplyProblem {
    /// The problem in the user's language (`fr` or else English).
    pub fn describe(&self, lang: &str) -> String {
        if lang != "fr" {
            return self.to_string();
        }
        match self {
            ReplyProblem::Empty => "la réponse est vide".to_owned(),
            ReplyProblem::TooLong {
                network,
                used,
                limit,
                unit,
            } => {
                let unit = if *unit == "characters" {
                    "caractères"
                } else {
                    unit
                };
                format!(
                    "la réponse fait {used} {unit} et {network} en accepte au plus {limit} : raccourcissez-la de {}",
                    used - limit
                )
            }
            ReplyProblem::NoChannel => "cette conversation n'a pas de canal pour répondre (elle vient de la veille) : répondez sur le site lui-même".to_owned(),
        }
    }
}

/// Checks `text` as a reply on `network` (a channel's network name; `None` for a conversation
/// without a channel). A network the composer does not know has no limit here.
pub fn check(network: Option<&str>, text: &str) -> Result<(), ReplyProblem> {
    let Some(network) = network else {
        return Err(ReplyProblem::NoChannel);
    };
    if text.trim().is_empty() {
        return Err(ReplyProblem::Empty);
    }
    let Ok(network) = Network::parse(network) else {
        return Ok(());
    };
    let count = rules::count(network, text);
    match count.limit {
        Some(limit) if count.used > limit => Err(ReplyProblem::TooLong {
            network: network.display_name(),
            used: count.used,
            limit,
            unit: "characters",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_over_the_network_limit_is_refused_with_the_figures() {
        let long = "é".repeat(301);
        let problem = check(Some("bluesky"), &long).expect_err("too long");
        assert_eq!(
            problem,
            ReplyProblem::TooLong {
                network: "Bluesky",
                used: 301,
                limit: 300,
                unit: "characters"
            }
        );
        assert!(problem.to_string().contains("shorten it by 1"));
        assert!(problem.describe("fr").contains("raccourcissez-la de 1"));
        assert_eq!(check(Some("bluesky"), &"é".repeat(300)), Ok(()));
        // Mastodon counts 500 by default.
        assert!(check(Some("mastodon"), &"a".repeat(501)).is_err());
        assert_eq!(check(Some("mastodon"), &"a".repeat(500)), Ok(()));
    }

    #[test]
    fn empty_replies_and_channelless_conversations_are_refused() {
        assert_eq!(check(Some("mastodon"), " \n "), Err(ReplyProblem::Empty));
        assert_eq!(check(None, "merci"), Err(ReplyProblem::NoChannel));
        assert_eq!(check(Some("webhook"), &"a".repeat(100_000)), Ok(()));
    }
}
