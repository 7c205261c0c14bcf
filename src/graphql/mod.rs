//! Stitches the domains' GraphQL objects into one schema. Each field is
//! defined in its domain's `graphql.rs`; this module only joins them and adds
//! the per-request loaders and the limits.

pub mod depth;
pub mod limits;
pub mod node;
pub mod order;

use crate::analytics::{Analytics, AnalyticsMutation, AnalyticsQuery, AnalyticsSubscription};
use crate::audit::HistoryLoader;
use crate::auth::graphql::AccountsPool;
use crate::auth::{Access, AuthMutation, AuthQuery, Gate};
use crate::budget::list::{ApprovalsOfOrganisation, ApprovalsOfYear};
use crate::budget::BudgetMutation;
use crate::budget::{BudgetApproval, BudgetQuery};
use crate::db::loader::{ById, ByParent, PagedByParent};
use crate::db::Db;
use crate::elaas::{
    ElaasAsOfLoader, ElaasItem, ElaasMutation, ElaasSnapshot, LatestSnapshotLoader,
};
use crate::organisations::graphql::ProvinceLoader;
use crate::organisations::{Organisation, OrganisationQuery};
use crate::plans::graphql::PlannedBudget;
use crate::plans::PlanMutation;
use crate::plans::{DevelopmentPlan, LaoStrategy, PlanAmendment, PlanProject, PlanQuery};
use crate::reports::ReportMutation;
use crate::reports::{
    GoalReport, ProjectReport, QuarterProgress, ReportByApprovalLoader, ReportQuery,
};
use crate::strategy::{PlanNode, StrategyQuery};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{MergedObject, MergedSubscription, Request, Schema};
use sqlx::PgPool;

/// The address of the client that sent a request (HTTP or WebSocket), put in
/// the request's data by the front door so resolvers can throttle by it
/// (sign-in). `None` where no socket address is known (tests, in-process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

/// The root query: the merged root fields of every domain.
#[derive(MergedObject, Default)]
pub struct Query(
    OrganisationQuery,
    StrategyQuery,
    PlanQuery,
    BudgetQuery,
    ReportQuery,
    AnalyticsQuery,
    AuthQuery,
    node::NodeQuery,
);

/// The root mutation: the merged mutations of every domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    PlanMutation,
    BudgetMutation,
    ReportMutation,
    ElaasMutation,
    AnalyticsMutation,
    AuthMutation,
);

/// The root subscription (GraphQL over WebSocket at `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct Subscription(AnalyticsSubscription);

/// Tidtam's schema type.
pub type TidtamSchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 15;
/// Largest query complexity accepted: each field costs 1, a list field costs
/// its page size times what it selects.
pub const MAX_COMPLEXITY: usize = 10_000;

/// Builds the schema; the pool is shared data, loaders are per request.
pub fn build_schema(pool: Option<PgPool>) -> TidtamSchema {
    let analytics = pool.clone().map(Analytics::new);
    build_schema_with(pool, analytics)
}

/// Builds the schema around a given analytics cache (so the caller can start
/// its listener).
pub fn build_schema_with(
    pool: Option<PgPool>,
    analytics: Option<std::sync::Arc<Analytics>>,
) -> TidtamSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(64)
    .limit_directives(20)
    .extension(limits::Limits)
    .extension(Gate)
    .extension(crate::arguments::ReadArguments)
    .extension(order::SelectionOrder);
    if let Some(pool) = pool {
        builder = builder.data(AccountsPool(pool));
    }
    if let Some(analytics) = analytics {
        builder = builder.data(analytics);
    }
    builder.finish()
}

/// The SDL of the schema, as written to `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

/// How many scheduler turns a loader's batch waits before it is sent.
///
/// async-graphql resolves the items of a long list over several polls (its
/// join yields part-way), so a batch sent after a fixed time (the default
/// 1 ms) catches only part of a level when the machine is busy. Letting the
/// batch task yield to the scheduler instead sends it once the resolvers of
/// the level have all registered their keys and are waiting, whatever the
/// machine's speed.
pub const BATCH_YIELDS: usize = 128;

