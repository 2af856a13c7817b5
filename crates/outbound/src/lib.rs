//! The one outgoing HTTP client of Relais.
//!
//! Every capability that talks to another server (webhooks, feeds, link previews...) goes
//! through [`HttpClient`], so that the protections live in one place:
//!
//! - **SSRF guard**: private, loopback, link-local, metadata and other internal addresses are
//!   refused ([`classify`]), checked on the address actually dialled (inside DNS resolution,
//!   so DNS rebinding cannot race the check) and on every redirect. Lifted with
//!   `allow_private_addresses` or per address with `allowed_private`.
//! - **Time-outs** for connecting and for the whole exchange.
//! - **Body cap**: responses bigger than `max_response_bytes` are abandoned, not buffered.
//! - **User-Agent** identifying Relais to the servers it calls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), relais_outbound::OutboundError> {
//! use relais_outbound::{HttpClient, OutboundConfig};
//!
//! let client = HttpClient::new(OutboundConfig::default())?;
//! let response = client.fetch_url("https://example.org/feed.xml").await?;
//! println!("{} bytes", response.body.len());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod client;
mod config;
mod error;
pub mod guard;
mod policy;
mod redirect;
mod resolver;

pub use client::{FetchedResponse, HttpClient};
pub use config::{
    ALLOW_PRIVATE_ENV, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOTAL_TIMEOUT, DEFAULT_USER_AGENT, OutboundConfig,
};
pub use error::OutboundError;
pub use guard::classify;
pub use policy::{GuardPolicy, check_parsed_url, check_url};
