//! GraphQL objects of the eMENSCR project report.

use crate::budget::filter::ApprovalFilter;
use crate::budget::BudgetApproval;
use crate::db::loader::{load_children, load_one, ById, Child, Keyed};
use crate::db::Db;
use crate::error::{internal, GqlResultExt};
use crate::pagination::{self, List, Page};
use crate::strategy::PlanNode;
use crate::types::{format_be, global_id, Money};
use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, ID};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};

/// Where a report is in its life.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    /// being written
    Draft,
    /// sent (รายงานแล้ว)
    Submitted,
    /// ดำเนินการเสร็จสิ้น
    Completed,
}

impl ReportStatus {
    /// The value stored in the database.
    pub fn to_db(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Submitted => "submitted",
            ReportStatus::Completed => "completed",
        }
    }
}

/// Progress of a project in one fiscal quarter (ไตรมาส; Q1 = October–December).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct QuarterProgress {
    #[graphql(skip)]
    pub report_id: i64,
    /// 1 to 4; Q1 is October–December.
    pub fiscal_quarter: i32,
    #[graphql(skip)]
    pub percent: Decimal,
    pub narrative: String,
    pub recorded_on: NaiveDate,
    pub version: i32,
}

#[ComplexObject]
impl QuarterProgress {
    /// Percent complete, a decimal string ("75.00").
    async fn percent(&self) -> String {
        format!("{:.2}", self.percent)
    }

    #[graphql(name = "recordedOnBE")]
    async fn recorded_on_be(&self) -> String {
        format_be(self.recorded_on)
    }
}

impl Child for QuarterProgress {
    const BY_PARENT: &'static str = include_str!("sql/progress_by_report.sql");
    fn parent(&self) -> i64 {
        self.report_id
    }
}

impl Keyed for ProjectReport {
    const BY_ID: &'static str = include_str!("sql/by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
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
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("ProjectReport", self.id)
    }

    /// Every change of this record: who, when, before and after (oldest first).
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::audit::AuditEntry>> {
        crate::audit::history_of(ctx, crate::audit::Audited::ProjectReport, self.id).await
    }

    /// The budget approval reported on.
    async fn approval(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BudgetApproval>> {
        load_one::<ById<BudgetApproval>, _>(ctx, self.budget_approval_id).await
    }

    /// Progress per fiscal quarter.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn progress(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<QuarterProgress>> {
        load_children::<QuarterProgress>(ctx, self.id).await
    }

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

    /// The submission date in the Buddhist Era.
    #[graphql(name = "submittedOnBE")]
    async fn submitted_on_be(&self) -> Option<String> {
        self.submitted_on.map(format_be)
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
    let goal = load_one::<ById<PlanNode>, _>(ctx, id).await?;
    Ok(goal.map(|goal| GoalLink {
        goal,
        result: result.clone(),
    }))
}

/// The deadline of one reporting stage (กรอบเวลาในการส่งข้อมูล).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct ReportingDeadline {
    /// ปีงบประมาณ (BE)
    pub fiscal_year: i32,
    /// budget_approval, report_submission, progress_q1 … progress_q4, completion
    pub stage: String,
    pub due_on: NaiveDate,
    pub note: Option<String>,
}

#[ComplexObject]
impl ReportingDeadline {
    #[graphql(name = "dueOnBE")]
    async fn due_on_be(&self) -> String {
        format_be(self.due_on)
    }
}

/// Root fields of this domain.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The reporting calendar: each stage's deadline, of one fiscal year or all.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn reporting_deadlines(
        &self,
        ctx: &Context<'_>,
        fiscal_year: Option<i32>,
    ) -> async_graphql::Result<Vec<ReportingDeadline>> {
        let pool = ctx.data::<Db>()?;
        crate::db::query_as(include_str!("sql/deadlines.sql"))
            .bind(fiscal_year)
            .fetch_all(pool)
            .await
            .map_err(internal)
    }

    /// Reports whose approvals match a filter, optionally of one status;
    /// ranked by match when searching, else by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: ApprovalFilter,
        status: Option<ReportStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<ProjectReport>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let pool = ctx.data::<Db>()?;
        let rows = list(pool, &filter, status, page).await.map_err(internal)?;
        let total = if pagination::wants_total(ctx) {
            let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*)");
            push_from(&mut qb, &filter, status);
            qb.build_query_scalar()
                .fetch_one(pool)
                .await
                .map_err(internal)?
        } else {
            0
        };
        let ranked = filter.search_text().is_some();
        Ok(pagination::connection(rows, page, total, ranked, |r| r.id))
    }
}

fn push_from(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &ApprovalFilter,
    status: Option<ReportStatus>,
) {
    qb.push(" FROM approval_facts f JOIN project_reports r ON r.id = f.report_id WHERE true");
    filter.push_where(qb);
    if let Some(s) = status {
        qb.push(" AND r.status = ").push_bind(s.to_db());
    }
}

async fn list(
    pool: &Db,
    filter: &ApprovalFilter,
    status: Option<ReportStatus>,
    page: Page,
) -> Result<Vec<ProjectReport>, sqlx::Error> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("SELECT {}", include_str!("sql/columns.sql")));
    push_from(&mut qb, filter, status);
    match filter.search_text() {
        Some(q) => {
            qb.push(format!(
                " ORDER BY tidtam_match_score({}, ",
                crate::budget::filter::SEARCH_DOCUMENT
            ))
            .push_bind(q.to_string())
            .push(") DESC, r.id OFFSET ")
            .push_bind(page.offset);
        }
        None => {
            qb.push(" AND r.id > ")
                .push_bind(page.after_id.unwrap_or(0))
                .push(" ORDER BY r.id");
        }
    }
    qb.push(" LIMIT ").push_bind(page.fetch());
    qb.build_query_as().fetch_all(pool).await
}
