//! The plan screens of the manual as mutations: create a local development
//! plan, add and amend its projects, approve it.

use super::store::{
    insert_amendment, insert_plan, insert_project, insert_strategy, NewPlanProject,
};
use super::{DevelopmentPlan, PlanAmendment, PlanProject};
use crate::audit;
use crate::auth::{Access, Permission};
use crate::error::{codes, AppError, GqlResultExt};
use crate::types::global_id;
use crate::validation::Validator;
use async_graphql::{Context, InputObject, Object, ID};
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// A new local development plan.
#[derive(InputObject)]
pub struct CreatePlanInput {
    pub organisation_code: String,
    /// First plan year (BE); the plan runs five years.
    pub first_year: i32,
    /// The LAO's development strategies, in order.
    pub strategies: Vec<String>,
}

/// The planned budget of a plan year.
#[derive(InputObject)]
pub struct PlannedBudgetInput {
    /// Plan year (BE).
    pub plan_year: i32,
    /// Baht, e.g. "20000.00".
    pub amount: String,
}

/// A project to add to a plan.
#[derive(InputObject)]
pub struct AddPlanProjectInput {
    pub plan_id: ID,
    pub name: String,
    /// ด้าน, e.g. "ด้านสังคม".
    pub sector: String,
    /// ประเภทกิจกรรม: "งาน - แผนงาน".
    pub activity_type: Option<String>,
    /// The number of the LAO strategy it is under.
    pub strategy_number: Option<i32>,
    pub planned_budgets: Vec<PlannedBudgetInput>,
    /// Required once the plan is approved: the amendment that adds it.
    pub amendment_number: Option<i32>,
}

/// Changes to a plan project; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdatePlanProjectInput {
    pub id: ID,
    /// The version read; a stale one is refused.
    pub version: i32,
    pub name: Option<String>,
    pub sector: Option<String>,
    /// An empty text clears it.
    pub activity_type: Option<String>,
}

/// A new amendment of an approved plan.
#[derive(InputObject)]
pub struct AmendPlanInput {
    pub plan_id: ID,
    /// Approval date of the amendment, dd/mm/yyyy BE.
    pub approved_on: Option<String>,
    pub note: Option<String>,
}

/// Approval of a plan (อนุมัติแผน).
#[derive(InputObject)]
pub struct ApprovePlanInput {
    pub plan_id: ID,
    pub version: i32,
    /// dd/mm/yyyy BE.
    pub approved_on: String,
}

