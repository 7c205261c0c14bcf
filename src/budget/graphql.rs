//! The GraphQL object of a budget approval: one row of the project report list.

use crate::elaas::{ElaasItem, ElaasItemLoader, ElaasSnapshot, LatestSnapshotLoader};
use crate::error::internal;
use crate::reports::{ProjectReport, ReportByApprovalLoader};
use crate::types::{format_be, Money};
use async_graphql::{dataloader::DataLoader, ComplexObject, Context, Enum, SimpleObject};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// How a budget was approved.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum BudgetPath {
    /// ข้อบัญญัติ/เทศบัญญัติ: the annual budget ordinance
    Ordinance,
    /// เงินสะสม: accumulated funds
    AccumulatedFunds,
    /// เงินทุนสำรองเงินสะสม: the reserve of accumulated funds
    AccumulatedFundsReserve,
}

impl BudgetPath {
    /// The value stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "ordinance" => Self::Ordinance,
            "accumulated_funds" => Self::AccumulatedFunds,
            "accumulated_funds_reserve" => Self::AccumulatedFundsReserve,
            _ => return None,
        })
    }
}

/// A funding source (แหล่งเงิน) of an approved budget.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FundingSource {
    /// เงินอุดหนุนทั่วไป
    GeneralSubsidy,
    /// เงินอุดหนุนแบบมีวัตถุประสงค์
    PurposeSubsidy,
    /// เงินอุดหนุนจากรัฐบาล
    GovernmentSubsidy,
    /// เงินอุดหนุนเฉพาะกิจ
    SpecificSubsidy,
    /// รายได้จัดเก็บเอง
    OwnRevenue,
    /// รายได้อื่น ๆ
    OtherRevenue,
    /// เงินสะสม
    AccumulatedFunds,
    /// เงินทุนสำรองสะสม
    AccumulatedReserve,
    /// ไม่ทราบแหล่งที่มา
    Unknown,
}

/// The part of an approved amount that comes from one source.
#[derive(SimpleObject, Clone, Debug)]
pub struct FundingAmount {
    pub source: FundingSource,
    pub amount: Money,
}

/// A budget approval of a plan project for a fiscal year, with its e-LAAS
/// figures and its eMENSCR report.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct BudgetApproval {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub plan_project_id: i64,
    /// ปีงบประมาณ (Buddhist Era).
    pub fiscal_year: i32,
    #[graphql(skip)]
    pub path: String,
    /// ชื่อรายการงบประมาณประจำปี: the name of the annual budget item.
    pub budget_item_name: String,
    #[graphql(skip)]
    pub amount: Decimal,
    #[graphql(skip)]
    pub from_general_subsidy: Decimal,
    #[graphql(skip)]
    pub from_purpose_subsidy: Decimal,
    #[graphql(skip)]
    pub from_government_subsidy: Decimal,
    #[graphql(skip)]
    pub from_specific_subsidy: Decimal,
    #[graphql(skip)]
    pub from_own_revenue: Decimal,
    #[graphql(skip)]
    pub from_other_revenue: Decimal,
    #[graphql(skip)]
    pub from_accumulated_funds: Decimal,
    #[graphql(skip)]
    pub from_accumulated_reserve: Decimal,
    #[graphql(skip)]
    pub from_unknown: Decimal,
    /// The approval date.
    pub approved_on: NaiveDate,
    #[graphql(skip)]
    pub elaas_item_id: Option<i64>,
    #[graphql(skip)]
    pub elaas_link_method: Option<String>,
    /// Optimistic-concurrency version of the record.
    pub version: i32,
    /// ชื่อโครงการตามแผน: the plan project's name.
    #[graphql(name = "name")]
    pub project_name: String,
    /// ด้าน: the sector, e.g. ด้านสังคม.
    pub sector: String,
    /// ประเภทกิจกรรม: "งาน - แผนงาน" of the budget classification.
    pub activity_type: Option<String>,
}

#[ComplexObject]
impl BudgetApproval {
    /// ข้อบัญญัติ/เทศบัญญัติ or accumulated funds.
    async fn path(&self) -> Option<BudgetPath> {
        BudgetPath::from_db(&self.path)
    }

    /// งบตามข้อบัญญัติ/เทศบัญญัติ: the approved amount.
    async fn ordinance_budget(&self) -> Money {
        Money(self.amount)
    }

    /// The approved amount by funding source (sources with a zero amount left out).
    async fn funding_sources(&self) -> Vec<FundingAmount> {
        use FundingSource::*;
        [
            (GeneralSubsidy, self.from_general_subsidy),
            (PurposeSubsidy, self.from_purpose_subsidy),
            (GovernmentSubsidy, self.from_government_subsidy),
            (SpecificSubsidy, self.from_specific_subsidy),
            (OwnRevenue, self.from_own_revenue),
            (OtherRevenue, self.from_other_revenue),
            (AccumulatedFunds, self.from_accumulated_funds),
            (AccumulatedReserve, self.from_accumulated_reserve),
            (Unknown, self.from_unknown),
        ]
        .into_iter()
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(source, amount)| FundingAmount {
            source,
            amount: Money(amount),
        })
        .collect()
    }

    /// The approval date in the Buddhist Era, e.g. "24/09/2563".
    #[graphql(name = "approvedOnBE")]
    async fn approved_on_be(&self) -> String {
        format_be(self.approved_on)
    }

    /// The linked e-LAAS budget item; null until an officer links it.
    async fn elaas_item(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ElaasItem>> {
        let Some(id) = self.elaas_item_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<ElaasItemLoader>>()?;
        loader.load_one(id).await.map_err(internal)
    }

    /// The newest e-LAAS figures of the linked item; null when not linked or
    /// not yet in e-LAAS (wait for next month's refresh).
    async fn elaas(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ElaasSnapshot>> {
        let Some(id) = self.elaas_item_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<LatestSnapshotLoader>>()?;
        loader.load_one(id).await.map_err(internal)
    }

    /// งบตามสัญญา: the contract amount, from the newest e-LAAS figures.
    async fn contract_amount(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        Ok(self.elaas(ctx).await?.map(|s| Money(s.contract_amount)))
    }

    /// เบิกจ่าย: the amount disbursed, from the newest e-LAAS figures.
    async fn disbursed(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        Ok(self.elaas(ctx).await?.map(|s| Money(s.disbursed)))
    }

    /// คงเหลือ: the amount remaining, from the newest e-LAAS figures.
    async fn remaining(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        Ok(self.elaas(ctx).await?.map(|s| Money(s.remaining)))
    }

    /// The eMENSCR project report, if one was started.
    async fn report(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProjectReport>> {
        let loader = ctx.data::<DataLoader<ReportByApprovalLoader>>()?;
        loader.load_one(self.id).await.map_err(internal)
    }
}
