//! Secrets at rest: header secret values, signing secrets and the session-cookie key are
//! stored sealed (AES-256-GCM) under a key kept outside the database — in
//! `HOOKLINE_SECRET_KEY`, or a key file beside the database made on first start — so that a
//! copy of the database alone gives nothing usable. A keyring holds the current key, which
//! seals, and older ones, which still open what they sealed until it is sealed again.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

/// Every sealed value starts so: version 1, then the key's id.
const PREFIX: &str = "hkl1:";
const KEY_BYTES: usize = 32;

/// What a sealed value is for, bound into its seal: a value moved to another column, or
/// another use, does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SigningSecret,
    HeaderValue,
    SessionKey,
    /// A known value sealed once, to tell at start whether the keys fit the database.
    KeyCheck,
}

impl Purpose {
    fn aad(self) -> &'static [u8] {
        match self {
            Purpose::SigningSecret => b"hookline/webhook/signing-secret",
            Purpose::HeaderValue => b"hookline/webhook/header-value",
            Purpose::SessionKey => b"hookline/session-key",
            Purpose::KeyCheck => b"hookline/key-check",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("a stored secret was sealed with key {0}, which is not among the keys given")]
    UnknownKey(String),
    #[error("a stored secret is damaged or was not sealed for this use")]
    Damaged,
}

struct Key {
    id: String,
    aead: LessSafeKey,
}

impl Key {
    fn from_bytes(bytes: &[u8]) -> anyhow::Result<Key> {
        ensure!(
            bytes.len() == KEY_BYTES,
            "a secret key is {KEY_BYTES} bytes, base64-encoded (`hookline secrets new-key` makes one)"
        );
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow::anyhow!("unusable key"))?,
        );
        Ok(Key {
            id: hex::encode(&Sha256::digest(bytes)[..4]),
            aead,
        })
    }
}

/// The keys in use, the current one first.
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "Keyring {ids:?}")
    }
}

/// A fresh key, base64-encoded, as a key file or `HOOKLINE_SECRET_KEY` holds it.
pub fn new_key() -> String {
    STANDARD.encode(crate::random::bytes::<KEY_BYTES>())
}

impl Keyring {
    /// Keys as base64 text, separated by commas, spaces or new lines (lines starting with
    /// `#` left out); the first seals.
    pub fn parse(text: &str) -> anyhow::Result<Keyring> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('#'))
            .flat_map(|line| line.split([',', ' ', '\t']))
            .filter(|k| !k.is_empty())
            .map(|k| {
                let bytes = STANDARD
                    .decode(k)
                    .or_else(|_| URL_SAFE_NO_PAD.decode(k))
                    .context("a secret key is not valid base64")?;
                Key::from_bytes(&bytes)
            })
            .collect::<anyhow::Result<Vec<Key>>>()?;
        ensure!(!keys.is_empty(), "no secret key given");
        Ok(Keyring { keys })
    }

    /// The id of the key that seals, as sealed values name it.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn seal(&self, plain: &str, purpose: Purpose) -> String {
        let key = &self.keys[0];
        let nonce = crate::random::bytes::<NONCE_LEN>();
        let mut sealed = plain.as_bytes().to_vec();
        key.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.aad()),
                &mut sealed,
            )
            .expect("sealing a value of any length succeeds");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", key.id, URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str, purpose: Purpose) -> Result<String, OpenError> {
        let (id, body) = sealed
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .ok_or(OpenError::Damaged)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Damaged)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[..NONCE_LEN]);
        let plain = key
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.aad()),
                &mut bytes[NONCE_LEN..],
            )
            .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain.to_vec()).map_err(|_| OpenError::Damaged)
    }

    /// Whether `value` is sealed under the current key (re-sealing can skip it).
    pub fn is_current(&self, value: &str) -> bool {
        value
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.current_id())
    }
}

