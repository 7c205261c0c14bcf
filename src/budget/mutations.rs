//! Budget approval (อนุมัติงบประมาณ) as mutations: approve a plan project for
//! a fiscal year with its funding sources and e-LAAS link; change the link.

use super::store::{insert_approval, FundingSources, NewApproval};
use super::{BudgetApproval, BudgetPath};
use crate::audit;
use crate::elaas::matching;
use crate::error::{codes, AppError, GqlResultExt};
use crate::plans::mutations::key_of;
use crate::types::{fiscal_year_range, format_be};
use crate::validation::Validator;
use async_graphql::{Context, InputObject, Object, ID};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The approved amount by funding source (แหล่งเงิน), in baht; sources left
/// out are zero. They must add up to the approved amount.
#[derive(InputObject, Default)]
pub struct FundingSourcesInput {
    /// เงินอุดหนุนทั่วไป
    pub general_subsidy: Option<String>,
    /// เงินอุดหนุนแบบมีวัตถุประสงค์
    pub purpose_subsidy: Option<String>,
    /// เงินอุดหนุนจากรัฐบาล
    pub government_subsidy: Option<String>,
    /// เงินอุดหนุนเฉพาะกิจ
    pub specific_subsidy: Option<String>,
    /// รายได้จัดเก็บเอง
    pub own_revenue: Option<String>,
    /// รายได้อื่น ๆ
    pub other_revenue: Option<String>,
    /// เงินสะสม
    pub accumulated_funds: Option<String>,
    /// เงินทุนสำรองสะสม
    pub accumulated_reserve: Option<String>,
    /// ไม่ทราบแหล่งที่มา
    pub unknown: Option<String>,
}

/// A budget approval of a plan project.
#[derive(InputObject)]
pub struct ApproveBudgetInput {
    pub plan_project_id: ID,
    /// ปีงบประมาณ (BE).
    pub fiscal_year: i32,
    /// ข้อบัญญัติ/เทศบัญญัติ or accumulated funds.
    pub path: BudgetPath,
    /// ชื่อรายการงบประมาณประจำปี; the project's name when left out.
    pub budget_item_name: Option<String>,
    /// Baht, e.g. "20000.00".
    pub amount: String,
    #[graphql(default)]
    pub sources: FundingSourcesInput,
    /// dd/mm/yyyy BE, e.g. "24/09/2563".
    pub approved_on: String,
    /// The e-LAAS item it links to, if known.
    pub elaas_item_id: Option<ID>,
}

/// A change of an approval's e-LAAS link.
#[derive(InputObject)]
pub struct LinkElaasInput {
    pub approval_id: ID,
    pub version: i32,
    /// The item to link; null removes the link.
    pub elaas_item_id: Option<ID>,
}

#[derive(sqlx::FromRow)]
struct ProjectContext {
    organisation_id: i64,
    first_year: i32,
    last_year: i32,
    plan_approved: bool,
}

/// Mutations of this domain.
#[derive(Default)]
pub struct BudgetMutation;

