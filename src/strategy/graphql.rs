//! GraphQL objects of the national plan hierarchy.

use crate::db::loader::{load_children, load_one, ById, Child, Keyed, PagedByParent};
use crate::db::Db;
use crate::error::{internal, GqlResultExt};
use crate::pagination::{self, List, Page};
use crate::reports::{GoalReport, ProjectReport};
use crate::types::global_id;
use async_graphql::{
    dataloader::DataLoader, ComplexObject, Context, Enum, Object, SimpleObject, ID,
};

/// The level of a node of the national plan hierarchy.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PlanLevel {
    /// ยุทธศาสตร์ชาติ: one of the six national strategies
    Strategy,
    /// เป้าหมายยุทธศาสตร์ชาติ
    StrategyGoal,
    /// แผนแม่บทภายใต้ยุทธศาสตร์ชาติ
    MasterPlan,
    /// เป้าหมายแผนแม่บท
    MasterPlanGoal,
    /// แผนย่อยของแผนแม่บท
    SubPlan,
    /// เป้าหมายแผนย่อย
    SubPlanGoal,
    /// หมุดหมาย of the 13th national economic and social development plan
    Plan13Milestone,
    /// a goal of a milestone of the 13th plan
    Plan13Goal,
}

impl PlanLevel {
    /// The value stored in the database.
    pub fn to_db(self) -> &'static str {
        match self {
            Self::Strategy => "strategy",
            Self::StrategyGoal => "strategy_goal",
            Self::MasterPlan => "master_plan",
            Self::MasterPlanGoal => "master_plan_goal",
            Self::SubPlan => "sub_plan",
            Self::SubPlanGoal => "sub_plan_goal",
            Self::Plan13Milestone => "plan13_milestone",
            Self::Plan13Goal => "plan13_goal",
        }
    }

    fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "strategy" => Self::Strategy,
            "strategy_goal" => Self::StrategyGoal,
            "master_plan" => Self::MasterPlan,
            "master_plan_goal" => Self::MasterPlanGoal,
            "sub_plan" => Self::SubPlan,
            "sub_plan_goal" => Self::SubPlanGoal,
            "plan13_milestone" => Self::Plan13Milestone,
            "plan13_goal" => Self::Plan13Goal,
            _ => return None,
        })
    }
}

/// A node of the national plan hierarchy: a strategy, plan or goal.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct PlanNode {
    #[graphql(skip)]
    pub id: i64,
    /// The edition of the hierarchy, e.g. "2566" for the 2566 revision.
    pub edition: String,
    #[graphql(skip)]
    pub level: String,
    /// Structural code: strategy `3`, goal `3.1`, master plan `14`, sub-plan `1401`, goals `MM00NN`/`MMSSNN`.
    pub code: String,
    #[graphql(skip)]
    pub parent_id: Option<i64>,
    /// Name in Thai (plans and strategies).
    pub name_th: Option<String>,
    /// Goal text in Thai (goals).
    pub goal_th: Option<String>,
}

impl Keyed for PlanNode {
    const BY_ID: &'static str = include_str!("sql/nodes_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}

impl Child for PlanNode {
    const BY_PARENT: &'static str = include_str!("sql/nodes_by_parent.sql");
    fn parent(&self) -> i64 {
        self.parent_id.unwrap_or_default()
    }
}

#[ComplexObject]
impl PlanNode {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("PlanNode", self.id)
    }

