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

/// A line of the tweet files, decoded as the trainer does.
#[allow(unused_imports)]
pub use relais_listen::workload::decode_escapes;
