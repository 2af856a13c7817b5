//! The networks Relais publishes to, named once so that every rule, counter and message agrees.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A destination for a post. The text form (`as_str`) is stored and typed on the command line:
/// never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Bluesky,
    Mastodon,
    X,
    #[serde(rename = "linkedin")]
    LinkedIn,
    Facebook,
    Instagram,
    #[serde(rename = "youtube")]
    YouTube,
    Threads,
    #[serde(rename = "wordpress")]
    WordPress,
    Webhook,
}

/// A network name that none of [`Network::ALL`] answers to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown network {0:?}; expected one of: bluesky, mastodon, x, linkedin, facebook, instagram, youtube, threads, wordpress, webhook"
)]
pub struct UnknownNetwork(pub String);

impl Network {
    pub const ALL: [Network; 10] = [
        Network::Bluesky,
        Network::Mastodon,
        Network::X,
        Network::LinkedIn,
        Network::Facebook,
        Network::Instagram,
        Network::YouTube,
        Network::Threads,
        Network::WordPress,
        Network::Webhook,
    ];

    /// Stable lower-case identifier (`"x"`, `"linkedin"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::X => "x",
            Network::LinkedIn => "linkedin",
            Network::Facebook => "facebook",
            Network::Instagram => "instagram",
            Network::YouTube => "youtube",
            Network::Threads => "threads",
            Network::WordPress => "wordpress",
            Network::Webhook => "webhook",
        }
    }

    /// The name a person knows, as used inside messages ("for X", "pour LinkedIn").
    pub fn display_name(self) -> &'static str {
        match self {
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
            Network::X => "X",
            Network::LinkedIn => "LinkedIn",
            Network::Facebook => "Facebook",
            Network::Instagram => "Instagram",
            Network::YouTube => "YouTube",
            Network::Threads => "Threads",
            Network::WordPress => "WordPress",
            Network::Webhook => "Webhook",
        }
    }

    /// Parses the stable identifier, ignoring case and surrounding blanks. `twitter` is accepted
    /// for X because people still type it.
    pub fn parse(s: &str) -> Result<Network, UnknownNetwork> {
        let wanted = s.trim().to_ascii_lowercase();
        if wanted == "twitter" {
            return Ok(Network::X);
        }
        Network::ALL
            .into_iter()
            .find(|n| n.as_str() == wanted)
            .ok_or_else(|| UnknownNetwork(s.to_owned()))
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = UnknownNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_parses_back_from_its_text() {
        for n in Network::ALL {
            assert_eq!(Network::parse(n.as_str()), Ok(n));
            assert_eq!(n.to_string().parse::<Network>(), Ok(n));
        }
    }

    #[test]
    fn parse_ignores_case_and_blanks_and_knows_twitter() {
        assert_eq!(Network::parse(" LinkedIn "), Ok(Network::LinkedIn));
        assert_eq!(Network::parse("YOUTUBE"), Ok(Network::YouTube));
        assert_eq!(Network::parse("twitter"), Ok(Network::X));
        assert!(Network::parse("myspace").is_err());
        assert!(Network::parse("").is_err());
    }

    #[test]
    fn serde_uses_the_same_text() {
        for n in Network::ALL {
            let json = serde_json::to_string(&n).expect("serialise");
            assert_eq!(json, format!("\"{}\"", n.as_str()));
            let back: Network = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, n);
        }
    }
}
