//! The eMENSCR report screens as mutations: create and update the report,
//! set its three goal links and its location, record quarterly progress,
//! submit, complete and reopen. Every change is checked against the manual's
//! rules, made in one transaction with its audit record, and refused when the
//! caller's version is stale.

use super::store::{insert_report, ReportFields};
use super::ProjectReport;
use crate::audit;
use crate::db::Db;
use crate::error::{codes, AppError, GqlResultExt};
use crate::plans::mutations::{key_of, settle};
use crate::types::{fiscal_year_range, global_id};
use crate::validation::Validator;
use async_graphql::{Context, InputObject, Object, ID};
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The fields of the report form. In an update, a field left out stays as it
/// is and an empty text clears it. Dates are dd/mm/yyyy BE, amounts baht.
#[derive(InputObject, Default)]
pub struct ReportFormInput {
    /// ประเภทกิจกรรม
    pub activity_type: Option<String>,
    /// งบตามแผน
    pub planned_budget: Option<String>,
    /// ผู้ประสานงานโครงการ: name (required to submit)
    pub coordinator_name: Option<String>,
    /// ผู้ประสานงานโครงการ: Thai phone number (required to submit)
    pub coordinator_phone: Option<String>,
    /// หลักการและเหตุผล (required to submit)
    pub rationale: Option<String>,
    /// เป้าหมายเชิงผลผลิต (required to submit)
    pub output_target: Option<String>,
    /// เป้าหมายเชิงผลลัพธ์ (required to submit)
    pub outcome_target: Option<String>,
    /// ผลที่คาดว่าจะเกิด (required to submit)
    pub expected_results: Option<String>,
    /// ดัชนีชี้วัดความสำเร็จ (required to submit)
    pub success_indicator: Option<String>,
    /// กลุ่มเป้าหมาย/ผู้ได้รับประโยชน์
    pub target_group: Option<String>,
    /// วันที่เริ่มต้น, inside the fiscal year (required to submit)
    pub start_date: Option<String>,
    /// วันที่สิ้นสุด, not before the start (required to submit)
    pub end_date: Option<String>,
    /// สาเหตุที่ไม่สามารถเบิกจ่ายงบประมาณได้ตามแผน
    pub off_plan_reason: Option<String>,
}

#[derive(InputObject)]
pub struct CreateReportInput {
    /// The budget approval reported on.
    pub approval_id: ID,
    #[graphql(flatten)]
    pub form: ReportFormInput,
}

#[derive(InputObject)]
pub struct UpdateReportInput {
    pub id: ID,
    pub version: i32,
    #[graphql(flatten)]
    pub form: ReportFormInput,
}

/// A report and the version the caller read.
#[derive(InputObject)]
pub struct ReportVersionInput {
    pub id: ID,
    pub version: i32,
}

/// The three goal links (one chain of the national hierarchy) with what the
/// project achieved against each.
#[derive(InputObject)]
pub struct SetGoalsInput {
    pub id: ID,
    pub version: i32,
    /// A national-strategy goal (เป้าหมายยุทธศาสตร์ชาติ).
    pub strategy_goal_id: ID,
    pub strategy_goal_result: Option<String>,
    /// A master-plan goal (เป้าหมายแผนแม่บท) of a master plan grouped under that strategy.
    pub master_plan_goal_id: ID,
    pub master_plan_goal_result: Option<String>,
    /// A sub-plan goal (เป้าหมายแผนย่อย) of a sub-plan of that master plan.
    pub sub_plan_goal_id: ID,
    pub sub_plan_goal_result: Option<String>,
}

/// The point picked on the map.
#[derive(InputObject)]
pub struct SetLocationInput {
    pub id: ID,
    pub version: i32,
    pub latitude: f64,
    pub longitude: f64,
}

/// Progress in one fiscal quarter.
#[derive(InputObject)]
pub struct RecordProgressInput {
    pub id: ID,
    pub version: i32,
    /// 1–4; Q1 is October–December.
    pub fiscal_quarter: i32,
    /// Percent complete, 0–100, e.g. "75" or "62.50".
    pub percent: String,
    pub narrative: String,
    /// dd/mm/yyyy BE
    pub recorded_on: String,
}

