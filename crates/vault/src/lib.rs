//! Secrets at rest. Network tokens, app passwords and OAuth client secrets are stored sealed:
//! XChaCha20-Poly1305 under a 256-bit key that never enters the database.
//!
//! Where the key comes from, in order: the config's `secret_key` / `RELAIS_SECRET_KEY` (base64
//! of 32 bytes; required when several machines share one PostgreSQL), else a `secret.key` file
//! beside the SQLite database, made on first use with mode 0600. Losing the key loses the sealed
//! secrets (the channels must then be connected again), so back it up with the database.
//!
//! A sealed value reads `v1.<key id>.<base64(nonce ‖ ciphertext)>`. The key id (the first bytes
//! of the key's SHA-256) lets Relais say "sealed under another key" instead of a vague failure.
//! Each value is bound to where it is stored (its "context", such as `channel:<id>:password`),
//! so a sealed value copied into another row does not open there.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error(
        "the secret key is not valid: {0}; it must be the base64 of 32 random bytes (make one with `relais config secret-key`)"
    )]
    BadKey(String),
    #[error(
        "no secret key: set `secret_key` in the config or RELAIS_SECRET_KEY (make one with `relais config secret-key`)"
    )]
    NoKey,
    #[error("cannot read or create the key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error(
        "this secret was sealed under another key (key id {found}, this Relais has {ours}); restore the key it was sealed with, or connect the channel again"
    )]
    WrongKey { found: String, ours: String },
    #[error(
        "this sealed secret is damaged or was moved from where it was stored; connect the channel again"
    )]
    Damaged,
}

/// The key, able to seal and open. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
    key_id: String,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vault(key id {})", self.key_id)
    }
}

/// A fresh key, base64-encoded, for the config file.
pub fn generate_key() -> Result<String, VaultError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| VaultError::BadKey(format!("no randomness: {e}")))?;
    Ok(STANDARD.encode(key))
}

impl Vault {
    pub fn from_base64(key: &str) -> Result<Self, VaultError> {
        let bytes = STANDARD
            .decode(key.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(key.trim()))
            .map_err(|_| VaultError::BadKey("not base64".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| VaultError::BadKey(format!("{} bytes instead of 32", b.len())))?;
        Ok(Self::from_bytes(&key))
    }

    pub fn from_bytes(key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        let key_id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
            key_id,
        }
    }

    /// The configured key, else the key file at `file` (made on first use), else an error.
    pub fn load(configured: Option<&str>, file: Option<&Path>) -> Result<Self, VaultError> {
        if let Some(k) = configured.filter(|k| !k.trim().is_empty()) {
            return Self::from_base64(k);
        }
        let Some(path) = file else {
            return Err(VaultError::NoKey);
        };
        let fail = |reason: String| VaultError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = generate_key()?;
                write_private(path, &key).map_err(|e| fail(e.to_string()))?;
                Self::from_base64(&key)
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Seals `secret` for storage at `context`.
    pub fn seal(&self, context: &str, secret: &str) -> Result<String, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| VaultError::BadKey(format!("no randomness: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}.{}.{}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(blob)
        ))
    }

    /// Opens a value sealed at the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, VaultError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(VaultError::Damaged);
        };
        if kid != self.key_id {
            return Err(VaultError::WrongKey {
                found: kid.to_owned(),
                ours: self.key_id.clone(),
            });
        }
        let blob = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::Damaged)?;
        if blob.len() < NONCE_LEN {
            return Err(VaultError::Damaged);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        String::from_utf8(plain).map_err(|_| VaultError::Damaged)
    }
}

impl Vault {
    /// Seals every value of a map, each bound to `"{prefix}:{key}"`.
    pub fn seal_all(
        &self,
        prefix: &str,
        secrets: &std::collections::BTreeMap<String, String>,
    ) -> Result<std::collections::BTreeMap<String, String>, VaultError> {
        secrets
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.seal(&format!("{prefix}:{k}"), v)?)))
            .collect()
    }

    /// Opens every value sealed by [`Vault::seal_all`] with the same prefix.
    pub fn open_all(
        &self,
        prefix: &str,
        sealed: &std::collections::BTreeMap<String, String>,
    ) -> Result<std::collections::BTreeMap<String, String>, VaultError> {
        sealed
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.open(&format!("{prefix}:{k}"), v)?)))
            .collect()
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::from_bytes(&[7u8; 32])
    }

    #[test]
    fn seals_and_opens_at_the_same_context_only() {
        let v = vault();
        let sealed = v.seal("channel:1:password", "app-pass-1234").unwrap();
        assert!(sealed.starts_with(&format!("v1.{}.", v.key_id())));
        assert!(
            !sealed.contains("app-pass"),
            "the secret is not readable in storage"
        );
        assert_eq!(
            v.open("channel:1:password", &sealed).unwrap(),
            "app-pass-1234"
        );
        assert_eq!(
            v.open("channel:2:password", &sealed),
            Err(VaultError::Damaged),
            "moved to another row"
        );
        assert_ne!(
            sealed,
            v.seal("channel:1:password", "app-pass-1234").unwrap(),
            "fresh nonce each time"
        );
    }

    #[test]
    fn maps_seal_field_by_field() {
        let v = vault();
        let plain: std::collections::BTreeMap<String, String> = [
            ("app_password".to_owned(), "abcd".to_owned()),
            ("access_jwt".to_owned(), "ey…".to_owned()),
        ]
        .into();
        let sealed = v.seal_all("channel:1", &plain).unwrap();
        assert!(sealed.values().all(|s| s.starts_with("v1.")));
        assert_eq!(v.open_all("channel:1", &sealed).unwrap(), plain);
        assert!(v.open_all("channel:2", &sealed).is_err());
        let mut swapped = sealed.clone();
        let a = sealed["app_password"].clone();
        swapped.insert("access_jwt".into(), a);
        assert!(
            v.open_all("channel:1", &swapped).is_err(),
            "fields cannot be swapped"
        );
    }

    #[test]
    fn another_key_is_named_and_tampering_is_caught() {
        let sealed = vault().seal("c", "s").unwrap();
        let other = Vault::from_bytes(&[8u8; 32]);
        assert!(matches!(
            other.open("c", &sealed),
            Err(VaultError::WrongKey { .. })
        ));
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(vault().open("c", &tampered), Err(VaultError::Damaged));
        for junk in ["", "v1", "v1.x", "v2.abc.def", "v1.a1b2c3d4.!!!"] {
            assert!(vault().open("c", junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn keys_come_from_config_or_a_private_file() {
        let key = generate_key().unwrap();
        let a = Vault::load(Some(&key), None).unwrap();
        assert_eq!(a.key_id(), Vault::from_base64(&key).unwrap().key_id());
        assert_eq!(Vault::load(None, None).unwrap_err(), VaultError::NoKey);
        assert!(matches!(
            Vault::load(Some("c2hvcnQ="), None),
            Err(VaultError::BadKey(_))
        ));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/secret.key");
        let made = Vault::load(None, Some(&path)).unwrap();
        let again = Vault::load(None, Some(&path)).unwrap();
        assert_eq!(
            made.key_id(),
            again.key_id(),
            "the file is made once, then reused"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "only the owner reads the key");
        }
        assert!(!format!("{made:?}").contains(&std::fs::read_to_string(&path).unwrap()[..10]));
    }
}
