//! Persisted queries.
//!
//! - Automatic persisted queries (Apollo's APQ): a client sends
//!   `extensions.persistedQuery = {version: 1, sha256Hash}` without the
//!   document; an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND`, the
//!   client sends the document with its hash once, and from then on the hash
//!   is enough, on any server process (they live in PostgreSQL). Short GET
//!   URLs that a CDN can cache.
//! - Bounded: a document is stored only once it parsed and validated
//!   against the schema (the validation step stores it, so an invalid one
//!   never is), at most [`Cap`] documents and bytes of them, the least
//!   recently used evicted first. The documents of `queries/` live in the
//!   binary and are never evicted; rows marked `pinned` (an operator's) are
//!   never evicted and do not count.
//! - Persisted-only mode (`--persisted-only`): only the documents of
//!   `queries/` (inside the binary) run, by text or by hash; anything else is
//!   refused with `PERSISTED_QUERY_REQUIRED`. For public dashboards.

use async_graphql::Request;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Why a request's document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PersistedError {
    #[error("PersistedQueryNotFound: send the query with its sha256Hash once / ไม่พบคำสั่งที่บันทึกไว้ ส่งคำสั่งพร้อมค่าแฮชหนึ่งครั้ง")]
    NotFound,
    #[error("the query's SHA-256 is not the sha256Hash sent / ค่าแฮชไม่ตรงกับคำสั่ง")]
    HashMismatch,
    #[error("this server runs only the documents of queries/ (persisted-only mode) / เซิร์ฟเวอร์นี้รับเฉพาะคำสั่งที่ลงทะเบียนไว้")]
    Required,
    #[error("persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}} / persistedQuery ต้องมี version 1 และ sha256Hash (เลขฐานสิบหก 64 หลัก)")]
    Malformed,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("storing the document failed: {0} / บันทึกคำสั่งไม่สำเร็จ")]
    Store(String),
    #[error("the persisted-query writer failed / ระบบบันทึกคำสั่งขัดข้อง")]
    Poisoned,
}

impl PersistedError {
    /// The stable `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            PersistedError::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            PersistedError::HashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            PersistedError::Required => "PERSISTED_QUERY_REQUIRED",
            PersistedError::Malformed => "BAD_REQUEST",
            PersistedError::Database(_) | PersistedError::Store(_) | PersistedError::Poisoned => {
                crate::error::codes::INTERNAL
            }
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
    /// How many stored documents, and how many bytes of them, are kept.
    cap: Cap,
    /// Stores registrations, many in one transaction.
    writer: Arc<Writer>,
}

/// The bound of the stored (automatic) persisted queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    pub documents: i64,
    pub bytes: i64,
}

/// Documents kept by default: far more than the dashboards and BI tools of
/// one deployment send, far fewer than would weigh on the table.
pub const DEFAULT_MAX_DOCUMENTS: i64 = 10_000;
/// Bytes of documents kept by default (16 MiB).
pub const DEFAULT_MAX_BYTES: i64 = 16 * 1024 * 1024;

impl Default for Cap {
    fn default() -> Self {
        Cap {
            documents: DEFAULT_MAX_DOCUMENTS,
            bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A document sent with its hash, to be stored once the schema has
/// validated it (src/graphql/limits.rs calls [`Registration::store`]).
pub struct Registration {
    hash: String,
    query: String,
    pool: PgPool,
    cap: Cap,
    writer: Arc<Writer>,
}

impl Registration {
    /// Stores the document (or marks it used) and evicts the least recently
    /// used documents over the cap; returns once that is committed.
    /// Registrations that arrive together are written in one transaction
    /// (a group commit): one writer task at a time, so evictions never race.
    pub async fn store(&self) -> Result<(), PersistedError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        let lead = {
            let mut state = self
                .writer
                .state
                .lock()
                .map_err(|_| PersistedError::Poisoned)?;
            state
                .queue
                .push((self.hash.clone(), self.query.clone(), done));
            !std::mem::replace(&mut state.writing, true)
        };
        if lead {
            // A task of its own: a request that goes away mid-write leaves
            // the queue written all the same.
            tokio::spawn(write_queue(
                self.writer.clone(),
                self.pool.clone(),
                self.cap,
            ));
        }
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(PersistedError::Store(e)),
            Err(_) => Err(PersistedError::Store("the writer stopped".into())),
        }
    }
}

/// Registrations waiting to be written, and hashes run since the last write
/// (their `used_at` is brought up to date then, so that running by hash
/// costs no write of its own).
#[derive(Default)]
struct Writer {
    state: Mutex<WriterState>,
}

type Waiting = (
    String,
    String,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

#[derive(Default)]
struct WriterState {
    queue: Vec<Waiting>,
    touched: HashSet<String>,
    /// A writer task is running.
    writing: bool,
}

/// Most registrations written in one transaction.
const MAX_WRITE: usize = 1000;

/// Writes the queue, a transaction at a time, until it is empty.
async fn write_queue(writer: Arc<Writer>, pool: PgPool, cap: Cap) {
    loop {
        let (batch, touched) = {
            let Ok(mut state) = writer.state.lock() else {
                return;
            };
            if state.queue.is_empty() {
                state.writing = false;
                return;
            }
            let take = state.queue.len().min(MAX_WRITE);
            let batch: Vec<Waiting> = state.queue.drain(..take).collect();
            let touched: Vec<String> = state.touched.drain().collect();
            (batch, touched)
        };
        let documents: Vec<(&str, &str)> = batch
            .iter()
            .map(|(hash, query, _)| (hash.as_str(), query.as_str()))
            .collect();
        let result = store(&pool, &documents, cap, &touched)
            .await
            .map_err(|e| e.to_string());
        for (_, _, done) in batch {
            let _ = done.send(result.clone());
        }
    }
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
            cap: Cap::default(),
            writer: Arc::default(),
        }
    }

