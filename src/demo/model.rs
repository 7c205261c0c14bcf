//! The shape of `data/demo/demo.toml`.

use crate::budget::store::FundingSources;
use crate::elaas::store::Figures;
use crate::organisations::store::NewOrganisation;
use crate::reports::store::ReportFields;
use crate::types::thai_date::serde_be;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoFile {
    pub provinces: Vec<ProvinceSpec>,
    #[serde(default)]
    pub deadlines: Vec<DeadlineSpec>,
    #[serde(default)]
    pub organisations: Vec<OrganisationSpec>,
    #[serde(default)]
    pub tracking_examples: Vec<TrackingExample>,
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
}

/// A demo account, one per role (listed in the README).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
    pub organisation: Option<String>,
    pub province: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvinceSpec {
    pub code: String,
    pub name_th: String,
    pub name_en: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSpec {
    pub fiscal_year: i32,
    pub stage: String,
    #[serde(deserialize_with = "serde_be::date")]
    pub due_on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrganisationSpec {
    #[serde(flatten)]
    pub organisation: NewOrganisation,
    pub plan: PlanSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    pub first_year: i32,
    #[serde(default, deserialize_with = "serde_be::option")]
    pub approved_on: Option<NaiveDate>,
    pub strategies: Vec<String>,
    pub projects: Vec<ProjectSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    pub name_th: String,
    pub sector: String,
    pub activity_type: Option<String>,
    /// The number of the LAO strategy the project is under.
    pub strategy: Option<i32>,
    /// Planned budget by plan year (BE).
    pub budgets: BTreeMap<String, Decimal>,
    pub approval: Option<ApprovalSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    pub fiscal_year: i32,
    pub path: String,
    pub budget_item_name: String,
    pub amount: Decimal,
    #[serde(default)]
    pub sources: FundingSources,
    #[serde(deserialize_with = "serde_be::date")]
    pub approved_on: NaiveDate,
    pub elaas: Option<ElaasSpec>,
    pub report: Option<ReportFields>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElaasSpec {
    pub item_code: String,
    pub name_th: String,
    pub figures: Vec<Figures>,
}

/// One row of the manual's provincial tracking report, as counts.
#[derive(Debug, Deserialize)]
pub struct TrackingExample {
    #[serde(flatten)]
    pub organisation: NewOrganisation,
    pub strategies: i32,
    pub plan_first_year: i32,
    /// Plan projects per plan year, from the first year on.
    pub plan_projects: Vec<usize>,
    #[serde(default, deserialize_with = "serde_be::option")]
    pub plan_approved_on: Option<NaiveDate>,
    /// Projects added by an amendment of the plan (โครงการที่เพิ่ม).
    pub added: usize,
    pub fiscal_year: i32,
    pub approved: usize,
    pub reported: usize,
    pub contracted: usize,
    pub disbursed: usize,
    pub fully_disbursed: usize,
    pub completed: usize,
}
