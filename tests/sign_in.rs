//! Signing in under attack, through real `signIn` documents against
//! PostgreSQL: failures throttle the account and the address with growing
//! delays (audited), a success clears the account's count, unknown usernames
//! cost a password verification like known ones, and a crowd of hostile
//! sign-ins leaves the process's memory where it was.
//!
//! The tests share process-wide counters (verifications, RSS), so they run
//! one at a time.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::time::Duration;
use tidtam::auth::throttle::SignInLimits;
use tidtam::auth::Access;
use tidtam::graphql::ClientAddress;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SIGN_IN: &str =
    "mutation ($u: String!, $p: String!) { signIn(username: $u, password: $p) { token } }";
/// The demo accounts' password.
const RIGHT: &str = "tidtam-demo";

async fn sign_in(
    schema: &tidtam::graphql::TidtamSchema,
    db: &TestDb,
    limits: SignInLimits,
    address: &str,
    username: &str,
    password: &str,
) -> Value {
    let ip: IpAddr = address.parse().expect("an address");
    let request = async_graphql::Request::new(SIGN_IN)
        .variables(async_graphql::Variables::from_json(
            json!({"u": username, "p": password}),
        ))
        .data(limits)
        .data(ClientAddress(Some(ip)));
    let answer = schema
        .execute(tidtam::graphql::prepare(
            request,
            &db.pool,
            Access::anonymous(),
        ))
        .await;
    serde_json::to_value(&answer).expect("answer as JSON")
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("ok")
}

fn limits(account: u32, address: u32) -> SignInLimits {
    SignInLimits {
        account_failures: account,
        address_failures: address,
        max_delay: Duration::from_secs(300),
        ..SignInLimits::default()
    }
}

