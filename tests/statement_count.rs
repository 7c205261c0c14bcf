//! Every relation is batched: the statements a nested query sends do not grow
//! with the number of rows. This binary holds only this test, because it
//! counts statements through a process-wide tracing subscriber.

mod common;

use common::TestDb;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Counts the SQL statements sqlx sends (its `sqlx::query` events).
#[derive(Clone, Default)]
struct StatementCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        struct Summary(String);
        impl tracing::field::Visit for Summary {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "summary" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut summary = Summary(String::new());
        event.record(&mut summary);
        // Each statement runs in a short transaction that carries the
        // caller's scope; its BEGIN and COMMIT are not statements of the query.
        let text = summary.0.trim_matches('"').to_ascii_uppercase();
        if text.starts_with("BEGIN") || text.starts_with("COMMIT") || text.starts_with("ROLLBACK") {
            return;
        }
        self.0.fetch_add(1, Ordering::SeqCst);
        if std::env::var("DEBUG_STMTS").is_ok() {
            eprintln!("STMT {}", summary.0);
        }
    }
}

/// The process-wide counter; a global subscriber, because tracing caches
/// per call site whether anyone listens.
fn counter() -> StatementCounter {
    static COUNTER: OnceLock<StatementCounter> = OnceLock::new();
    COUNTER
        .get_or_init(|| {
            use tracing_subscriber::layer::SubscriberExt;
            let counter = StatementCounter::default();
            let subscriber = tracing_subscriber::registry()
                .with(
                    tracing_subscriber::filter::Targets::new()
                        .with_target("sqlx::query", tracing::Level::TRACE),
                )
                .with(counter.clone());
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
            counter
        })
        .clone()
}

async fn statements_for(organisations: usize) -> usize {
    let db = TestDb::empty().await;
    let seed =
        include_str!("sql/seed_organisations.sql").replace("{n}", &organisations.to_string());
    sqlx::raw_sql(&seed).execute(&db.pool).await.unwrap();
    let counter = counter();
    counter.0.store(0, Ordering::SeqCst);
    let data = db
        .graphql_ok(
            // The deep relations hang off a short page of approvals: a
            // hundred organisations with every project and its relations
            // would be refused as too complex (src/graphql/limits.rs).
            r#"{ organisations(filter: {provinceCode: "99"}, first: 100) { totalCount edges { node {
                   code province { nameTh }
                   projects(fiscalYear: 2564) { name }
                   budgetApprovals(first: 2) { totalCount edges { node { ordinanceBudget contractAmount disbursed
                     remaining elaas { asOfBE } planProject { name plan { firstYear } } elaasItem { code }
                     report { status coordinatorName } } } }
                 } } } }"#,
            json!({}),
        )
        .await;
    let orgs = data["organisations"]["edges"].as_array().unwrap();
    assert_eq!(orgs.len(), organisations);
    assert_eq!(orgs[0]["node"]["projects"].as_array().unwrap().len(), 2);
    let approvals = &orgs[0]["node"]["budgetApprovals"]["edges"];
    assert_eq!(approvals[0]["node"]["report"]["status"], "SUBMITTED");
    assert!(approvals[0]["node"]["planProject"]["plan"]["firstYear"].is_number());
    assert_eq!(orgs[0]["node"]["budgetApprovals"]["totalCount"], 2);
    counter.0.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_hundred_organisations_cost_as_many_statements_as_ten() {
    let ten = statements_for(10).await;
    let hundred = statements_for(100).await;
    // One statement per relation and level: organisations, their count,
    // provinces, the year's approvals, the paged approvals, plan projects,
    // plans, e-LAAS items, latest figures, reports.
    // Without batching, 100 organisations would cost hundreds.
    const BOUND: usize = 11;
    assert!(ten >= 9, "only {ten} statements were counted");
    assert!(ten <= BOUND, "10 organisations: {ten} statements");
    assert!(hundred <= BOUND, "100 organisations: {hundred} statements");
}
