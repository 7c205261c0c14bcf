//! GraphQL objects of provinces and organisations, and their root fields.

use crate::budget::filter::ApprovalFilter;
use crate::budget::list::{ApprovalsOfOrganisation, ApprovalsOfYear};
use crate::budget::report_list::ProjectReportList;
use crate::budget::BudgetApproval;
use crate::db::loader::{load_children, load_one, ById, Keyed, PagedByParent, PagedChild};
use crate::db::Db;
use crate::elaas::balance::{balance_as_of, ElaasBalanceRow};
use crate::error::{internal, GqlResultExt};
use crate::pagination::{self, List, Page};
use crate::plans::DevelopmentPlan;
use crate::types::{global_id, DateBe};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};
use sqlx::{Postgres, QueryBuilder};
use std::collections::HashMap;
use std::sync::Arc;

/// The kind of a local administrative organisation.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
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
    pub fn to_db(self) -> &'static str {
        match self {
            Self::Pao => "pao",
            Self::CityMunicipality => "city_municipality",
            Self::TownMunicipality => "town_municipality",
            Self::SubdistrictMunicipality => "subdistrict_municipality",
            Self::Sao => "sao",
            Self::Pattaya => "pattaya",
            Self::Bangkok => "bangkok",
        }
    }

    /// The kind of a stored value.
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
#[graphql(complex)]
pub struct Province {
    /// Two-digit province code, e.g. "71" for Kanchanaburi.
    pub code: String,
    /// ชื่อจังหวัด
    pub name_th: String,
    pub name_en: Option<String>,
}

#[ComplexObject]
impl Province {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("Province", &self.code)
    }

    /// The province's organisations, by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<Organisation>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let key: i64 = self.code.parse().map_err(internal)?;
        let loader = ctx.data::<DataLoader<PagedByParent<Organisation>>>()?;
        let found = loader.load_one((key, page)).await.map_err(internal)?;
        let (rows, total) = found.map(|p| (p.rows, p.total)).unwrap_or_default();
        Ok(pagination::connection(rows, page, total, false, |o| o.id))
    }
}

/// Loads provinces by code.
pub struct ProvinceLoader(pub Db);

impl Loader<String> for ProvinceLoader {
    type Value = Province;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, codes: &[String]) -> Result<HashMap<String, Province>, Self::Error> {
        let rows: Vec<Province> = crate::db::query_as(include_str!("sql/provinces_by_code.sql"))
            .bind(codes)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|p| (p.code.clone(), p)).collect())
    }
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

impl Keyed for Organisation {
    const BY_ID: &'static str = include_str!("sql/by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}

impl PagedChild for Organisation {
    const PAGED_BY_PARENT: &'static str = include_str!("sql/by_province_paged.sql");
    fn parent(&self) -> i64 {
        self.province_code.parse().unwrap_or_default()
    }
}

#[ComplexObject]
impl Organisation {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id::encode("Organisation", self.id)
    }

    /// อบจ., เทศบาล, อบต., …
    async fn kind(&self) -> Option<OrganisationKind> {
        OrganisationKind::from_db(&self.kind)
    }

