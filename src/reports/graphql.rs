//! GraphQL objects of the eMENSCR project report.

use crate::error::internal;
use crate::strategy::{PlanNode, PlanNodeLoader};
use crate::types::{format_be, Money};
use async_graphql::{dataloader::DataLoader, ComplexObject, Context, Enum, SimpleObject};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Where a report is in its life.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReportStatus {
    /// being written
    Draft,
    /// sent (รายงานแล้ว)
    Submitted,
    /// ดำเนินการเสร็จสิ้น
    Completed,
}

/// A link from the report to one goal of the national plans, with what the
/// project achieved against it (ผลการดำเนินงานต่อเป้าหมาย).
#[derive(SimpleObject, Clone, Debug)]
pub struct GoalLink {
    pub goal: PlanNode,
    /// The result narrative for this goal.
    pub result: Option<String>,
}

/// A project's location picked on the map (พิกัดที่ตั้งโครงการ).
#[derive(SimpleObject, Clone, Debug)]
pub struct Location {
    /// เส้นรุ้ง (ละติจูด)
    pub latitude: f64,
    /// เส้นแวง (ลองจิจูด)
    pub longitude: f64,
}

/// The eMENSCR report of one approved project.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct ProjectReport {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub budget_approval_id: i64,
    /// ประเภทกิจกรรม: "งาน - แผนงาน".
    pub activity_type: Option<String>,
    #[graphql(skip)]
    pub planned_budget: Option<Decimal>,
    /// ผู้ประสานงานโครงการ: name.
    pub coordinator_name: Option<String>,
    /// ผู้ประสานงานโครงการ: phone.
    pub coordinator_phone: Option<String>,
    /// หลักการและเหตุผล
    pub rationale: Option<String>,
    /// เป้าหมายเชิงผลผลิต: a countable target.
    pub output_target: Option<String>,
    /// เป้าหมายเชิงผลลัพธ์: an effect, e.g. satisfaction 80%.
    pub outcome_target: Option<String>,
    /// ผลที่คาดว่าจะเกิด
    pub expected_results: Option<String>,
    /// ดัชนีชี้วัดความสำเร็จ
    pub success_indicator: Option<String>,
    /// กลุ่มเป้าหมาย/ผู้ได้รับประโยชน์
    pub target_group: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// สาเหตุที่ไม่สามารถเบิกจ่ายงบประมาณได้ตามแผน (only when off plan).
    pub off_plan_reason: Option<String>,
    #[graphql(skip)]
    pub strategy_goal_id: Option<i64>,
    #[graphql(skip)]
    pub strategy_goal_result: Option<String>,
    #[graphql(skip)]
    pub master_plan_goal_id: Option<i64>,
    #[graphql(skip)]
    pub master_plan_goal_result: Option<String>,
    #[graphql(skip)]
    pub sub_plan_goal_id: Option<i64>,
    #[graphql(skip)]
    pub sub_plan_goal_result: Option<String>,
    #[graphql(skip)]
    pub latitude: Option<f64>,
    #[graphql(skip)]
    pub longitude: Option<f64>,
    /// ดำเนินการเสร็จสิ้น
    pub completed: bool,
    pub completed_on: Option<NaiveDate>,
    /// สรุปผลการดำเนินงาน
    pub summary: Option<String>,
    /// ปัญหาและอุปสรรค
    pub problems: Option<String>,
    /// ข้อเสนอแนะ
    pub suggestions: Option<String>,
    #[graphql(skip)]
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    /// Optimistic-concurrency version of the record.
    pub version: i32,
}

#[ComplexObject]
impl ProjectReport {
    /// Draft, submitted or completed.
    async fn status(&self) -> Option<ReportStatus> {
        match self.status.as_str() {
            "draft" => Some(ReportStatus::Draft),
            "submitted" => Some(ReportStatus::Submitted),
            "completed" => Some(ReportStatus::Completed),
            _ => None,
        }
    }

    /// งบตามแผน: the planned budget.
    async fn planned_budget(&self) -> Option<Money> {
        self.planned_budget.map(Money)
    }

    /// The start date in the Buddhist Era.
    #[graphql(name = "startDateBE")]
    async fn start_date_be(&self) -> Option<String> {
        self.start_date.map(format_be)
    }

    /// The end date in the Buddhist Era.
    #[graphql(name = "endDateBE")]
    async fn end_date_be(&self) -> Option<String> {
        self.end_date.map(format_be)
    }

    /// The completion date in the Buddhist Era.
    #[graphql(name = "completedOnBE")]
    async fn completed_on_be(&self) -> Option<String> {
        self.completed_on.map(format_be)
    }

    /// เป้าหมายยุทธศาสตร์ชาติ and the result against it.
    async fn strategy_goal(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GoalLink>> {
        goal_link(ctx, self.strategy_goal_id, &self.strategy_goal_result).await
    }

    /// เป้าหมายแผนแม่บท and the result against it.
    async fn master_plan_goal(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GoalLink>> {
        goal_link(ctx, self.master_plan_goal_id, &self.master_plan_goal_result).await
    }

    /// เป้าหมายแผนย่อย and the result against it.
    async fn sub_plan_goal(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GoalLink>> {
        goal_link(ctx, self.sub_plan_goal_id, &self.sub_plan_goal_result).await
    }

    /// พิกัดที่ตั้งโครงการ: the point picked on the map.
    async fn location(&self) -> Option<Location> {
        Some(Location {
            latitude: self.latitude?,
            longitude: self.longitude?,
        })
    }
}

async fn goal_link(
    ctx: &Context<'_>,
    id: Option<i64>,
    result: &Option<String>,
) -> async_graphql::Result<Option<GoalLink>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let loader = ctx.data::<DataLoader<PlanNodeLoader>>()?;
    let goal = loader.load_one(id).await.map_err(internal)?;
    Ok(goal.map(|goal| GoalLink {
        goal,
        result: result.clone(),
    }))
}
