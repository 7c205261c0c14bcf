//! The command line: `tidtam serve | migrate | demo | schema | generate |
//! hierarchy load | import elaas | user add | token create | token revoke`.

use crate::db::locate::{locate, LocateOptions, Located};
use crate::{db, demo, graphql, http, strategy};
use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tidtam",
    version,
    about = "Tidtam (ติดตาม): GraphQL reporting for Thai local government projects"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct DbArgs {
    /// PostgreSQL URL; without it Tidtam finds or starts a local PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "TIDTAM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Requests per minute per caller (token, or client address); 0: no limit.
    #[arg(long, env = "TIDTAM_RATE_LIMIT", default_value_t = http::DEFAULT_RATE_PER_MINUTE)]
    rate_limit: u32,
    /// How many server processes share the rate limit (behind one load
    /// balancer): each allows its share, TIDTAM_RATE_LIMIT / N.
    #[arg(long, env = "TIDTAM_RATE_PROCESSES", default_value_t = 1)]
    rate_processes: u32,
    /// Seconds a GraphQL request may run.
    #[arg(long, env = "TIDTAM_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Read replicas, comma-separated: queries and the analytics read there
    /// (docs/deployment.md).
    #[arg(long, env = "DATABASE_READ_URL", value_delimiter = ',')]
    read_url: Vec<String>,
    /// A direct connection to the primary for migrations and LISTEN, where
    /// DATABASE_URL goes through PgBouncer.
    #[arg(long, env = "DATABASE_DIRECT_URL")]
    direct_url: Option<String>,
    /// DATABASE_URL (and the replicas) go through PgBouncer in transaction mode.
    #[arg(long, env = "TIDTAM_PGBOUNCER")]
    pgbouncer: bool,
    /// Skip a replica whose replay lags the primary by more than this many bytes of WAL.
    #[arg(long, env = "TIDTAM_REPLICA_MAX_LAG", default_value_t = 16 * 1024 * 1024)]
    replica_max_lag: u64,
    /// Run only the documents of queries/ (by text or SHA-256): public dashboards.
    #[arg(long, env = "TIDTAM_PERSISTED_ONLY")]
    persisted_only: bool,
    /// Seconds one SQL statement of a request may run.
    #[arg(long, env = "TIDTAM_STATEMENT_TIMEOUT", default_value_t = 15)]
    statement_timeout: u64,
    /// Largest JSON body of POST /graphql, in bytes (e-LAAS uploads may be 256 MiB).
    #[arg(long, env = "TIDTAM_MAX_JSON_BODY", default_value_t = http::DEFAULT_MAX_JSON_BODY)]
    max_json_body: usize,
    /// Seconds between SIGTERM and closing the listener, while /readyz answers
    /// 503 so a load balancer stops sending work; requests in flight finish after.
    #[arg(long, env = "TIDTAM_DRAIN_SECONDS", default_value_t = http::shutdown::DEFAULT_DRAIN_SECONDS)]
    drain_seconds: u64,
    /// Seconds a request's whole header may take; also how long a kept-alive
    /// connection may wait for its next request.
    #[arg(long, env = "TIDTAM_HEADER_READ_TIMEOUT", default_value_t = 30)]
    header_read_timeout: u64,
    /// Seconds of the longest gap in a request body; after that long a body
    /// must average 512 bytes a second (408 BODY_TIMEOUT otherwise).
    #[arg(long, env = "TIDTAM_BODY_READ_TIMEOUT", default_value_t = 30)]
    body_read_timeout: u64,
    /// Connections one client address (an IPv6 /64) may hold open without a
    /// request in flight; 0: no cap.
    #[arg(long, env = "TIDTAM_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = http::connections::DEFAULT_MAX_IDLE_PER_ADDRESS)]
    max_connections_per_address: usize,
    /// Origins whose pages may call the API (CORS), comma-separated, such as
    /// https://dash.example.go.th; `*` alone: any origin, anonymous reads
    /// only (no Authorization header). None by default (docs/bi.md).
    #[arg(long, env = "TIDTAM_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Most documents kept by automatic persisted queries (the least
    /// recently used are evicted; queries/ and pinned ones never are).
    #[arg(long, env = "TIDTAM_PERSISTED_MAX_DOCUMENTS", default_value_t = http::persisted::DEFAULT_MAX_DOCUMENTS)]
    persisted_max_documents: i64,
    /// Most bytes of documents kept by automatic persisted queries.
    #[arg(long, env = "TIDTAM_PERSISTED_MAX_BYTES", default_value_t = http::persisted::DEFAULT_MAX_BYTES)]
    persisted_max_bytes: i64,
    /// A folder of .graphql documents to pin as persisted queries at start:
    /// run by their SHA-256, never evicted (the documents of queries/ are
    /// in the binary and always are).
    #[arg(long, env = "TIDTAM_PIN_QUERIES")]
    pin_queries: Option<PathBuf>,
    /// Most operations in one batch (a JSON array POSTed to /graphql).
    #[arg(long, env = "TIDTAM_MAX_BATCH", default_value_t = http::DEFAULT_MAX_BATCH)]
    max_batch: usize,
    /// Folder where the analytics frames are saved, so that a restart
    /// restores them in seconds (docs/live-analytics.md); "" saves none.
    /// Default: $XDG_CACHE_HOME/tidtam/frames, else ~/.cache/tidtam/frames.
    #[arg(long, env = "TIDTAM_FRAMES_DIR")]
    frames_dir: Option<PathBuf>,
}

