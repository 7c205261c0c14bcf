//! Finding a PostgreSQL without set-up, in this order:
//! 1. `DATABASE_URL` (or `--database-url`) when given;
//! 2. a server on the local socket or on `127.0.0.1:5432`, where Tidtam makes
//!    its own database;
//! 3. where PostgreSQL's server programs (`initdb`, `pg_ctl`) are installed, a
//!    private cluster under a data folder of Tidtam's, started now and stopped
//!    when the returned [`Located`] is dropped;
//! 4. otherwise an error that says exactly what to install.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

/// Why no database could be found or started.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(
        "ไม่พบ PostgreSQL / no PostgreSQL found.\n\
         Tidtam looked for DATABASE_URL, a server on the local socket or 127.0.0.1:5432, \
         and PostgreSQL's server programs (initdb, pg_ctl) to start a private one.\n\
         Install PostgreSQL (version 13 or newer), then run the same command again:\n  \
         Debian/Ubuntu:  sudo apt-get install postgresql\n  \
         Fedora:         sudo dnf install postgresql-server\n  \
         macOS:          brew install postgresql@16\n\
         or point Tidtam at a server you have: DATABASE_URL=postgres://user@host:5432/tidtam"
    )]
    NothingFound,
    #[error("could not start a private PostgreSQL in {dir}: {why}")]
    PrivateCluster { dir: PathBuf, why: String },
    #[error("{0}")]
    Database(#[from] sqlx::Error),
}

/// Where to look; each branch can be switched off (tests use that).
#[derive(Debug, Clone)]
pub struct LocateOptions {
    /// An explicit URL (from `DATABASE_URL` or a flag).
    pub url: Option<String>,
    /// Server URLs to probe, each naming the maintenance database.
    pub probe: Vec<String>,
    /// Folders to search for `initdb` and `pg_ctl`; empty switches the branch off.
    pub server_bin_dirs: Vec<PathBuf>,
    /// The data folder of the private cluster.
    pub data_dir: PathBuf,
    /// The database Tidtam uses on a probed or private server.
    pub database: String,
}

impl LocateOptions {
    /// The defaults: the environment, the usual places, `.tidtam/pgdata`.
    pub fn from_env(url: Option<String>) -> Self {
        LocateOptions {
            url,
            probe: vec![
                "postgres:///postgres?host=/var/run/postgresql&user=postgres".into(),
                "postgres://postgres@127.0.0.1:5432/postgres".into(),
            ],
            server_bin_dirs: default_bin_dirs(),
            data_dir: std::env::var_os("TIDTAM_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_data_dir),
            database: "tidtam".into(),
        }
    }
}

/// A database URL, and the private cluster behind it if Tidtam started one.
#[derive(Debug)]
pub struct Located {
    pub url: String,
    /// How it was found, for the start-up log line.
    pub how: &'static str,
    pub cluster: Option<PrivateCluster>,
}

/// Finds or starts a PostgreSQL; see the module documentation for the order.
pub async fn locate(opts: &LocateOptions) -> Result<Located, LocateError> {
    if let Some(url) = &opts.url {
        return Ok(Located {
            url: url.clone(),
            how: "DATABASE_URL",
            cluster: None,
        });
    }
    for candidate in &opts.probe {
        if let Some(url) = probe(candidate, &opts.database).await {
            return Ok(Located {
                url,
                how: "a local PostgreSQL server",
                cluster: None,
            });
        }
    }
    let Some(bin) = find_server_bin(&opts.server_bin_dirs) else {
        return Err(LocateError::NothingFound);
    };
    let cluster = PrivateCluster::start(&bin, &opts.data_dir)?;
    let admin = cluster.url("postgres");
    ensure_database(&admin, &opts.database).await?;
    Ok(Located {
        url: cluster.url(&opts.database),
        how: "a private PostgreSQL started by Tidtam",
        cluster: Some(cluster),
    })
}

/// Connects to a maintenance-database URL; on success makes sure `database`
/// exists there and returns its URL.
async fn probe(admin_url: &str, database: &str) -> Option<String> {
    let options = PgConnectOptions::from_str(admin_url).ok()?;
    let connect = PgConnection::connect_with(&options);
    let mut conn = tokio::time::timeout(Duration::from_secs(3), connect)
        .await
        .ok()?
        .ok()?;
    create_database_if_missing(&mut conn, database).await.ok()?;
    conn.close().await.ok()?;
    with_database(admin_url, database)
}

/// The same URL naming another database.
pub fn with_database(url: &str, database: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_path(&format!("/{database}"));
    Some(parsed.to_string())
}

async fn ensure_database(admin_url: &str, database: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(admin_url).await?;
    create_database_if_missing(&mut conn, database).await?;
    conn.close().await
}

/// `CREATE DATABASE` has no `IF NOT EXISTS`; a concurrent creator is fine.
pub async fn create_database_if_missing(
    conn: &mut PgConnection,
    database: &str,
) -> Result<(), sqlx::Error> {
    let exists: bool =
        crate::db::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut *conn)
            .await?;
    if exists {
        return Ok(());
    }
    let sql = format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\""));
    match crate::db::query(&sql).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        // 42P04 duplicate_database, 23505 unique_violation: created meanwhile
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// `.tidtam/pgdata`; as root, a folder the `postgres` user can reach
/// (the server runs as that user, and a home folder may be closed to it).
pub fn default_data_dir() -> PathBuf {
    if running_as_root() {
        PathBuf::from("/var/tmp/tidtam/pgdata")
    } else {
        PathBuf::from(".tidtam/pgdata")
    }
}

