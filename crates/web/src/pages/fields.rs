//! A page form read the same way whether the browser sent it URL-encoded or as a multipart
//! form with files (the composer and the media library). The CSRF middleware has already
//! checked the token and capped the size before this runs.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use relais_core::ErrorCode;

use crate::error::WebError;

/// A file field that carried a file (browsers send an empty part when none was chosen).
pub struct FilePart {
    pub field: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// A form's text fields, in order (names may repeat), and its files.
#[derive(Default)]
pub struct PageFields {
    pub texts: Vec<(String, String)>,
    pub files: Vec<FilePart>,
}

impl PageFields {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> String {
        self.texts
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a repeated field, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.texts
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The files of a field, in order.
    pub fn files(&self, name: &str) -> impl Iterator<Item = &FilePart> {
        self.files.iter().filter(move |f| f.field == name)
    }
}

fn unreadable(why: impl std::fmt::Display) -> WebError {
    WebError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidInput,
        format!("the form could not be read ({why}); reload the page and try again"),
    )
}

impl<S: Send + Sync> FromRequest<S> for PageFields {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let axum::Form(texts) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
                .await
                .map_err(unreadable)?;
            return Ok(Self {
                texts,
                files: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(unreadable)?;
        let mut out = Self::default();
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(unreadable)?;
                    if !bytes.is_empty() {
                        out.files.push(FilePart {
                            field: name,
                            file_name,
                            bytes,
                        });
                    }
                }
                None => {
                    let text = field.text().await.map_err(unreadable)?;
                    out.texts.push((name, text));
                }
            }
        }
        Ok(out)
    }
}
