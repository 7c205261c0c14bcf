//! GraphQL of the analytics layer: the tracking report, grouped
//! disbursement, rates with their monthly curves, performance scores.

use super::disbursement::{self, Dimension, Group};
use super::frames::YearFrames;
use super::scores::{self, Score};
use super::tracking::{self, TrackingRow, TrackingTotals};
use super::{baht, percent, Analytics};
use crate::budget::filter::ApprovalFilter;
use crate::db::loader::{load_one, ById};
use crate::db::Db;
use crate::error::{codes, internal, AppError, GqlResultExt};
use crate::organisations::{Organisation, OrganisationKind};
use crate::pagination::{self, List, Page};
use crate::types::Money;
use crate::validation::Validator;
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use sqlx::{Postgres, QueryBuilder};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Projects of a plan year.
#[derive(SimpleObject, Clone, Debug)]
pub struct PlanYearCount {
    pub plan_year: i32,
    pub projects: i64,
}

fn plan_years(m: &BTreeMap<i32, i64>) -> Vec<PlanYearCount> {
    m.iter()
        .map(|(y, n)| PlanYearCount {
            plan_year: *y,
            projects: *n,
        })
        .collect()
}

/// One organisation's row of the tracking report.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct MonitoringRow {
    #[graphql(skip)]
    pub organisation_id: i64,
    pub organisation_code: String,
    /// หน่วยงาน
    pub name: String,
    pub province_code: String,
    #[graphql(skip)]
    pub kind_db: String,
    /// วิธีบันทึก: done
    pub recording_done: bool,
    /// ยุทธศาสตร์: number of the LAO's strategies
    pub strategies: i64,
    /// แผนพัฒนาท้องถิ่น: projects of the plan as approved, per plan year
    pub plan_projects: Vec<PlanYearCount>,
    /// อนุมัติแผน
    pub plan_approved: bool,
    /// โครงการที่เพิ่ม: projects added by amendments
    pub projects_added: i64,
    /// อนุมัติงบประมาณ
    pub budget_approved: i64,
    /// รายงานการดำเนินโครงการ
    pub reported: i64,
    /// ลงนามสัญญา
    pub contracted: i64,
    /// เบิกจ่ายแล้ว
    pub disbursed: i64,
    /// 100%: fully disbursed
    pub fully_disbursed: i64,
    /// ดำเนินการเสร็จสิ้น
    pub completed: i64,
}

#[ComplexObject]
impl MonitoringRow {
    async fn kind(&self) -> Option<OrganisationKind> {
        OrganisationKind::from_db(&self.kind_db)
    }

    /// The organisation itself.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        load_one::<ById<Organisation>, _>(ctx, self.organisation_id).await
    }
}

impl From<TrackingRow> for MonitoringRow {
    fn from(r: TrackingRow) -> Self {
        MonitoringRow {
            organisation_id: r.organisation_id,
            organisation_code: r.code,
            name: r.name,
            province_code: r.province_code,
            kind_db: r.kind,
            recording_done: r.recording_done,
            strategies: r.strategies,
            plan_projects: plan_years(&r.plan_projects),
            plan_approved: r.plan_approved,
            projects_added: r.projects_added,
            budget_approved: r.budget_approved,
            reported: r.reported,
            contracted: r.contracted,
            disbursed: r.disbursed,
            fully_disbursed: r.fully_disbursed,
            completed: r.completed,
        }
    }
}

/// Totals of the tracking report: counts of organisations for the yes/no
/// columns, sums for the others.
#[derive(SimpleObject, Clone, Debug)]
pub struct MonitoringTotals {
    pub organisations: i64,
    pub recording_done: i64,
    pub strategies: i64,
    pub plan_projects: Vec<PlanYearCount>,
    pub plan_approved: i64,
    pub projects_added: i64,
    pub budget_approved: i64,
    pub reported: i64,
    pub contracted: i64,
    pub disbursed: i64,
    pub fully_disbursed: i64,
    pub completed: i64,
}

