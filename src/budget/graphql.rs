//! The GraphQL object of a budget approval: one row of the project report list.

use super::filter::ApprovalFilter;
use crate::db::loader::{load_one, ById};
use crate::db::Db;
use crate::elaas::{ElaasItem, ElaasSnapshot, LatestSnapshotLoader};
use crate::error::{internal, GqlResultExt};
use crate::organisations::Organisation;
use crate::pagination::{self, List, Page};
use crate::plans::PlanProject;
use crate::reports::{ProjectReport, ReportByApprovalLoader};
use crate::types::{format_be, global_id, Money};
use async_graphql::{
    dataloader::DataLoader, ComplexObject, Context, Enum, Object, SimpleObject, ID,
};
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
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
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

impl FundingSource {
    /// The `budget_approvals` column holding this source's amount.
    pub fn column(self) -> &'static str {
        match self {
            Self::GeneralSubsidy => "from_general_subsidy",
            Self::PurposeSubsidy => "from_purpose_subsidy",
            Self::GovernmentSubsidy => "from_government_subsidy",
            Self::SpecificSubsidy => "from_specific_subsidy",
            Self::OwnRevenue => "from_own_revenue",
            Self::OtherRevenue => "from_other_revenue",
            Self::AccumulatedFunds => "from_accumulated_funds",
            Self::AccumulatedReserve => "from_accumulated_reserve",
            Self::Unknown => "from_unknown",
        }
    }
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
    #[graphql(skip)]
    pub organisation_id: i64,
    /// ชื่อโครงการตามแผน: the plan project's name.
    #[graphql(name = "name")]
    pub project_name: String,
    /// ด้าน: the sector, e.g. ด้านสังคม.
    pub sector: String,
    /// ประเภทกิจกรรม: "งาน - แผนงาน" of the budget classification.
    pub activity_type: Option<String>,
    /// Published: its plan is approved and, if an amendment added its
    /// project, that amendment too (docs/access.md, "What is published").
    /// Every caller reads published approvals; the aggregates count only
    /// these. False only for callers who read the LAO in full.
    pub published: bool,
}

#[ComplexObject]
impl BudgetApproval {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("BudgetApproval", self.id)
    }

    /// Every change of this record: who, when, before and after (oldest first).
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::audit::AuditEntry>> {
        crate::audit::history_of(ctx, crate::audit::Audited::BudgetApproval, self.id).await
    }

    /// The plan project approved.
    async fn plan_project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlanProject>> {
        load_one::<ById<PlanProject>, _>(ctx, self.plan_project_id).await
    }

    /// The organisation that approved it.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        load_one::<ById<Organisation>, _>(ctx, self.organisation_id).await
    }

    /// How the e-LAAS link was made: "manual" by an officer, "auto" by the matcher.
    async fn elaas_link_method(&self) -> Option<&str> {
        self.elaas_link_method.as_deref()
    }

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
        match self.elaas_item_id {
            Some(id) => load_one::<ById<ElaasItem>, _>(ctx, id).await,
            None => Ok(None),
        }
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

    /// e-LAAS items this approval may link to, best first: items of its
    /// organisation and fiscal year that no other approval links to, ranked by
    /// Thai name similarity (spaces and punctuation ignored) and amount.
    #[graphql(complexity = "crate::graphql::limits::list_cost(Some(first), child_complexity)")]
    async fn suggested_elaas_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
    ) -> async_graphql::Result<Vec<crate::elaas::matching::ElaasCandidate>> {
        crate::elaas::mutations::suggestions(ctx, self, first).await
    }

    /// The eMENSCR project report, if one was started.
    async fn report(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProjectReport>> {
        let loader = ctx.data::<DataLoader<ReportByApprovalLoader>>()?;
        loader.load_one(self.id).await.map_err(internal)
    }
}

/// Root fields of this domain.
#[derive(Default)]
pub struct BudgetQuery;

#[Object]
impl BudgetQuery {
    /// Budget approvals matching a filter; ranked by match when searching, else by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn budget_approvals(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: ApprovalFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<BudgetApproval>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let pool = ctx.data::<Db>()?;
        let want_total = pagination::wants_total(ctx);
        let (rows, total) = super::list::list(pool, &filter, page, want_total)
            .await
            .map_err(internal)?;
        let ranked = filter.search_text().is_some();
        Ok(pagination::connection(rows, page, total, ranked, |a| a.id))
    }
}