/// Completion (ดำเนินการเสร็จสิ้น).
#[derive(InputObject)]
pub struct CompleteReportInput {
    pub id: ID,
    pub version: i32,
    /// dd/mm/yyyy BE
    pub completed_on: String,
    /// สรุปผลการดำเนินงาน (required)
    pub summary: String,
    /// ปัญหาและอุปสรรค
    pub problems: Option<String>,
    /// ข้อเสนอแนะ
    pub suggestions: Option<String>,
}

/// Mutations of this domain.
#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Starts the eMENSCR report of an approved project, as a draft.
    async fn create_report(
        &self,
        ctx: &Context<'_>,
        input: CreateReportInput,
    ) -> async_graphql::Result<ProjectReport> {
        let approval_id = key_of(&input.approval_id, "BudgetApproval", "input.approvalId").gql()?;
        let mut tx = audit::begin(ctx).await?;
        let fiscal_year: Option<i32> =
            crate::db::query_scalar("SELECT fiscal_year FROM budget_approvals WHERE id = $1")
                .bind(approval_id)
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        let Some(fiscal_year) = fiscal_year else {
            return Err(AppError::validation(
                "input.approvalId",
                codes::NOT_FOUND,
                "ไม่พบการอนุมัติงบประมาณนี้",
                "no such budget approval",
            ))
            .gql();
        };
        let exists: bool = crate::db::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM project_reports WHERE budget_approval_id = $1)",
        )
        .bind(approval_id)
        .fetch_one(&mut *tx)
        .await
        .gql()?;
        let mut v = Validator::new();
        if exists {
            v.error(
                "input.approvalId",
                codes::DUPLICATE,
                "โครงการนี้มีรายงานแล้ว",
                "the project already has a report",
            );
        }
        let mut report = empty_report(approval_id);
        apply_form(&mut v, &mut report, &input.form);
        check(&mut v, &report, fiscal_year);
        v.finish().gql()?;
        let id = insert_report(&mut tx, approval_id, &ReportFields::default())
            .await
            .gql()?;
        report.id = id;
        report.version = 1;
        let saved = write(&mut tx, &report).await?;
        tx.commit().await.gql()?;
        Ok(saved)
    }

    /// Changes fields of the report form.
    async fn update_report(
        &self,
        ctx: &Context<'_>,
        input: UpdateReportInput,
    ) -> async_graphql::Result<ProjectReport> {
        edit(ctx, &input.id, input.version, |v, r, _| {
            apply_form(v, r, &input.form)
        })
        .await
    }

    /// Sets the three goal links and their result narratives.
    async fn set_report_goals(
        &self,
        ctx: &Context<'_>,
        input: SetGoalsInput,
    ) -> async_graphql::Result<ProjectReport> {
        let ids = [
            ("input.strategyGoalId", &input.strategy_goal_id),
            ("input.masterPlanGoalId", &input.master_plan_goal_id),
            ("input.subPlanGoalId", &input.sub_plan_goal_id),
        ];
        let mut keys = [0i64; 3];
        let mut v = Validator::new();
        for (i, (field, id)) in ids.iter().enumerate() {
            match global_id::decode_as(id, "PlanNode") {
                Some(k) => keys[i] = k,
                None => v.error(
                    field,
                    codes::INVALID_INPUT,
                    "รหัสนี้ไม่ใช่เป้าหมายของแผน",
                    "is not the id of a plan goal",
                ),
            }
        }
        v.finish().gql()?;
        let pool = ctx.data::<Db>()?;
        let chain: Vec<GoalRow> = crate::db::query_as(include_str!("sql/goal_chain.sql"))
            .bind(keys.to_vec())
            .fetch_all(pool)
            .await
            .gql()?;
        edit(ctx, &input.id, input.version, |v, r, fiscal_year| {
            check_chain(v, &chain, keys, fiscal_year);
            r.strategy_goal_id = Some(keys[0]);
            r.master_plan_goal_id = Some(keys[1]);
            r.sub_plan_goal_id = Some(keys[2]);
            r.strategy_goal_result = Validator::optional(input.strategy_goal_result.as_deref());
            r.master_plan_goal_result =
                Validator::optional(input.master_plan_goal_result.as_deref());
            r.sub_plan_goal_result = Validator::optional(input.sub_plan_goal_result.as_deref());
        })
        .await
    }

    /// Sets the project's location (a point inside Thailand).
    async fn set_report_location(
        &self,
        ctx: &Context<'_>,
        input: SetLocationInput,
    ) -> async_graphql::Result<ProjectReport> {
        edit(ctx, &input.id, input.version, |v, r, _| {
            v.location("input.latitude", input.latitude, input.longitude);
            r.latitude = Some(input.latitude);
            r.longitude = Some(input.longitude);
        })
        .await
    }

    /// Sends the report: every field the manual marks required must be filled.
    async fn submit_report(
        &self,
        ctx: &Context<'_>,
        input: ReportVersionInput,
    ) -> async_graphql::Result<ProjectReport> {
        let today = chrono::Local::now().date_naive();
        edit(ctx, &input.id, input.version, |v, r, _| {
            if r.status != "draft" {
                v.error(
                    "input.id",
                    codes::INVALID_STATE,
                    "รายงานนี้ส่งแล้ว",
                    "the report was already submitted",
                );
            }
            require_for_submission(v, r);
            r.status = "submitted".into();
            r.submitted_on = Some(today);
        })
        .await
    }

    /// Records (or corrects) the progress of one fiscal quarter.
    async fn record_progress(
        &self,
        ctx: &Context<'_>,
        input: RecordProgressInput,
    ) -> async_graphql::Result<ProjectReport> {
        let mut v = Validator::new();
        if !(1..=4).contains(&input.fiscal_quarter) {
            v.error(
                "input.fiscalQuarter",
                codes::INVALID_INPUT,
                "ไตรมาสต้องเป็น 1 ถึง 4",
                "must be 1 to 4",
            );
        }
        let percent = percent(&mut v, &input.percent);
        let narrative = v.required("input.narrative", Some(&input.narrative));
        let recorded_on = v.required_date("input.recordedOn", Some(&input.recorded_on));
        v.finish().gql()?;
        let mut tx = audit::begin(ctx).await?;
        let (mut report, _) = load(&mut tx, &input.id).await?;
        report.version = input.version;
        let saved = write(&mut tx, &report).await?;
        crate::db::query(include_str!("sql/upsert_progress.sql"))
            .bind(saved.id)
            .bind(input.fiscal_quarter)
            .bind(percent)
            .bind(narrative)
            .bind(recorded_on)
            .execute(&mut *tx)
            .await
            .gql()?;
        tx.commit().await.gql()?;
        Ok(saved)
    }

    /// ดำเนินการเสร็จสิ้น: marks a submitted report complete, with its summary.
    async fn complete_report(
        &self,
        ctx: &Context<'_>,
        input: CompleteReportInput,
    ) -> async_graphql::Result<ProjectReport> {
        edit(ctx, &input.id, input.version, |v, r, _| {
            if r.status != "submitted" {
                v.error(
                    "input.id",
                    codes::INVALID_STATE,
                    "ต้องส่งรายงานก่อนจึงปิดโครงการได้",
                    "only a submitted report can be completed",
                );
            }
            let summary = v.required("input.summary", Some(&input.summary));
            let completed_on = v.required_date("input.completedOn", Some(&input.completed_on));
            if let (Some(done), Some(start)) = (completed_on, r.start_date) {
                if done < start {
                    v.error(
                        "input.completedOn",
                        codes::DATE_OUT_OF_RANGE,
                        "วันที่เสร็จสิ้นต้องไม่ก่อนวันที่เริ่มต้น",
                        "must not be before the start date",
                    );
                }
            }
            r.completed = true;
            r.completed_on = completed_on;
            r.summary = summary;
            r.problems = Validator::optional(input.problems.as_deref());
            r.suggestions = Validator::optional(input.suggestions.as_deref());
            r.status = "completed".into();
        })
        .await
    }

    /// Reopens a completed report (back to submitted).
    async fn reopen_report(
        &self,
        ctx: &Context<'_>,
        input: ReportVersionInput,
    ) -> async_graphql::Result<ProjectReport> {
        edit(ctx, &input.id, input.version, |v, r, _| {
            if r.status != "completed" {
                v.error(
                    "input.id",
                    codes::INVALID_STATE,
                    "เปิดได้เฉพาะรายงานที่เสร็จสิ้นแล้ว",
                    "only a completed report can be reopened",
                );
            }
            r.completed = false;
            r.completed_on = None;
            r.status = "submitted".into();
        })
        .await
    }
}