    /// The nodes one level down: a strategy's goals, a master plan's goals and
    /// sub-plans, a sub-plan's goals.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanNode>> {
        load_children::<PlanNode>(ctx, self.id).await
    }

    /// The goals directly under this node.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn goals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanNode>> {
        let children = load_children::<PlanNode>(ctx, self.id).await?;
        Ok(children
            .into_iter()
            .filter(|n| n.level.ends_with("goal"))
            .collect())
    }

    /// The sub-plans of a master plan.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn sub_plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanNode>> {
        let children = load_children::<PlanNode>(ctx, self.id).await?;
        Ok(children
            .into_iter()
            .filter(|n| n.level == "sub_plan")
            .collect())
    }

    /// Project reports linked to this goal, or to a goal directly under this plan.
    // Reports change by the hour and depend on the caller's scope: never kept,
    // whatever the hierarchy around them allows.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, child_complexity)",
        cache_control(no_cache, private)
    )]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<ProjectReport>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let loader = ctx.data::<DataLoader<PagedByParent<GoalReport>>>()?;
        let found = loader.load_one((self.id, page)).await.map_err(internal)?;
        let (rows, total) = found.map(|p| (p.rows, p.total)).unwrap_or_default();
        let reports = rows.into_iter().map(|r| r.report).collect();
        Ok(pagination::connection(reports, page, total, false, |r| {
            r.id
        }))
    }
    /// What kind of node this is.
    async fn level(&self) -> Option<PlanLevel> {
        PlanLevel::from_db(&self.level)
    }

    /// The node one level up: a goal's plan, a sub-plan's master plan.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlanNode>> {
        match self.parent_id {
            Some(id) => load_one::<ById<PlanNode>, _>(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// An edition of the hierarchy and the fiscal years whose reports link to it.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
pub struct PlanEdition {
    pub code: String,
    pub name_th: String,
    pub first_fiscal_year: i32,
    pub last_fiscal_year: Option<i32>,
}

/// Root fields of this domain.
#[derive(Default)]
pub struct StrategyQuery;

#[Object]
impl StrategyQuery {
    /// The editions of the national plan hierarchy.
    // The hierarchy changes only with a new edition of the national plans
    // (years apart): a GET of it may be kept an hour, by shared caches too.
    #[graphql(
        cache_control(max_age = 3600, public),
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn plan_editions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanEdition>> {
        let pool = ctx.data::<Db>()?;
        crate::db::query_as(include_str!("sql/editions.sql"))
            .fetch_all(pool)
            .await
            .map_err(internal)
    }

    /// ยุทธศาสตร์ชาติ: the national strategies of an edition (by default the
    /// one for `fiscalYear`, else the newest), with their goals under `goals`.
    #[graphql(
        cache_control(max_age = 3600, public),
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn national_strategies(
        &self,
        ctx: &Context<'_>,
        edition: Option<String>,
        fiscal_year: Option<i32>,
    ) -> async_graphql::Result<Vec<PlanNode>> {
        nodes_of_level(ctx, PlanLevel::Strategy, edition, fiscal_year).await
    }

    /// แผนแม่บท: the master plans of an edition, with `goals` and `subPlans`.
    #[graphql(
        cache_control(max_age = 3600, public),
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn master_plans(
        &self,
        ctx: &Context<'_>,
        edition: Option<String>,
        fiscal_year: Option<i32>,
    ) -> async_graphql::Result<Vec<PlanNode>> {
        nodes_of_level(ctx, PlanLevel::MasterPlan, edition, fiscal_year).await
    }

    /// แผนย่อย: the sub-plans of an edition, with their `goals`.
    #[graphql(
        cache_control(max_age = 3600, public),
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::MANY, child_complexity)"
    )]
    async fn sub_plans(
        &self,
        ctx: &Context<'_>,
        edition: Option<String>,
        fiscal_year: Option<i32>,
    ) -> async_graphql::Result<Vec<PlanNode>> {
        nodes_of_level(ctx, PlanLevel::SubPlan, edition, fiscal_year).await
    }
}

async fn nodes_of_level(
    ctx: &Context<'_>,
    level: PlanLevel,
    edition: Option<String>,
    fiscal_year: Option<i32>,
) -> async_graphql::Result<Vec<PlanNode>> {
    let pool = ctx.data::<Db>()?;
    let edition = match edition {
        Some(e) => e,
        None => {
            let year = fiscal_year.unwrap_or(i32::MAX / 2);
            let found: Option<String> =
                crate::db::query_scalar(include_str!("sql/edition_for_year.sql"))
                    .bind(year)
                    .fetch_optional(pool)
                    .await
                    .map_err(internal)?;
            found.unwrap_or_default()
        }
    };
    crate::db::query_as(include_str!("sql/nodes_of_level.sql"))
        .bind(level.to_db())
        .bind(edition)
        .fetch_all(pool)
        .await
        .map_err(internal)
}
