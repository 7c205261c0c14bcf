//! Bearer tokens: `tidtam_` and 32 random bytes (base64url). Only the SHA-256
//! of a token is stored, so a leaked table holds no usable token; a token is
//! high-entropy, so a fast hash is enough (passwords use argon2).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The prefix that makes a Tidtam token recognisable (secret scanners, logs).
pub const PREFIX: &str = "tidtam_";

/// A new random token.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored for a token.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The token of an `Authorization: Bearer …` header value.
pub fn from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_read_from_the_header() {
        let a = generate();
        assert!(a.starts_with(PREFIX) && a.len() > 40);
        assert_ne!(a, generate());
        assert_eq!(digest(&a).len(), 32);
        assert_eq!(from_header(&format!("Bearer {a}")), Some(a.as_str()));
        assert_eq!(from_header("Basic abc"), None);
    }
}