/// Mutations of this domain.
#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// Creates a five-year local development plan with its strategies.
    async fn create_development_plan(
        &self,
        ctx: &Context<'_>,
        input: CreatePlanInput,
    ) -> async_graphql::Result<DevelopmentPlan> {
        let mut v = Validator::new();
        let buddhist_era =
            crate::arguments::write_fiscal_year(&mut v, "input.firstYear", input.first_year);
        if buddhist_era && !(2500..=2700).contains(&input.first_year) {
            v.error(
                "input.firstYear",
                codes::INVALID_INPUT,
                "ปีแรกของแผนต้องเป็นปี พ.ศ. เช่น 2566",
                "must be a Buddhist-Era year, e.g. 2566",
            );
        }
        if input.strategies.is_empty() {
            v.error(
                "input.strategies",
                codes::REQUIRED,
                "ต้องมียุทธศาสตร์อย่างน้อยหนึ่งข้อ",
                "needs at least one strategy",
            );
        }
        for (i, s) in input.strategies.iter().enumerate() {
            v.required(&format!("input.strategies[{i}]"), Some(s));
        }
        let mut tx = audit::begin(ctx).await?;
        let org: Option<i64> =
            crate::db::query_scalar("SELECT id FROM organisations WHERE code = $1")
                .bind(&input.organisation_code)
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        if org.is_none() {
            v.error(
                "input.organisationCode",
                codes::NOT_FOUND,
                "ไม่พบหน่วยงานนี้",
                "no organisation has this code",
            );
        }
        let exists: bool = crate::db::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM development_plans WHERE organisation_id = $1 AND first_year = $2)",
        )
        .bind(org)
        .bind(input.first_year)
        .fetch_one(&mut *tx)
        .await.gql()?;
        if exists {
            v.error(
                "input.firstYear",
                codes::DUPLICATE,
                "หน่วยงานมีแผนที่เริ่มปีนี้แล้ว",
                "the organisation already has a plan starting this year",
            );
        }
        v.finish().gql()?;
        let org = org.unwrap_or_default();
        let plan_id = insert_plan(&mut tx, org, input.first_year, None)
            .await
            .gql()?;
        for (i, name) in input.strategies.iter().enumerate() {
            insert_strategy(
                &mut tx,
                plan_id,
                i as i32 + 1,
                &crate::validation::tidy(name),
            )
            .await
            .gql()?;
        }
        let plan = plan_by_id(&mut tx, plan_id).await.gql()?;
        tx.commit().await.gql()?;
        Ok(plan)
    }

    /// Adds a project to a plan; after approval only through an amendment.
    async fn add_plan_project(
        &self,
        ctx: &Context<'_>,
        input: AddPlanProjectInput,
    ) -> async_graphql::Result<PlanProject> {
        let mut tx = audit::begin(ctx).await?;
        let plan = plan_of(&mut tx, &input.plan_id, "input.planId").await?;
        let mut v = Validator::new();
        let name = v.required("input.name", Some(&input.name));
        let sector = v.required("input.sector", Some(&input.sector));
        let budgets = planned_budgets(&mut v, &plan, &input.planned_budgets);
        let strategy_id = match input.strategy_number {
            Some(n) => {
                let id: Option<i64> = crate::db::query_scalar(
                    "SELECT id FROM lao_strategies WHERE plan_id = $1 AND number = $2",
                )
                .bind(plan.id)
                .bind(n)
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
                if id.is_none() {
                    v.error(
                        "input.strategyNumber",
                        codes::NOT_FOUND,
                        format!("แผนนี้ไม่มียุทธศาสตร์ที่ {n}"),
                        format!("the plan has no strategy {n}"),
                    );
                }
                id
            }
            None => None,
        };
        let amendment_id = amendment_for(&mut tx, &mut v, &plan, input.amendment_number)
            .await
            .gql()?;
        v.finish().gql()?;
        let id = insert_project(
            &mut tx,
            &NewPlanProject {
                plan_id: plan.id,
                strategy_id,
                sector: sector.as_deref().unwrap_or_default(),
                activity_type: Validator::optional(input.activity_type.as_deref()).as_deref(),
                name_th: name.as_deref().unwrap_or_default(),
                amendment_id,
                budgets,
            },
        )
        .await
        .gql()?;
        let project = project_by_id(&mut tx, id).await.gql()?;
        tx.commit().await.gql()?;
        Ok(project)
    }

    /// Changes a plan project's name, sector or activity type.
    async fn update_plan_project(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlanProjectInput,
    ) -> async_graphql::Result<PlanProject> {
        let id = key_of(&input.id, "PlanProject", "input.id").gql()?;
        let mut v = Validator::new();
        let name = input
            .name
            .as_deref()
            .map(|n| v.required("input.name", Some(n)));
        let sector = input
            .sector
            .as_deref()
            .map(|s| v.required("input.sector", Some(s)));
        v.finish().gql()?;
        let mut tx = audit::begin(ctx).await?;
        let updated: Option<PlanProject> =
            crate::db::query_as(include_str!("sql/update_project.sql"))
                .bind(id)
                .bind(input.version)
                .bind(name.flatten())
                .bind(sector.flatten())
                .bind(input.activity_type.is_some())
                .bind(Validator::optional(input.activity_type.as_deref()))
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        let project = settle(&mut tx, updated, "plan_projects", id, "PlanProject")
            .await
            .gql()?;
        tx.commit().await.gql()?;
        Ok(project)
    }

    /// Starts the next amendment of an approved plan. Its number is the next
    /// free one however many callers race, under a lock on the plan; `approvedOn`
    /// only from an approver of the LAO (FORBIDDEN on `input.approvedOn` for
    /// anyone else).
    async fn amend_plan(
        &self,
        ctx: &Context<'_>,
        input: AmendPlanInput,
    ) -> async_graphql::Result<PlanAmendment> {
        // Approving the amendment is the approver's right, as approving the
        // plan is (PostgreSQL holds it too: …05000011_amendment_approver.sql).
        let access = ctx.data_opt::<Access>();
        if input.approved_on.is_some() && !access.is_some_and(|a| a.may(Permission::ApproveLao)) {
            return Err(AppError::validation(
                "input.approvedOn",
                codes::FORBIDDEN,
                "การอนุมัติการแก้ไขแผนเป็นสิทธิ์ของผู้อนุมัติของ อปท. เท่านั้น: ให้ผู้อนุมัติบันทึกวันที่อนุมัติ",
                "approving an amendment is the LAO approver's right: leave approvedOn out, or ask an approver",
            ))
            .gql();
        }
        let mut tx = audit::begin(ctx).await?;
        let key = key_of(&input.plan_id, "DevelopmentPlan", "input.planId").gql()?;
        // One amendment of a plan at a time: the lock orders racing callers,
        // so each reads the number the one before it took and takes the next.
        crate::db::query("SELECT 1 FROM development_plans WHERE id = $1 FOR NO KEY UPDATE")
            .bind(key)
            .execute(&mut *tx)
            .await
            .gql()?;
        let plan = plan_of(&mut tx, &input.plan_id, "input.planId").await?;
        let mut v = Validator::new();
        if plan.approved_on.is_none() {
            v.error(
                "input.planId",
                codes::PLAN_NOT_APPROVED,
                "แก้ไขเพิ่มเติมได้เฉพาะแผนที่อนุมัติแล้ว",
                "only an approved plan can be amended",
            );
        }
        let approved_on = v.optional_date("input.approvedOn", input.approved_on.as_deref());
        v.finish().gql()?;
        let next: i32 = crate::db::query_scalar(
            "SELECT coalesce(max(number), 0) + 1 FROM plan_amendments WHERE plan_id = $1",
        )
        .bind(plan.id)
        .fetch_one(&mut *tx)
        .await
        .gql()?;
        let note = Validator::optional(input.note.as_deref());
        let id = insert_amendment(&mut tx, plan.id, next, approved_on, note.as_deref())
            .await
            .gql()?;
        let amendment: PlanAmendment = crate::db::query_as(include_str!("sql/amendment_by_id.sql"))
            .bind(vec![id])
            .fetch_one(&mut *tx)
            .await
            .gql()?;
        tx.commit().await.gql()?;
        Ok(amendment)
    }

    /// อนุมัติแผน: approves a plan that has at least one project.
    async fn approve_plan(
        &self,
        ctx: &Context<'_>,
        input: ApprovePlanInput,
    ) -> async_graphql::Result<DevelopmentPlan> {
        let mut tx = audit::begin(ctx).await?;
        let plan = plan_of(&mut tx, &input.plan_id, "input.planId").await?;
        let mut v = Validator::new();
        let approved_on = v.required_date("input.approvedOn", Some(&input.approved_on));
        if plan.approved_on.is_some() {
            v.error(
                "input.planId",
                codes::INVALID_STATE,
                "แผนนี้อนุมัติแล้ว",
                "the plan is already approved",
            );
        }
        let projects: i64 =
            crate::db::query_scalar("SELECT count(*) FROM plan_projects WHERE plan_id = $1")
                .bind(plan.id)
                .fetch_one(&mut *tx)
                .await
                .gql()?;
        if projects == 0 {
            v.error(
                "input.planId",
                codes::INVALID_STATE,
                "แผนยังไม่มีโครงการ",
                "the plan has no projects yet",
            );
        }
        v.finish().gql()?;
        let updated: Option<DevelopmentPlan> =
            crate::db::query_as(include_str!("sql/approve_plan.sql"))
                .bind(plan.id)
                .bind(input.version)
                .bind(approved_on)
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        let plan = settle(
            &mut tx,
            updated,
            "development_plans",
            plan.id,
            "DevelopmentPlan",
        )
        .await
        .gql()?;
        tx.commit().await.gql()?;
        Ok(plan)
    }
}

