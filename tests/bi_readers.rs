//! The Parquet exports opened by the BI readers people use, not by polars:
//! `scripts/check-readers.py` reads every export with pyarrow and DuckDB (the
//! current versions) and again with pyarrow 14 (which cannot read Arrow's
//! `string_view`), and checks the types docs/bi.md promises (DATE,
//! DECIMAL(14,2), plain strings), the tracking export's one shape across
//! years and the file names. The Pythons come from `TIDTAM_TEST_PYTHON` and
//! `TIDTAM_TEST_PYTHON_PYARROW14` (.ci/run makes both venvs); where one lacks
//! its modules the test says why it skipped, except under CI, where it fails.

mod common;

use common::TestDb;

/// A Python with the modules `probe` imports, or why not.
fn python(var: &str, probe: &str) -> Result<String, String> {
    let python = std::env::var(var).map_err(|_| format!("{var} is not set"))?;
    let out = std::process::Command::new(&python)
        .args(["-c", probe])
        .output()
        .map_err(|e| format!("no {python}: {e}"))?;
    if out.status.success() {
        Ok(python)
    } else {
        Err(format!(
            "{python}: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ))
    }
}

/// Runs the script against a served demo with one Python; its summary line.
async fn read_with(python: String, base: String) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-readers.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args([base.as_str(), "71", "2564", "2561"])
            .output()
            .expect("run the script")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with("READ "))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn pyarrow_14_current_pyarrow_and_duckdb_read_every_parquet_export() {
    let current = python("TIDTAM_TEST_PYTHON", "import pyarrow, duckdb, requests");
    let old = python(
        "TIDTAM_TEST_PYTHON_PYARROW14",
        "import pyarrow, requests; assert pyarrow.__version__.startswith('14.'), pyarrow.__version__",
    );
    let (current, old) = match (current, old) {
        (Ok(c), Ok(o)) => (c, o),
        (c, o) => {
            let why = format!("{:?} / {:?}", c.err(), o.err());
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return;
        }
    };
    let db = TestDb::demo().await;
    let base = db.serve().await;
    // 4 datasets of 2564, and the tracking export of 2561 and 2564 again.
    let summary = read_with(current, base.clone()).await;
    assert!(summary.contains(" files=6 problems=0"), "{summary}");
    assert!(!summary.contains("duckdb=-"), "{summary}");
    let summary = read_with(old, base).await;
    assert!(summary.starts_with("READ pyarrow=14."), "{summary}");
    assert!(summary.contains(" files=6 problems=0"), "{summary}");
}
