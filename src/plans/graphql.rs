//! GraphQL objects of local development plans and their projects, and the
//! root list of plan projects.

use crate::budget::BudgetApproval;
use crate::db::loader::{load_children, load_one, ById, Child, Keyed, PagedByParent, PagedChild};
use crate::db::Db;
use crate::error::{internal, GqlResultExt};
use crate::organisations::Organisation;
use crate::pagination::{self, List, Page};
use crate::types::{format_be, global_id, Money};
use async_graphql::{
    dataloader::DataLoader, ComplexObject, Context, InputObject, Object, SimpleObject, ID,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};

/// แผนพัฒนาท้องถิ่น: an LAO's five-year local development plan.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct DevelopmentPlan {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub organisation_id: i64,
    /// First plan year (BE), e.g. 2561.
    pub first_year: i32,
    /// Last plan year (BE), four after the first.
    pub last_year: i32,
    /// อนุมัติแผน: the approval date; null while not approved.
    pub approved_on: Option<NaiveDate>,
    pub version: i32,
}

/// ยุทธศาสตร์การพัฒนาของ อปท.: one of the LAO's own development strategies.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
pub struct LaoStrategy {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub plan_id: i64,
    pub number: i32,
    #[graphql(name = "name")]
    pub name_th: String,
}

/// An amendment of a plan (แผนพัฒนาท้องถิ่น แก้ไข/เพิ่มเติม).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct PlanAmendment {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub plan_id: i64,
    pub number: i32,
    pub approved_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A project of a local development plan.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct PlanProject {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub plan_id: i64,
    #[graphql(skip)]
    pub strategy_id: Option<i64>,
    /// ด้าน
    pub sector: String,
    /// ประเภทกิจกรรม: "งาน - แผนงาน"
    pub activity_type: Option<String>,
    #[graphql(name = "name")]
    pub name_th: String,
    #[graphql(skip)]
    pub amendment_id: Option<i64>,
    pub version: i32,
}

/// The planned budget of a project in one plan year.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct PlannedBudget {
    #[graphql(skip)]
    pub plan_project_id: i64,
    /// Plan year (BE).
    pub plan_year: i32,
    #[graphql(skip)]
    pub amount: Decimal,
}

impl Keyed for DevelopmentPlan {
    const BY_ID: &'static str = include_str!("sql/plan_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}
impl Child for DevelopmentPlan {
    const BY_PARENT: &'static str = include_str!("sql/plans_by_organisation.sql");
    fn parent(&self) -> i64 {
        self.organisation_id
    }
}
impl Keyed for LaoStrategy {
    const BY_ID: &'static str = include_str!("sql/strategy_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}
impl Child for LaoStrategy {
    const BY_PARENT: &'static str = include_str!("sql/strategies_by_plan.sql");
    fn parent(&self) -> i64 {
        self.plan_id
    }
}
impl Keyed for PlanAmendment {
    const BY_ID: &'static str = include_str!("sql/amendment_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}
impl Child for PlanAmendment {
    const BY_PARENT: &'static str = include_str!("sql/amendments_by_plan.sql");
    fn parent(&self) -> i64 {
        self.plan_id
    }
}
impl Keyed for PlanProject {
    const BY_ID: &'static str = include_str!("sql/project_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}
impl PagedChild for PlanProject {
    const PAGED_BY_PARENT: &'static str = include_str!("sql/projects_by_plan_paged.sql");
    fn parent(&self) -> i64 {
        self.plan_id
    }
}
impl Child for PlannedBudget {
    const BY_PARENT: &'static str = include_str!("sql/budgets_by_project.sql");
    fn parent(&self) -> i64 {
        self.plan_project_id
    }
}

#[ComplexObject]
impl DevelopmentPlan {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("DevelopmentPlan", self.id)
    }

    /// Every change of this record: who, when, before and after (oldest first).
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::audit::AuditEntry>> {
        crate::audit::history_of(ctx, crate::audit::Audited::DevelopmentPlan, self.id).await
    }

    #[graphql(name = "approvedOnBE")]
    async fn approved_on_be(&self) -> Option<String> {
        self.approved_on.map(format_be)
    }

    /// The organisation whose plan this is.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        load_one::<ById<Organisation>, _>(ctx, self.organisation_id).await
    }

    /// The LAO's development strategies in this plan.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn strategies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LaoStrategy>> {
        load_children::<LaoStrategy>(ctx, self.id).await
    }

    /// Amendments, in order.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn amendments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanAmendment>> {
        load_children::<PlanAmendment>(ctx, self.id).await
    }

    /// The plan's projects, by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<PlanProject>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let loader = ctx.data::<DataLoader<PagedByParent<PlanProject>>>()?;
        let found = loader.load_one((self.id, page)).await.map_err(internal)?;
        let (rows, total) = found.map(|p| (p.rows, p.total)).unwrap_or_default();
        Ok(pagination::connection(rows, page, total, false, |p| p.id))
    }
}

#[ComplexObject]
impl PlanAmendment {
    #[graphql(name = "approvedOnBE")]
    async fn approved_on_be(&self) -> Option<String> {
        self.approved_on.map(format_be)
    }
}

