//! รายงานการดำเนินโครงการ [ปีงบประมาณ …]: the project report list of the
//! manual — one LAO's projects of a year grouped by sector (ด้าน), with the
//! ordinance budget, contract, disbursed and remaining of each, and totals.

use super::BudgetApproval;
use crate::elaas::LatestSnapshotLoader;
use crate::error::internal;
use crate::types::{format_be, Money};
use async_graphql::{dataloader::DataLoader, Context, SimpleObject};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Sums of the four money columns.
#[derive(SimpleObject, Clone, Copy, Debug, Default)]
pub struct MoneyTotals {
    /// งบตามข้อบัญญัติ/เทศบัญญัติ
    pub ordinance_budget: Money,
    /// งบตามสัญญา
    pub contract_amount: Money,
    /// เบิกจ่าย
    pub disbursed: Money,
    /// คงเหลือ
    pub remaining: Money,
}

/// The projects of one sector.
#[derive(SimpleObject, Clone, Debug)]
pub struct SectorGroup {
    /// ด้าน
    pub sector: String,
    // Priced as the projects of a whole year (limits::SOME): a sector
    // rarely holds fewer, and the sectors' own price (FEW) is on top.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    pub projects: Vec<BudgetApproval>,
    pub totals: MoneyTotals,
}

/// The project report list of one organisation and fiscal year.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProjectReportList {
    /// ปีงบประมาณ (BE)
    pub fiscal_year: i32,
    /// The newest e-LAAS date among the projects ("ข้อมูล ณ วันที่").
    pub elaas_as_of: Option<NaiveDate>,
    #[graphql(name = "elaasAsOfBE")]
    pub elaas_as_of_be: Option<String>,
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    pub sectors: Vec<SectorGroup>,
    pub totals: MoneyTotals,
}

impl ProjectReportList {
    /// Groups `projects` (already in sector order) and adds up their figures.
    /// Projects not yet in e-LAAS count their whole budget as remaining.
    pub async fn build(
        ctx: &Context<'_>,
        fiscal_year: i32,
        projects: Vec<BudgetApproval>,
    ) -> async_graphql::Result<ProjectReportList> {
        let loader = ctx.data::<DataLoader<LatestSnapshotLoader>>()?;
        let items: Vec<i64> = projects.iter().filter_map(|p| p.elaas_item_id).collect();
        let figures = loader.load_many(items).await.map_err(internal)?;
        let mut sectors: Vec<SectorGroup> = Vec::new();
        let mut totals = MoneyTotals::default();
        let mut as_of: Option<NaiveDate> = None;
        for project in projects {
            let latest = project.elaas_item_id.and_then(|id| figures.get(&id));
            as_of = as_of.max(latest.map(|s| s.as_of));
            let row = row_totals(
                project.amount,
                latest.map(|s| (s.contract_amount, s.disbursed, s.remaining)),
            );
            add(&mut totals, row);
            match sectors.last_mut() {
                Some(group) if group.sector == project.sector => {
                    add(&mut group.totals, row);
                    group.projects.push(project);
                }
                _ => sectors.push(SectorGroup {
                    sector: project.sector.clone(),
                    totals: row,
                    projects: vec![project],
                }),
            }
        }
        Ok(ProjectReportList {
            fiscal_year,
            elaas_as_of: as_of,
            elaas_as_of_be: as_of.map(format_be),
            sectors,
            totals,
        })
    }
}

fn row_totals(budget: Decimal, elaas: Option<(Decimal, Decimal, Decimal)>) -> MoneyTotals {
    let (contract, disbursed, remaining) = elaas.unwrap_or((Decimal::ZERO, Decimal::ZERO, budget));
    MoneyTotals {
        ordinance_budget: Money(budget),
        contract_amount: Money(contract),
        disbursed: Money(disbursed),
        remaining: Money(remaining),
    }
}

fn add(total: &mut MoneyTotals, row: MoneyTotals) {
    total.ordinance_budget.0 += row.ordinance_budget.0;
    total.contract_amount.0 += row.contract_amount.0;
    total.disbursed.0 += row.disbursed.0;
    total.remaining.0 += row.remaining.0;
}