/// Ends the blocks now, as the passing of their delay would.
async fn let_time_pass(db: &TestDb) {
    sqlx::query("UPDATE sign_in_throttle SET blocked_until = now() - interval '1 second' WHERE blocked_until IS NOT NULL")
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_account_is_throttled_with_growing_delays_and_a_success_clears_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let limits = limits(3, 1000);
    let from = "192.0.2.10";
    for _ in 0..3 {
        let wrong = sign_in(&schema, &db, limits, from, "officer.hadyai", "wrong").await;
        assert_eq!(code(&wrong), "UNAUTHENTICATED", "{wrong:#}");
    }
    // Blocked now: even the right password is not checked.
    let before = tidtam::auth::password::verifications();
    let blocked = sign_in(&schema, &db, limits, from, "officer.hadyai", RIGHT).await;
    assert_eq!(code(&blocked), "SIGN_IN_THROTTLED", "{blocked:#}");
    assert_eq!(blocked["errors"][0]["extensions"]["retryAfter"], 1);
    assert!(blocked["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("วินาที"));
    assert_eq!(tidtam::auth::password::verifications(), before);
    // From anywhere: the account is what is blocked.
    let elsewhere = sign_in(
        &schema,
        &db,
        limits,
        "198.51.100.1",
        "OFFICER.hadyai",
        RIGHT,
    )
    .await;
    assert_eq!(code(&elsewhere), "SIGN_IN_THROTTLED");

    // The next failure after the block doubles it.
    let_time_pass(&db).await;
    let wrong = sign_in(&schema, &db, limits, from, "officer.hadyai", "wrong").await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED");
    let blocked = sign_in(&schema, &db, limits, from, "officer.hadyai", RIGHT).await;
    assert_eq!(
        blocked["errors"][0]["extensions"]["retryAfter"], 2,
        "{blocked:#}"
    );

    // Each failure and each refusal is in the audit trail, naming the
    // claimed account and the address.
    let audited: Vec<(String, Value)> = sqlx::query_as(
        "SELECT actor, after FROM audit_log WHERE table_name = 'sign_in_throttle' AND row_key = 'account:officer.hadyai' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // 4 failures, 2 blocks, 3 refusals, and the test's own ending of a block.
    assert_eq!(audited.len(), 4 + 2 + 3 + 1, "{audited:#?}");
    assert_eq!(audited[0].0, format!("sign-in:officer.hadyai@{from}"));
    assert_eq!(audited.last().unwrap().1["refused"], 3);

    // Once the delay is over the right password works and clears the count.
    let_time_pass(&db).await;
    let signed = sign_in(&schema, &db, limits, from, "officer.hadyai", RIGHT).await;
    assert_eq!(code(&signed), "ok", "{signed:#}");
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sign_in_throttle WHERE id = 'account:officer.hadyai'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let wrong = sign_in(&schema, &db, limits, from, "officer.hadyai", "wrong").await;
    assert_eq!(
        code(&wrong),
        "UNAUTHENTICATED",
        "one failure after a success is not blocked"
    );
}

#[tokio::test]
async fn an_address_is_throttled_across_accounts_and_others_are_not() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let by_address = limits(1000, 4);
    let attacker = "203.0.113.5";
    for name in ["admin", "analyst", "nobody.here", "officer.hadyai"] {
        let wrong = sign_in(&schema, &db, by_address, attacker, name, "guess").await;
        assert_eq!(code(&wrong), "UNAUTHENTICATED");
    }
    let blocked = sign_in(&schema, &db, by_address, attacker, "approver.hadyai", RIGHT).await;
    assert_eq!(code(&blocked), "SIGN_IN_THROTTLED", "{blocked:#}");
    // The account itself is not blocked for its real user elsewhere.
    let user = sign_in(
        &schema,
        &db,
        by_address,
        "192.0.2.77",
        "officer.hadyai",
        RIGHT,
    )
    .await;
    assert_eq!(code(&user), "ok", "{user:#}");
    // An IPv6 attacker counts by its /64, whatever address it takes in it.
    let v6 = limits(1000, 2);
    for host in ["2001:db8:5:6::1", "2001:db8:5:6::2"] {
        let wrong = sign_in(&schema, &db, v6, host, "admin", "guess").await;
        assert_eq!(code(&wrong), "UNAUTHENTICATED");
    }
    let blocked = sign_in(&schema, &db, v6, "2001:db8:5:6:ffff::9", "admin", RIGHT).await;
    assert_eq!(code(&blocked), "SIGN_IN_THROTTLED");
}

#[tokio::test]
async fn an_unknown_username_costs_a_verification_as_a_known_one_does() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let limits = limits(0, 0);
    for (name, password) in [
        ("officer.hadyai", "wrong"),
        ("no.such.user", "wrong"),
        ("no.such.user", RIGHT),
    ] {
        let before = tidtam::auth::password::verifications();
        let answer = sign_in(&schema, &db, limits, "192.0.2.20", name, password).await;
        assert_eq!(code(&answer), "UNAUTHENTICATED");
        assert_eq!(
            tidtam::auth::password::verifications(),
            before + 1,
            "{name} did not verify a hash"
        );
    }
}

/// The resident memory of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_put_under_a_thousand_hostile_sign_ins() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    // Throttling off: every attempt is hashed, the worst case for memory.
    let limits = limits(0, 0);
    let burst = |n: usize, offset: usize| {
        let schema = schema.clone();
        let db_pool = db.pool.clone();
        async move {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let (schema, pool) = (schema.clone(), db_pool.clone());
                    tokio::spawn(async move {
                        let name = if i % 2 == 0 {
                            "officer.hadyai".to_string()
                        } else {
                            format!("attacker.{}", i + offset)
                        };
                        let request = async_graphql::Request::new(SIGN_IN)
                            .variables(async_graphql::Variables::from_json(
                                json!({"u": name, "p": format!("guess-{i}")}),
                            ))
                            .data(limits)
                            .data(ClientAddress(Some([192, 0, 2, 99].into())));
                        schema
                            .execute(tidtam::graphql::prepare(
                                request,
                                &pool,
                                Access::anonymous(),
                            ))
                            .await
                            .errors
                            .len()
                    })
                })
                .collect();
            for t in tasks {
                assert_eq!(t.await.expect("a sign-in"), 1, "every guess is refused");
            }
        }
    };
    // Warm up: one hashing buffer per core and the pool's connections exist
    // after this, as in a server that has served a few sign-ins.
    let warm = 2 * tidtam::auth::password::permits();
    burst(warm, 0).await;
    let start = rss();
    let mut done = warm;
    while done < 1000 {
        burst(32.min(1000 - done), done).await;
        done += 32;
    }
    let end = rss();
    let grown = end.saturating_sub(start);
    assert!(
        grown < 100 * 1024 * 1024,
        "RSS grew by {} MiB ({} → {} MiB) over 1,000 hostile sign-ins",
        grown >> 20,
        start >> 20,
        end >> 20
    );
}