impl From<TrackingTotals> for MonitoringTotals {
    fn from(t: TrackingTotals) -> Self {
        MonitoringTotals {
            organisations: t.organisations,
            recording_done: t.recording_done,
            strategies: t.strategies,
            plan_projects: plan_years(&t.plan_projects),
            plan_approved: t.plan_approved,
            projects_added: t.projects_added,
            budget_approved: t.budget_approved,
            reported: t.reported,
            contracted: t.contracted,
            disbursed: t.disbursed,
            fully_disbursed: t.fully_disbursed,
            completed: t.completed,
        }
    }
}

/// รายงานสถานะการทำงานของแต่ละ อปท.
#[derive(SimpleObject, Clone, Debug)]
pub struct MonitoringReport {
    pub fiscal_year: i32,
    pub province_code: Option<String>,
    /// The data version the figures were computed at.
    pub data_version: i64,
    /// The plan years of the plan-projects columns.
    pub plan_years: Vec<i32>,
    pub rows: Vec<MonitoringRow>,
    pub province_totals: MonitoringTotals,
    pub national_totals: MonitoringTotals,
}

/// One value a group is keyed by.
#[derive(SimpleObject, Clone, Debug)]
pub struct DimensionValue {
    pub dimension: Dimension,
    /// The value: a code, a name, or a month as `yyyy-mm` (CE).
    pub value: String,
    /// A name to show, where there is one (Thai), e.g. the province name or `10/2563`.
    pub label: Option<String>,
}

/// One group's money and percentages.
#[derive(SimpleObject, Clone, Debug)]
pub struct DisbursementGroup {
    pub key: Vec<DimensionValue>,
    pub approvals: i64,
    /// งบตามข้อบัญญัติ (e-LAAS budget where linked, else the approved amount)
    pub budget: Money,
    /// งบตามสัญญา
    pub contract_amount: Money,
    /// เบิกจ่าย
    pub disbursed: Money,
    /// คงเหลือ
    pub remaining: Money,
    /// Disbursed as a percentage of the budget (two decimals); null when the budget is 0.
    pub disbursed_pct_of_budget: Option<f64>,
    /// Disbursed as a percentage of the contract amount; null when there is no contract.
    pub disbursed_pct_of_contract: Option<f64>,
}

/// Disbursement grouped by the dimensions asked for.
#[derive(SimpleObject, Clone, Debug)]
pub struct DisbursementReport {
    pub fiscal_year: i32,
    pub group_by: Vec<Dimension>,
    pub data_version: i64,
    pub groups: Vec<DisbursementGroup>,
    /// All the approvals together (without the month and source split).
    pub totals: DisbursementGroup,
}

/// One month of the rate curves.
#[derive(SimpleObject, Clone, Debug)]
pub struct MonthRates {
    /// `yyyy-mm` (CE).
    pub month: String,
    /// `mm/yyyy` in the Buddhist Era.
    #[graphql(name = "monthBE")]
    pub month_be: String,
    /// Share of approvals with a contract by the month's end (%).
    pub contracting_rate: Option<f64>,
    pub contract_amount: Money,
    pub disbursed: Money,
    /// Disbursed by the month's end as a share of the budget (%).
    pub disbursed_pct_of_budget: Option<f64>,
}

/// Reporting, linking, contracting, disbursement and completion rates (%),
/// each null when there are no approvals.
#[derive(SimpleObject, Clone, Debug)]
pub struct RatesReport {
    pub fiscal_year: i32,
    pub data_version: i64,
    pub approvals: i64,
    pub reporting_rate: Option<f64>,
    pub elaas_link_rate: Option<f64>,
    pub contracting_rate: Option<f64>,
    pub disbursement_rate: Option<f64>,
    pub completion_rate: Option<f64>,
    pub months: Vec<MonthRates>,
}