#[Object]
impl BudgetMutation {
    /// อนุมัติงบประมาณ: approves a project of the LAO's approved plan for a fiscal year.
    async fn approve_budget(
        &self,
        ctx: &Context<'_>,
        input: ApproveBudgetInput,
    ) -> async_graphql::Result<BudgetApproval> {
        let mut tx = audit::begin(ctx).await?;
        let project_id =
            key_of(&input.plan_project_id, "PlanProject", "input.planProjectId").gql()?;
        let project: Option<ProjectContext> =
            crate::db::query_as(include_str!("sql/approval_context.sql"))
                .bind(project_id)
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        let Some(project) = project else {
            return Err(AppError::validation(
                "input.planProjectId",
                codes::NOT_FOUND,
                "ไม่พบโครงการนี้",
                "no such plan project",
            ))
            .gql();
        };
        let mut v = Validator::new();
        check_project(&mut v, &project, input.fiscal_year);
        let amount = v.money("input.amount", &input.amount);
        let sources = funding_sources(&mut v, &input.sources, amount);
        let approved_on = v.required_date("input.approvedOn", Some(&input.approved_on));
        check_approval_date(&mut v, approved_on, input.fiscal_year);
        let elaas = match &input.elaas_item_id {
            Some(id) => elaas_item(
                &mut tx,
                &mut v,
                id,
                project.organisation_id,
                input.fiscal_year,
            )
            .await
            .gql()?,
            None => None,
        };
        let path = path_to_db(input.path);
        let duplicate: bool = crate::db::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM budget_approvals WHERE plan_project_id = $1 AND fiscal_year = $2 AND path = $3)",
        )
        .bind(project_id)
        .bind(input.fiscal_year)
        .bind(path)
        .fetch_one(&mut *tx)
        .await.gql()?;
        if duplicate {
            v.error(
                "input.planProjectId",
                codes::DUPLICATE,
                "โครงการนี้อนุมัติงบประมาณปีนี้ทางนี้แล้ว",
                "the project is already approved for this fiscal year by this path",
            );
        }
        let name: String = match Validator::optional(input.budget_item_name.as_deref()) {
            Some(n) => n,
            None => crate::db::query_scalar("SELECT name_th FROM plan_projects WHERE id = $1")
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await
                .gql()?,
        };
        v.finish().gql()?;
        // The one rule of every link (elaas::matching::link_item): an item
        // belongs to at most one approval.
        if let Some(item) = elaas {
            if let Some(held) = matching::holder(&mut tx, item, 0).await.gql()? {
                return Err(matching::already_linked("input.elaasItemId", held)).gql();
            }
        }
        let id = insert_approval(
            &mut tx,
            &NewApproval {
                plan_project_id: project_id,
                fiscal_year: input.fiscal_year,
                path,
                budget_item_name: &name,
                amount: amount.unwrap_or_default(),
                sources,
                approved_on: approved_on.unwrap_or_default(),
                elaas_item_id: elaas,
                elaas_link_method: elaas.map(|_| "manual"),
            },
        )
        .await
        .gql()?;
        let approval = approval_by_id(&mut tx, id).await.gql()?;
        tx.commit().await.gql()?;
        Ok(approval)
    }

    /// Links an approval to its e-LAAS item (or removes the link), by the same
    /// rule and code as `confirmElaasLink`: an item linked to another approval
    /// is refused with ALREADY_LINKED naming that approval.
    async fn link_elaas_item(
        &self,
        ctx: &Context<'_>,
        input: LinkElaasInput,
    ) -> async_graphql::Result<BudgetApproval> {
        let id = key_of(&input.approval_id, "BudgetApproval", "input.approvalId").gql()?;
        let item = match &input.elaas_item_id {
            Some(item) => Some(key_of(item, "ElaasItem", "input.elaasItemId").gql()?),
            None => None,
        };
        crate::elaas::mutations::link(ctx, id, input.version, item, "input.elaasItemId").await
    }
}

fn path_to_db(path: BudgetPath) -> &'static str {
    match path {
        BudgetPath::Ordinance => "ordinance",
        BudgetPath::AccumulatedFunds => "accumulated_funds",
        BudgetPath::AccumulatedFundsReserve => "accumulated_funds_reserve",
    }
}

fn check_project(v: &mut Validator, project: &ProjectContext, fiscal_year: i32) {
    if !project.plan_approved {
        v.error(
            "input.planProjectId",
            codes::PLAN_NOT_APPROVED,
            "โครงการต้องอยู่ในแผนพัฒนาท้องถิ่นที่อนุมัติแล้ว",
            "the project must be in the organisation's approved development plan",
        );
    }
    let buddhist_era = crate::arguments::write_fiscal_year(v, "input.fiscalYear", fiscal_year);
    if buddhist_era && !(project.first_year..=project.last_year).contains(&fiscal_year) {
        v.error(
            "input.fiscalYear",
            codes::DATE_OUT_OF_RANGE,
            format!(
                "ปีงบประมาณต้องอยู่ในช่วงของแผน {} – {}",
                project.first_year, project.last_year
            ),
            format!(
                "must be a year of the plan, {} – {}",
                project.first_year, project.last_year
            ),
        );
    }
}

