//! Test harness: a fresh PostgreSQL database per test, made quickly from a
//! template database (migrations applied, optionally with the demo loaded).
//!
//! The server is `TIDTAM_TEST_ADMIN_URL` or `DATABASE_URL` (any database on it),
//! else a local server Tidtam can find, else a private cluster started under
//! the temporary folder's `tidtam-test-pgdata` (left running for the next run).
#![allow(dead_code)]

use async_graphql::{Request, Variables};
use sqlx::{Connection, PgConnection, PgPool};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use tidtam::db::locate::{self, LocateOptions};
use tokio::sync::OnceCell;

static ADMIN_URL: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database of its own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub url: String,
}

/// What the template holds.
#[derive(Clone, Copy, Debug)]
pub enum Seed {
    /// Migrations only.
    Empty,
    /// Migrations, the shipped plan hierarchy and the demo.
    Demo,
}

impl TestDb {
    /// A database with the migrations applied and nothing else.
    pub async fn empty() -> TestDb {
        TestDb::new(Seed::Empty).await
    }

    /// A database with the hierarchy and the demo loaded.
    /// A database of random organisations, plans, approvals, e-LAAS figures
    /// and reports (tests/sql/generate_random.sql, seeded: the same each run).
    pub async fn random() -> TestDb {
        let db = TestDb::empty().await;
        sqlx::raw_sql(include_str!("../sql/generate_random.sql"))
            .execute(&db.pool)
            .await
            .unwrap();
        db
    }

    pub async fn demo() -> TestDb {
        TestDb::new(Seed::Demo).await
    }

    async fn new(seed: Seed) -> TestDb {
        let admin = admin_url().await;
        let template = ensure_template(&admin, seed).await;
        let name = format!(
            "tidtam_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to admin database");
        sqlx::query(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .execute(&mut conn)
        .await
        .expect("create test database");
        conn.close().await.ok();
        let url = locate::with_database(&admin, &name).expect("test database url");
        let pool = tidtam::db::connect(&url)
            .await
            .expect("connect to test database");
        TestDb { pool, name, url }
    }

    /// Runs a GraphQL document against the schema, with fresh loaders.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        self.graphql_as("test-officer", query, variables).await
    }

    /// Runs a GraphQL document as `actor`.
    pub async fn graphql_as(
        &self,
        actor: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let schema = tidtam::graphql::build_schema(Some(self.pool.clone()));
        self.graphql_with(
            &schema,
            tidtam::auth::Access::system(actor),
            query,
            variables,
        )
        .await
    }

    /// Runs a GraphQL document as the caller `access` (its role and scope).
    pub async fn graphql_with(
        &self,
        schema: &tidtam::graphql::TidtamSchema,
        access: tidtam::auth::Access,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = schema
            .execute(tidtam::graphql::prepare(request, &self.pool, access))
            .await;
        serde_json::to_value(&response).expect("response as JSON")
    }

    /// Serves the whole HTTP surface on a free loopback port; returns its base URL.
    pub async fn serve(&self) -> String {
        let schema = tidtam::graphql::build_schema(Some(self.pool.clone()));
        self.serve_with(tidtam::http::AppState::new(schema, self.pool.clone()))
            .await
    }

    /// Serves the HTTP surface as `tidtam serve` does, with the analytics
    /// listening for other writers' notifications (live subscriptions).
    pub async fn serve_live(&self) -> String {
        let analytics = tidtam::analytics::Analytics::new(self.pool.clone());
        analytics.listen();
        let schema = tidtam::graphql::build_schema_with(Some(self.pool.clone()), Some(analytics));
        self.serve_with(tidtam::http::AppState::new(schema, self.pool.clone()))
            .await
    }

    /// Serves the HTTP surface with a rate limit of `per_minute` requests per
    /// caller and the default for every other limit.
    pub async fn serve_rate_limited(&self, per_minute: u32) -> String {
        let schema = tidtam::graphql::build_schema(Some(self.pool.clone()));
        let mut state = tidtam::http::AppState::new(schema, self.pool.clone());
        state.limits = std::sync::Arc::new(tidtam::http::ServerLimits {
            rate: tidtam::auth::rate::RateLimits::new(per_minute),
            ..Default::default()
        });
        self.serve_with(state).await
    }