/// `PATH`, then `/usr/lib/postgresql/<newest>/bin`, then Homebrew's folders.
pub fn default_bin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        dirs.extend(versions.into_iter().rev());
    }
    for brew in ["/opt/homebrew/opt", "/usr/local/opt"] {
        if let Ok(entries) = std::fs::read_dir(brew) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("postgresql"))
                .map(|e| e.path().join("bin"))
                .collect();
            found.sort();
            dirs.extend(found.into_iter().rev());
        }
    }
    dirs
}

/// The first folder that has both `initdb` and `pg_ctl`.
pub fn find_server_bin(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .cloned()
}

/// A PostgreSQL cluster that Tidtam initialised and started under its own data
/// folder; it listens only on a socket in that folder and on a loopback port.
/// Dropping it stops the server.
#[derive(Debug)]
pub struct PrivateCluster {
    bin: PathBuf,
    data_dir: PathBuf,
    port: u16,
    run_as: Option<String>,
    stop_on_drop: bool,
}

impl PrivateCluster {
    /// Initialises `data_dir` if it is new, and starts the server (or reuses
    /// one already running there).
    pub fn start(bin: &Path, data_dir: &Path) -> Result<PrivateCluster, LocateError> {
        let fail = |why: String| LocateError::PrivateCluster {
            dir: data_dir.to_path_buf(),
            why,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| fail(e.to_string()))?;
        let data_dir = data_dir.canonicalize().map_err(|e| fail(e.to_string()))?;
        // PostgreSQL refuses to run as root; there, run it as the `postgres` user.
        let run_as = running_as_root().then(|| "postgres".to_string());
        let port = read_port(&data_dir).unwrap_or_else(free_port);
        let mut cluster = PrivateCluster {
            bin: bin.to_path_buf(),
            data_dir,
            port,
            run_as,
            stop_on_drop: true,
        };
        cluster.init().map_err(fail)?;
        if cluster.is_running() {
            // Somebody else started it; leave it running for them.
            cluster.stop_on_drop = false;
            return Ok(cluster);
        }
        cluster.start_server().map_err(fail)?;
        Ok(cluster)
    }

    /// The URL of `database` on this cluster, over TCP on loopback.
    pub fn url(&self, database: &str) -> String {
        let user = self.run_as.clone().unwrap_or_else(current_user);
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// Leaves the server running when this value is dropped.
    pub fn keep_running(&mut self) {
        self.stop_on_drop = false;
    }

    /// Whether a server runs on the data folder now.
    pub fn is_running(&self) -> bool {
        self.pg_ctl(&["status", "-D"], true)
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn init(&self) -> Result<(), String> {
        if self.data_dir.join("PG_VERSION").exists() {
            return Ok(());
        }
        self.chown_for_server()?;
        let initdb = self.bin.join("initdb");
        let status = self
            .command(&initdb)
            .args(["-A", "trust", "-E", "UTF8", "--no-locale", "-D"])
            .arg(&self.data_dir)
            .status()
            .map_err(|e| format!("initdb: {e}"))?;
        if !status.success() {
            return Err(format!("initdb exited with {status}"));
        }
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = off\n",
            self.port,
            self.data_dir.display()
        );
        let path = self.data_dir.join("postgresql.auto.conf");
        std::fs::write(&path, conf).map_err(|e| e.to_string())?;
        self.chown_for_server()
    }

    fn start_server(&self) -> Result<(), String> {
        let log = self.data_dir.join("server.log");
        let status = self
            .command(&self.bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .status()
            .map_err(|e| format!("pg_ctl start: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl start exited with {status}; see {}",
                log.display()
            ))
        }
    }

    /// Stops the server now.
    pub fn stop(&self) {
        let _ = self.pg_ctl(&["stop", "-m", "fast", "-w", "-D"], false);
    }

    fn pg_ctl(&self, args: &[&str], quiet: bool) -> std::io::Result<std::process::ExitStatus> {
        let mut cmd = self.command(&self.bin.join("pg_ctl"));
        cmd.args(args).arg(&self.data_dir);
        if quiet {
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
        }
        cmd.status()
    }

    fn command(&self, program: &Path) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn chown_for_server(&self) -> Result<(), String> {
        let Some(user) = &self.run_as else {
            return Ok(());
        };
        let status = Command::new("chown")
            .args(["-R", user])
            .arg(&self.data_dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("chown {user} {} failed", self.data_dir.display()))
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            self.stop();
        }
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The user this process runs as (initdb makes it the cluster's superuser).
fn current_user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres".into())
}

/// The port written into an existing cluster's configuration.
fn read_port(data_dir: &Path) -> Option<u16> {
    let conf = std::fs::read_to_string(data_dir.join("postgresql.auto.conf")).ok()?;
    conf.lines()
        .find_map(|l| l.strip_prefix("port = "))
        .and_then(|p| p.trim().parse().ok())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}
