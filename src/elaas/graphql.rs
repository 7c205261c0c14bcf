//! GraphQL objects of e-LAAS items and their figures.

use super::LatestSnapshotLoader;
use crate::db::loader::{load_children, load_one, ById};
use crate::error::internal;
use crate::organisations::Organisation;
use crate::types::{format_be, global_id, Money};
use async_graphql::{dataloader::DataLoader, ComplexObject, Context, SimpleObject, ID};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One budget item of an LAO's e-LAAS accounts in a fiscal year.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct ElaasItem {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub organisation_id: i64,
    /// ปีงบประมาณ (Buddhist Era).
    pub fiscal_year: i32,
    /// The item's code in e-LAAS.
    #[graphql(name = "code")]
    pub item_code: String,
    /// The item's name in e-LAAS; it often differs slightly from the plan's.
    #[graphql(name = "name")]
    pub name_th: String,
}

#[ComplexObject]
impl ElaasItem {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("ElaasItem", self.id)
    }

    /// The organisation whose accounts hold the item.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        load_one::<ById<Organisation>, _>(ctx, self.organisation_id).await
    }

    /// The newest figures.
    async fn latest(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ElaasSnapshot>> {
        let loader = ctx.data::<DataLoader<LatestSnapshotLoader>>()?;
        loader.load_one(self.id).await.map_err(internal)
    }

    /// The budget approvals linked to this item.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn approvals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::budget::BudgetApproval>> {
        let loader = ctx.data::<DataLoader<super::ApprovalsOfItem>>()?;
        Ok(loader
            .load_one(self.id)
            .await
            .map_err(internal)?
            .unwrap_or_default())
    }

    /// Every snapshot of the figures, oldest first: disbursement over time.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn figures(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ElaasSnapshot>> {
        load_children::<ElaasSnapshot>(ctx, self.id).await
    }
}

/// The figures of an e-LAAS item as of a date (ข้อมูล ณ วันที่).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct ElaasSnapshot {
    #[graphql(skip)]
    pub elaas_item_id: i64,
    /// The date the figures are as of.
    pub as_of: NaiveDate,
    #[graphql(skip)]
    pub budget: Decimal,
    #[graphql(skip)]
    pub contract_amount: Decimal,
    /// ลงนามสัญญา: the contract signing date.
    pub contract_signed_on: Option<NaiveDate>,
    #[graphql(skip)]
    pub disbursed: Decimal,
    #[graphql(skip)]
    pub remaining: Decimal,
}

#[ComplexObject]
impl ElaasSnapshot {
    /// The as-of date in the Buddhist Era, e.g. "31/03/2564".
    #[graphql(name = "asOfBE")]
    async fn as_of_be(&self) -> String {
        format_be(self.as_of)
    }

    /// งบตามข้อบัญญัติ/เทศบัญญัติ as e-LAAS has it.
    async fn budget(&self) -> Money {
        Money(self.budget)
    }

    /// งบตามสัญญา
    async fn contract_amount(&self) -> Money {
        Money(self.contract_amount)
    }

    /// The signing date in the Buddhist Era.
    #[graphql(name = "contractSignedOnBE")]
    async fn contract_signed_on_be(&self) -> Option<String> {
        self.contract_signed_on.map(format_be)
    }

    /// เบิกจ่าย
    async fn disbursed(&self) -> Money {
        Money(self.disbursed)
    }

    /// คงเหลือ
    async fn remaining(&self) -> Money {
        Money(self.remaining)
    }
}