/// Where the analytics frames are saved (see [`ServeArgs::frames_dir`]).
fn frames_dir(given: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(dir) = given {
        return (!dir.as_os_str().is_empty()).then_some(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("tidtam").join("frames"))
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL at /graphql, GraphiQL at /graphiql, the dashboard at /,
    /// the exports at /export/…, /healthz, /readyz and /metrics.
    Serve(ServeArgs),
    /// Apply the database migrations.
    Migrate(DbArgs),
    /// Migrate, load the demo data from the manual, and serve.
    Demo(ServeArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Generate a synthetic dataset of national shape into an empty database.
    Generate {
        #[arg(long, value_enum, default_value = "province")]
        scale: crate::generate::Scale,
        /// Fiscal years with approvals (from 2561).
        #[arg(long, default_value_t = 1)]
        years: i32,
        #[arg(long, default_value_t = 1)]
        seed: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Reference data: the national plan hierarchy.
    #[command(subcommand)]
    Hierarchy(HierarchyCommand),
    /// Import data files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export a dataset (facts, tracking, scores, elaas-history) as Parquet
    /// or CSV, as GET /export/… does (docs/bi.md).
    Export {
        dataset: String,
        #[arg(long)]
        fiscal_year: i32,
        #[arg(long)]
        province: Option<String>,
        #[arg(long)]
        organisation: Option<String>,
        /// More of `disbursement`'s filter, as GET /export/facts takes it:
        /// `--filter fundingSource=GENERAL_SUBSIDY --filter amountMin=500000.00`
        /// (facts only).
        #[arg(long = "filter", value_name = "FIELD=VALUE")]
        filters: Vec<String>,
        /// parquet or csv.
        #[arg(long, default_value = "parquet")]
        format: String,
        /// The file to write; `-` for standard output. By default a file in
        /// the current directory named as GET /export/… names it: dataset,
        /// fiscal year, province or LAO, data version
        /// (tidtam-facts-fy2564-province-71-v1234.parquet).
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add an account. The password is read from the TIDTAM_PASSWORD variable
    /// or, without it, from the first line of standard input.
    Add {
        username: String,
        /// lao_officer, lao_approver, provincial_evaluator, central_analyst or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// รหัส อปท.: the LAO of an officer or approver.
        #[arg(long)]
        organisation: Option<String>,
        /// รหัสจังหวัด: the province of an evaluator.
        #[arg(long)]
        province: Option<String>,
        /// An account that signs in with API tokens only.
        #[arg(long)]
        no_password: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create an API token for an account and print it (it is shown once).
    Create {
        username: String,
        /// What the token is for, e.g. "Metabase".
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its id; it stops working at once.
    Revoke {
        id: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Import an e-LAAS snapshot file (CSV in UTF-8 or Windows-874, or .xlsx;
    /// see docs/elaas-format.md), all or nothing: any bad row rejects the
    /// whole file, and every bad row is printed.
    Elaas {
        file: PathBuf,
        /// Who the import is recorded as (default: cli:$USER).
        #[arg(long, env = "TIDTAM_ACTOR")]
        actor: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum HierarchyCommand {
    /// Load (or reload) an edition of the hierarchy from a CSV file
    /// with columns level,code,parent_code,name_th,goal_th[,strategy_code].
    Load {
        file: PathBuf,
        /// Edition code, e.g. 2566.
        #[arg(long)]
        edition: String,
        /// Edition name in Thai.
        #[arg(long)]
        name: String,
        /// First fiscal year (BE) whose reports link to this edition.
        #[arg(long)]
        first_fiscal_year: i32,
        /// Last fiscal year (BE), if a later edition replaces it.
        #[arg(long)]
        last_fiscal_year: Option<i32>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tidtam: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidtam: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    crate::ops::init_logging();
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate(args) => {
            let (pool, _located) = open_or_create(&args).await?;
            db::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve(args) => serve(args, false).await,
        Command::User(UserCommand::Add {
            username,
            role,
            display_name,
            organisation,
            province,
            no_password,
            db,
        }) => {
            let (pool, _located) = open(&db).await?;
            db::migrate(&pool).await?;
            let role = crate::auth::Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}"))?;
            let password = if no_password {
                None
            } else {
                Some(read_password()?)
            };
            let account = crate::auth::store::add_account(
                &crate::auth::system_db(&pool, &cli_actor(None)),
                crate::auth::store::NewAccount {
                    username: &username,
                    display_name: display_name.as_deref().unwrap_or(&username),
                    password: password.as_deref(),
                    role,
                    organisation_code: organisation.as_deref(),
                    province_code: province.as_deref(),
                },
            )
            .await?;
            println!("account {} ({}) added", account.username, role.as_db());
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            username,
            name,
            days,
            db,
        }) => {
            let (pool, _located) = open(&db).await?;
            let account = crate::auth::store::account_by_username(&pool, &username)
                .await?
                .with_context(|| format!("no account {username:?}"))?;
            let lifetime = std::time::Duration::from_secs(u64::from(days.clamp(1, 366)) * 86_400);
            let (token, info) = crate::auth::store::create_token(
                &pool,
                &cli_actor(None),
                account.id,
                "api",
                &name,
                lifetime,
            )
            .await?;
            eprintln!(
                "token {} for {username}, expires {}",
                info.id, info.expires_at
            );
            println!("{token}");
            Ok(())
        }
        Command::Export {
            dataset,
            fiscal_year,
            province,
            organisation,
            filters,
            format,
            output,
            db,
        } => {
            use crate::analytics::export::{self, Dataset, ExportFilter, Format};
            let dataset = Dataset::parse(&dataset).with_context(|| {
                format!("no dataset {dataset:?}: facts, tracking, scores, elaas-history")
            })?;
            let format = Format::parse(&format)
                .with_context(|| format!("format {format:?}: parquet or csv"))?;
            let filter = export_filter(fiscal_year, province, organisation, &filters)?;
            if export::narrows_beyond_place(&filter) && dataset != Dataset::Facts {
                anyhow::bail!("--filter narrows the facts export only");
            }
            let (pool, _located) = open(&db).await?;
            let plain = crate::db::Db::plain(&pool);
            crate::arguments::check(&plain, &crate::arguments::filter_arguments("", &filter))
                .await?;
            let approval_ids =
                export::approval_ids(&crate::db::Db::plain(&pool), fiscal_year, &filter).await?;
            let analytics = crate::analytics::Analytics::new(pool);
            let filter = ExportFilter {
                fiscal_year,
                province_code: filter.province_code,
                organisation_code: filter.organisation_code,
                approval_ids,
            };
            let output = match output {
                Some(path) => path,
                None => PathBuf::from(export::file_name(
                    dataset.name(),
                    fiscal_year,
                    filter.province_code.as_deref(),
                    filter.organisation_code.as_deref(),
                    Some(analytics.version().await?),
                    format.extension(),
                )),
            };
            let out: Box<dyn std::io::Write + Send> = if output.as_os_str() == "-" {
                Box::new(std::io::stdout())
            } else {
                let file = std::fs::File::create(&output)
                    .with_context(|| format!("creating {}", output.display()))?;
                Box::new(std::io::BufWriter::new(file))
            };
            let rows = export::write_to(&analytics, dataset, &filter, format, out).await?;
            if output.as_os_str() == "-" {
                eprintln!("{rows} rows exported");
            } else {
                eprintln!("{rows} rows exported to {}", output.display());
            }
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { id, db }) => {
            let (pool, _located) = open(&db).await?;
            let info =
                crate::auth::store::revoke_token(&pool, &cli_actor(None), id, 0, true).await?;
            println!("token {} ({}) revoked", info.id, info.name);
            Ok(())
        }
        Command::Generate {
            scale,
            years,
            seed,
            db: args,
        } => {
            let (pool, _located) = open(&args).await?;
            db::migrate(&pool).await?;
            strategy::load::load_shipped(&pool).await?;
            let opts = crate::generate::Options { scale, years, seed };
            crate::generate::generate(&pool, opts, generation_progress()).await?;
            println!("generated a {scale:?} dataset, {years} fiscal year(s), seed {seed}");
            Ok(())
        }
        Command::Demo(args) => serve(args, true).await,
        Command::Hierarchy(HierarchyCommand::Load {
            file,
            edition,
            name,
            first_fiscal_year,
            last_fiscal_year,
            db: args,
        }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = strategy::load::parse(&text)?;
            let (pool, _located) = open(&args).await?;
            db::migrate(&pool).await?;
            let edition = strategy::load::Edition {
                code: edition,
                name_th: name,
                first_fiscal_year,
                last_fiscal_year,
            };
            let n = strategy::load::load_edition(&pool, &edition, &rows).await?;
            println!("edition {}: {n} nodes loaded", edition.code);
            Ok(())
        }
        Command::Import(ImportCommand::Elaas {
            file,
            actor,
            db: args,
        }) => import_elaas(file, actor, args).await,
    }
}

/// A progress bar per table of `tidtam generate` (rows, rate, time left), and
/// a line per finished step that stays when the bar is gone (also when
/// stderr is not a terminal and the bar is hidden).
fn generation_progress() -> impl FnMut(crate::generate::Event) + Send {
    use crate::generate::Event;
    use indicatif::{ProgressBar, ProgressStyle};
    let style = ProgressStyle::with_template(
        "{msg:>24} [{bar:30}] {human_pos}/{human_len} rows, {rate} rows/s, {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}", state.per_sec());
        },
    )
    .progress_chars("=> ");
    let mut bar = ProgressBar::hidden();
    move |event| match event {
        Event::Started { step, rows } => {
            bar = if rows > 0 {
                ProgressBar::new(rows)
                    .with_style(style.clone())
                    .with_message(step)
            } else {
                ProgressBar::new_spinner().with_message(step)
            };
        }
        Event::Rows(n) => bar.inc(n),
        Event::Finished { step, seconds } => {
            bar.finish_and_clear();
            let rows = bar.length().filter(|n| *n > 0);
            match rows {
                Some(n) => eprintln!("generated {step}: {n} rows in {seconds:.1} s"),
                None => eprintln!("generated {step} in {seconds:.1} s"),
            }
        }
    }
}

/// Files with at least this many rows get a progress line.
const PROGRESS_FROM_ROWS: u64 = 20_000;

/// Who a command's changes are recorded as: the name given, else `cli:$USER`.
fn cli_actor(given: Option<String>) -> String {
    given.unwrap_or_else(|| {
        format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    })
}

async fn import_elaas(file: PathBuf, actor: Option<String>, args: DbArgs) -> anyhow::Result<()> {
    use crate::elaas::import::{self, ImportError, Progress};
    use std::io::Write as _;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let actor = cli_actor(actor);
    let (pool, _located) = open(&args).await?;
    db::migrate(&pool).await.context("applying migrations")?;
    let started = std::time::Instant::now();
    let mut large = false;
    let mut progress = |p: Progress| {
        let mut err = std::io::stderr();
        match p {
            Progress::Checked { rows } => {
                large = rows >= PROGRESS_FROM_ROWS;
                if large {
                    let _ = writeln!(err, "{rows} rows read and checked");
                }
            }
            Progress::Copying { done, total } if large => {
                let _ = write!(
                    err,
                    "\rloading {done}/{total} rows ({}%)",
                    done * 100 / total.max(1)
                );
                if done == total {
                    let _ = writeln!(err);
                }
            }
            Progress::Merging if large => {
                let _ = writeln!(err, "merging into the e-LAAS figures…");
            }
            _ => {}
        }
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let db = crate::auth::system_db(&pool, &actor);
    match import::import(&db, bytes, name.as_deref(), &mut progress).await {
        Ok(summary) => {
            println!(
                "{}: {summary} in {:.1}s",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(ImportError::Rejected(errors)) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            anyhow::bail!(
                "{} rejected: {} error(s); nothing was imported",
                file.display(),
                errors.len()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Finds (or starts) the database and opens a pool on it.
async fn open(args: &DbArgs) -> anyhow::Result<(sqlx::PgPool, Located)> {
    let located = locate(&LocateOptions::from_env(args.database_url.clone())).await?;
    tracing::info!(how = located.how, "using PostgreSQL");
    let pool = db::connect(&located.url)
        .await
        .with_context(|| format!("connecting to {}", redact(&located.url)))?;
    Ok((pool, located))
}

/// [`open`] for the commands that set a database up (`serve`, `demo`,
/// `migrate`): where DATABASE_URL names a database the server does not have
/// yet, it is created first (through the server's `postgres` database, when
/// the account may create databases), as Tidtam does on the default path.
async fn open_or_create(args: &DbArgs) -> anyhow::Result<(sqlx::PgPool, Located)> {
    let located = locate(&LocateOptions::from_env(args.database_url.clone())).await?;
    tracing::info!(how = located.how, "using PostgreSQL");
    match db::connect(&located.url).await {
        Ok(pool) => return Ok((pool, located)),
        Err(e) if is_missing_database(&e) => {
            let created = create_database(&located.url).await;
            if let Err(why) = created {
                return Err(anyhow::Error::new(e).context(format!(
                    "connecting to {}; creating its database failed too: {why:#}",
                    redact(&located.url)
                )));
            }
        }
        Err(e) => {
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("connecting to {}", redact(&located.url)))
        }
    }
    let pool = db::connect(&located.url)
        .await
        .with_context(|| format!("connecting to {}", redact(&located.url)))?;
    Ok((pool, located))
}

/// PostgreSQL's 3D000 (invalid_catalog_name): the database does not exist.
fn is_missing_database(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000"))
}

/// Creates the database a URL names, connected to `postgres` on its server.
async fn create_database(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let database = options
        .get_database()
        .context("the URL names no database")?
        .to_string();
    let mut conn = sqlx::PgConnection::connect_with(&options.database("postgres")).await?;
    crate::db::locate::create_database_if_missing(&mut conn, &database).await?;
    conn.close().await?;
    eprintln!("created database {database}");
    tracing::info!(database, "created the database DATABASE_URL names");
    Ok(())
}

/// The password of `tidtam user add`: TIDTAM_PASSWORD, else a line of stdin.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("TIDTAM_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given (TIDTAM_PASSWORD or stdin)"
    );
    Ok(password)
}

async fn serve(args: ServeArgs, with_demo: bool) -> anyhow::Result<()> {
    let (direct, located) = match &args.direct_url {
        Some(url) => {
            open_or_create(&DbArgs {
                database_url: Some(url.clone()),
            })
            .await?
        }
        None => open_or_create(&args.db).await?,
    };
    db::migrate(&direct).await.context("applying migrations")?;
    if with_demo {
        strategy::load::load_shipped(&direct).await?;
        let loaded = demo::load(&direct).await?;
        tracing::info!(loaded, "demo data ready");
    }
    let pool = match (&args.direct_url, &args.db.database_url) {
        (Some(_), Some(url)) => db::connect_with(url, args.pgbouncer)
            .await
            .with_context(|| format!("connecting to {}", redact(url)))?,
        _ if args.pgbouncer => db::connect_with(&located.url, true).await?,
        _ => direct.clone(),
    };
    let replicas = db::replicas::Replicas::new(
        pool.clone(),
        &args.read_url,
        args.replica_max_lag,
        args.pgbouncer,
    )?;
    replicas.watch();
    let analytics = crate::analytics::Analytics::new(pool.clone());
    if let Some(dir) = frames_dir(args.frames_dir.clone()) {
        analytics.save_to(dir);
    }
    analytics.listen_via(direct.clone());
    // The newest fiscal year's frames load now, off the request path.
    analytics.warm(&crate::analytics::newest_years(&pool).await);
    let schema = graphql::build_schema_with(Some(pool.clone()), Some(analytics));
    let mut state = http::AppState::new(schema, pool.clone());
    let persisted =
        http::persisted::Persisted::new(args.persisted_only).with_cap(http::persisted::Cap {
            documents: args.persisted_max_documents.max(1),
            bytes: args.persisted_max_bytes.max(1),
        });
    if !replicas.is_empty() {
        persisted.read_from(replicas.clone());
    }
    state.replicas = (!replicas.is_empty()).then_some(replicas);
    state.limits = std::sync::Arc::new(http::ServerLimits {
        rate: crate::auth::rate::RateLimits::new(crate::auth::rate::per_process(
            args.rate_limit,
            args.rate_processes,
        )),
        request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
        statement_timeout: std::time::Duration::from_secs(args.statement_timeout.max(1)),
        max_json_body: args.max_json_body,
        body_read_timeout: std::time::Duration::from_secs(args.body_read_timeout.max(1)),
        max_batch: args.max_batch.max(1),
    });
    if let Some(folder) = &args.pin_queries {
        let mut metrics = crate::ops::metrics::Metrics::default();
        let mut pinned = 0;
        for entry in
            std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "graphql") {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                http::persisted::pin(&direct, &text)
                    .await
                    .with_context(|| format!("pinning {}", path.display()))?;
                // Its operations are labelled by name on /metrics.
                metrics.know(&text);
                pinned += 1;
            }
        }
        state.metrics = std::sync::Arc::new(metrics);
        tracing::info!(pinned, "persisted queries pinned");
    }
    state.cors = std::sync::Arc::new(
        http::cors::Cors::parse(&args.cors_origins).map_err(anyhow::Error::msg)?,
    );
    state.persisted = std::sync::Arc::new(persisted);
    let draining = state.draining.clone();
    let app = http::router(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    println!(
        "Tidtam is serving the dashboard at http://{0}/, GraphiQL at http://{0}/graphiql and GraphQL at http://{0}/graphql",
        args.listen
    );
    http::shutdown::serve_until_with(
        listener,
        app,
        http::connections::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout.max(1)),
            max_idle_per_address: args.max_connections_per_address,
        },
        draining,
        std::time::Duration::from_secs(args.drain_seconds),
        http::shutdown::signal(),
    )
    .await?;
    pool.close().await;
    crate::ops::telemetry::shutdown();
    drop(located); // stops a private PostgreSQL, if Tidtam started one
    Ok(())
}

/// A URL with its password hidden, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The export's filter from the command line, parsed as GET /export/… parses
/// its query parameters (the fields of `ApprovalFilter`).
fn export_filter(
    fiscal_year: i32,
    province: Option<String>,
    organisation: Option<String>,
    filters: &[String],
) -> anyhow::Result<crate::budget::filter::ApprovalFilter> {
    let mut raw = std::collections::HashMap::new();
    raw.insert("fiscalYear".to_string(), fiscal_year.to_string());
    raw.extend(province.map(|p| ("provinceCode".to_string(), p)));
    raw.extend(organisation.map(|o| ("organisationCode".to_string(), o)));
    for pair in filters {
        let (field, value) = pair
            .split_once('=')
            .with_context(|| format!("--filter {pair:?}: write FIELD=VALUE"))?;
        raw.insert(field.trim().to_string(), value.trim().to_string());
    }
    Ok(http::export::ExportParams::parse(raw)?.filter)
}
