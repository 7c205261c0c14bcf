//! Beyond one machine, on one machine: a private primary, a streaming replica
//! (`pg_basebackup -R`), PgBouncer in transaction mode, and two Tidtam
//! processes, built from PostgreSQL's own programs; the PostgreSQL on 5432 is
//! not touched. A mutation on one server is read on the other (through the
//! replica, with read-your-writes) and in `monitoringReport`; the replica
//! stopped, lagging and the primary restarted in turn, and no read fails and
//! nothing is half-written. Skipped, saying why, where the server programs
//! or PgBouncer are missing (CI installs both).

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_basebackup").exists())
        .collect();
    found.sort();
    found.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL or PgBouncer program, run as the `postgres` user when we are
/// root (both refuse to run as root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Lets the `postgres` user own a folder, when we are root.
fn give_to_postgres(dir: &Path) {
    if is_root() {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .unwrap();
    }
}

/// The processes and folders of the topology, stopped and removed on drop.
struct Topology {
    dir: PathBuf,
    bin: PathBuf,
    primary: u16,
    replica: u16,
    bouncer: u16,
    pgbouncer: Option<Child>,
    servers: Vec<Child>,
}

impl Topology {
    /// Runs a PostgreSQL program as the `postgres` user when we are root.
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = if program == "pgbouncer" {
            PathBuf::from("/usr/sbin/pgbouncer")
        } else {
            self.bin.join(program)
        };
        let out = as_postgres(&path).args(args).output().expect(program);
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn pg_ctl(&self, cluster: &str, action: &str) {
        let data = self.dir.join(cluster);
        let port = if cluster == "primary" {
            self.primary
        } else {
            self.replica
        };
        let log = self.dir.join(format!("{cluster}.log"));
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            self.dir.display()
        );
        let data = data.to_string_lossy().to_string();
        let log = log.to_string_lossy().to_string();
        match action {
            "start" => self.run(
                "pg_ctl",
                &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
            ),
            _ => self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]),
        };
    }

    fn sql(&self, port: u16, database: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-Atqc",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn build(bin: PathBuf) -> Topology {
        let dir = std::env::temp_dir().join(format!("tidtam-topology-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        give_to_postgres(&dir);
        let mut t = Topology {
            dir,
            bin,
            primary: free_port(),
            replica: free_port(),
            bouncer: free_port(),
            pgbouncer: None,
            servers: Vec::new(),
        };
        let primary = t.dir.join("primary").to_string_lossy().to_string();
        t.run(
            "initdb",
            &[
                "-D",
                &primary,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        t.pg_ctl("primary", "start");
        t.sql(t.primary, "postgres", "CREATE DATABASE tidtam");
        let replica = t.dir.join("replica").to_string_lossy().to_string();
        let port = t.primary.to_string();
        t.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &replica,
                "-R",
                "-X",
                "stream",
                // A spread checkpoint of the fresh primary takes a minute and
                // more on a loaded machine (and once failed there); the
                // replica needs no gentleness toward a server with no load.
                "--checkpoint=fast",
            ],
        );
        t.pg_ctl("replica", "start");
        t.start_pgbouncer();
        t
    }

    fn start_pgbouncer(&mut self) {
        let ini = self.dir.join("pgbouncer.ini");
        let users = self.dir.join("userlist.txt");
        std::fs::write(&users, "\"postgres\" \"\"\n").unwrap();
        std::fs::write(
            &ini,
            format!(
                "[databases]\n\
                 tidtam = host=127.0.0.1 port={p} dbname=tidtam\n\
                 tidtam_read = host=127.0.0.1 port={r} dbname=tidtam\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {b}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {users}\n\
                 pool_mode = transaction\n\
                 max_client_conn = 200\n\
                 default_pool_size = 2\n\
                 ignore_startup_parameters = extra_float_digits,options,search_path\n\
                 logfile = {log}\n",
                p = self.primary,
                r = self.replica,
                b = self.bouncer,
                users = users.display(),
                log = self.dir.join("pgbouncer.log").display(),
            ),
        )
        .unwrap();
        give_to_postgres(&self.dir);
        let child = as_postgres(Path::new("/usr/sbin/pgbouncer"))
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pgbouncer");
        self.pgbouncer = Some(child);
        wait_until(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", self.bouncer)).is_ok()
        });
    }

    /// A Tidtam process behind PgBouncer, reading from the replica.
    fn start_server(&mut self, port: u16) {
        let log = std::fs::File::create(self.dir.join(format!("tidtam-{port}.log"))).unwrap();
        // TIDTAM_BIN: another build of the server (the load run uses release).
        let binary =
            std::env::var("TIDTAM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tidtam").into());
        let child = Command::new(binary)
            .args([
                "demo",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--rate-limit",
                "0",
            ])
            .env(
                "DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:{}/tidtam", self.bouncer),
            )
            .env(
                "DATABASE_DIRECT_URL",
                format!("postgres://postgres@127.0.0.1:{}/tidtam", self.primary),
            )
            .env(
                "DATABASE_READ_URL",
                format!("postgres://postgres@127.0.0.1:{}/tidtam_read", self.bouncer),
            )
            .env("TIDTAM_PGBOUNCER", "true")
            .env("TIDTAM_REPLICA_MAX_LAG", "4096")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("tidtam");
        self.servers.push(child);
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for s in &mut self.servers {
            let _ = s.kill();
            let _ = s.wait();
        }
        if let Some(p) = &mut self.pgbouncer {
            let _ = p.kill();
            let _ = p.wait();
        }
        // runuser's child keeps running after runuser is killed: stop by pid file too.
        let _ = Command::new("pkill")
            .args(["-f", &self.dir.join("pgbouncer.ini").to_string_lossy()])
            .status();
        for cluster in ["replica", "primary"] {
            let data = self.dir.join(cluster);
            if data.exists() {
                let _ = as_postgres(&self.bin.join("pg_ctl"))
                    .args(["-D"])
                    .arg(&data)
                    .args(["-m", "immediate", "stop"])
                    .output();
            }
        }
        if std::env::var_os("KEEP_TOPOLOGY").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn wait_until(limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "gave up after {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn wait_for(limit: Duration, what: &str, mut ok: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !ok().await {
        assert!(
            start.elapsed() < limit,
            "gave up waiting for {what} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The topology with two Tidtam processes, both ready and reading from the
/// replica; `None` (saying why) where the programs it needs are missing.
async fn two_servers() -> Option<(Topology, [String; 2])> {
    let Some(bin) = bin_dir() else {
        eprintln!(
            "skipped: PostgreSQL's server programs (initdb, pg_basebackup) are not installed"
        );
        return None;
    };
    if !Path::new("/usr/sbin/pgbouncer").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the topology test: install pgbouncer"
        );
        eprintln!("skipped: pgbouncer is not installed (apt-get install pgbouncer)");
        return None;
    }
    let mut t = tokio::task::spawn_blocking(move || Topology::build(bin))
        .await
        .unwrap();
    let ports = [free_port(), free_port()];
    for port in ports {
        t.start_server(port);
    }
    let bases = ports.map(|p| format!("http://127.0.0.1:{p}"));
    for base in &bases {
        wait_for(Duration::from_secs(60), "a server ready", async || {
            matches!(reqwest::get(format!("{base}/readyz")).await, Ok(r) if r.status() == 200)
        })
        .await;
        wait_for(Duration::from_secs(20), "the replica in use", async || {
            replica_in_use(base).await == Some(true)
        })
        .await;
    }
    Some((t, bases))
}

