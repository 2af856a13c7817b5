//! Connectors to the social networks. Each network is a module that implements [`Connector`]:
//! publish, look a post up again (to reconcile after a crash), delete, read metrics, refresh
//! credentials. Connectors speak each network's public API through `relais-outbound` (never a
//! bare HTTP client) and turn its answers into [`NetworkError`]s the scheduler can act on:
//! retry later, refresh the token, or give up with a reason a person can read. Networks whose
//! accounts are connected by OAuth also implement [`oauth::OAuthFlow`].

pub mod bluesky;
mod connector;
pub mod inbox;
pub mod linkedin;
pub mod mastodon;
pub mod meta;
pub mod oauth;
pub mod reddit;
pub mod search;
pub mod threads;
pub mod webhook;
pub mod wordpress;
pub mod x;
pub mod youtube;

pub use connector::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
    ReplyTarget,
};

/// The connector for a network name as stored on channels, or `None` for one Relais does not
/// speak yet.
pub fn connector_for(
    network: &str,
    http: relais_outbound::HttpClient,
) -> Option<Box<dyn Connector>> {
    match network {
        "bluesky" => Some(Box::new(bluesky::Bluesky::new(http))),
        "facebook" => Some(Box::new(meta::Facebook::new(http))),
        "instagram" => Some(Box::new(meta::Instagram::new(http))),
        "linkedin" => Some(Box::new(linkedin::LinkedIn::new(http))),
        "mastodon" => Some(Box::new(mastodon::Mastodon::new(http))),
        "threads" => Some(Box::new(threads::Threads::new(http))),
        "webhook" => Some(Box::new(webhook::Webhook::new(http))),
        "wordpress" => Some(Box::new(wordpress::WordPress::new(http))),
        "x" => Some(Box::new(x::X::new(http))),
        "youtube" => Some(Box::new(youtube::YouTube::new(http))),
        _ => None,
    }
}

/// The networks whose accounts are connected through OAuth, with their names as people write
/// them, in the order the Channels page lists them.
pub const OAUTH_NETWORKS: [(&str, &str); 6] = [
    ("x", "X"),
    ("linkedin", "LinkedIn"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("youtube", "YouTube"),
    ("threads", "Threads"),
];

/// How accounts of a network are connected through OAuth, or `None` for a network whose
/// channels take a password or a key instead (Bluesky, Mastodon, WordPress, webhooks).
pub fn oauth_flow_for(network: &str) -> Option<Box<dyn oauth::OAuthFlow>> {
    match network {
        "facebook" => Some(Box::new(meta::FacebookFlow)),
        "instagram" => Some(Box::new(meta::InstagramFlow)),
        "linkedin" => Some(Box::new(linkedin::LinkedInFlow)),
        "threads" => Some(Box::new(threads::ThreadsFlow)),
        "x" => Some(Box::new(x::XFlow)),
        "youtube" => Some(Box::new(youtube::YouTubeFlow)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_oauth_network_has_its_flow_and_connector() {
        let http = relais_outbound::HttpClient::new(Default::default()).expect("client");
        for (name, _) in super::OAUTH_NETWORKS {
            assert!(super::oauth_flow_for(name).is_some(), "{name}");
            assert!(super::connector_for(name, http.clone()).is_some(), "{name}");
        }
        assert!(super::oauth_flow_for("bluesky").is_none());
    }
}