/// Loads a report, lets `change` edit and check it, checks the result, and
/// writes it if nothing failed and the caller's version is current.
async fn edit(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    change: impl FnOnce(&mut Validator, &mut ProjectReport, i32),
) -> async_graphql::Result<ProjectReport> {
    let mut tx = audit::begin(ctx).await?;
    let (mut report, fiscal_year) = load(&mut tx, id).await?;
    let mut v = Validator::new();
    change(&mut v, &mut report, fiscal_year);
    check(&mut v, &report, fiscal_year);
    v.finish().gql()?;
    report.version = version;
    let saved = write(&mut tx, &report).await?;
    tx.commit().await.gql()?;
    Ok(saved)
}

async fn load(conn: &mut PgConnection, id: &ID) -> async_graphql::Result<(ProjectReport, i32)> {
    let key = key_of(id, "ProjectReport", "input.id").gql()?;
    let report: Option<ProjectReport> = crate::db::query_as(include_str!("sql/by_id.sql"))
        .bind(vec![key])
        .fetch_optional(&mut *conn)
        .await
        .gql()?;
    let Some(report) = report else {
        return Err(AppError::NotFound(format!("ProjectReport {key}"))).gql();
    };
    let fiscal_year: i32 =
        crate::db::query_scalar("SELECT fiscal_year FROM budget_approvals WHERE id = $1")
            .bind(report.budget_approval_id)
            .fetch_one(&mut *conn)
            .await
            .gql()?;
    Ok((report, fiscal_year))
}