/// One component of a performance score.
#[derive(SimpleObject, Clone, Debug)]
pub struct ScoreComponent {
    /// plan_to_budget, reporting, elaas_link, disbursement, completion, timeliness
    pub component: String,
    /// The component as a percentage (0–100); null when it cannot be measured.
    pub value: Option<f64>,
    pub weight: f64,
}

/// An organisation's performance score and ranks.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct PerformanceScore {
    #[graphql(skip)]
    pub organisation_id: i64,
    pub organisation_code: String,
    pub name: String,
    pub province_code: String,
    /// 0–100; null when no component can be measured.
    pub score: Option<f64>,
    pub components: Vec<ScoreComponent>,
    pub rank_in_province: Option<i64>,
    pub rank_in_nation: Option<i64>,
}

#[ComplexObject]
impl PerformanceScore {
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        load_one::<ById<Organisation>, _>(ctx, self.organisation_id).await
    }
}

/// The weight of one component.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "ScoreWeightInput")]
pub struct ScoreWeight {
    pub component: String,
    pub weight: f64,
}

pub(crate) fn analytics<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Arc<Analytics>> {
    ctx.data::<Arc<Analytics>>()
}

/// The ids of the approvals of `fiscal_year` a filter keeps; none when the
/// filter keeps them all. A filter that only says where (a province, an LAO)
/// is answered from the frames already in memory; any other goes to SQL.
async fn filtered_ids(
    ctx: &Context<'_>,
    fiscal_year: i32,
    filter: &ApprovalFilter,
) -> async_graphql::Result<Option<HashSet<i64>>> {
    let rest = ApprovalFilter {
        fiscal_year: None,
        ..filter.clone()
    };
    if rest == ApprovalFilter::default() {
        return Ok(None);
    }
    let place = ApprovalFilter {
        province_code: None,
        organisation_code: None,
        ..rest.clone()
    };
    if place == ApprovalFilter::default() {
        let a = analytics(ctx)?;
        let frames = a.frames(fiscal_year).await.gql()?;
        let (province, organisation) = (rest.province_code.clone(), rest.organisation_code.clone());
        let ids = a
            .run(move || ids_in_place(&frames, province, organisation))
            .await
            .gql()?;
        return Ok(Some(ids));
    }
    sql_ids(ctx.data::<Db>()?, fiscal_year, &rest)
        .await
        .map_err(internal)
}

/// The approvals of a province or an LAO, from the frames (polars).
fn ids_in_place(
    frames: &super::frames::YearFrames,
    province: Option<String>,
    organisation: Option<String>,
) -> polars::prelude::PolarsResult<HashSet<i64>> {
    use polars::prelude::*;
    let mut facts = frames.facts.clone().lazy();
    if let Some(p) = province {
        facts = facts.filter(col("province_code").eq(lit(p)));
    }
    if let Some(code) = organisation {
        let org = frames
            .organisations
            .clone()
            .lazy()
            .filter(col("code").eq(lit(code)))
            .select([col("organisation_id")]);
        facts = facts.join(
            org,
            [col("organisation_id")],
            [col("organisation_id")],
            JoinArgs::new(JoinType::Inner),
        );
    }
    let ids = facts.select([col("approval_id")]).collect()?;
    Ok(ids.column("approval_id")?.i64()?.iter().flatten().collect())
}

/// The ids a filter keeps, by SQL (row-level security applies). The facts
/// export narrows by the same function, so it keeps what these fields keep.
pub(crate) async fn sql_ids(
    pool: &Db,
    fiscal_year: i32,
    rest: &ApprovalFilter,
) -> Result<Option<HashSet<i64>>, sqlx::Error> {
    let mut qb =
        QueryBuilder::<Postgres>::new("SELECT f.id FROM approval_facts f WHERE f.fiscal_year = ");
    qb.push_bind(fiscal_year);
    rest.push_where(&mut qb);
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(pool).await?;
    Ok(Some(ids.into_iter().collect()))
}