/// The numeric key of a global id, or a field error naming `field`.
pub fn key_of(id: &ID, type_name: &str, field: &str) -> Result<i64, AppError> {
    global_id::decode_as(id, type_name).ok_or_else(|| {
        AppError::validation(
            field,
            codes::INVALID_INPUT,
            format!("รหัสนี้ไม่ใช่ {type_name}"),
            format!("is not the id of a {type_name}"),
        )
    })
}

/// The row an optimistic update returned, or why there is none: the record
/// does not exist, or it changed since the caller read it.
pub async fn settle<T>(
    conn: &mut PgConnection,
    updated: Option<T>,
    table: &str,
    id: i64,
    what: &str,
) -> Result<T, AppError> {
    if let Some(row) = updated {
        return Ok(row);
    }
    let exists: bool = crate::db::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1)"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Err(if exists {
        AppError::VersionConflict(format!("{what} {id}"))
    } else {
        AppError::NotFound(format!("{what} {id}"))
    })
}

async fn plan_of(
    conn: &mut PgConnection,
    id: &ID,
    field: &str,
) -> async_graphql::Result<DevelopmentPlan> {
    let key = key_of(id, "DevelopmentPlan", field).gql()?;
    let plan: Option<DevelopmentPlan> = crate::db::query_as(include_str!("sql/plan_by_id.sql"))
        .bind(vec![key])
        .fetch_optional(&mut *conn)
        .await
        .gql()?;
    plan.ok_or_else(|| AppError::validation(field, codes::NOT_FOUND, "ไม่พบแผนนี้", "no such plan"))
        .gql()
}

