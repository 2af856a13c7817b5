//! Secret addresses of the media library's files, for networks that fetch media themselves
//! instead of taking an upload (Instagram, Threads): `{public_url}/m/{workspace}/{media}/{tag}`,
//! where the tag is an HMAC-SHA256 of the workspace and media ids under a key made once per
//! installation and kept in the database (so every process shares it). Without the tag, the
//! file cannot be had: media ids alone are not secrets enough to publish someone's drafts.

use hmac::{Hmac, Mac};
use relais_core::{MediaId, WorkspaceId};
use relais_store::{Store, StoreResult};
use sha2::Sha256;

/// The instance setting that holds the key.
const KEY_SETTING: &str = "media_link_key";

/// The installation's key, made on first use. It never changes: callers keep it (see
/// [`KeyCache`]) rather than asking the database at every file.
pub async fn key(store: &dyn Store) -> StoreResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh).expect("the operating system's random generator must work");
    let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
    Ok(store
        .setting_or_insert(KEY_SETTING, &hex)
        .await?
        .into_bytes())
}

fn mac(key: &[u8], ws: WorkspaceId, media: MediaId) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{ws}:{media}").as_bytes());
    mac
}

/// The key, read from the database once per process.
#[derive(Default)]
pub struct KeyCache(tokio::sync::OnceCell<Vec<u8>>);

impl KeyCache {
    pub async fn get(&self, store: &dyn Store) -> StoreResult<&[u8]> {
        self.0
            .get_or_try_init(|| key(store))
            .await
            .map(Vec::as_slice)
    }
}

/// The tag that opens one media file.
pub fn tag(key: &[u8], ws: WorkspaceId, media: MediaId) -> String {
    mac(key, ws, media)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `given` is the tag of this file (compared in constant time).
pub fn verify(key: &[u8], ws: WorkspaceId, media: MediaId, given: &str) -> bool {
    hex_bytes(given).is_some_and(|bytes| mac(key, ws, media).verify_slice(&bytes).is_ok())
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The address a network fetches the file from.
pub fn url(public_url: &str, key: &[u8], ws: WorkspaceId, media: MediaId) -> String {
    format!(
        "{}/m/{ws}/{media}/{}",
        public_url.trim_end_matches('/'),
        tag(key, ws, media)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_open_their_file_only() {
        let (ws, media, other) = (WorkspaceId::new(), MediaId::new(), MediaId::new());
        let t = tag(b"key", ws, media);
        assert_eq!(t.len(), 64);
        assert!(verify(b"key", ws, media, &t));
        assert!(!verify(b"key", ws, other, &t));
        assert!(!verify(b"other key", ws, media, &t));
        assert!(!verify(b"key", ws, media, &t[..63]));
        assert!(!verify(b"key", ws, media, "zz"));
        assert!(!verify(b"key", ws, media, &"é".repeat(32)));
        let u = url("https://relais.example/", b"key", ws, media);
        assert_eq!(u, format!("https://relais.example/m/{ws}/{media}/{t}"));
    }
}