/// Root fields of the analytics layer.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// รายงานสถานะการทำงานของแต่ละ อปท.: one row per organisation of a
    /// province (all provinces when left out), with province and national totals.
    async fn monitoring_report(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        province_code: Option<String>,
    ) -> async_graphql::Result<MonitoringReport> {
        let a = analytics(ctx)?;
        let frames = a.frames(fiscal_year).await.gql()?;
        let f = frames.clone();
        let p = province_code.clone();
        let report = a
            .run(move || tracking::compute(&f, p.as_deref()))
            .await
            .gql()?;
        let mut years: Vec<i32> = report
            .rows
            .iter()
            .flat_map(|r| r.plan_projects.keys().copied())
            .collect();
        years.sort_unstable();
        years.dedup();
        Ok(MonitoringReport {
            fiscal_year,
            province_code,
            data_version: frames.version,
            plan_years: years,
            rows: report.rows.into_iter().map(Into::into).collect(),
            province_totals: report.province_totals.into(),
            national_totals: report.national_totals.into(),
        })
    }

    /// Budget, contract, disbursed and remaining grouped by any dimensions,
    /// with disbursement percentages, for the approvals a filter keeps.
    async fn disbursement(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        group_by: Vec<Dimension>,
        #[graphql(default)] filter: ApprovalFilter,
    ) -> async_graphql::Result<DisbursementReport> {
        let a = analytics(ctx)?;
        let ids = filtered_ids(ctx, fiscal_year, &filter).await?;
        let frames = a.frames(fiscal_year).await.gql()?;
        let (f, dims, ids2) = (frames.clone(), group_by.clone(), ids.clone());
        let groups = a
            .run(move || disbursement::grouped(&f, &dims, ids2.as_ref()))
            .await
            .gql()?;
        let f = frames.clone();
        let totals = a
            .run(move || disbursement::grouped(&f, &[], ids.as_ref()))
            .await
            .gql()?;
        let labels = Labels::of(&frames);
        Ok(DisbursementReport {
            fiscal_year,
            data_version: frames.version,
            groups: groups
                .iter()
                .map(|g| labels.group(g, &group_by, fiscal_year))
                .collect(),
            totals: totals
                .first()
                .map(|g| labels.group(g, &[], fiscal_year))
                .unwrap_or_else(|| labels.group(&empty_group(), &[], fiscal_year)),
            group_by,
        })
    }

    /// Reporting, e-LAAS link, contracting, disbursement and completion rates
    /// of the approvals a filter keeps, with their month-by-month curves.
    async fn rates(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        #[graphql(default)] filter: ApprovalFilter,
    ) -> async_graphql::Result<RatesReport> {
        let a = analytics(ctx)?;
        let ids = filtered_ids(ctx, fiscal_year, &filter).await?;
        let frames = a.frames(fiscal_year).await.gql()?;
        let f = frames.clone();
        let (r, curve) = a
            .run(move || disbursement::rates(&f, ids.as_ref()))
            .await
            .gql()?;
        let n = r.approvals as f64;
        Ok(RatesReport {
            fiscal_year,
            data_version: frames.version,
            approvals: r.approvals,
            reporting_rate: percent(r.reported as f64, n),
            elaas_link_rate: percent(r.linked as f64, n),
            contracting_rate: percent(r.contracted as f64, n),
            disbursement_rate: percent(r.disbursed as f64, r.budget as f64),
            completion_rate: percent(r.completed as f64, n),
            months: curve
                .iter()
                .map(|p| {
                    let (iso, be) = month_names(fiscal_year, p.month);
                    MonthRates {
                        month: iso,
                        month_be: be,
                        contracting_rate: percent(p.contracted as f64, n),
                        contract_amount: Money(baht(p.contract)),
                        disbursed: Money(baht(p.disbursed)),
                        disbursed_pct_of_budget: percent(p.disbursed as f64, r.budget as f64),
                    }
                })
                .collect(),
        })
    }

    /// The league table: organisations by performance score, best first,
    /// with each component beside the score and ranks in province and nation.
    #[graphql(complexity = "crate::graphql::limits::list_cost(first, child_complexity)")]
    async fn performance_scores(
        &self,
        ctx: &Context<'_>,
        fiscal_year: i32,
        province_code: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<PerformanceScore>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let a = analytics(ctx)?;
        let frames = a.frames(fiscal_year).await.gql()?;
        let f = frames.clone();
        let all = a.run(move || scores::compute(&f)).await.gql()?;
        let weights: HashMap<&str, f64> = frames
            .weights
            .iter()
            .map(|(c, w)| (c.as_str(), *w))
            .collect();
        let chosen: Vec<PerformanceScore> = all
            .into_iter()
            .filter(|s| {
                province_code
                    .as_deref()
                    .is_none_or(|p| s.province_code == p)
            })
            .map(|s| to_score(s, &weights))
            .collect();
        let total = chosen.len() as i64;
        let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let rows: Vec<PerformanceScore> = chosen
            .into_iter()
            .skip(start)
            .take(usize::try_from(page.fetch()).unwrap_or(0))
            .collect();
        Ok(pagination::connection(rows, page, total, true, |s| {
            s.organisation_id
        }))
    }

    /// The weights of the performance score's components.
    async fn score_weights(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ScoreWeight>> {
        read_weights(ctx.data::<Db>()?).await.map_err(internal)
    }
}