    /// Serves the HTTP surface with the given state (limits of a test's choosing).
    pub async fn serve_with(&self, state: tidtam::http::AppState) -> String {
        let app = tidtam::http::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    /// Serves the HTTP surface through the server's own accept loop (as
    /// `tidtam serve` does), with slow clients held to `limits`.
    pub async fn serve_guarded(
        &self,
        state: tidtam::http::AppState,
        limits: tidtam::http::connections::ConnectionLimits,
    ) -> String {
        let app = tidtam::http::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(tidtam::http::connections::serve(
            listener,
            app,
            limits,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    /// A fresh API token of a (demo) account, as `tidtam token create` makes it.
    pub async fn token(&self, username: &str) -> String {
        let account = tidtam::auth::store::account_by_username(&self.pool, username)
            .await
            .expect("read the account")
            .unwrap_or_else(|| panic!("no account {username}"));
        let (token, _) = tidtam::auth::store::create_token(
            &self.pool,
            "test",
            account.id,
            "api",
            "test",
            std::time::Duration::from_secs(3600),
        )
        .await
        .expect("create a token");
        token
    }

    /// Runs a document and fails the test on any GraphQL error.
    pub async fn graphql_ok(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let value = self.graphql(query, variables).await;
        assert!(
            value.get("errors").is_none(),
            "unexpected errors: {value:#}"
        );
        value["data"].clone()
    }
}

/// The URL of a maintenance database on the test server.
pub async fn admin_url() -> String {
    ADMIN_URL
        .get_or_init(|| async {
            let explicit = std::env::var("TIDTAM_TEST_ADMIN_URL")
                .ok()
                .or_else(|| std::env::var("DATABASE_URL").ok())
                .and_then(|u| locate::with_database(&u, "postgres"));
            let mut options = LocateOptions::from_env(explicit);
            options.database = "postgres".into();
            options.data_dir = std::env::temp_dir().join("tidtam-test-pgdata");
            let mut located = locate::locate(&options)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if let Some(cluster) = located.cluster.as_mut() {
                cluster.keep_running();
            }
            drop_stale_databases(&located.url).await;
            located.url
        })
        .await
        .clone()
}

/// Drops test databases left by test processes that are gone.
async fn drop_stale_databases(admin: &str) {
    let Ok(mut conn) = PgConnection::connect(admin).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'tidtam\\_t\\_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or("");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A template named after a hash of everything it is built from, made once
/// (under an advisory lock, so parallel test processes agree).
async fn ensure_template(admin: &str, seed: Seed) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for m in tidtam::db::MIGRATOR.iter() {
        m.checksum.hash(&mut hasher);
    }
    if matches!(seed, Seed::Demo) {
        tidtam::demo::DEMO_TOML.hash(&mut hasher);
        for (edition, text) in tidtam::strategy::load::shipped() {
            edition.code.hash(&mut hasher);
            text.hash(&mut hasher);
        }
    }
    let name = format!("tidtam_tpl_{:?}_{:x}", seed, hasher.finish()).to_lowercase();
    let mut conn = PgConnection::connect(admin)
        .await
        .expect("connect to admin database");
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
        .bind(&name)
        .execute(&mut conn)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("look up template");
    if !exists {
        build_template(&mut conn, admin, &name, seed).await;
    }
    sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
        .bind(&name)
        .execute(&mut conn)
        .await
        .expect("unlock");
    conn.close().await.ok();
    name
}

async fn build_template(conn: &mut PgConnection, admin: &str, name: &str, seed: Seed) {
    let building = format!("{name}_building");
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
    ))
    .execute(&mut *conn)
    .await
    .expect("drop half-built template");
    sqlx::query(&format!("CREATE DATABASE \"{building}\""))
        .execute(&mut *conn)
        .await
        .expect("create template");
    let url = locate::with_database(admin, &building).expect("template url");
    let pool = tidtam::db::connect(&url)
        .await
        .expect("connect to template");
    tidtam::db::migrate(&pool).await.expect("migrate template");
    if matches!(seed, Seed::Demo) {
        tidtam::strategy::load::load_shipped(&pool)
            .await
            .expect("load hierarchy");
        tidtam::demo::load(&pool).await.expect("load demo");
    }
    pool.close().await;
    sqlx::query(&format!(
        "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
    ))
    .execute(&mut *conn)
    .await
    .expect("publish template");
}

/// Sends `file` as a GraphQL multipart request (the e-LAAS upload) of
/// `query`, whose `$file` variable is the file, with the header that forces a
/// CORS preflight and, if given, a token.
pub async fn upload(
    base: &str,
    query: &str,
    file: &[u8],
    token: Option<&str>,
) -> reqwest::Response {
    let boundary = "tidtam-test-boundary";
    let operations = serde_json::json!({"query": query, "variables": {"file": null}}).to_string();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"elaas.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("x-tidtam-csrf", "1")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the upload is sent")
}