/// Writes every field of `report` if its version is still current.
async fn write(conn: &mut PgConnection, r: &ProjectReport) -> async_graphql::Result<ProjectReport> {
    let updated: Option<ProjectReport> = crate::db::query_as(include_str!("sql/update_row.sql"))
        .bind(r.id)
        .bind(r.version)
        .bind(&r.activity_type)
        .bind(r.planned_budget)
        .bind(&r.coordinator_name)
        .bind(&r.coordinator_phone)
        .bind(&r.rationale)
        .bind(&r.output_target)
        .bind(&r.outcome_target)
        .bind(&r.expected_results)
        .bind(&r.success_indicator)
        .bind(&r.target_group)
        .bind(r.start_date)
        .bind(r.end_date)
        .bind(&r.off_plan_reason)
        .bind(r.strategy_goal_id)
        .bind(&r.strategy_goal_result)
        .bind(r.master_plan_goal_id)
        .bind(&r.master_plan_goal_result)
        .bind(r.sub_plan_goal_id)
        .bind(&r.sub_plan_goal_result)
        .bind(r.latitude)
        .bind(r.longitude)
        .bind(r.completed)
        .bind(r.completed_on)
        .bind(&r.summary)
        .bind(&r.problems)
        .bind(&r.suggestions)
        .bind(&r.status)
        .bind(r.submitted_on)
        .fetch_optional(&mut *conn)
        .await
        .gql()?;
    settle(conn, updated, "project_reports", r.id, "ProjectReport")
        .await
        .gql()
}

