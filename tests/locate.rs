//! Each branch of "find or start a PostgreSQL" that this machine can reach.

use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use tidtam::db::locate::{find_server_bin, locate, LocateError, LocateOptions, PrivateCluster};

fn nothing() -> LocateOptions {
    LocateOptions {
        url: None,
        probe: vec![],
        server_bin_dirs: vec![],
        data_dir: PathBuf::from("/nonexistent"),
        database: "tidtam_locate_test".into(),
    }
}

#[tokio::test]
async fn an_explicit_url_is_used_as_given() {
    let url = "postgres://someone@db.example:6543/x".to_string();
    let located = locate(&LocateOptions {
        url: Some(url.clone()),
        ..nothing()
    })
    .await
    .unwrap();
    assert_eq!(located.url, url);
    assert!(located.cluster.is_none());
}

#[tokio::test]
async fn a_local_server_is_found_and_gets_a_database() {
    let probe = common_probe();
    let mut options = LocateOptions {
        probe: probe.clone(),
        ..nothing()
    };
    options.database = format!("tidtam_locate_{}", std::process::id());
    let Ok(located) = locate(&options).await else {
        eprintln!("skipped: no PostgreSQL at {probe:?}");
        return;
    };
    let mut conn = PgConnection::connect(&located.url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(name, options.database);
    conn.close().await.unwrap();
    let mut admin = PgConnection::connect(&probe[0]).await.unwrap();
    sqlx::query(&format!(
        "DROP DATABASE \"{}\" WITH (FORCE)",
        options.database
    ))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test]
async fn nothing_found_says_what_to_install() {
    let err = locate(&nothing()).await.unwrap_err();
    assert!(matches!(err, LocateError::NothingFound));
    let text = err.to_string();
    assert!(text.contains("sudo apt-get install postgresql"), "{text}");
    assert!(text.contains("DATABASE_URL="), "{text}");
}

#[tokio::test]
async fn a_private_cluster_is_started_and_stopped() {
    let Some(bin) = find_server_bin(&tidtam::db::locate::default_bin_dirs()) else {
        eprintln!("skipped: PostgreSQL's server programs (initdb, pg_ctl) are not installed");
        return;
    };
    let dir = std::env::temp_dir().join(format!("tidtam-private-{}", std::process::id()));
    let options = LocateOptions {
        server_bin_dirs: vec![bin.clone()],
        data_dir: dir.clone(),
        ..nothing()
    };
    let located = locate(&options).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(located.url.starts_with("postgres://"));
    let mut conn = PgConnection::connect(&located.url).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    drop(located); // stops the server
    let again = PrivateCluster::start(&bin, &dir).unwrap();
    assert!(again.is_running(), "restarts on the same data folder");
    drop(again);
    assert!(
        PgConnection::connect(&options_url(&dir)).await.is_err(),
        "stopped on drop"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn options_url(dir: &std::path::Path) -> String {
    let conf = std::fs::read_to_string(dir.join("postgresql.auto.conf")).unwrap();
    let port = conf
        .lines()
        .find_map(|l| l.strip_prefix("port = "))
        .unwrap()
        .trim()
        .to_string();
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn common_probe() -> Vec<String> {
    let admin = std::env::var("TIDTAM_TEST_ADMIN_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .and_then(|u| tidtam::db::locate::with_database(&u, "postgres"));
    match admin {
        Some(url) => vec![url],
        None => LocateOptions::from_env(None).probe,
    }
}
