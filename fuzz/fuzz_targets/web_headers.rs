//! Feeds arbitrary text to the small parsers `relais-web` runs on request headers and fields:
//! `Accept-Language`, the `Cookie` header, CSRF tokens and the `next` redirect target.
//!
//! The input is used whole, and also split at its first NUL byte into a "name" part and a
//! "value" part (cookie name and header, CSRF key and tie).

#![no_main]

use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use relais_web::auth::csrf;
use relais_web::context::cookie;
use relais_web::i18n::Lang;
use relais_web::pages::safe_next;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let (head, tail) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let head_text = String::from_utf8_lossy(head);
    let tail_text = String::from_utf8_lossy(tail);

    // Accept-Language: total, and only our two languages come out.
    let lang = Lang::from_accept_language(text);
    assert!(matches!(lang, Lang::En | Lang::Fr));
    let _ = Lang::from_accept_language(&tail_text);

    // Cookie header: whatever comes out is one trimmed, non-empty value from the header.
    let cookie_cases = [
        (data, "relais_session"),
        (data, "relais_csrf"),
        (data, "relais_lang"),
        (tail, head_text.as_ref()),
    ];
    for (raw, name) in cookie_cases {
        let Ok(value) = HeaderValue::from_bytes(raw) else {
            continue;
        };
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, value.clone());
        // A second Cookie header (HTTP/2 sends one per cookie) must not confuse it either.
        headers.append(header::COOKIE, HeaderValue::from_static("other=1"));
        if let Some(found) = cookie(&headers, name) {
            assert!(!found.is_empty(), "empty cookie value");
            assert_eq!(found, found.trim(), "untrimmed cookie value");
            assert!(
                !found.contains(';'),
                "value runs over the next cookie: {found:?}"
            );
            let from_first = value.to_str().is_ok_and(|whole| whole.contains(found));
            assert!(
                from_first || (name == "other" && found == "1"),
                "value not taken from the header: {found:?}"
            );
        }
    }

    // CSRF: a token verifies for its own key and tie, and nothing else verifies (up to the
    // surrounding whitespace `verify` trims on purpose).
    let key = head;
    let tie = tail_text.as_ref();
    let good = csrf::token(key, tie);
    assert_eq!(good.len(), 43, "URL-safe base64 of 32 bytes, no padding");
    assert!(csrf::verify(key, tie, &good), "own token refused");
    assert_eq!(
        csrf::verify(key, tie, text),
        text.trim() == good,
        "forged token accepted: {text:?}"
    );
    let other_tie = format!("{tie}x");
    assert!(
        !csrf::verify(key, &other_tie, &good),
        "token accepted for another tie"
    );

    // Redirect target: stays on this site, as a browser would read the Location header.
    let next = safe_next(text);
    assert!(next.starts_with('/'), "not a path: {next:?}");
    assert!(!next.starts_with("//"), "scheme-relative: {next:?}");
    assert!(!next.contains('\\'), "backslash: {next:?}");
    assert!(next == text || next == "/workspaces", "rewritten: {next:?}");
    // `see_other` puts it in a Location header: an invalid header value makes a 500.
    assert!(
        HeaderValue::from_str(&next).is_ok(),
        "not a valid Location header value: {next:?}"
    );
    // Browsers resolve Location with the WHATWG URL parser, which the `url` crate follows.
    let base = url::Url::parse("https://relais.example/login").expect("base URL");
    if let Ok(target) = base.join(&next) {
        assert_eq!(target.scheme(), "https", "scheme changed: {next:?}");
        assert_eq!(
            target.host_str(),
            Some("relais.example"),
            "redirect leaves the site: {next:?}"
        );
        assert_eq!(target.port(), None, "port changed: {next:?}");
    }
});