async fn read_weights(pool: &Db) -> Result<Vec<ScoreWeight>, sqlx::Error> {
    let rows: Vec<(String, f64)> = crate::db::query_as(include_str!("sql/weights.sql"))
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(component, weight)| ScoreWeight { component, weight })
        .collect())
}

fn to_score(s: Score, weights: &HashMap<&str, f64>) -> PerformanceScore {
    PerformanceScore {
        organisation_id: s.organisation_id,
        organisation_code: s.code,
        name: s.name,
        province_code: s.province_code,
        score: s.score,
        components: s
            .components
            .iter()
            .map(|(c, v)| ScoreComponent {
                component: c.to_string(),
                value: v.map(|v| (v * 10_000.0).round() / 100.0),
                weight: weights.get(c).copied().unwrap_or(0.0),
            })
            .collect(),
        rank_in_province: s.rank_in_province,
        rank_in_nation: s.rank_in_nation,
    }
}

fn empty_group() -> Group {
    Group {
        key: vec![],
        approvals: 0,
        budget: 0,
        contract: 0,
        disbursed: 0,
        remaining: 0,
    }
}

/// `yyyy-mm` (CE) and `mm/yyyy` (BE) of month `index` (0 = October) of a fiscal year.
fn month_names(fiscal_year: i32, index: usize) -> (String, String) {
    let index = i32::try_from(index).unwrap_or(0);
    let first = (fiscal_year - 543 - 1) * 12 + 9; // October of the year before, 0-based months
    let (year, month) = ((first + index) / 12, (first + index) % 12 + 1);
    (
        format!("{year:04}-{month:02}"),
        format!("{month:02}/{}", year + 543),
    )
}

/// Names to show beside keys.
struct Labels<'a> {
    frames: &'a YearFrames,
    organisations: HashMap<String, (String, String)>,
}

impl<'a> Labels<'a> {
    fn of(frames: &'a YearFrames) -> Self {
        let df = &frames.organisations;
        let mut organisations = HashMap::new();
        if let (Ok(ids), Ok(codes), Ok(names)) = (
            df.column("organisation_id").and_then(|c| c.i64()),
            df.column("code").and_then(|c| c.str()),
            df.column("name").and_then(|c| c.str()),
        ) {
            for ((id, code), name) in ids.iter().zip(codes.iter()).zip(names.iter()) {
                if let (Some(id), Some(code), Some(name)) = (id, code, name) {
                    organisations.insert(id.to_string(), (code.to_string(), name.to_string()));
                }
            }
        }
        Labels {
            frames,
            organisations,
        }
    }

