//! Calls to a WordPress site's REST API (`/wp-json/wp/v2/…`) with an application password, and
//! the mapping of its answers (`{"code", "message", "data": {"status"}}` on errors) to
//! [`NetworkError`].

use relais_outbound::{FetchedResponse, HttpClient};
use reqwest::Method;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use crate::webhook::answer;
use crate::{Credentials, NetworkError};

/// What a request carries.
pub(crate) enum Body<'a> {
    None,
    Json(&'a Value),
    /// A file sent as the raw body (how `POST /wp/v2/media` takes one without a form).
    File {
        mime: &'a str,
        filename: &'a str,
        bytes: Vec<u8>,
    },
}

/// The site and the account, as the channel's settings say.
pub(crate) struct Site<'a> {
    http: &'a HttpClient,
    base: String,
    username: String,
    password: String,
}

/// A 2xx answer: its JSON and headers.
pub(crate) struct Answer {
    pub json: Value,
    pub headers: HeaderMap,
}

impl<'a> Site<'a> {
    pub fn of(http: &'a HttpClient, creds: &Credentials) -> Result<Self, NetworkError> {
        let base = creds
            .setting("site")
            .map(str::trim)
            .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no WordPress site address (such as https://blog.example.org)"
                        .into(),
                )
            })?
            .trim_end_matches('/')
            .to_owned();
        let username = creds
            .setting("username")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured("the channel has no WordPress user name".into())
            })?
            .to_owned();
        let password = creds
            .secret("application_password")
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no application password; create one under Users → Profile → Application Passwords and connect the channel again"
                        .into(),
                )
            })?
            .to_owned();
        Ok(Self {
            http,
            base,
            username,
            password,
        })
    }

    /// One call to `/wp-json/wp/v2/{route}`, whatever the answer's status.
    pub async fn call(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<FetchedResponse, NetworkError> {
        let url = format!("{}/wp-json/wp/v2/{route}", self.base);
        let mut request = self
            .http
            .request(method, &url)
            .map_err(answer::transport)?
            .basic_auth(&self.username, Some(&self.password));
        if !query.is_empty() {
            request = request.query(query);
        }
        request = match body {
            Body::None => request,
            Body::Json(v) => request.json(v),
            Body::File {
                mime,
                filename,
                bytes,
            } => request
                .header(CONTENT_TYPE, mime)
                .header(
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                )
                .body(bytes),
        };
        self.http.fetch(request).await.map_err(answer::transport)
    }

    /// [`Site::call`], expecting 2xx and JSON: anything else is the mapped error, and a 2xx
    /// answer that is not JSON is transient (a cache or a proxy page in the way).
    pub async fn json(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Answer, NetworkError> {
        let response = self.call(method, route, query, body).await?;
        if !response.is_success() {
            return Err(error_of(&response));
        }
        let json = serde_json::from_slice(&response.body).map_err(|_| {
            NetworkError::Transient(format!(
                "the site answered {route} with something that is not JSON"
            ))
        })?;
        Ok(Answer {
            json,
            headers: response.headers,
        })
    }
}

/// The `code` of a WordPress error body, if it is one.
pub(crate) fn code_of(response: &FetchedResponse) -> String {
    serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// A non-2xx answer as an error, with WordPress's message and code.
pub(crate) fn error_of(response: &FetchedResponse) -> NetworkError {
    let code = code_of(response);
    let message = answer::message_of(&response.body);
    let detail = match (message.is_empty(), code.is_empty()) {
        (true, _) => code.clone(),
        (false, true) => message,
        (false, false) => format!("{message} ({code})"),
    };
    match (response.status, code.as_str()) {
        (401, "rest_not_logged_in") => NetworkError::Unauthorized(format!(
            "WordPress did not see the credentials ({detail}): application passwords need HTTPS, \
             and some servers drop the Authorization header"
        )),
        (401, _) => NetworkError::Unauthorized(format!(
            "WordPress refused the user name or application password ({detail}); create a new \
             application password and connect the channel again"
        )),
        (403, _) => NetworkError::Unauthorized(format!(
            "the WordPress user may not do this ({detail}); it needs the Author role or higher"
        )),
        // WordPress answers a file it will not take (type not allowed, too large) with a 500.
        (500, "rest_upload_sideload_error" | "rest_upload_unknown_error") => {
            NetworkError::Rejected(format!("the site refused the file: {detail}"))
        }
        (status, _) => answer::status_error(status, &detail, &response.headers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> FetchedResponse {
        FetchedResponse {
            status,
            headers: HeaderMap::new(),
            final_url: reqwest::Url::parse("https://blog.example.org/wp-json/wp/v2/posts")
                .expect("url"),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn wordpress_errors_keep_message_and_code() {
        let e = error_of(&response(
            400,
            r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400}}"#,
        ));
        assert_eq!(
            e,
            NetworkError::Rejected(
                "HTTP 400: Invalid parameter(s): status (rest_invalid_param)".into()
            )
        );
        assert!(matches!(
            error_of(&response(
                401,
                r#"{"code":"incorrect_password","message":"The provided password is an invalid application password."}"#
            )),
            NetworkError::Unauthorized(m) if m.contains("invalid application password")
        ));
        assert!(matches!(
            error_of(&response(
                403,
                r#"{"code":"rest_cannot_create","message":"Sorry, you are not allowed to create posts as this user."}"#
            )),
            NetworkError::Unauthorized(_)
        ));
        assert!(matches!(
            error_of(&response(500, r#"{"code":"rest_upload_sideload_error","message":"Sorry, you are not allowed to upload this file type."}"#)),
            NetworkError::Rejected(m) if m.contains("file type")
        ));
        assert!(matches!(
            error_of(&response(
                500,
                r#"{"code":"internal_server_error","message":"There has been a critical error on this website."}"#
            )),
            NetworkError::Transient(_)
        ));
        assert!(matches!(
            error_of(&response(502, "<html>Bad gateway</html>")),
            NetworkError::Transient(_)
        ));
    }
}
