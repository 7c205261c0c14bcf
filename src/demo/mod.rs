//! The demo data: `data/demo/demo.toml`, built from the eMENSCR manual.

pub mod model;
mod tracking;

use crate::budget::store::{insert_approval, NewApproval};
use crate::elaas::store::{insert_item, insert_snapshot};
use crate::error::{AppError, AppResult};
use crate::organisations::store::{insert_organisation, upsert_province};
use crate::plans::store::{insert_plan, insert_project, insert_strategy, NewPlanProject};
use crate::reports::store::insert_report;
use model::{DemoFile, OrganisationSpec, ProjectSpec};
use sqlx::{PgConnection, PgPool};

/// The demo file shipped in the binary.
pub const DEMO_TOML: &str = include_str!("../../data/demo/demo.toml");

/// Parses the shipped demo file.
pub fn parse() -> AppResult<DemoFile> {
    toml::from_str(DEMO_TOML)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("data/demo/demo.toml: {e}")))
}

/// Loads the demo in one transaction, unless it is there already.
/// Returns whether it loaded anything. The hierarchy must be loaded first.
pub async fn load(pool: &PgPool) -> AppResult<bool> {
    let demo = parse()?;
    let mut tx = crate::db::begin_as(pool, "demo-loader").await?;
    // One loader at a time; a second one waits, then finds the data there.
    crate::db::query("SELECT pg_advisory_xact_lock(hashtext('tidtam-demo'))")
        .execute(&mut *tx)
        .await?;
    let first_code = demo
        .organisations
        .first()
        .map(|o| o.organisation.code.clone());
    let present: bool =
        crate::db::query_scalar("SELECT EXISTS (SELECT 1 FROM organisations WHERE code = $1)")
            .bind(first_code)
            .fetch_one(&mut *tx)
            .await?;
    if present {
        return Ok(false);
    }
    write(&mut tx, &demo).await?;
    tx.commit().await?;
    Ok(true)
}

async fn write(conn: &mut PgConnection, demo: &DemoFile) -> AppResult<()> {
    for p in &demo.provinces {
        upsert_province(conn, &p.code, &p.name_th, p.name_en.as_deref()).await?;
    }
    for d in &demo.deadlines {
        crate::db::query(include_str!("sql/insert_deadline.sql"))
            .bind(d.fiscal_year)
            .bind(&d.stage)
            .bind(d.due_on)
            .bind(&d.note)
            .execute(&mut *conn)
            .await?;
    }
    for org in &demo.organisations {
        write_organisation(conn, org).await?;
    }
    for example in &demo.tracking_examples {
        tracking::write(conn, example).await?;
    }
    for account in &demo.accounts {
        write_account(conn, account).await?;
    }
    Ok(())
}

async fn write_account(conn: &mut PgConnection, spec: &model::AccountSpec) -> AppResult<()> {
    let role = crate::auth::Role::parse(&spec.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "demo account {}: unknown role {}",
            spec.username,
            spec.role
        ))
    })?;
    crate::auth::store::add_account(
        &mut *conn,
        crate::auth::store::NewAccount {
            username: &spec.username,
            display_name: &spec.display_name,
            password: Some(&spec.password),
            role,
            organisation_code: spec.organisation.as_deref(),
            province_code: spec.province.as_deref(),
        },
    )
    .await?;
    Ok(())
}

async fn write_organisation(conn: &mut PgConnection, spec: &OrganisationSpec) -> AppResult<()> {
    let org_id = insert_organisation(conn, &spec.organisation).await?;
    let plan = &spec.plan;
    let plan_id = insert_plan(conn, org_id, plan.first_year, plan.approved_on).await?;
    let mut strategy_ids = Vec::new();
    for (i, name) in plan.strategies.iter().enumerate() {
        strategy_ids.push(insert_strategy(conn, plan_id, i as i32 + 1, name).await?);
    }
    for project in &plan.projects {
        write_project(conn, org_id, plan_id, &strategy_ids, project).await?;
    }
    Ok(())
}

async fn write_project(
    conn: &mut PgConnection,
    org_id: i64,
    plan_id: i64,
    strategy_ids: &[i64],
    spec: &ProjectSpec,
) -> AppResult<()> {
    let budgets = spec
        .budgets
        .iter()
        .map(|(year, amount)| {
            year.parse::<i32>().map(|y| (y, *amount)).map_err(|_| {
                AppError::Internal(anyhow::anyhow!("demo: plan year {year} is not a number"))
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let strategy_id = spec
        .strategy
        .and_then(|n| strategy_ids.get(usize::try_from(n - 1).ok()?).copied());
    let project_id = insert_project(
        conn,
        &NewPlanProject {
            plan_id,
            strategy_id,
            sector: &spec.sector,
            activity_type: spec.activity_type.as_deref(),
            name_th: &spec.name_th,
            amendment_id: None,
            budgets,
        },
    )
    .await?;
    let Some(a) = &spec.approval else {
        return Ok(());
    };
    let elaas_item_id = match &a.elaas {
        Some(e) => {
            let id = insert_item(conn, org_id, a.fiscal_year, &e.item_code, &e.name_th).await?;
            for f in &e.figures {
                insert_snapshot(conn, id, f).await?;
            }
            Some(id)
        }
        None => None,
    };
    let approval_id = insert_approval(
        conn,
        &NewApproval {
            plan_project_id: project_id,
            fiscal_year: a.fiscal_year,
            path: &a.path,
            budget_item_name: &a.budget_item_name,
            amount: a.amount,
            sources: a.sources.clone(),
            approved_on: a.approved_on,
            elaas_item_id,
            elaas_link_method: elaas_item_id.map(|_| "manual"),
        },
    )
    .await?;
    if let Some(report) = &a.report {
        insert_report(conn, approval_id, report).await?;
    }
    Ok(())
}