    fn value(&self, dimension: Dimension, raw: &str, fiscal_year: i32) -> DimensionValue {
        let (value, label) = match dimension {
            Dimension::Organisation => match self.organisations.get(raw) {
                Some((code, name)) => (code.clone(), Some(name.clone())),
                None => (raw.to_string(), None),
            },
            Dimension::Province => (
                raw.to_string(),
                self.frames.province_names.get(raw).cloned(),
            ),
            Dimension::Month => {
                let (iso, be) = month_names(fiscal_year, raw.parse().unwrap_or(0));
                (iso, Some(be))
            }
            Dimension::FundingSource => (
                raw.to_string(),
                super::frames::source_name(raw).map(str::to_string),
            ),
            _ => (raw.to_string(), None),
        };
        DimensionValue {
            dimension,
            value,
            label,
        }
    }

    fn group(&self, g: &Group, dims: &[Dimension], fiscal_year: i32) -> DisbursementGroup {
        DisbursementGroup {
            key: dims
                .iter()
                .zip(&g.key)
                .map(|(d, k)| self.value(*d, k, fiscal_year))
                .collect(),
            approvals: g.approvals,
            budget: Money(baht(g.budget)),
            contract_amount: Money(baht(g.contract)),
            disbursed: Money(baht(g.disbursed)),
            remaining: Money(baht(g.remaining)),
            disbursed_pct_of_budget: g.pct_of_budget(),
            disbursed_pct_of_contract: g.pct_of_contract(),
        }
    }
}

/// Mutations of the analytics layer.
#[derive(Default)]
pub struct AnalyticsMutation;

#[Object]
impl AnalyticsMutation {
    /// Sets the weights of the performance score's components (administrators).
    async fn set_score_weights(
        &self,
        ctx: &Context<'_>,
        weights: Vec<ScoreWeight>,
    ) -> async_graphql::Result<Vec<ScoreWeight>> {
        let mut v = Validator::new();
        for (i, w) in weights.iter().enumerate() {
            if !scores::COMPONENTS.contains(&w.component.as_str()) {
                v.error(
                    &format!("weights[{i}].component"),
                    codes::INVALID_INPUT,
                    format!("ไม่มีองค์ประกอบ {}", w.component),
                    format!(
                        "no component is called {}; use one of {}",
                        w.component,
                        scores::COMPONENTS.join(", ")
                    ),
                );
            }
            if !(w.weight.is_finite() && (0.0..=1000.0).contains(&w.weight)) {
                v.error(
                    &format!("weights[{i}].weight"),
                    codes::INVALID_INPUT,
                    "น้ำหนักต้องอยู่ระหว่าง 0 ถึง 1000",
                    "must be between 0 and 1000",
                );
            }
        }
        v.finish().gql()?;
        let mut tx = crate::audit::begin(ctx).await?;
        for w in &weights {
            crate::db::query("UPDATE score_weights SET weight = $2 WHERE component = $1")
                .bind(&w.component)
                .bind(w.weight)
                .execute(&mut *tx)
                .await
                .gql()?;
        }
        let positive: bool =
            crate::db::query_scalar("SELECT bool_or(weight > 0) FROM score_weights")
                .fetch_one(&mut *tx)
                .await
                .gql()?;
        if !positive {
            return Err(AppError::validation(
                "weights",
                codes::INVALID_INPUT,
                "ต้องมีน้ำหนักมากกว่า 0 อย่างน้อยหนึ่งองค์ประกอบ",
                "at least one weight must be above 0",
            ))
            .gql();
        }
        tx.commit().await.gql()?;
        read_weights(ctx.data::<Db>()?).await.map_err(internal)
    }
}
