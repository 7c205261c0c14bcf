//! The filter of budget approvals, shared by every list and aggregate that
//! takes one. It reads the `approval_facts` view (alias `f`).

use super::FundingSource;
use crate::organisations::OrganisationKind;
use crate::types::{DateBe, Money};
use async_graphql::{Enum, InputObject};
use sqlx::{Postgres, QueryBuilder};

/// How far an approved project got.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// อนุมัติงบประมาณ: every approval
    Approved,
    /// รายงานการดำเนินโครงการ: its eMENSCR report was submitted
    Reported,
    /// ลงนามสัญญา: e-LAAS shows a contract amount
    Contracted,
    /// เบิกจ่ายแล้ว: e-LAAS shows a disbursement
    Disbursed,
    /// 100%: disbursed the whole e-LAAS budget
    FullyDisbursed,
    /// ดำเนินการเสร็จสิ้น: the report is marked complete
    Completed,
}

impl Stage {
    /// The `approval_facts` column that says the stage was reached.
    pub fn column(self) -> &'static str {
        match self {
            Stage::Approved => "true",
            Stage::Reported => "f.reported",
            Stage::Contracted => "f.contracted",
            Stage::Disbursed => "f.disbursed_any",
            Stage::FullyDisbursed => "f.fully_disbursed",
            Stage::Completed => "f.completed",
        }
    }
}

/// Which approvals to list; every field narrows the list, and all must hold.
#[derive(InputObject, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ApprovalFilter {
    /// ปีงบประมาณ (BE), e.g. 2564.
    pub fiscal_year: Option<i32>,
    /// Two-digit province code.
    pub province_code: Option<String>,
    pub organisation_code: Option<String>,
    pub organisation_kind: Option<OrganisationKind>,
    /// ด้าน, exactly as stored, e.g. "ด้านสังคม".
    pub sector: Option<String>,
    /// ประเภทกิจกรรม, exactly as stored.
    pub activity_type: Option<String>,
    /// Approvals with a non-zero amount from this source.
    pub funding_source: Option<FundingSource>,
    /// A node of the national plan hierarchy by code (any edition): approvals
    /// whose report links to it, or to a goal under it, at any of the three levels.
    pub goal_code: Option<String>,
    /// Approvals that reached this stage.
    pub stage: Option<Stage>,
    /// Approved amount at least this.
    pub amount_min: Option<Money>,
    /// Approved amount at most this.
    pub amount_max: Option<Money>,
    /// Approved on or after this date.
    pub approved_from: Option<DateBe>,
    /// Approved on or before this date.
    pub approved_to: Option<DateBe>,
    /// Text in the project name, budget item name or report narratives; Thai
    /// needs no spaces, near-misses match and rank lower.
    pub search: Option<String>,
}

/// Smallest search score that counts as a match (share of the query's
/// character pairs found in the text).
pub const SEARCH_THRESHOLD: f32 = 0.6;

/// The text searched for an approval.
pub const SEARCH_DOCUMENT: &str = "concat_ws(' ', f.project_name, f.budget_item_name, \
     (SELECT concat_ws(' ', r.rationale, r.output_target, r.outcome_target, r.expected_results, \
        r.success_indicator, r.target_group, r.summary, r.strategy_goal_result, r.master_plan_goal_result, \
        r.sub_plan_goal_result) FROM project_reports r WHERE r.id = f.report_id))";

impl ApprovalFilter {
    /// Appends ` AND …` for every field set.
    pub fn push_where(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        if let Some(v) = self.fiscal_year {
            qb.push(" AND f.fiscal_year = ").push_bind(v);
        }
        if let Some(v) = &self.province_code {
            qb.push(" AND f.province_code = ").push_bind(v.clone());
        }
        if let Some(v) = &self.organisation_code {
            qb.push(" AND f.organisation_code = ").push_bind(v.clone());
        }
        if let Some(v) = self.organisation_kind {
            qb.push(" AND f.organisation_kind = ").push_bind(v.to_db());
        }
        if let Some(v) = &self.sector {
            qb.push(" AND f.sector = ").push_bind(v.clone());
        }
        if let Some(v) = &self.activity_type {
            qb.push(" AND f.activity_type = ").push_bind(v.clone());
        }
        if let Some(v) = self.funding_source {
            qb.push(format!(
                " AND EXISTS (SELECT 1 FROM budget_approvals b WHERE b.id = f.id AND b.{} > 0)",
                v.column()
            ));
        }
        if let Some(code) = &self.goal_code {
            qb.push(
                " AND EXISTS (SELECT 1 FROM plan_nodes g LEFT JOIN plan_nodes gp ON gp.id = g.parent_id \
                 LEFT JOIN plan_nodes gpp ON gpp.id = gp.parent_id \
                 WHERE g.id IN (f.strategy_goal_id, f.master_plan_goal_id, f.sub_plan_goal_id) \
                 AND ",
            )
            .push_bind(code.clone())
            .push(" IN (g.code, gp.code, gpp.code))");
        }
        if let Some(stage) = self.stage {
            qb.push(" AND ").push(stage.column());
        }
        if let Some(v) = self.amount_min {
            qb.push(" AND f.amount >= ").push_bind(v.0);
        }
        if let Some(v) = self.amount_max {
            qb.push(" AND f.amount <= ").push_bind(v.0);
        }
        if let Some(v) = self.approved_from {
            qb.push(" AND f.approved_on >= ").push_bind(v.0);
        }
        if let Some(v) = self.approved_to {
            qb.push(" AND f.approved_on <= ").push_bind(v.0);
        }
        if let Some(q) = self.search_text() {
            qb.push(format!(" AND tidtam_match_score({SEARCH_DOCUMENT}, "))
                .push_bind(q.to_string())
                .push(") >= ")
                .push_bind(SEARCH_THRESHOLD);
        }
    }

    /// The search text, if any is given.
    pub fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}