fn spawn_batch(batch: futures_util::future::BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        for _ in 0..BATCH_YIELDS {
            tokio::task::yield_now().await;
        }
        batch.await;
    });
}

fn loader<L: Loader<K>, K>(l: L) -> DataLoader<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    DataLoader::new(l, spawn_batch).delay(std::time::Duration::ZERO)
}

/// How long one SQL statement of a request may run.
pub const STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// How long one SQL statement of an administrator's request may run.
pub const ADMIN_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Makes a request run as `access`: every statement it runs carries the
/// caller's scope (`Db`), the gate reads `Access`, and the loaders are fresh.
pub fn prepare(request: Request, pool: &PgPool, access: Access) -> Request {
    prepare_with(request, pool, access, &RequestOptions::default())
}

/// Where and how a request's statements run.
#[derive(Clone)]
pub struct RequestOptions {
    /// How long one SQL statement may run.
    pub statement_timeout: std::time::Duration,
    /// Read replicas; a query (never a mutation) reads from one of them.
    pub replicas: Option<std::sync::Arc<crate::db::replicas::Replicas>>,
    /// Whether the request only reads (a query).
    pub read_only: bool,
    /// The caller's own last write: read from a replica that has it.
    pub min_lsn: Option<u64>,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            statement_timeout: STATEMENT_TIMEOUT,
            replicas: None,
            read_only: false,
            min_lsn: None,
        }
    }
}

/// [`prepare`] with every option.
pub fn prepare_with(
    request: Request,
    pool: &PgPool,
    access: Access,
    options: &RequestOptions,
) -> Request {
    let statement_timeout = options.statement_timeout;
    // Administrators import national e-LAAS files through the API.
    let timeout = if access.role() == Some(crate::auth::Role::Admin) {
        statement_timeout.max(ADMIN_STATEMENT_TIMEOUT)
    } else {
        statement_timeout
    };
    let begin = crate::auth::session::begin_statement(&access, timeout);
    let mut db = Db::new(pool.clone(), begin);
    if let (Some(replicas), true) = (&options.replicas, options.read_only) {
        db = db.reading_from(replicas, options.min_lsn);
    }
    with_loaders(request, &db).data(db).data(access)
}

/// Adds fresh DataLoaders to a request, so caches never outlive it.
fn with_loaders(request: Request, db: &Db) -> Request {
    let p = || db.clone();
    request
        .data(loader(ById::<Organisation>::new(p())))
        .data(loader(ById::<PlanNode>::new(p())))
        .data(loader(ById::<DevelopmentPlan>::new(p())))
        .data(loader(ById::<LaoStrategy>::new(p())))
        .data(loader(ById::<PlanAmendment>::new(p())))
        .data(loader(ById::<PlanProject>::new(p())))
        .data(loader(ById::<BudgetApproval>::new(p())))
        .data(loader(ById::<ElaasItem>::new(p())))
        .data(loader(ById::<ProjectReport>::new(p())))
        .data(loader(ByParent::<PlanNode>::new(p())))
        .data(loader(ByParent::<DevelopmentPlan>::new(p())))
        .data(loader(ByParent::<LaoStrategy>::new(p())))
        .data(loader(ByParent::<PlanAmendment>::new(p())))
        .data(loader(ByParent::<PlannedBudget>::new(p())))
        .data(loader(ByParent::<BudgetApproval>::new(p())))
        .data(loader(ByParent::<ElaasSnapshot>::new(p())))
        .data(loader(ByParent::<QuarterProgress>::new(p())))
        .data(loader(PagedByParent::<Organisation>::new(p())))
        .data(loader(PagedByParent::<PlanProject>::new(p())))
        .data(loader(PagedByParent::<GoalReport>::new(p())))
        .data(loader(ProvinceLoader(p())))
        .data(loader(LatestSnapshotLoader(p())))
        .data(loader(ElaasAsOfLoader(p())))
        .data(loader(ReportByApprovalLoader(p())))
        .data(loader(ApprovalsOfYear(p())))
        .data(loader(ApprovalsOfOrganisation(p())))
        .data(loader(HistoryLoader(p())))
        .data(loader(crate::elaas::ApprovalsOfItem(p())))
        .data(loader(crate::elaas::ItemsOfOrganisation(p())))
}