async fn plan_by_id(conn: &mut PgConnection, id: i64) -> Result<DevelopmentPlan, sqlx::Error> {
    crate::db::query_as(include_str!("sql/plan_by_id.sql"))
        .bind(vec![id])
        .fetch_one(conn)
        .await
}

async fn project_by_id(conn: &mut PgConnection, id: i64) -> Result<PlanProject, sqlx::Error> {
    crate::db::query_as(include_str!("sql/project_by_id.sql"))
        .bind(vec![id])
        .fetch_one(conn)
        .await
}

fn planned_budgets(
    v: &mut Validator,
    plan: &DevelopmentPlan,
    input: &[PlannedBudgetInput],
) -> Vec<(i32, Decimal)> {
    let mut out: Vec<(i32, Decimal)> = Vec::new();
    if input.is_empty() {
        v.error(
            "input.plannedBudgets",
            codes::REQUIRED,
            "ต้องระบุงบประมาณอย่างน้อยหนึ่งปี",
            "needs the budget of at least one plan year",
        );
    }
    for (i, b) in input.iter().enumerate() {
        let field = format!("input.plannedBudgets[{i}]");
        let buddhist_era =
            crate::arguments::write_fiscal_year(v, &format!("{field}.planYear"), b.plan_year);
        if buddhist_era && !(plan.first_year..=plan.last_year).contains(&b.plan_year) {
            v.error(
                &format!("{field}.planYear"),
                codes::DATE_OUT_OF_RANGE,
                format!(
                    "ปีของแผนต้องอยู่ระหว่าง {} – {}",
                    plan.first_year, plan.last_year
                ),
                format!(
                    "must be a year of the plan, {} – {}",
                    plan.first_year, plan.last_year
                ),
            );
        } else if out.iter().any(|(y, _)| *y == b.plan_year) {
            v.error(
                &format!("{field}.planYear"),
                codes::DUPLICATE,
                "ปีนี้ซ้ำ",
                "this year is given twice",
            );
        }
        if let Some(amount) = v.money(&format!("{field}.amount"), &b.amount) {
            out.push((b.plan_year, amount));
        }
    }
    out
}

/// After approval, a new project needs an existing amendment; before it, none.
async fn amendment_for(
    conn: &mut PgConnection,
    v: &mut Validator,
    plan: &DevelopmentPlan,
    number: Option<i32>,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(n) = number else {
        if plan.approved_on.is_some() {
            v.error(
                "input.amendmentNumber",
                codes::REQUIRED,
                "แผนอนุมัติแล้ว: เพิ่มโครงการได้โดยการแก้ไขเพิ่มเติมแผนเท่านั้น",
                "the plan is approved: a project can only be added by an amendment",
            );
        }
        return Ok(None);
    };
    let id: Option<i64> = crate::db::query_scalar(
        "SELECT id FROM plan_amendments WHERE plan_id = $1 AND number = $2",
    )
    .bind(plan.id)
    .bind(n)
    .fetch_optional(conn)
    .await?;
    if id.is_none() {
        v.error(
            "input.amendmentNumber",
            codes::NOT_FOUND,
            format!("แผนนี้ไม่มีการแก้ไขครั้งที่ {n}"),
            format!("the plan has no amendment {n}"),
        );
    }
    Ok(id)
}
