//! The per-request context every page needs: who is logged in, in which language, from which
//! address, and the CSRF token for the page's forms. One middleware builds it, checks the CSRF
//! token of every state-changing form, and renders error pages in the right language.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use relais_core::{ErrorCode, Timestamp};
use relais_store::User;

use crate::auth::{csrf, secret};
use crate::error::{ErrorPage, WebError};
use crate::i18n::Lang;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "relais_session";
pub const CSRF_COOKIE: &str = "relais_csrf";
pub const LANG_COOKIE: &str = "relais_lang";
/// Forms are small; anything larger is refused before it is read.
const MAX_FORM_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct Ctx {
    pub user: Option<User>,
    /// The raw session secret, to log out.
    pub session_secret: Option<String>,
    pub lang: Lang,
    pub csrf: String,
    /// The client's address as Relais believes it (see `trusted_proxies`).
    pub ip: String,
}

impl Ctx {
    pub fn m(&self) -> &'static crate::i18n::Msgs {
        self.lang.msgs()
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure when served over HTTPS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let v =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client address: the socket's, or, when the socket is a trusted proxy, the one the proxy
/// chain reports. `X-Forwarded-For` is read from the right: each trusted proxy appended the
/// address it saw, so the first address from the right that is not a trusted proxy is the
/// client (anything further left was written by the client and may be forged). The standard
/// `Forwarded: for=…` header (RFC 7239) is read the same way when there is no `X-Forwarded-For`.
pub fn client_ip(trusted: &[IpAddr], headers: &HeaderMap, peer: Option<IpAddr>) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let chain: Vec<IpAddr> = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(xff) => xff
            .split(',')
            .filter_map(|s| parse_forwarded_ip(s.trim()))
            .collect(),
        None => headers
            .get_all("forwarded")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_forwarded_ip(v.trim().trim_matches('"')))
            })
            .collect(),
    };
    chain
        .iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .or(chain.first())
        .map_or_else(|| peer.to_string(), |ip| ip.to_string())
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_forwarded_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The `csrf` field of a multipart form already read into memory. The forms put it first, so
/// only the form's beginning is looked at, never the files after it.
async fn multipart_csrf(headers: &HeaderMap, bytes: axum::body::Bytes) -> Option<String> {
    use axum::extract::FromRequest;
    let head = bytes.slice(..bytes.len().min(64 << 10));
    let mut request = Request::new(Body::from(head));
    *request.headers_mut() = headers.clone();
    let mut form = axum::extract::Multipart::from_request(request, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("csrf") {
            return field.text().await.ok();
        }
    }
    None
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session's user, if it holds, as the database says now.
async fn read_session(state: &AppState, hash: String) -> relais_store::StoreResult<Option<User>> {
    let store = &state.store;
    state
        .reads
        .sessions
        .read(hash.clone(), || store.session_user(&hash, Timestamp::now()))
        .await
}

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let headers = &parts.headers;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(&state.config.trusted_proxies, headers, peer);

    let session_secret = cookie(headers, SESSION_COOKIE).map(str::to_owned);
    let user = match &session_secret {
        Some(s) => match read_session(&state, secret::hash_secret(s)).await {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the session");
                return ErrorPage::plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Lang::En,
                    ErrorCode::Unavailable,
                );
            }
        },
        None => None,
    };
    let session_secret = session_secret.filter(|_| user.is_some());

    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            user.as_ref()
                .and_then(|u| u.locale.as_deref())
                .and_then(Lang::parse)
        })
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        });

    let existing_anon = cookie(headers, CSRF_COOKIE).map(str::to_owned);
    let (anon, new_anon) = match existing_anon {
        Some(a) => (a, false),
        None => (secret::new_secret(""), true),
    };
    let tie = session_secret.clone().unwrap_or_else(|| anon.clone());

    let mut body = body;
    if is_unsafe(&parts.method) {
        // Files come as multipart forms, and only from people signed in: a stranger cannot
        // make Relais hold a large body in memory.
        let multipart = is_multipart(&parts.headers) && session_secret.is_some();
        let limit = if multipart {
            state.config.max_upload_bytes
        } else {
            MAX_FORM_BYTES
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => {
                return ErrorPage::plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    lang,
                    ErrorCode::InvalidInput,
                );
            }
        };
        let presented = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let presented = match presented {
            Some(p) => Some(p),
            None if multipart => multipart_csrf(&parts.headers, bytes.clone()).await,
            None => url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.into_owned()),
        };
        let ok = presented.is_some_and(|p| csrf::verify(&state.csrf_key, &tie, &p));
        if !ok {
            tracing::warn!(path = %parts.uri.path(), %ip, "form refused: missing or wrong CSRF token");
            return ErrorPage::plain(StatusCode::FORBIDDEN, lang, ErrorCode::CsrfRejected);
        }
        body = Body::from(bytes);
    }

    let ctx = Ctx {
        user,
        session_secret,
        lang,
        csrf: csrf::token(&state.csrf_key, &tie),
        ip,
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    parts.extensions.insert(ctx.clone());
    let mut response = next.run(Request::from_parts(parts, body)).await;

    if let Some(err) = response.extensions_mut().remove::<WebError>() {
        response = if err.code == ErrorCode::Unauthenticated {
            let next: String =
                url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
            see_other(&format!("/login?next={next}"))
        } else {
            let status = response.status();
            ErrorPage::render(status, &ctx, &err)
        };
    }
    if new_anon {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, CSRF_COOKIE, &anon, 60 * 60 * 24 * 365),
        );
    }
    let h = response.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Security headers on every answer: no framing, no sniffing, no referrer leaks, and a content
/// policy that allows only Relais's own scripts and styles. An answer that set a stricter
/// policy of its own (an uploaded file, sandboxed) keeps it.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.entry("content-security-policy")
        .or_insert(HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"));
    response
}

/// Redirect after a form (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let spoof = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(
            client_ip(&[], &spoof, Some(proxy)),
            "10.0.0.2",
            "untrusted peer: header ignored"
        );
        assert_eq!(client_ip(&[proxy], &spoof, Some(proxy)), "6.6.6.6");
        // A client that forges the header gets its forged value pushed left by the proxy.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(client_ip(&[proxy], &chain, Some(proxy)), "203.0.113.7");
        let two_proxies: [IpAddr; 2] = [proxy, "10.0.0.3".parse().unwrap()];
        let chain = headers(&[("x-forwarded-for", "203.0.113.7, 10.0.0.3")]);
        assert_eq!(client_ip(&two_proxies, &chain, Some(proxy)), "203.0.113.7");
        let rfc = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:443\";proto=https, for=198.51.100.9",
        )]);
        assert_eq!(client_ip(&[proxy], &rfc, Some(proxy)), "198.51.100.9");
        let garbage = headers(&[("x-forwarded-for", "not an address")]);
        assert_eq!(client_ip(&[proxy], &garbage, Some(proxy)), "10.0.0.2");
        assert_eq!(client_ip(&[], &HeaderMap::new(), None), "unknown");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[("cookie", "relais_session_x=1; relais_session=abc; other=2")]);
        assert_eq!(cookie(&h, "relais_session"), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        let empty = headers(&[("cookie", "relais_session=")]);
        assert_eq!(cookie(&empty, "relais_session"), None);
    }
}