/// Where the keys come from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `HOOKLINE_SECRET_KEY`: keys given by the operator (several instances share them).
    Given(crate::domain::Secret),
    /// A key file, made with a fresh key on first start when missing.
    File(PathBuf),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Given(_) => f.write_str("HOOKLINE_SECRET_KEY"),
            KeySource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl KeySource {
    /// The key file beside a SQLite database (`hookline.db` → `hookline.db.key`), or
    /// `hookline.key` in the working directory for any other database.
    pub fn file_beside(database_url: &str) -> PathBuf {
        let path = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|p| !p.is_empty() && !p.starts_with(':'));
        match path {
            Some(db) => PathBuf::from(format!("{db}.key")),
            None => PathBuf::from("hookline.key"),
        }
    }

    /// The keyring, if the keys exist; None for a key file not made yet.
    pub fn load(&self) -> anyhow::Result<Option<Keyring>> {
        match self {
            KeySource::Given(text) => Keyring::parse(text.expose())
                .context("HOOKLINE_SECRET_KEY is not a usable key")
                .map(Some),
            KeySource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => Keyring::parse(&text)
                    .with_context(|| format!("the key file {} is not usable", path.display()))
                    .map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
            },
        }
    }

    /// Writes `keys` (base64, the current one first) as the key file, readable by its owner
    /// only, replacing any: written beside it, synced, then renamed over it, so that a crash
    /// leaves the old file or the new one, never half of one.
    pub fn write_file(path: &Path, keys: &[String]) -> anyhow::Result<()> {
        let next = path.with_extension("key.next");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&next)
            .with_context(|| format!("cannot write the key file {}", next.display()))?;
        writeln!(
            file,
            "# Hookline's secret keys (the first seals; the others still open). Keep this file with\n# the database and back it up apart from it: without it, stored secrets cannot be read."
        )?;
        for key in keys {
            writeln!(file, "{key}")?;
        }
        file.sync_all()?;
        std::fs::rename(&next, path)
            .with_context(|| format!("cannot put the key file in place at {}", path.display()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// The keys of a key file as written, current first (comments left out).
    pub fn file_keys(path: &Path) -> anyhow::Result<Vec<String>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect())
    }
}

/// Refuses a key source that cannot be right, before anything is written.
pub fn check_source(source: &KeySource) -> anyhow::Result<()> {
    if let KeySource::File(path) = source
        && path.is_dir()
    {
        bail!("the key file {} is a directory", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::parse(&new_key()).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_for_its_purpose() {
        let keys = ring();
        let sealed = keys.seal("whsec_abc", Purpose::SigningSecret);
        assert!(sealed.starts_with(&format!("hkl1:{}:", keys.current_id())));
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(
            keys.open(&sealed, Purpose::SigningSecret).unwrap(),
            "whsec_abc"
        );
        assert_eq!(
            keys.open(&sealed, Purpose::HeaderValue),
            Err(OpenError::Damaged)
        );
        let other = ring();
        assert!(matches!(
            other.open(&sealed, Purpose::SigningSecret),
            Err(OpenError::UnknownKey(_))
        ));
        // One character in the middle of the sealed bytes changed (never a padding bit).
        let middle = sealed.len() - 10;
        let swapped = if &sealed[middle..=middle] == "A" {
            "B"
        } else {
            "A"
        };
        let tampered = format!("{}{swapped}{}", &sealed[..middle], &sealed[middle + 1..]);
        assert!(keys.open(&tampered, Purpose::SigningSecret).is_err());
        assert_ne!(
            keys.seal("same", Purpose::HeaderValue),
            keys.seal("same", Purpose::HeaderValue),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn an_older_key_still_opens_what_it_sealed() {
        let (old, new) = (new_key(), new_key());
        let before = Keyring::parse(&old).unwrap();
        let sealed = before.seal("secret", Purpose::HeaderValue);
        let after = Keyring::parse(&format!("{new},{old}")).unwrap();
        assert_eq!(after.open(&sealed, Purpose::HeaderValue).unwrap(), "secret");
        assert!(!after.is_current(&sealed));
        assert!(after.is_current(&after.seal("x", Purpose::HeaderValue)));
    }

    #[test]
    fn bad_keys_are_refused_clearly() {
        assert!(Keyring::parse("").is_err());
        assert!(Keyring::parse("not base64!").is_err());
        assert!(Keyring::parse(&STANDARD.encode([1u8; 16])).is_err());
    }

    #[test]
    fn the_key_file_sits_beside_a_sqlite_database() {
        assert_eq!(
            KeySource::file_beside("sqlite://data/hookline.db"),
            PathBuf::from("data/hookline.db.key")
        );
        assert_eq!(
            KeySource::file_beside("sqlite:///var/lib/h.db?mode=rwc"),
            PathBuf::from("/var/lib/h.db.key")
        );
        assert_eq!(
            KeySource::file_beside("postgres://db/hookline"),
            PathBuf::from("hookline.key")
        );
    }
}
