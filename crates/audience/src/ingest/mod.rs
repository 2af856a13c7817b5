//! The bodies the trackers send, read into one [`crate::hit::Hit`].

pub mod plausible;
pub mod umami;

/// Largest body accepted from a tracker, in bytes; larger ones are refused unread.
pub const MAX_BODY: usize = 64 * 1024;

use crate::hit::HitError;

/// Reads a body as one JSON object, whatever content type it was sent with (Plausible's tracker
/// sends JSON as `text/plain` to avoid a CORS preflight).
fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, HitError> {
    if body.len() > MAX_BODY {
        return Err(HitError::new(
            "body",
            format!("is larger than {} KiB", MAX_BODY / 1024),
        ));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        Ok(_) => Err(HitError::new("body", "must be a JSON object")),
        Err(e) => Err(HitError::new("body", format!("is not valid JSON ({e})"))),
    }
}

/// The first of several keys that is present (the trackers send `n`, the documentation says
/// `name`).
fn field<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    keys: &[&str],
) -> Option<&'a serde_json::Value> {
    keys.iter()
        .find_map(|k| object.get(*k))
        .filter(|v| !v.is_null())
}