/// An approval is made in the year before the fiscal year starts (the
/// ordinance is passed before 1 October) or during it, never after it.
fn check_approval_date(v: &mut Validator, approved_on: Option<NaiveDate>, fiscal_year: i32) {
    let (Some(date), Some((start, end))) = (approved_on, fiscal_year_range(fiscal_year)) else {
        return;
    };
    let earliest = start.checked_sub_months(Months::new(12)).unwrap_or(start);
    if date < earliest || date > end {
        v.error(
            "input.approvedOn",
            codes::DATE_OUT_OF_RANGE,
            format!(
                "วันที่อนุมัติต้องอยู่ระหว่าง {} – {} สำหรับปีงบประมาณ {fiscal_year}",
                format_be(earliest),
                format_be(end)
            ),
            format!(
                "must lie between {} and {} for fiscal year {fiscal_year}",
                format_be(earliest),
                format_be(end)
            ),
        );
    }
}

fn funding_sources(
    v: &mut Validator,
    input: &FundingSourcesInput,
    amount: Option<Decimal>,
) -> FundingSources {
    let mut part = |name: &str, text: &Option<String>| -> Decimal {
        match text {
            Some(t) => v
                .money(&format!("input.sources.{name}"), t)
                .unwrap_or_default(),
            None => Decimal::ZERO,
        }
    };
    let s = FundingSources {
        general_subsidy: part("generalSubsidy", &input.general_subsidy),
        purpose_subsidy: part("purposeSubsidy", &input.purpose_subsidy),
        government_subsidy: part("governmentSubsidy", &input.government_subsidy),
        specific_subsidy: part("specificSubsidy", &input.specific_subsidy),
        own_revenue: part("ownRevenue", &input.own_revenue),
        other_revenue: part("otherRevenue", &input.other_revenue),
        accumulated_funds: part("accumulatedFunds", &input.accumulated_funds),
        accumulated_reserve: part("accumulatedReserve", &input.accumulated_reserve),
        unknown: part("unknown", &input.unknown),
    };
    let total = s.general_subsidy
        + s.purpose_subsidy
        + s.government_subsidy
        + s.specific_subsidy
        + s.own_revenue
        + s.other_revenue
        + s.accumulated_funds
        + s.accumulated_reserve
        + s.unknown;
    if let Some(amount) = amount {
        if total != amount {
            v.error(
                "input.sources",
                codes::SOURCES_MISMATCH,
                format!("ยอดรวมแหล่งเงิน {total:.2} ไม่เท่ากับงบที่อนุมัติ {amount:.2}"),
                format!("the funding sources add up to {total:.2}, not the approved {amount:.2}"),
            );
        }
    }
    s
}

/// The id of an e-LAAS item of the same organisation and fiscal year.
async fn elaas_item(
    conn: &mut PgConnection,
    v: &mut Validator,
    id: &ID,
    organisation_id: i64,
    fiscal_year: i32,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(key) = crate::types::global_id::decode_as(id, "ElaasItem") else {
        v.error(
            "input.elaasItemId",
            codes::INVALID_INPUT,
            "รหัสนี้ไม่ใช่รายการ e-LAAS",
            "is not the id of an e-LAAS item",
        );
        return Ok(None);
    };
    let ok: bool = crate::db::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM elaas_items WHERE id = $1 AND organisation_id = $2 AND fiscal_year = $3)",
    )
    .bind(key)
    .bind(organisation_id)
    .bind(fiscal_year)
    .fetch_one(conn)
    .await?;
    if !ok {
        v.error(
            "input.elaasItemId",
            codes::NOT_FOUND,
            "ไม่พบรายการ e-LAAS นี้ของหน่วยงานในปีงบประมาณนี้",
            "no e-LAAS item of this organisation and fiscal year has this id",
        );
    }
    Ok(ok.then_some(key))
}

/// An approval as the API shows it.
pub async fn approval_by_id(
    conn: &mut PgConnection,
    id: i64,
) -> Result<BudgetApproval, sqlx::Error> {
    crate::db::query_as(super::sql::BY_ID)
        .bind(vec![id])
        .fetch_one(conn)
        .await
}