    /// The province the organisation is in.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        let loader = ctx.data::<DataLoader<ProvinceLoader>>()?;
        loader
            .load_one(self.province_code.clone())
            .await
            .map_err(internal)
    }

    /// Its local development plans, oldest first.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::FEW, child_complexity)"
    )]
    async fn plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DevelopmentPlan>> {
        load_children::<DevelopmentPlan>(ctx, self.id).await
    }

    /// The organisation's approved projects of a fiscal year (ปีงบประมาณ, BE),
    /// as the project report list shows them: by sector, then in order of approval.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
    ) -> async_graphql::Result<Vec<BudgetApproval>> {
        let loader = ctx.data::<DataLoader<ApprovalsOfYear>>()?;
        Ok(loader
            .load_one((self.id, fiscal_year))
            .await
            .map_err(internal)?
            .unwrap_or_default())
    }

    /// รายงานการดำเนินโครงการ [ปีงบประมาณ …]: the year's projects grouped by
    /// sector, with totals and the date of the e-LAAS figures.
    async fn report_list(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
    ) -> async_graphql::Result<ProjectReportList> {
        let projects = self.projects(ctx, fiscal_year).await?;
        ProjectReportList::build(ctx, fiscal_year, projects).await
    }

    /// The organisation's budget approvals matching a filter, by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn budget_approvals(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: ApprovalFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<BudgetApproval>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let loader = ctx.data::<DataLoader<ApprovalsOfOrganisation>>()?;
        let (rows, total) = loader
            .load_one((self.id, filter, page))
            .await
            .map_err(internal)?
            .unwrap_or_default();
        Ok(pagination::connection(rows, page, total, false, |a| a.id))
    }

    /// The organisation's e-LAAS items, optionally of one fiscal year.
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn elaas_items(
        &self,
        ctx: &Context<'_>,
        fiscal_year: Option<i32>,
    ) -> async_graphql::Result<Vec<crate::elaas::ElaasItem>> {
        let loader = ctx.data::<DataLoader<crate::elaas::ItemsOfOrganisation>>()?;
        let items = loader
            .load_one(self.id)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        Ok(items
            .into_iter()
            .filter(|i| fiscal_year.is_none_or(|fy| i.fiscal_year == fy))
            .collect())
    }

    /// ข้อมูล ณ วันที่: the newest date of the organisation's e-LAAS figures in
    /// a fiscal year; null before its first snapshot is imported.
    async fn elaas_as_of(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
    ) -> async_graphql::Result<Option<chrono::NaiveDate>> {
        crate::elaas::as_of::latest_as_of(ctx, self.id, fiscal_year).await
    }

    /// The newest e-LAAS date in the Buddhist Era, e.g. "31/03/2564".
    #[graphql(name = "elaasAsOfBE")]
    async fn elaas_as_of_be(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
    ) -> async_graphql::Result<Option<String>> {
        let date = crate::elaas::as_of::latest_as_of(ctx, self.id, fiscal_year).await?;
        Ok(date.map(crate::types::format_be))
    }

    /// รายงานยอดงบประมาณคงเหลือ (e-LAAS): every e-LAAS item of a fiscal year
    /// with its figures as they stood on a date (the newest snapshot on or before it).
    #[graphql(
        complexity = "crate::graphql::limits::unpaged_cost(crate::graphql::limits::SOME, child_complexity)"
    )]
    async fn elaas_balance(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        as_of: DateBe,
    ) -> async_graphql::Result<Vec<ElaasBalanceRow>> {
        let pool = ctx.data::<Db>()?;
        balance_as_of(pool, self.id, fiscal_year, as_of.0)
            .await
            .map_err(internal)
    }
}

/// Which organisations to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OrganisationFilter {
    pub province_code: Option<String>,
    pub kind: Option<OrganisationKind>,
    /// Text in the name; Thai needs no spaces.
    pub search: Option<String>,
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
        let pool = ctx.data::<Db>()?;
        crate::db::query_as(include_str!("sql/by_code.sql"))
            .bind(code)
            .fetch_optional(pool)
            .await
            .map_err(internal)
    }

    /// Organisations matching a filter, by id.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: OrganisationFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<Organisation>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let pool = ctx.data::<Db>()?;
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, code, name_th, kind, province_code, district, recording_method_set",
        );
        push_org_filter(&mut qb, &filter);
        qb.push(" AND id > ")
            .push_bind(page.after_id.unwrap_or(0))
            .push(" ORDER BY id LIMIT ")
            .push_bind(page.fetch());
        let rows: Vec<Organisation> = qb
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(internal)?;
        let total = if pagination::wants_total(ctx) {
            let mut qc = QueryBuilder::<Postgres>::new("SELECT count(*)");
            push_org_filter(&mut qc, &filter);
            qc.build_query_scalar()
                .fetch_one(pool)
                .await
                .map_err(internal)?
        } else {
            0
        };
        Ok(pagination::connection(rows, page, total, false, |o| o.id))
    }

    /// One province by its two-digit code.
    async fn province(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Province>> {
        let loader = ctx.data::<DataLoader<ProvinceLoader>>()?;
        loader.load_one(code).await.map_err(internal)
    }

    /// Provinces by code.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn provinces(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<Province>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let pool = ctx.data::<Db>()?;
        let after_code = page.after_id.map(|n| format!("{n:02}")).unwrap_or_default();
        let rows: Vec<Province> = crate::db::query_as(include_str!("sql/provinces_page.sql"))
            .bind(after_code)
            .bind(page.fetch())
            .fetch_all(pool)
            .await
            .map_err(internal)?;
        let total = if pagination::wants_total(ctx) {
            crate::db::query_scalar("SELECT count(*) FROM provinces")
                .fetch_one(pool)
                .await
                .map_err(internal)?
        } else {
            0
        };
        Ok(pagination::connection(rows, page, total, false, |p| {
            p.code.parse().unwrap_or_default()
        }))
    }
}

fn push_org_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &OrganisationFilter) {
    qb.push(" FROM organisations WHERE true");
    if let Some(v) = &f.province_code {
        qb.push(" AND province_code = ").push_bind(v.clone());
    }
    if let Some(v) = f.kind {
        qb.push(" AND kind = ").push_bind(v.to_db());
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND tidtam_match_score(name_th, ")
            .push_bind(q.to_string())
            .push(") >= ")
            .push_bind(crate::budget::filter::SEARCH_THRESHOLD);
    }
}

/// For `node(id)`: an organisation by its numeric key.
pub async fn organisation_by_id(
    ctx: &Context<'_>,
    id: i64,
) -> async_graphql::Result<Option<Organisation>> {
    load_one::<ById<Organisation>, _>(ctx, id).await
}