#[ComplexObject]
impl PlannedBudget {
    async fn amount(&self) -> Money {
        Money(self.amount)
    }
}

#[ComplexObject]
impl PlanProject {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("PlanProject", self.id)
    }

    /// Every change of this record: who, when, before and after (oldest first).
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::audit::AuditEntry>> {
        crate::audit::history_of(ctx, crate::audit::Audited::PlanProject, self.id).await
    }

    /// The plan the project belongs to.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DevelopmentPlan>> {
        load_one::<ById<DevelopmentPlan>, _>(ctx, self.plan_id).await
    }

    /// The LAO strategy it is under.
    async fn strategy(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LaoStrategy>> {
        match self.strategy_id {
            Some(id) => load_one::<ById<LaoStrategy>, _>(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The amendment that added it (โครงการที่เพิ่ม); null if in the plan as approved.
    async fn amendment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlanAmendment>> {
        match self.amendment_id {
            Some(id) => load_one::<ById<PlanAmendment>, _>(ctx, id).await,
            None => Ok(None),
        }
    }

    /// Planned budget per plan year.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn planned_budgets(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PlannedBudget>> {
        load_children::<PlannedBudget>(ctx, self.id).await
    }

    /// Its budget approvals, by fiscal year.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn approvals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<BudgetApproval>> {
        load_children::<BudgetApproval>(ctx, self.id).await
    }
}

/// Which plan projects to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PlanProjectFilter {
    pub organisation_code: Option<String>,
    pub province_code: Option<String>,
    /// Projects with a planned budget in this plan year (BE).
    pub plan_year: Option<i32>,
    /// ด้าน
    pub sector: Option<String>,
    pub activity_type: Option<String>,
    /// Only projects added by an amendment (true) or only original ones (false).
    pub added_by_amendment: Option<bool>,
    /// Text in the project name; Thai needs no spaces.
    pub search: Option<String>,
}

/// Root fields of this domain.
#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// Plan projects matching a filter; ranked by match when searching, else by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn plan_projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: PlanProjectFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<PlanProject>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let pool = ctx.data::<Db>()?;
        let want_total = pagination::wants_total(ctx);
        let (rows, total) = list_projects(pool, &filter, page, want_total)
            .await
            .map_err(internal)?;
        let ranked = search_of(&filter).is_some();
        Ok(pagination::connection(rows, page, total, ranked, |p| p.id))
    }
}

fn search_of(filter: &PlanProjectFilter) -> Option<String> {
    filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn push_project_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &PlanProjectFilter) {
    qb.push(
        " FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id \
          JOIN organisations o ON o.id = dp.organisation_id WHERE true",
    );
    if let Some(v) = &f.organisation_code {
        qb.push(" AND o.code = ").push_bind(v.clone());
    }
    if let Some(v) = &f.province_code {
        qb.push(" AND o.province_code = ").push_bind(v.clone());
    }
    if let Some(v) = f.plan_year {
        qb.push(" AND EXISTS (SELECT 1 FROM plan_project_budgets b WHERE b.plan_project_id = pp.id AND b.plan_year = ")
            .push_bind(v)
            .push(")");
    }
    if let Some(v) = &f.sector {
        qb.push(" AND pp.sector = ").push_bind(v.clone());
    }
    if let Some(v) = &f.activity_type {
        qb.push(" AND pp.activity_type = ").push_bind(v.clone());
    }
    if let Some(v) = f.added_by_amendment {
        qb.push(if v {
            " AND pp.amendment_id IS NOT NULL"
        } else {
            " AND pp.amendment_id IS NULL"
        });
    }
    if let Some(q) = search_of(f) {
        qb.push(" AND tidtam_match_score(pp.name_th, ")
            .push_bind(q)
            .push(") >= ")
            .push_bind(crate::budget::filter::SEARCH_THRESHOLD);
    }
}

async fn list_projects(
    pool: &Db,
    f: &PlanProjectFilter,
    page: Page,
    want_total: bool,
) -> Result<(Vec<PlanProject>, i64), sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT pp.id, pp.plan_id, pp.strategy_id, pp.sector, pp.activity_type, pp.name_th, pp.amendment_id, pp.version",
    );
    push_project_filter(&mut qb, f);
    match search_of(f) {
        Some(q) => {
            qb.push(" ORDER BY tidtam_match_score(pp.name_th, ")
                .push_bind(q)
                .push(") DESC, length(pp.name_th), pp.id OFFSET ")
                .push_bind(page.offset);
        }
        None => {
            qb.push(" AND pp.id > ")
                .push_bind(page.after_id.unwrap_or(0))
                .push(" ORDER BY pp.id");
        }
    }
    qb.push(" LIMIT ").push_bind(page.fetch());
    let rows = qb.build_query_as().fetch_all(pool).await?;
    let total = if want_total {
        let mut qc = QueryBuilder::<Postgres>::new("SELECT count(*)");
        push_project_filter(&mut qc, f);
        qc.build_query_scalar().fetch_one(pool).await?
    } else {
        0
    };
    Ok((rows, total))
}