struct Answer {
    status: u16,
    lsn: Option<String>,
    body: Value,
}

async fn post(
    base: &str,
    token: Option<&str>,
    min_lsn: Option<&str>,
    query: &str,
    variables: Value,
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(lsn) = min_lsn {
        request = request.header("x-tidtam-min-lsn", lsn);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let lsn = response
        .headers()
        .get("x-tidtam-lsn")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = response.json().await.unwrap_or(Value::Null);
    Answer { status, lsn, body }
}

/// Whether the server's one replica is in use, from `/metrics`.
async fn replica_in_use(base: &str) -> Option<bool> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("tidtam_replica_in_use{"))?;
    Some(line.trim_end().ends_with(" 1"))
}

const REPORT: &str = r#"{ organisation(code: "7100001") { projects(fiscalYear: 2564) { report { id version status } } } }"#;
const COMPLETED: &str = r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { provinceTotals { completed } } }"#;
const COMPLETE: &str = r#"mutation ($input: CompleteReportInput!) { completeReport(input: $input) { version status } }"#;
const REOPEN: &str =
    r#"mutation ($input: ReportVersionInput!) { reopenReport(input: $input) { version status } }"#;

/// The aerobic-dance report (the one with a location): id, version, status.
async fn aerobic(base: &str, min_lsn: Option<&str>) -> (String, i64, String) {
    let a = post(base, None, min_lsn, REPORT, json!({})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let found = a.body["data"]["organisation"]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["report"])
        .find(|r| r["status"] == "SUBMITTED" || r["status"] == "COMPLETED")
        .cloned()
        .expect("a reported project");
    (
        found["id"].as_str().unwrap().to_string(),
        found["version"].as_i64().unwrap(),
        found["status"].as_str().unwrap().to_string(),
    )
}

