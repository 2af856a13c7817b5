//! Real peers for Relais's tests: a throwaway PostgreSQL cluster, an SMTP sink that speaks the
//! protocol, a chromedriver for browser tests, and a local Bluesky server (a real PDS). Nothing
//! here is a mock of Relais itself.

pub mod bluesky;
pub mod chromedriver;
pub mod mastodon;
pub mod mock_http;
pub mod postgres;
pub mod smtp;

/// A free TCP port on the loopback interface (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface must be usable in tests")
}
