//! GraphQL objects of provinces and organisations, and their root fields.

use crate::budget::{self, BudgetApproval};
use crate::error::internal;
use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject};
use sqlx::PgPool;

/// The kind of a local administrative organisation.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganisationKind {
    /// อบจ. (องค์การบริหารส่วนจังหวัด): provincial administrative organisation
    Pao,
    /// เทศบาลนคร: city municipality
    CityMunicipality,
    /// เทศบาลเมือง: town municipality
    TownMunicipality,
    /// เทศบาลตำบล: subdistrict municipality
    SubdistrictMunicipality,
    /// อบต. (องค์การบริหารส่วนตำบล): subdistrict administrative organisation
    Sao,
    /// เมืองพัทยา: Pattaya City
    Pattaya,
    /// กรุงเทพมหานคร: Bangkok
    Bangkok,
}

impl OrganisationKind {
    /// The value stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "pao" => Self::Pao,
            "city_municipality" => Self::CityMunicipality,
            "town_municipality" => Self::TownMunicipality,
            "subdistrict_municipality" => Self::SubdistrictMunicipality,
            "sao" => Self::Sao,
            "pattaya" => Self::Pattaya,
            "bangkok" => Self::Bangkok,
            _ => return None,
        })
    }
}

/// A province (จังหวัด).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
pub struct Province {
    /// Two-digit province code, e.g. "71" for Kanchanaburi.
    pub code: String,
    /// ชื่อจังหวัด
    pub name_th: String,
    pub name_en: Option<String>,
}

/// A local administrative organisation (อปท.).
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct Organisation {
    #[graphql(skip)]
    pub id: i64,
    /// The organisation's code.
    pub code: String,
    /// ชื่อหน่วยงาน: the name in Thai.
    #[graphql(name = "name")]
    pub name_th: String,
    #[graphql(skip)]
    pub kind: String,
    pub province_code: String,
    /// อำเภอ: the district.
    pub district: Option<String>,
    /// วิธีบันทึก: the organisation has set how it records its data.
    pub recording_method_set: bool,
}

#[ComplexObject]
impl Organisation {
    /// อบจ., เทศบาล, อบต., …
    async fn kind(&self) -> Option<OrganisationKind> {
        OrganisationKind::from_db(&self.kind)
    }

    /// The province the organisation is in.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        let pool = ctx.data::<PgPool>()?;
        sqlx::query_as(include_str!("sql/province_by_code.sql"))
            .bind(&self.province_code)
            .fetch_optional(pool)
            .await
            .map_err(internal)
    }

    /// The organisation's approved projects of a fiscal year (ปีงบประมาณ, BE),
    /// as the project report list shows them: by sector, then in order of approval.
    async fn projects(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
    ) -> async_graphql::Result<Vec<BudgetApproval>> {
        let pool = ctx.data::<PgPool>()?;
        budget::approvals_of_organisation(pool, self.id, fiscal_year)
            .await
            .map_err(internal)
    }
}

/// Root fields of this domain.
#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation by its code.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Organisation>> {
        let pool = ctx.data::<PgPool>()?;
        sqlx::query_as(include_str!("sql/by_code.sql"))
            .bind(code)
            .fetch_optional(pool)
            .await
            .map_err(internal)
    }
}
