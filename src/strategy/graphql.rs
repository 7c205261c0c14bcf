//! GraphQL objects of the national plan hierarchy.

use super::PlanNodeLoader;
use async_graphql::{dataloader::DataLoader, ComplexObject, Context, Enum, SimpleObject};

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

#[ComplexObject]
impl PlanNode {
    /// What kind of node this is.
    async fn level(&self) -> Option<PlanLevel> {
        PlanLevel::from_db(&self.level)
    }

    /// The node one level up: a goal's plan, a sub-plan's master plan.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlanNode>> {
        let Some(parent_id) = self.parent_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<PlanNodeLoader>>()?;
        loader
            .load_one(parent_id)
            .await
            .map_err(crate::error::internal)
    }
}
