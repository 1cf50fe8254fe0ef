//! Personal data at rest: phone numbers (and anything else that identifies a person) are stored
//! sealed with a key that is not in the database, found by a keyed hash (a blind index), and shown
//! masked (`138****5678`). Revealing or exporting them is an audited action of the caller.
//!
//! The key is 32 random bytes in a file (base64, mode 0600): `--data-key-file`, by default beside
//! a `SQLite` database (`firecast.db.key`) or `firecast.key` in the working folder. It is created
//! on first use. Losing it makes the sealed values unreadable; back it up apart from the database.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::i18n::keyed;
use crate::{Error, Result};

/// The key that seals personal data, and the one that indexes it (derived from the same file).
#[derive(Clone)]
pub struct DataKey {
    cipher: ChaCha20Poly1305,
    index_key: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// The prefix of sealed values, so that a later scheme can sit beside this one.
const SEALED_PREFIX: &str = "v1:";

impl DataKey {
    /// A key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(b"firecast blind index");
        let mut index_key = [0u8; 32];
        index_key.copy_from_slice(&mac.finalize().into_bytes());
        Self { cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)), index_key }
    }

    /// Reads the key file, or creates it (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| anyhow!(keyed("error.data_key_form", &[&path.display().to_string()])))?;
                Ok(Self::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                match publish_private(path, &STANDARD.encode(bytes)) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created a new data key for personal data");
                        Ok(Self::from_bytes(&bytes))
                    }
                    // Another process (or thread) created it first: that key is the one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(path),
                    Err(e) => Err(e).with_context(|| keyed("error.data_key_create", &[&path.display().to_string()])),
                }
            }
            Err(e) => Err(e).with_context(|| keyed("error.data_key_read", &[&path.display().to_string()])),
        }
    }

    /// Seals a value: `v1:` and base64 of a random nonce and the ciphertext.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.cipher.encrypt(&nonce, plain.as_bytes()).unwrap_or_else(|_| unreachable!("in-memory"));
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(bytes))
    }

    /// Opens a sealed value; a value sealed with another key, or damaged, is an internal error.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let broken = || Error::Internal(anyhow!("a sealed value does not open with this data key"));
        let bytes = sealed.strip_prefix(SEALED_PREFIX).and_then(|b| STANDARD.decode(b).ok()).ok_or_else(broken)?;
        if bytes.len() < 12 {
            return Err(broken());
        }
        let (nonce, body) = bytes.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }

    /// The blind index of a value: its HMAC-SHA256 under the index key, hex. Equal values have
    /// equal indexes, so lookups and duplicate checks work without opening anything.
    pub fn index(&self, plain: &str) -> String {
        use std::fmt::Write as _;
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(plain.as_bytes());
        mac.finalize().into_bytes().iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// Writes a whole private file beside `path` and links it into place, so that a reader never
/// sees it half written and two writers cannot both win: the second gets `AlreadyExists`.
fn publish_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.tmp", rand::random::<u64>()));
    let draft = path.with_file_name(name);
    write_private(&draft, text)?;
    let linked = std::fs::hard_link(&draft, path);
    let _ = std::fs::remove_file(&draft);
    linked
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Where the data key lives for a database URL when `--data-key-file` is not given: beside a
/// `SQLite` file, else `firecast.key` in the working folder.
pub fn default_key_path(database_url: &str) -> PathBuf {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .map_or_else(|| PathBuf::from("firecast.key"), |p| PathBuf::from(format!("{p}.key")))
}

/// A mainland China mobile number: 11 digits starting with 1 and 3–9, in its plain form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number, allowing spaces, dashes and a `+86` or `86` prefix.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        let b = digits.as_bytes();
        if b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            Ok(Self(digits.to_owned()))
        } else {
            Err(Error::invalid(field, "error.mobile_number"))
        }
    }

    /// The plain digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as shown to staff: `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks all but the first three and last four characters of a number.
pub fn mask(plain: &str) -> String {
    let chars: Vec<char> = plain.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, rest) = chars.split_at(3);
    let tail = &rest[rest.len() - 4..];
    format!("{}{}{}", head.iter().collect::<String>(), "*".repeat(rest.len() - 4), tail.iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes(&[7; 32])
    }

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let k = key();
        let sealed = k.seal("13812345678");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("13812345678"));
        assert_ne!(sealed, k.seal("13812345678"), "a fresh nonce every time");
        assert_eq!(k.open(&sealed).unwrap(), "13812345678");
        assert!(DataKey::from_bytes(&[8; 32]).open(&sealed).is_err());
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push('A');
        assert!(k.open(&damaged).is_err() || damaged == sealed);
        assert!(k.open("13812345678").is_err());
    }

    #[test]
    fn the_blind_index_is_stable_and_keyed() {
        let k = key();
        assert_eq!(k.index("13812345678"), k.index("13812345678"));
        assert_ne!(k.index("13812345678"), k.index("13812345679"));
        assert_ne!(k.index("13812345678"), DataKey::from_bytes(&[8; 32]).index("13812345678"));
        assert_eq!(k.index("x").len(), 64);
    }

    #[test]
    fn phone_numbers_parse_and_mask() {
        for ok in ["13812345678", "+86 138 1234 5678", "138-1234-5678", "8613812345678"] {
            assert_eq!(PhoneNumber::parse("phone", ok).unwrap().as_str(), "13812345678", "{ok}");
        }
        for bad in ["1381234567", "23812345678", "12812345678", "1381234567x", ""] {
            let err = PhoneNumber::parse("phone", bad).unwrap_err().to_string();
            assert!(err.contains("11 digits"), "{bad}: {err}");
        }
        assert_eq!(PhoneNumber::parse("phone", "13812345678").unwrap().masked(), "138****5678");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn the_key_file_is_created_once_and_reread() {
        let dir = std::env::temp_dir().join(format!("firecast-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.key");
        std::fs::remove_file(&path).ok();
        let a = DataKey::load_or_create(&path).unwrap();
        let b = DataKey::load_or_create(&path).unwrap();
        assert_eq!(b.open(&a.seal("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let err = crate::i18n::Lang::En.message(&DataKey::load_or_create(&path).unwrap_err().to_string());
        assert!(err.contains("should be 32 bytes in base64"), "{err}");
        std::fs::remove_dir_all(dir).ok();
        assert_eq!(default_key_path("sqlite://firecast-demo.db"), PathBuf::from("firecast-demo.db.key"));
        assert_eq!(default_key_path("postgres://u@h/db"), PathBuf::from("firecast.key"));
    }

    #[test]
    fn servers_starting_together_share_one_key() {
        let dir = std::env::temp_dir().join(format!("firecast-key-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for round in 0..20 {
            let path = dir.join(format!("{round}.key"));
            let keys: Vec<DataKey> = std::thread::scope(|s| {
                let starts: Vec<_> = (0..8).map(|_| s.spawn(|| DataKey::load_or_create(&path).unwrap())).collect();
                starts.into_iter().map(|t| t.join().unwrap()).collect()
            });
            let sealed = keys[0].seal("x");
            assert!(keys.iter().all(|k| k.open(&sealed).is_ok()), "round {round}: two keys were made");
        }
        let left: Vec<_> =
            std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
        assert!(left.iter().all(|n| n.ends_with(".key")), "drafts left behind: {left:?}");
        std::fs::remove_dir_all(dir).ok();
    }
}
