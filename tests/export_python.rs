//! The facts export read back by Python: `scripts/check-export.py` (polars)
//! sums a Parquet export of a generated province and compares every total
//! with the GraphQL aggregates of the same server, with and without a filter.
//! It runs where `python3` (or `TIDTAM_TEST_PYTHON`) has the `polars` and
//! `requests` modules; elsewhere it says why it skipped, except under CI
//! (`CI` set), where a missing module fails it.

mod common;

use common::TestDb;
use tidtam::auth::store::{add_account, NewAccount};
use tidtam::auth::Role;
use tidtam::generate::{generate, Options, Scale};

/// The Python to run, if it has what the script needs; else why not.
fn python() -> Result<String, String> {
    let python = std::env::var("TIDTAM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python)
        .args(["-c", "import polars, requests"])
        .output();
    match probe {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{python} lacks polars or requests (pip install polars requests): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        )),
        Err(e) => Err(format!("no {python}: {e}")),
    }
}

#[tokio::test]
async fn python_reads_the_parquet_export_with_the_graphql_totals() {
    let python = match python() {
        Ok(p) => p,
        Err(why) if std::env::var_os("CI").is_some() => panic!("{why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let db = TestDb::empty().await;
    generate(
        &db.pool,
        Options {
            scale: Scale::Province,
            years: 1,
            seed: 3,
        },
        |_| {},
    )
    .await
    .expect("generate a province");
    let account = add_account(
        &db.pool,
        NewAccount {
            username: "python.analyst",
            display_name: "Python",
            password: None,
            role: Role::CentralAnalyst,
            organisation_code: None,
            province_code: None,
        },
    )
    .await
    .expect("an analyst");
    let token = db.token(&account.username).await;
    let base = db.serve().await;
    let approvals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM approval_facts WHERE fiscal_year = 2561 AND published",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(approvals > 1000, "a generated province: {approvals}");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-export.py");
    let run = |filters: &'static [&'static str]| {
        let (python, base, token) = (python.clone(), base.clone(), token.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(python)
                .arg(script)
                .args([base.as_str(), "2561", token.as_str()])
                .args(filters)
                .output()
                .expect("run the script")
        })
    };
    let whole = run(&[]).await.unwrap();
    let stdout = String::from_utf8_lossy(&whole.stdout);
    assert!(
        whole.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "{approvals} approvals in 1 provinces; 1 provinces over GraphQL; 0 differ"
        )),
        "{stdout}"
    );

    // A filter beyond the place: the export and `disbursement(filter:)` keep
    // the same subset (fewer approvals, still equal totals).
    let big: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM approval_facts WHERE fiscal_year = 2561 AND published AND amount >= 500000",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(0 < big && big < approvals, "{big} of {approvals}");
    let filtered = run(&["amountMin=500000.00"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&filtered.stdout);
    assert!(
        filtered.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&filtered.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "{big} approvals in 1 provinces; 1 provinces over GraphQL; 0 differ"
        )),
        "{stdout}"
    );
}