    /// The same with another bound on the stored documents.
    pub fn with_cap(mut self, cap: Cap) -> Self {
        self.cap = cap;
        self
    }

    /// The registration of a document sent with its hash, as the
    /// validation step stores it (for tools that register without a
    /// request, and for tests).
    pub fn registration(&self, pool: &PgPool, hash: &str, query: &str) -> Registration {
        Registration {
            hash: hash.to_string(),
            query: query.to_string(),
            pool: pool.clone(),
            cap: self.cap,
            writer: self.writer.clone(),
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
                    // Stored only once the schema has validated it.
                    let registration = self.registration(pool, &hash, &request.query);
                    let taken = std::mem::replace(request, Request::new(""));
                    *request = taken.data(registration);
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
        if found.is_some() {
            if let Ok(mut state) = self.writer.state.lock() {
                state.touched.insert(hash.to_string());
            }
        }
        found.ok_or(PersistedError::NotFound)
    }
}

/// Pins an operator's document: stored by its hash, never evicted, not
/// counted against the cap (`tidtam serve --pin-queries DIR`). It must
/// parse; it is validated as any document is, when it runs.
pub async fn pin(pool: &PgPool, query: &str) -> Result<String, PersistedError> {
    async_graphql::parser::parse_query(query).map_err(|_| PersistedError::Malformed)?;
    let hash = sha256_hex(query);
    crate::db::query(
        "INSERT INTO persisted_queries (sha256, query, pinned) VALUES ($1, $2, true) \
         ON CONFLICT (sha256) DO UPDATE SET pinned = true",
    )
    .bind(&hash)
    .bind(query)
    .execute(pool)
    .await?;
    Ok(hash)
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

/// Writes registrations in one transaction: the hashes run since the last
/// write are marked used, the documents stored (or marked used), and the
/// least recently used others evicted until the table holds at most the
/// cap's documents and bytes (pinned rows aside).
async fn store(
    pool: &PgPool,
    documents: &[(&str, &str)],
    cap: Cap,
    touched: &[String],
) -> Result<(), PersistedError> {
    // Larger than the whole cap: never stored (run by text instead); the
    // same hash twice in one write: once.
    let mut unique: HashMap<&str, &str> = HashMap::new();
    for (hash, query) in documents {
        if i64::try_from(query.len()).is_ok_and(|n| n <= cap.bytes) {
            unique.insert(hash, query);
        }
    }
    let hashes: Vec<&str> = unique.keys().copied().collect();
    let queries: Vec<&str> = hashes.iter().map(|h| unique[h]).collect();
    let mut tx = pool.begin().await?;
    // One write at a time across processes too (two evictions could each
    // miss the other's insert); the commit does not wait for the WAL
    // flush: a registration lost in a crash is sent again by its client,
    // who gets PERSISTED_QUERY_NOT_FOUND.
    crate::db::query(
        "SELECT set_config('synchronous_commit', 'off', true), \
                pg_advisory_xact_lock(hashtext('tidtam_persisted_queries'))",
    )
    .execute(&mut *tx)
    .await?;
    if !touched.is_empty() {
        crate::db::query("UPDATE persisted_queries SET used_at = now() WHERE sha256 = ANY($1)")
            .bind(touched)
            .execute(&mut *tx)
            .await?;
    }
    crate::db::query(
        "INSERT INTO persisted_queries (sha256, query) \
         SELECT * FROM unnest($1::text[], $2::text[]) \
         ON CONFLICT (sha256) DO UPDATE SET used_at = now()",
    )
    .bind(&hashes)
    .bind(&queries)
    .execute(&mut *tx)
    .await?;
    crate::db::query(
        "DELETE FROM persisted_queries WHERE sha256 IN ( \
           SELECT sha256 FROM ( \
             SELECT sha256, row_number() OVER w AS n, sum(octet_length(query)) OVER w AS bytes \
             FROM persisted_queries WHERE NOT pinned \
             WINDOW w AS (ORDER BY used_at DESC, sha256) \
           ) ranked WHERE n > $1 OR bytes > $2)",
    )
    .bind(cap.documents)
    .bind(cap.bytes)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
