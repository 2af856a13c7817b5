//! The sentiment development data (`../shared/data/sentiment`, see its README), as the tests
//! and the speed example find and read it. Shared by `#[path]`, so each user compiles only this.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folder with `xlmt-english/`, `xlmt-french/` and `vader-snippets/`: `RELAIS_SENTIMENT_DATA`,
/// else `<workspace>/../shared/data/sentiment`, else `/work/shared/data/sentiment`. The error
/// says where it looked and what to do.
pub fn sentiment_data_dir() -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    let candidates = std::env::var_os("RELAIS_SENTIMENT_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sentiment"),
            PathBuf::from("/work/shared/data/sentiment"),
        ]);
    for candidate in candidates {
        if candidate.join("xlmt-french").is_dir() {
            return Ok(candidate);
        }
        tried.push(candidate.display().to_string());
    }
    Err(format!(
        "sentiment development data not found (tried: {}). Put the folder with xlmt-english/, \
         xlmt-french/ and vader-snippets/ at <workspace>/../shared/data/sentiment or point \
         RELAIS_SENTIMENT_DATA at it.",
        tried.join(", ")
    ))
}

/// A line of the tweet files, whose `\uXXXX` escapes are decoded (as the trainer does), trimmed.
pub fn decode_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let decoded = rest
            .get(at + 2..at + 6)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}