fn empty_report(approval_id: i64) -> ProjectReport {
    ProjectReport {
        id: 0,
        budget_approval_id: approval_id,
        activity_type: None,
        planned_budget: None,
        coordinator_name: None,
        coordinator_phone: None,
        rationale: None,
        output_target: None,
        outcome_target: None,
        expected_results: None,
        success_indicator: None,
        target_group: None,
        start_date: None,
        end_date: None,
        off_plan_reason: None,
        strategy_goal_id: None,
        strategy_goal_result: None,
        master_plan_goal_id: None,
        master_plan_goal_result: None,
        sub_plan_goal_id: None,
        sub_plan_goal_result: None,
        latitude: None,
        longitude: None,
        completed: false,
        completed_on: None,
        summary: None,
        problems: None,
        suggestions: None,
        status: "draft".into(),
        submitted_on: None,
        version: 0,
    }
}

/// Copies the given form fields into the report, parsing dates and money.
fn apply_form(v: &mut Validator, r: &mut ProjectReport, f: &ReportFormInput) {
    let text = |target: &mut Option<String>, value: &Option<String>| {
        if let Some(value) = value {
            *target = Validator::optional(Some(value));
        }
    };
    text(&mut r.activity_type, &f.activity_type);
    text(&mut r.coordinator_name, &f.coordinator_name);
    text(&mut r.rationale, &f.rationale);
    text(&mut r.output_target, &f.output_target);
    text(&mut r.outcome_target, &f.outcome_target);
    text(&mut r.expected_results, &f.expected_results);
    text(&mut r.success_indicator, &f.success_indicator);
    text(&mut r.target_group, &f.target_group);
    text(&mut r.off_plan_reason, &f.off_plan_reason);
    if let Some(phone) = &f.coordinator_phone {
        r.coordinator_phone = match Validator::optional(Some(phone)) {
            Some(p) => v.phone("input.coordinatorPhone", &p).map(|_| p),
            None => None,
        };
    }
    if let Some(amount) = &f.planned_budget {
        r.planned_budget = match Validator::optional(Some(amount)) {
            Some(a) => v.money("input.plannedBudget", &a),
            None => None,
        };
    }
    if let Some(d) = &f.start_date {
        r.start_date = v.optional_date("input.startDate", Some(d));
    }
    if let Some(d) = &f.end_date {
        r.end_date = v.optional_date("input.endDate", Some(d));
    }
}

/// Rules that hold for every saved state of a report.
fn check(v: &mut Validator, r: &ProjectReport, fiscal_year: i32) {
    if let (Some(start), Some((fy_start, fy_end))) = (r.start_date, fiscal_year_range(fiscal_year))
    {
        v.date_within(
            "input.startDate",
            start,
            fy_start,
            fy_end,
            &format!("ปีงบประมาณ {fiscal_year}"),
            &format!("fiscal year {fiscal_year}"),
        );
    }
    if let (Some(start), Some(end)) = (r.start_date, r.end_date) {
        if end < start {
            v.error(
                "input.endDate",
                codes::DATE_OUT_OF_RANGE,
                "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น",
                "must not be before the start date",
            );
        }
    }
}

/// The fields the manual marks with * must be filled before submission.
/// Filled: present and not blank (`validation::is_blank`), also for text
/// stored before blank meant invisible.
fn filled(text: &Option<String>) -> bool {
    text.as_deref()
        .is_some_and(|t| !crate::validation::is_blank(t))
}

fn require_for_submission(v: &mut Validator, r: &ProjectReport) {
    let fields: [(&str, bool); 9] = [
        ("input.coordinatorName", filled(&r.coordinator_name)),
        ("input.coordinatorPhone", filled(&r.coordinator_phone)),
        ("input.rationale", filled(&r.rationale)),
        ("input.outputTarget", filled(&r.output_target)),
        ("input.outcomeTarget", filled(&r.outcome_target)),
        ("input.expectedResults", filled(&r.expected_results)),
        ("input.successIndicator", filled(&r.success_indicator)),
        ("input.startDate", r.start_date.is_some()),
        ("input.endDate", r.end_date.is_some()),
    ];
    for (field, filled) in fields {
        if !filled {
            v.error(
                field,
                codes::REQUIRED,
                "ต้องกรอกก่อนส่งรายงาน",
                "is required before the report is submitted",
            );
        }
    }
}

