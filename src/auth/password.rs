//! Passwords, hashed with argon2id (PHC strings in `accounts.password_hash`).
//!
//! argon2 is slow and memory-hard on purpose (19 MiB per hash with the
//! default parameters), which a crowd of wrong passwords turns against the
//! server: each blocking thread allocating and freeing its own 19 MiB left
//! glibc's arenas holding gigabytes. So (docs/access.md, "Sign-in throttling"):
//!
//! - at most [`permits`] hashes run at once (one per core), behind a semaphore;
//! - they fill buffers from a small pool kept for reuse, never one per call,
//!   so memory stays at permits × 19 MiB however many sign-ins arrive;
//! - an unknown username verifies a dummy hash ([`verify_or_dummy`]), so the
//!   time an answer takes says nothing about which usernames exist.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Verifications done by this process (a test sees that an unknown username
/// costs a verification too).
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// Buffers of argon2 memory kept for reuse, at most one per permit.
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// The number of password verifications this process has done.
pub fn verifications() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

/// How many hashes may run at once: the number of cores.
pub fn permits() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .clamp(1, 16)
}

/// A permit to hash, held by the blocking task itself: a request that gives
/// up (a timeout) does not free its permit while its hash still runs.
async fn permit() -> Option<OwnedSemaphorePermit> {
    static HASHING: OnceLock<Arc<Semaphore>> = OnceLock::new();
    HASHING
        .get_or_init(|| Arc::new(Semaphore::new(permits())))
        .clone()
        .acquire_owned()
        .await
        .ok()
}

/// Runs `f` with a buffer of `blocks` argon2 blocks, taken from the pool (or
/// made) and given back after, so the memory is reused rather than freed.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = BUFFERS
        .lock()
        .ok()
        .and_then(|mut pool| {
            let at = pool.iter().position(|b| b.len() == blocks)?;
            Some(pool.swap_remove(at))
        })
        .unwrap_or_else(|| vec![Block::default(); blocks]);
    let mut buffer = taken;
    let result = f(&mut buffer);
    if let Ok(mut pool) = BUFFERS.lock() {
        if pool.len() < permits() {
            pool.push(buffer);
        }
    }
    result
}

/// Hashes a password with a fresh salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    check(password, stored).unwrap_or(false)
}

/// The work of [`verify`]: the stored hash's own parameters and salt, into a
/// pooled buffer, compared in constant time (`Output`'s equality).
fn check(password: &str, stored: &str) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(stored)?;
    let expected = parsed.hash.ok_or(argon2::password_hash::Error::Password)?;
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    let salt = parsed
        .salt
        .ok_or(argon2::password_hash::Error::SaltInvalid(
            argon2::password_hash::errors::InvalidValue::Malformed,
        ))?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    with_memory(blocks, |memory| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    })?;
    Ok(argon2::password_hash::Output::new(&out)? == expected)
}

/// A hash of no one's password, verified for unknown usernames and accounts
/// without a password, so they take as long as a real check.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        // Hashing cannot fail with the default parameters.
        hash("tidtam: no such account / ไม่มีบัญชีนี้").unwrap_or_default()
    })
}

/// Hashes off the async workers: argon2 is deliberately slow.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    let permit = permit().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash(&password)
    })
    .await?
    .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Verifies off the async workers, one per core at a time.
pub async fn verify_blocking(password: String, stored: String) -> bool {
    verify_or_dummy(password, Some(stored)).await
}

/// Verifies against `stored`, or (`None`: an unknown username, an account
/// without a password) against a dummy hash and answers false, so both take
/// the same time.
pub async fn verify_or_dummy(password: String, stored: Option<String>) -> bool {
    let permit = permit().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match stored {
            Some(stored) => verify(&password, &stored),
            None => {
                verify(&password, dummy_hash());
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = super::hash("ติดตาม-2564").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("ติดตาม-2564", &stored));
        assert!(!super::verify("ติดตาม-2563", &stored));
        assert!(!super::verify("x", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_parses_and_matches_nothing_given() {
        let before = super::verifications();
        assert!(!super::verify("", super::dummy_hash()));
        assert!(super::verifications() > before);
        assert!(argon2::password_hash::PasswordHash::new(super::dummy_hash()).is_ok());
    }
}
