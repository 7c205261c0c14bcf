//! Builds an LAO whose counts reproduce one row of the manual's provincial
//! tracking report: the row's numbers come from the demo file, the rows that
//! make them up are made here.

use super::model::TrackingExample;
use crate::budget::store::{insert_approval, FundingSources, NewApproval};
use crate::elaas::store::{insert_item, insert_snapshot, Figures};
use crate::error::{AppError, AppResult};
use crate::organisations::store::insert_organisation;
use crate::plans::store::{
    insert_amendment, insert_plan, insert_project, insert_strategy, NewPlanProject,
};
use crate::reports::store::{insert_report, ReportFields};
use crate::types::fiscal_year_range;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use sqlx::PgConnection;

const SECTORS: [&str; 5] = [
    "ด้านบริหารทั่วไป",
    "ด้านบริการชุมชนและสังคม",
    "ด้านการเศรษฐกิจ",
    "ด้านสังคม",
    "ด้านการดำเนินงานอื่น",
];

/// A plan project made for an example, with its budget in the fiscal year.
struct Made {
    id: i64,
    amount: Decimal,
}

/// Writes one example LAO.
pub async fn write(conn: &mut PgConnection, ex: &TrackingExample) -> AppResult<()> {
    check(ex)?;
    let org_id = insert_organisation(conn, &ex.organisation).await?;
    let plan_id = insert_plan(conn, org_id, ex.plan_first_year, ex.plan_approved_on).await?;
    let mut strategies = Vec::new();
    for n in 1..=ex.strategies {
        strategies
            .push(insert_strategy(conn, plan_id, n, &format!("ยุทธศาสตร์ที่ {n} (ตัวอย่าง)")).await?);
    }
    let mut in_fiscal_year = Vec::new();
    for (offset, count) in ex.plan_projects.iter().enumerate() {
        let year = ex.plan_first_year + offset as i32;
        let made = projects(conn, plan_id, &strategies, year, *count, None).await?;
        if year == ex.fiscal_year {
            in_fiscal_year.extend(made);
        }
    }
    if ex.added > 0 {
        let approved_on = fiscal_year_range(ex.fiscal_year).map(|(start, _)| start - Days::new(60));
        let amendment = insert_amendment(
            conn,
            plan_id,
            1,
            approved_on,
            Some("เพิ่มเติมโครงการ (ตัวอย่าง)"),
        )
        .await?;
        in_fiscal_year.extend(
            projects(
                conn,
                plan_id,
                &strategies,
                ex.fiscal_year,
                ex.added,
                Some(amendment),
            )
            .await?,
        );
    }
    for (i, project) in in_fiscal_year.iter().take(ex.approved).enumerate() {
        approve(conn, org_id, ex, i, project).await?;
    }
    Ok(())
}

fn check(ex: &TrackingExample) -> AppResult<()> {
    let fy_index = usize::try_from(ex.fiscal_year - ex.plan_first_year).unwrap_or(usize::MAX);
    let available = ex.plan_projects.get(fy_index).copied().unwrap_or(0) + ex.added;
    let ok = ex.approved <= available
        && ex.reported <= ex.approved
        && ex.completed <= ex.reported
        && ex.contracted <= ex.approved
        && ex.disbursed <= ex.contracted
        && ex.fully_disbursed <= ex.disbursed;
    if ok {
        Ok(())
    } else {
        Err(AppError::Internal(anyhow::anyhow!(
            "demo tracking example {} has counts that cannot all hold",
            ex.organisation.code
        )))
    }
}

async fn projects(
    conn: &mut PgConnection,
    plan_id: i64,
    strategies: &[i64],
    year: i32,
    count: usize,
    amendment_id: Option<i64>,
) -> AppResult<Vec<Made>> {
    let mut made = Vec::with_capacity(count);
    for i in 0..count {
        let amount = Decimal::from(10_000 + (i % 20) as i64 * 5_000);
        let name = match amendment_id {
            None => format!("โครงการตัวอย่าง ปี {year} ลำดับที่ {}", i + 1),
            Some(_) => format!("โครงการเพิ่มเติม ปี {year} ลำดับที่ {}", i + 1),
        };
        let id = insert_project(
            conn,
            &NewPlanProject {
                plan_id,
                strategy_id: strategies.get(i % strategies.len().max(1)).copied(),
                sector: SECTORS[i % SECTORS.len()],
                activity_type: None,
                name_th: &name,
                amendment_id,
                budgets: vec![(year, amount)],
            },
        )
        .await?;
        made.push(Made { id, amount });
    }
    Ok(made)
}

/// Approves the `i`-th project of the fiscal year; the first approvals are the
/// ones contracted, disbursed, reported and completed.
async fn approve(
    conn: &mut PgConnection,
    org_id: i64,
    ex: &TrackingExample,
    i: usize,
    p: &Made,
) -> AppResult<()> {
    let (fy_start, _) = fiscal_year_range(ex.fiscal_year)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad fiscal year {}", ex.fiscal_year)))?;
    let name = format!("รายการงบประมาณตัวอย่างที่ {}", i + 1);
    let item = insert_item(
        conn,
        org_id,
        ex.fiscal_year,
        &format!("{}-{:04}", ex.fiscal_year, i + 1),
        &name,
    )
    .await?;
    insert_snapshot(conn, item, &figures(ex, i, p.amount, fy_start)).await?;
    let approval = insert_approval(
        conn,
        &NewApproval {
            plan_project_id: p.id,
            fiscal_year: ex.fiscal_year,
            path: "ordinance",
            budget_item_name: &name,
            amount: p.amount,
            sources: FundingSources {
                own_revenue: p.amount,
                ..FundingSources::default()
            },
            approved_on: fy_start - Days::new(7),
            elaas_item_id: Some(item),
            elaas_link_method: Some("manual"),
        },
    )
    .await?;
    if i < ex.reported {
        insert_report(conn, approval, &report(i < ex.completed, fy_start)).await?;
    }
    Ok(())
}

fn figures(ex: &TrackingExample, i: usize, amount: Decimal, fy_start: NaiveDate) -> Figures {
    let contract = if i < ex.contracted {
        amount
    } else {
        Decimal::ZERO
    };
    let disbursed = if i < ex.fully_disbursed {
        amount
    } else if i < ex.disbursed {
        (amount / Decimal::from(2)).round_dp(2)
    } else {
        Decimal::ZERO
    };
    Figures {
        as_of: fy_start + Days::new(181), // 31 March of the fiscal year
        budget: amount,
        contract_amount: contract,
        contract_signed_on: (i < ex.contracted).then(|| fy_start + Days::new(45)),
        disbursed,
        remaining: amount - disbursed,
    }
}

fn report(completed: bool, fy_start: NaiveDate) -> ReportFields {
    ReportFields {
        coordinator_name: Some("ผู้ประสานงานตัวอย่าง".into()),
        coordinator_phone: Some("034-000-000".into()),
        rationale: Some("ข้อมูลตัวอย่างตามตารางในคู่มือ".into()),
        output_target: Some("ตัวอย่าง".into()),
        outcome_target: Some("ตัวอย่าง".into()),
        expected_results: Some("ตัวอย่าง".into()),
        success_indicator: Some("ตัวอย่าง".into()),
        start_date: Some(fy_start + Days::new(31)),
        end_date: Some(fy_start + Days::new(300)),
        submitted_on: Some(fy_start + Days::new(90)),
        completed_on: completed.then(|| fy_start + Days::new(300)),
        summary: completed.then(|| "ดำเนินการเสร็จสิ้นตามแผน (ตัวอย่าง)".into()),
        ..ReportFields::default()
    }
}