async fn completed(base: &str, min_lsn: Option<&str>) -> i64 {
    let a = post(base, None, min_lsn, COMPLETED, json!({})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.get("errors").is_none(), "{}", a.body);
    a.body["data"]["monitoringReport"]["provinceTotals"]["completed"]
        .as_i64()
        .unwrap()
}

async fn sign_in(base: &str, username: &str) -> String {
    let a = post(
        base,
        None,
        None,
        r#"mutation ($u: String!) { signIn(username: $u, password: "tidtam-demo") { token } }"#,
        json!({"u": username}),
    )
    .await;
    a.body["data"]["signIn"]["token"]
        .as_str()
        .expect("signed in")
        .to_string()
}

/// `tidtam_replica_fallbacks_total` on `/metrics`: reads that had to leave
/// a failed replica for the primary.
async fn fallbacks(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("/metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("tidtam_replica_fallbacks_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tidtam_replica_fallbacks_total in {text}"))
}

/// Readers that keep reading (GraphQL rows and the analytics aggregate, on
/// both servers) until stopped; each failed read is kept with its answer.
struct Readers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<(u32, Vec<String>)>>,
}

impl Readers {
    fn start(bases: &[String; 2]) -> Readers {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tasks = (0..4)
            .map(|i| {
                let base = bases[i % 2].clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let (mut reads, mut failed) = (0, Vec::new());
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let query = if i < 2 { REPORT } else { COMPLETED };
                        let a = post(&base, None, None, query, json!({})).await;
                        reads += 1;
                        if a.status != 200 || a.body.get("errors").is_some() {
                            failed.push(format!("{base}: {} {}", a.status, a.body));
                        }
                    }
                    (reads, failed)
                })
            })
            .collect();
        Readers { stop, tasks }
    }

    /// Stops the readers; how many reads they made, and the failed ones.
    async fn finish(self) -> (u32, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut all = (0, Vec::new());
        for task in self.tasks {
            let (reads, failed) = task.await.expect("a reader");
            all.0 += reads;
            all.1.extend(failed);
        }
        all
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_a_primary_a_replica_and_pgbouncer_survive_failures() {
    let Some((t, [one, two])) = two_servers().await else {
        return;
    };
    let audit_count = || t.sql(t.primary, "tidtam", "SELECT count(*) FROM audit_log");

    // 1. A mutation on one server, read on the other through the replica.
    let before = completed(&two, None).await;
    let token = sign_in(&one, "approver.hadyai").await;
    let (id, version, status) = aerobic(&one, None).await;
    assert_eq!(status, "SUBMITTED");
    let audit_before_first = audit_count();
    let done = post(
        &one,
        Some(&token),
        None,
        COMPLETE,
        json!({"input": {"id": id, "version": version, "completedOn": "30/09/2564", "summary": "เสร็จตามแผน"}}),
    )
    .await;
    assert!(done.body.get("errors").is_none(), "{}", done.body);
    // The audit rows one completeReport writes, to count the retried one below.
    let audit_per_complete: i64 =
        audit_count().parse::<i64>().unwrap() - audit_before_first.parse::<i64>().unwrap();
    assert!(audit_per_complete > 0, "a mutation is audited");
    let lsn = done
        .lsn
        .clone()
        .expect("the mutation's LSN for read-your-writes");
    // Read-your-writes for the aggregate too: the caller's own server, at
    // once, with the LSN its mutation answered.
    assert_eq!(
        completed(&one, Some(&lsn)).await,
        before + 1,
        "monitoringReport right after the caller's own mutation"
    );
    let (_, _, seen) = aerobic(&two, Some(&lsn)).await;
    assert_eq!(
        seen, "COMPLETED",
        "the other server reads the caller's write at once"
    );
    // The other server's frames: rebuilt on the notification, from the
    // replica once it has replayed the commit, else from the primary.
    wait_for(
        Duration::from_secs(3),
        "monitoringReport on the other server",
        async || completed(&two, None).await == before + 1,
    )
    .await;

    // 2. The replica stopped while reads run: every read still answers,
    //    from the primary, and a log line and the counter say so.
    let fallbacks_before = fallbacks(&one).await + fallbacks(&two).await;
    let readers = Readers::start(&[one.clone(), two.clone()]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    t.pg_ctl("replica", "stop");
    wait_for(
        Duration::from_secs(10),
        "the metric to say the replica is out",
        async || {
            replica_in_use(&one).await == Some(false) && replica_in_use(&two).await == Some(false)
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (reads, failed) = readers.finish().await;
    assert!(reads > 20, "the readers kept reading: {reads}");
    assert!(
        failed.is_empty(),
        "reads failed with the replica stopped: {failed:#?}"
    );
    assert!(
        fallbacks(&one).await + fallbacks(&two).await > fallbacks_before,
        "tidtam_replica_fallbacks_total rises"
    );
    for base in [&one, &two] {
        let port = base.rsplit(':').next().unwrap();
        let log = std::fs::read_to_string(t.dir.join(format!("tidtam-{port}.log"))).unwrap();
        assert!(
            log.contains("reading from the primary"),
            "server {port} logs that it reads from the primary: {log}"
        );
    }
    t.pg_ctl("replica", "start");
    wait_for(
        Duration::from_secs(30),
        "the replica back in use",
        async || replica_in_use(&two).await == Some(true),
    )
    .await;

    // 3. The replica lags (replay paused): it is skipped, so a plain read
    //    (no LSN sent) still sees the newest write.
    t.sql(t.replica, "tidtam", "SELECT pg_wal_replay_pause()");
    t.sql(t.primary, "tidtam", "CREATE TABLE lag_maker AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
    let (id, version, _) = aerobic(&one, None).await;
    let reopened = post(
        &one,
        Some(&token),
        None,
        REOPEN,
        json!({"input": {"id": id, "version": version}}),
    )
    .await;
    assert!(reopened.body.get("errors").is_none(), "{}", reopened.body);
    wait_for(
        Duration::from_secs(10),
        "the lagging replica skipped",
        async || replica_in_use(&two).await == Some(false),
    )
    .await;
    let (_, _, status) = aerobic(&two, None).await;
    assert_eq!(status, "SUBMITTED", "not the paused replica's stale copy");
    t.sql(t.replica, "tidtam", "SELECT pg_wal_replay_resume()");
    // Replay may wait for a conflicting query on the replica for up to
    // max_standby_streaming_delay (30 s) before it cancels it: CI once gave
    // up at exactly 30 s.
    wait_for(
        Duration::from_secs(90),
        "the replica caught up",
        async || {
            replica_in_use(&two).await == Some(true) && replica_in_use(&one).await == Some(true)
        },
    )
    .await;

    // 4. The primary restarts with a mutation in flight: the mutation waits
    //    for a row lock held by another session when the primary stops; it
    //    fails with a retryable code and writes nothing; reads go on from
    //    the replica meanwhile and the servers stay ready; afterwards they
    //    reconnect by themselves and the retried mutation is written once.
    let (id, version, _) = aerobic(&one, None).await;
    let audit_before = audit_count();
    let mut locker = Command::new(t.bin.join("psql"))
        .args(["-h", "127.0.0.1", "-p", &t.primary.to_string()])
        .args(["-U", "postgres", "-d", "tidtam", "-Atq"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("psql");
    {
        use std::io::Write;
        let stdin = locker.stdin.as_mut().expect("psql's stdin");
        stdin
            .write_all(
                b"BEGIN;\nSELECT id FROM project_reports WHERE latitude IS NOT NULL FOR UPDATE;\n",
            )
            .unwrap();
        stdin.flush().unwrap();
    }
    wait_until(Duration::from_secs(10), || {
        t.sql(
            t.primary,
            "tidtam",
            "SELECT count(*) FROM pg_stat_activity \
             WHERE state = 'idle in transaction' AND query LIKE '%FOR UPDATE%'",
        ) != "0"
    });
    let in_flight = {
        let (one, token, id) = (one.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            post(
                &one,
                Some(&token),
                None,
                COMPLETE,
                json!({"input": {"id": id, "version": version, "completedOn": "30/09/2564", "summary": "ระหว่างเริ่มระบบใหม่"}}),
            )
            .await
        })
    };
    wait_until(Duration::from_secs(10), || {
        t.sql(
            t.primary,
            "tidtam",
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
        ) != "0"
    });
    let readers = Readers::start(&[one.clone(), two.clone()]);
    t.pg_ctl("primary", "stop");
    let failed = in_flight.await.expect("the mutation's task");
    let _ = locker.kill();
    let _ = locker.wait();
    assert_eq!(
        failed.body["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE",
        "{}",
        failed.body
    );
    assert_eq!(failed.body["errors"][0]["extensions"]["retryable"], true);
    for base in [&one, &two] {
        let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
        assert_eq!(
            ready.status(),
            200,
            "ready to serve reads with the primary down"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (reads, failed_reads) = readers.finish().await;
    assert!(reads > 10, "the readers kept reading: {reads}");
    assert!(
        failed_reads.is_empty(),
        "reads failed with the primary down: {failed_reads:#?}"
    );
    t.pg_ctl("primary", "start");
    assert_eq!(audit_count(), audit_before, "nothing half-written");
    assert_eq!(
        t.sql(
            t.primary,
            "tidtam",
            "SELECT status || ' ' || version FROM project_reports WHERE latitude IS NOT NULL",
        ),
        format!("submitted {version}"),
        "the report as it was before the failed mutation"
    );
    let mut retried = Value::Null;
    wait_for(Duration::from_secs(40), "a mutation after the restart", async || {
        let a = post(
            &one,
            Some(&token),
            None,
            COMPLETE,
            json!({"input": {"id": id, "version": version, "completedOn": "30/09/2564", "summary": "หลังเริ่มระบบใหม่"}}),
        )
        .await;
        retried = a.body.clone();
        if let Some(code) = a.body["errors"][0]["extensions"]["code"].as_str() {
            assert_eq!(code, "DATABASE_UNAVAILABLE", "only a retryable failure: {}", a.body);
        }
        a.body.get("errors").is_none()
    })
    .await;
    assert_eq!(retried["data"]["completeReport"]["status"], "COMPLETED");
    let stored = t.sql(
        t.primary,
        "tidtam",
        "SELECT status || ' ' || version || ' ' || summary FROM project_reports WHERE latitude IS NOT NULL",
    );
    assert_eq!(stored, format!("completed {} หลังเริ่มระบบใหม่", version + 1));
    assert_eq!(
        audit_count().parse::<i64>().unwrap() - audit_before.parse::<i64>().unwrap(),
        audit_per_complete,
        "the retried mutation written exactly once"
    );
}

/// Runs wrk against `bases` at once (connections split between them), each
/// request the next of `bodies` in turn, and returns the summed requests per
/// second and the worst p99 (ms). Any non-2xx answer or GraphQL error fails.
fn wrk(bases: &[String], bodies: &[PathBuf], connections: usize, seconds: u32) -> (f64, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/load/mix.lua");
    let runs: Vec<_> = bases
        .iter()
        .map(|base| {
            Command::new("wrk")
                .args([
                    "-t1",
                    &format!("-c{}", connections / bases.len()),
                    &format!("-d{seconds}s"),
                ])
                .arg("-s")
                .arg(&script)
                .arg(format!("{base}/graphql"))
                .arg("--")
                .args(bodies)
                .output()
        })
        .collect::<Vec<_>>();
    let mut rps = 0.0;
    let mut p99: f64 = 0.0;
    for run in runs {
        let out = run.expect("wrk (apt-get install wrk)");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let line = text
            .lines()
            .find(|l| l.starts_with("RESULT"))
            .unwrap_or_else(|| panic!("{text}"));
        let field = |name: &str| -> f64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        assert_eq!(field("errors_status"), 0.0, "{line}");
        assert_eq!(field("errors_graphql"), 0.0, "{line}");
        rps += field("rps");
        p99 = p99.max(field("p99_ms"));
    }
    (rps, p99)
}

/// The load run of BENCHMARKS.md ("Two processes on a replica"): the same
/// query mix against one server process, then against two, on the same
/// primary, replica and PgBouncer. Not a test of speed: a load tool run by
/// hand: `TIDTAM_BIN=target/release/tidtam cargo test --test topology -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load run for BENCHMARKS.md, by hand"]
async fn load_on_one_process_and_on_two() {
    let Some((t, bases)) = two_servers().await else {
        return;
    };
    let mix = [
        (
            "tracking report",
            include_str!("../queries/tracking-report.graphql"),
            json!({"fiscalYear": 2564, "provinceCode": "71"}),
        ),
        (
            "project report list",
            include_str!("../queries/project-report-list.graphql"),
            json!({}),
        ),
        (
            "league table",
            include_str!("../queries/league-table.graphql"),
            json!({}),
        ),
    ];
    let bodies: Vec<PathBuf> = mix
        .iter()
        .enumerate()
        .map(|(i, (_, query, variables))| {
            let body = t.dir.join(format!("body-{i}.json"));
            let json = json!({"query": query, "variables": variables});
            std::fs::write(&body, json.to_string()).unwrap();
            body
        })
        .collect();
    // Each query alone, then the three in turn on every connection.
    let mut rows: Vec<(&str, Vec<PathBuf>)> = mix
        .iter()
        .zip(&bodies)
        .map(|((name, _, _), body)| (*name, vec![body.clone()]))
        .collect();
    rows.push(("the three in turn", bodies.clone()));
    println!("| query | clients | one process req/s | two processes req/s | ratio | p99 one / two (ms) |");
    println!("|---|---|---|---|---|---|");
    for (name, bodies) in rows {
        let warm = bases.to_vec();
        let b = bodies.clone();
        tokio::task::spawn_blocking(move || wrk(&warm, &b, 2, 2))
            .await
            .unwrap();
        for clients in [8, 32] {
            // Two wrk processes either way, so the load generator is the same.
            let (one_base, both) = (vec![bases[0].clone(), bases[0].clone()], bases.to_vec());
            let b = bodies.clone();
            let (alone, p_alone) =
                tokio::task::spawn_blocking(move || wrk(&one_base, &b, clients, 10))
                    .await
                    .unwrap();
            let b = bodies.clone();
            let (pair, p_pair) = tokio::task::spawn_blocking(move || wrk(&both, &b, clients, 10))
                .await
                .unwrap();
            println!(
                "| {name} | {clients} | {alone:.0} | {pair:.0} | {:.2} | {p_alone:.1} / {p_pair:.1} |",
                pair / alone
            );
        }
    }
}
