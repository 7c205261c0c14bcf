//! Persisted queries.
//!
//! - Automatic persisted queries (Apollo's APQ): a client sends
//!   `extensions.persistedQuery = {version: 1, sha256Hash}` without the
//!   document; an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND`, the
//!   client sends the document with its hash once, and from then on the hash
//!   is enough, on any server process (they live in PostgreSQL). Short GET
//!   URLs that a CDN can cache.
//! - Persisted-only mode (`--persisted-only`): only the documents of
//!   `queries/` (inside the binary) run, by text or by hash; anything else is
//!   refused with `PERSISTED_QUERY_REQUIRED`. For public dashboards.

use async_graphql::Request;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;

/// Why a request's document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PersistedError {
    #[error("PersistedQueryNotFound: send the query with its sha256Hash once / ไม่พบคำสั่งที่บันทึกไว้ ส่งคำสั่งพร้อมค่าแฮชหนึ่งครั้ง")]
    NotFound,
    #[error("the query's SHA-256 is not the sha256Hash sent / ค่าแฮชไม่ตรงกับคำสั่ง")]
    HashMismatch,
    #[error("this server runs only the documents of queries/ (persisted-only mode) / เซิร์ฟเวอร์นี้รับเฉพาะคำสั่งที่ลงทะเบียนไว้")]
    Required,
    #[error("persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}")]
    Malformed,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl PersistedError {
    /// The stable `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            PersistedError::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            PersistedError::HashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            PersistedError::Required => "PERSISTED_QUERY_REQUIRED",
            PersistedError::Malformed => "BAD_REQUEST",
            PersistedError::Database(_) => crate::error::codes::INTERNAL,
        }
    }

    /// The error to send, over HTTP or a WebSocket alike (a database error
    /// is logged here, once).
    pub fn server_error(&self) -> async_graphql::ServerError {
        if let PersistedError::Database(db) = self {
            tracing::error!(error = %db, "persisted query lookup failed");
        }
        let message = match self {
            // Apollo's clients look for exactly this message.
            PersistedError::NotFound => "PersistedQueryNotFound".to_string(),
            other => other.to_string(),
        };
        let mut error = async_graphql::ServerError::new(message, None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", self.code());
        error.extensions = Some(ext);
        error
    }
}

/// The registered documents and the mode.
pub struct Persisted {
    /// SHA-256 (hex) of each document of `queries/` → its text.
    registered: HashMap<String, &'static str>,
    /// Run only registered documents.
    pub only: bool,
    /// Read replicas, for looking hashes up (see [`Persisted::read_from`]).
    replicas: std::sync::OnceLock<std::sync::Arc<crate::db::replicas::Replicas>>,
}

/// The SHA-256 of a document, in lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Persisted {
    /// The documents of `queries/`; `only` turns on persisted-only mode.
    pub fn new(only: bool) -> Self {
        let registered = super::dashboard::QUERIES
            .iter()
            .map(|(_, text)| (sha256_hex(text), *text))
            .collect();
        Persisted {
            registered,
            only,
            replicas: std::sync::OnceLock::new(),
        }
    }

    /// Looks hashes up on read replicas (the primary when none answers, and
    /// reads go on while the primary is down).
    pub fn read_from(&self, replicas: std::sync::Arc<crate::db::replicas::Replicas>) {
        let _ = self.replicas.set(replicas);
    }

    /// Gives the request its document (from a hash) and checks the mode.
    pub async fn resolve(
        &self,
        pool: &PgPool,
        request: &mut Request,
    ) -> Result<(), PersistedError> {
        match hash_of(request)? {
            Some(hash) if request.query.is_empty() => {
                request.query = self.lookup(pool, &hash).await?;
            }
            Some(hash) => {
                if sha256_hex(&request.query) != hash {
                    return Err(PersistedError::HashMismatch);
                }
                if !self.only && !self.registered.contains_key(&hash) {
                    store(pool, &hash, &request.query).await?;
                }
            }
            None => {}
        }
        if self.only && !self.registered.contains_key(&sha256_hex(&request.query)) {
            return Err(PersistedError::Required);
        }
        Ok(())
    }

    async fn lookup(&self, pool: &PgPool, hash: &str) -> Result<String, PersistedError> {
        if let Some(text) = self.registered.get(hash) {
            return Ok((*text).to_string());
        }
        if self.only {
            return Err(PersistedError::Required);
        }
        // Through a Db: each statement in a transaction (safe behind
        // PgBouncer in transaction mode), on a replica when there is one.
        const FIND: &str = "SELECT query FROM persisted_queries WHERE sha256 = $1";
        let mut db = crate::db::Db::plain(pool);
        if let Some(replicas) = self.replicas.get() {
            db = db.reading_from(replicas, None);
        }
        let mut found: Option<String> = crate::db::query_scalar(FIND)
            .bind(hash)
            .fetch_optional(&db)
            .await?;
        if found.is_none() && db.reads_from_replica() {
            // Stored a moment ago by another process: the replica may not
            // have replayed it yet, and the primary has.
            found = crate::db::query_scalar(FIND)
                .bind(hash)
                .fetch_optional(&crate::db::Db::plain(pool))
                .await?;
        }
        found.ok_or(PersistedError::NotFound)
    }
}

/// The `sha256Hash` of `extensions.persistedQuery`, if the request has one.
fn hash_of(request: &Request) -> Result<Option<String>, PersistedError> {
    let Some(value) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let json = value
        .clone()
        .into_json()
        .map_err(|_| PersistedError::Malformed)?;
    let version = json.get("version").and_then(|v| v.as_i64());
    let hash = json.get("sha256Hash").and_then(|v| v.as_str());
    match (version, hash) {
        (Some(1), Some(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(h.to_ascii_lowercase()))
        }
        _ => Err(PersistedError::Malformed),
    }
}

async fn store(pool: &PgPool, hash: &str, query: &str) -> Result<(), PersistedError> {
    let mut tx = pool.begin().await?;
    crate::db::query(
        "INSERT INTO persisted_queries (sha256, query) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(hash)
    .bind(query)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