fn percent(v: &mut Validator, text: &str) -> Option<Decimal> {
    let value = v.money("input.percent", text)?;
    if value > Decimal::from(100) {
        v.error(
            "input.percent",
            codes::INVALID_INPUT,
            "ร้อยละต้องอยู่ระหว่าง 0 ถึง 100",
            "must be between 0 and 100",
        );
        return None;
    }
    Some(value)
}

#[derive(sqlx::FromRow)]
struct GoalRow {
    id: i64,
    level: String,
    parent_id: Option<i64>,
    grandparent_id: Option<i64>,
    parent_level: Option<String>,
    parent_code: Option<String>,
    parent_strategy_code: Option<String>,
    edition: String,
    first_fiscal_year: i32,
    last_fiscal_year: Option<i32>,
}

/// The three goals must be of their levels, of one edition that covers the
/// fiscal year, and one chain: the sub-plan goal's sub-plan belongs to the
/// master-plan goal's master plan, which is grouped under the strategy goal's
/// strategy (where that grouping is known).
fn check_chain(v: &mut Validator, rows: &[GoalRow], keys: [i64; 3], fiscal_year: i32) {
    let find = |k: i64| rows.iter().find(|r| r.id == k);
    let (sg, mg, pg) = (find(keys[0]), find(keys[1]), find(keys[2]));
    let fields = [
        "input.strategyGoalId",
        "input.masterPlanGoalId",
        "input.subPlanGoalId",
    ];
    let levels = ["strategy_goal", "master_plan_goal", "sub_plan_goal"];
    for ((row, field), level) in [sg, mg, pg].iter().zip(fields).zip(levels) {
        match row {
            Some(r) if r.level == level => {
                let covers = r.first_fiscal_year <= fiscal_year
                    && r.last_fiscal_year.is_none_or(|l| fiscal_year <= l);
                if !covers {
                    v.error(field, codes::GOAL_CHAIN_BROKEN,
                        format!("เป้าหมายนี้อยู่ในแผนฉบับ {} ซึ่งไม่ใช้กับปีงบประมาณ {fiscal_year}", r.edition),
                        format!("the goal is of edition {}, which does not apply to fiscal year {fiscal_year}", r.edition));
                }
            }
            _ => v.error(
                field,
                codes::GOAL_CHAIN_BROKEN,
                "ไม่ใช่เป้าหมายในระดับนี้",
                format!("is not a goal of level {level}"),
            ),
        }
    }
    let (Some(sg), Some(mg), Some(pg)) = (sg, mg, pg) else {
        return;
    };
    if sg.edition != mg.edition || mg.edition != pg.edition {
        v.error(
            "input.subPlanGoalId",
            codes::GOAL_CHAIN_BROKEN,
            "เป้าหมายทั้งสามต้องอยู่ในแผนฉบับเดียวกัน",
            "the three goals must be of one edition",
        );
    }
    if pg.grandparent_id != mg.parent_id || pg.parent_level.as_deref() != Some("sub_plan") {
        v.error(
            "input.subPlanGoalId",
            codes::GOAL_CHAIN_BROKEN,
            "เป้าหมายแผนย่อยต้องอยู่ใต้แผนแม่บทของเป้าหมายแผนแม่บท",
            "the sub-plan goal must be under the master plan of the master-plan goal",
        );
    }
    if let (Some(strategy), Some(grouped)) = (&sg.parent_code, &mg.parent_strategy_code) {
        if strategy != grouped {
            v.error(
                "input.strategyGoalId",
                codes::GOAL_CHAIN_BROKEN,
                format!("แผนแม่บทนี้อยู่ภายใต้ยุทธศาสตร์ชาติด้านที่ {grouped}"),
                format!("the master plan is grouped under national strategy {grouped}"),
            );
        }
    }
}
