//! Listing budget approvals: the root list with its filter, and the batch
//! loaders behind every relation that leads to approvals.

use super::filter::ApprovalFilter;
use super::BudgetApproval;
use crate::db::loader::{Child, Keyed};
use crate::db::Db;
use crate::pagination::Page;
use async_graphql::dataloader::Loader;
use sqlx::{Postgres, QueryBuilder};
use std::collections::HashMap;
use std::sync::Arc;

const COLUMNS: &str = include_str!("sql/columns.sql");

impl Keyed for BudgetApproval {
    const BY_ID: &'static str = super::sql::BY_ID;
    fn key(&self) -> i64 {
        self.id
    }
}

impl Child for BudgetApproval {
    const BY_PARENT: &'static str = super::sql::BY_PLAN_PROJECT;
    fn parent(&self) -> i64 {
        self.plan_project_id
    }
}

/// One page of the approvals matching `filter`, and their total when asked.
pub async fn list(
    pool: &Db,
    filter: &ApprovalFilter,
    page: Page,
    want_total: bool,
) -> Result<(Vec<BudgetApproval>, i64), sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT {COLUMNS} FROM approval_facts f JOIN budget_approvals ba ON ba.id = f.id WHERE true"
    ));
    filter.push_where(&mut qb);
    match filter.search_text() {
        Some(q) => {
            qb.push(format!(
                " ORDER BY tidtam_match_score({}, ",
                super::filter::SEARCH_DOCUMENT
            ))
            .push_bind(q.to_string())
            .push(") DESC, f.id OFFSET ")
            .push_bind(page.offset);
        }
        None => {
            qb.push(" AND f.id > ")
                .push_bind(page.after_id.unwrap_or(0))
                .push(" ORDER BY f.id");
        }
    }
    qb.push(" LIMIT ").push_bind(page.fetch());
    let rows = qb.build_query_as().fetch_all(pool).await?;
    let total = if want_total {
        count(pool, filter).await?
    } else {
        0
    };
    Ok((rows, total))
}

/// How many approvals match `filter`.
pub async fn count(pool: &Db, filter: &ApprovalFilter) -> Result<i64, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FROM approval_facts f WHERE true");
    filter.push_where(&mut qb);
    qb.build_query_scalar().fetch_one(pool).await
}

/// The approvals of each organisation in a fiscal year, in report-list order.
pub struct ApprovalsOfYear(pub Db);

impl Loader<(i64, i32)> for ApprovalsOfYear {
    type Value = Vec<BudgetApproval>;
    type Error = Arc<sqlx::Error>;

    async fn load(
        &self,
        keys: &[(i64, i32)],
    ) -> Result<HashMap<(i64, i32), Vec<BudgetApproval>>, Self::Error> {
        let mut out: HashMap<(i64, i32), Vec<BudgetApproval>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        let mut years: HashMap<i32, Vec<i64>> = HashMap::new();
        for (org, fy) in keys {
            years.entry(*fy).or_default().push(*org);
        }
        for (fy, orgs) in years {
            let rows: Vec<BudgetApproval> = crate::db::query_as(super::sql::OF_ORGANISATION)
                .bind(&orgs)
                .bind(fy)
                .fetch_all(&self.0)
                .await?;
            for row in rows {
                out.entry((row.organisation_id, fy)).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// A page of each organisation's approvals under a filter.
pub struct ApprovalsOfOrganisation(pub Db);

/// Key of [`ApprovalsOfOrganisation`]: organisation id, filter, page.
pub type OrgApprovalsKey = (i64, ApprovalFilter, Page);

impl Loader<OrgApprovalsKey> for ApprovalsOfOrganisation {
    type Value = (Vec<BudgetApproval>, i64);
    type Error = Arc<sqlx::Error>;

    async fn load(
        &self,
        keys: &[OrgApprovalsKey],
    ) -> Result<HashMap<OrgApprovalsKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<(ApprovalFilter, Page), Vec<i64>> = HashMap::new();
        for (org, filter, page) in keys {
            groups
                .entry((filter.clone(), *page))
                .or_default()
                .push(*org);
        }
        let mut out = HashMap::new();
        for ((filter, page), orgs) in groups {
            let mut found = paged_of_organisations(&self.0, &orgs, &filter, page).await?;
            for org in orgs {
                let value = found.remove(&org).unwrap_or_default();
                out.insert((org, filter.clone(), page), value);
            }
        }
        Ok(out)
    }
}

/// Only how many approvals each organisation has (`first: 0 { totalCount }`,
/// as province lists ask): a grouped count, no rows.
async fn counts_of_organisations(
    pool: &Db,
    orgs: &[i64],
    filter: &ApprovalFilter,
) -> Result<HashMap<i64, (Vec<BudgetApproval>, i64)>, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT f.organisation_id, count(*) FROM approval_facts f WHERE f.organisation_id = ANY(",
    );
    qb.push_bind(orgs.to_vec()).push(")");
    filter.push_where(&mut qb);
    qb.push(" GROUP BY f.organisation_id");
    let counts: Vec<(i64, i64)> = qb.build_query_as().fetch_all(pool).await?;
    Ok(counts
        .into_iter()
        .map(|(org, n)| (org, (Vec::new(), n)))
        .collect())
}

async fn paged_of_organisations(
    pool: &Db,
    orgs: &[i64],
    filter: &ApprovalFilter,
    page: Page,
) -> Result<HashMap<i64, (Vec<BudgetApproval>, i64)>, sqlx::Error> {
    if page.limit == 0 && page.after_id.is_none() {
        return counts_of_organisations(pool, orgs, filter).await;
    }
    let after = page.after_id.unwrap_or(0);
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT * FROM (SELECT {COLUMNS}, count(*) OVER (PARTITION BY f.organisation_id) AS total, \
         sum(CASE WHEN f.id > "
    ));
    qb.push_bind(after)
        .push(" THEN 1 ELSE 0 END) OVER (PARTITION BY f.organisation_id ORDER BY f.id) AS rn \
               FROM approval_facts f JOIN budget_approvals ba ON ba.id = f.id WHERE f.organisation_id = ANY(")
        .push_bind(orgs.to_vec())
        .push(")");
    filter.push_where(&mut qb);
    qb.push(") t WHERE t.id > ")
        .push_bind(after)
        .push(" AND t.rn <= ")
        .push_bind(page.fetch())
        .push(" ORDER BY t.organisation_id, t.id");
    let rows = qb.build().fetch_all(pool).await?;
    let mut out: HashMap<i64, (Vec<BudgetApproval>, i64)> = HashMap::new();
    for row in rows {
        use sqlx::{FromRow, Row};
        let approval = BudgetApproval::from_row(&row)?;
        let total: i64 = row.try_get("total")?;
        let entry = out.entry(approval.organisation_id).or_default();
        entry.1 = total;
        entry.0.push(approval);
    }
    Ok(out)
}
