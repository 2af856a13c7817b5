//! A websocket to the firehose, under the same SSRF guard as every other outgoing request:
//! the host is resolved here, every address is checked with the client's guard policy, and
//! the connection goes to a checked address (so a DNS answer cannot change between the check
//! and the dial). TLS (for `wss://`) runs on rustls with the ring provider and the webpki
//! roots, as reqwest does.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use relais_outbound::HttpClient;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use url::{Host, Url};

use super::firehose::MAX_FRAME_BYTES;
use crate::NetworkError;

/// A plain or TLS connection.
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

pub(crate) type Socket = WebSocketStream<Transport>;

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The address of a firehose at `base` (an `http(s)://` service or a `ws(s)://` relay).
pub(crate) fn subscribe_url(base: &str, cursor: Option<i64>) -> Result<String, NetworkError> {
    let base = base.trim().trim_end_matches('/');
    let swapped = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if base.starts_with("wss://") || base.starts_with("ws://") {
        base.to_owned()
    } else {
        return Err(NetworkError::Misconfigured(format!(
            "`{base}` is not an http(s) or ws(s) address to follow the firehose at"
        )));
    };
    let mut url = format!("{swapped}/xrpc/com.atproto.sync.subscribeRepos");
    if let Some(seq) = cursor {
        url.push_str(&format!("?cursor={seq}"));
    }
    Ok(url)
}

fn misconfigured(e: impl std::fmt::Display) -> NetworkError {
    NetworkError::Misconfigured(format!("the firehose address cannot be used: {e}"))
}

/// The addresses of `url`'s host the guard allows, with its port.
async fn vetted_addresses(http: &HttpClient, url: &Url) -> Result<Vec<SocketAddr>, NetworkError> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| misconfigured("no port"))?;
    let policy = http.config().guard_policy();
    let (name, found): (String, Vec<SocketAddr>) = match url.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(Host::Ipv6(ip)) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(Host::Domain(name)) => {
            let found = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| NetworkError::Transient(format!("cannot resolve {name}: {e}")))?;
            (name.to_owned(), found.collect())
        }
        None => return Err(misconfigured("no host")),
    };
    let mut refusal = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match policy.check_ip(&name, a.ip()) {
            Ok(()) => true,
            Err(e) => {
                refusal.get_or_insert(e);
                false
            }
        })
        .collect();
    match (allowed.is_empty(), refusal) {
        (true, Some(e)) => Err(misconfigured(e)),
        (true, None) => Err(NetworkError::Transient(format!("{name} has no address"))),
        (false, _) => Ok(allowed),
    }
}

fn tls_connector() -> Result<TlsConnector, NetworkError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The provider is named: with two rustls providers in one build, the default one is
    // ambiguous (and reqwest names ring too).
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| NetworkError::Transient(format!("TLS cannot start: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Opens the websocket at `address` (`ws://` or `wss://`).
pub(crate) async fn connect(http: &HttpClient, address: &str) -> Result<Socket, NetworkError> {
    let url = Url::parse(address).map_err(misconfigured)?;
    let secure = match url.scheme() {
        "wss" => true,
        "ws" => false,
        other => return Err(misconfigured(format!("the scheme {other}"))),
    };
    let config = http.config();
    let mut last_error = None;
    let mut tcp = None;
    for addr in vetted_addresses(http, &url).await? {
        match tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Ok(Err(e)) => last_error = Some(e.to_string()),
            Err(_) => last_error = Some("timed out".to_owned()),
        }
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let tcp = tcp.ok_or_else(|| {
        NetworkError::Transient(format!(
            "cannot connect to the firehose at {host}: {}",
            last_error.unwrap_or_default()
        ))
    })?;
    let transport = if secure {
        let name = ServerName::try_from(host.clone()).map_err(misconfigured)?;
        let tls = tokio::time::timeout(config.connect_timeout, tls_connector()?.connect(name, tcp))
            .await
            .map_err(|_| NetworkError::Transient(format!("TLS with {host} timed out")))?
            .map_err(|e| NetworkError::Transient(format!("TLS with {host} failed: {e}")))?;
        Transport::Tls(Box::new(tls))
    } else {
        Transport::Plain(tcp)
    };
    let mut request = url.as_str().into_client_request().map_err(misconfigured)?;
    if let Ok(agent) = HeaderValue::from_str(&config.user_agent) {
        request.headers_mut().insert("user-agent", agent);
    }
    let limits = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let handshake = tokio_tungstenite::client_async_with_config(request, transport, Some(limits));
    match tokio::time::timeout(config.connect_timeout, handshake).await {
        Err(_) => Err(NetworkError::Transient(format!(
            "the firehose at {host} did not answer in time"
        ))),
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let detail = format!("the firehose at {host} refused the connection (HTTP {status})");
            Err(match status {
                429 => NetworkError::RateLimited { retry_after: None },
                404 | 501 => NetworkError::Misconfigured(format!(
                    "{detail}: is it an AT Protocol PDS or relay?"
                )),
                _ => NetworkError::Transient(detail),
            })
        }
        Ok(Err(e)) => Err(NetworkError::Transient(format!(
            "the firehose at {host}: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_outbound::OutboundConfig;

    #[test]
    fn service_addresses_become_websocket_addresses() {
        assert_eq!(
            subscribe_url("https://pds.example/", Some(42))
                .ok()
                .as_deref(),
            Some("wss://pds.example/xrpc/com.atproto.sync.subscribeRepos?cursor=42")
        );
        assert_eq!(
            subscribe_url("http://127.0.0.1:2583", None).ok().as_deref(),
            Some("ws://127.0.0.1:2583/xrpc/com.atproto.sync.subscribeRepos")
        );
        assert!(subscribe_url("wss://bsky.network", None).is_ok());
        assert!(matches!(
            subscribe_url("ftp://x", None),
            Err(NetworkError::Misconfigured(_))
        ));
    }

    #[tokio::test]
    async fn the_guard_refuses_private_addresses() {
        let strict = HttpClient::new(OutboundConfig::default()).expect("client");
        for address in [
            "ws://127.0.0.1:9/",
            "wss://[::1]/",
            "ws://10.0.0.1/",
            "ws://localhost:9/",
        ] {
            match connect(&strict, address).await {
                Err(NetworkError::Misconfigured(m)) => {
                    assert!(m.contains("cannot be used"), "{m}")
                }
                Err(e) => panic!("{address}: {e}"),
                Ok(_) => panic!("{address}: connected"),
            }
        }
    }
}
