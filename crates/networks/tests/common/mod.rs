//! What the connectors' tests share: a client allowed to reach the fakes on loopback, the test
//! image, replies, and answers injected into a fake (a queue of canned failures, each used once
//! by the first request that matches it).
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use relais_networks::{OutgoingPost, PublishedPost, ReplyTarget};
use relais_outbound::{HttpClient, OutboundConfig};

/// What the listening search tests share.
pub mod search;

/// An 8×8 blue PNG.
pub const PNG: &[u8] = include_bytes!("../fixtures/blue-8x8.png");

/// The fakes live on loopback: the SSRF guard is lifted for the tests, as the config allows.
pub fn client(total_timeout: Duration) -> HttpClient {
    HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        total_timeout,
        ..Default::default()
    })
    .unwrap()
}

/// `p` as a reply under `parent` in the thread that starts at `root`.
pub fn reply(mut p: OutgoingPost, root: &PublishedPost, parent: &PublishedPost) -> OutgoingPost {
    p.reply_to = Some(ReplyTarget {
        root: root.clone(),
        parent: parent.clone(),
    });
    p
}

/// A canned answer for the next `method path` request.
pub struct Injected {
    method: &'static str,
    path: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

pub fn push_injected(
    queue: &mut VecDeque<Injected>,
    method: &'static str,
    path: &str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) {
    queue.push_back(Injected {
        method,
        path: path.to_owned(),
        status,
        headers,
        body: body.to_owned(),
    });
}

/// The answer injected for this request, if any (used once), as JSON with its headers.
pub fn take_injected(queue: &mut VecDeque<Injected>, method: &str, path: &str) -> Option<Response> {
    let at = queue
        .iter()
        .position(|i| i.method == method && i.path == path)?;
    let i = queue.remove(at)?;
    let mut r = (StatusCode::from_u16(i.status).unwrap(), i.body).into_response();
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    for (k, v) in i.headers {
        r.headers_mut().insert(k, v.parse().unwrap());
    }
    Some(r)
}
