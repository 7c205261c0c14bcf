//! Matching budget approvals to e-LAAS items. The names in the plan and in
//! e-LAAS often differ by spelling and spacing ("…(แอโรบิคแดนซ์)" against
//! "…(เนอโรบิคแดนซ์)"), and Thai has no word spaces, so names are compared
//! by their character pairs, not by words; the amount breaks ties.
//!
//! - name score (0 … 1): the mean of the two directions of Tidtam's text
//!   match (as `tidtam_match_score` in SQL): 1 when one name, without spaces
//!   and punctuation, contains the other; else the share of its character
//!   pairs found in the other.
//! - amount score (0 … 1): 1 − |a − b| / max(a, b) between the approved
//!   amount and the item's budget (0 when the item has no figures yet).
//! - score = 0.8 × name + 0.2 × amount.

use super::ElaasItem;
use crate::error::{codes, AppError};
use crate::types::Money;
use async_graphql::SimpleObject;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};

/// Weight of the name in the score; the amount has the rest.
pub const NAME_WEIGHT: f64 = 0.8;
/// An automatic link needs a name score at least this high …
pub const AUTO_MIN_NAME: f64 = 0.85;
/// … the same amount, and a score this far ahead of the runner-up.
pub const AUTO_MIN_LEAD: f64 = 0.1;

/// A name without case, spaces and punctuation (Thai marks are kept).
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric() || ('\u{0E00}'..='\u{0E7F}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn pairs(chars: &[char]) -> HashSet<(char, char)> {
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How well `doc` matches `query` (both normalised): 1 when it contains it,
/// else the share of the query's distinct character pairs found in it.
fn match_score(
    doc: &str,
    doc_pairs: &HashSet<(char, char)>,
    query: &str,
    query_pairs: &HashSet<(char, char)>,
) -> f64 {
    if query.is_empty() {
        return 0.0;
    }
    if doc.contains(query) {
        return 1.0;
    }
    if query_pairs.is_empty() {
        return 0.0;
    }
    let found = query_pairs.iter().filter(|p| doc_pairs.contains(p)).count();
    found as f64 / query_pairs.len() as f64
}

/// A name prepared for comparing.
#[derive(Clone, Debug)]
pub struct Name {
    text: String,
    pairs: HashSet<(char, char)>,
}

impl Name {
    pub fn new(raw: &str) -> Self {
        let text = normalise(raw);
        let chars: Vec<char> = text.chars().collect();
        Name {
            pairs: pairs(&chars),
            text,
        }
    }
}

/// The name score of two names, the same both ways round.
pub fn name_score(a: &Name, b: &Name) -> f64 {
    (match_score(&a.text, &a.pairs, &b.text, &b.pairs)
        + match_score(&b.text, &b.pairs, &a.text, &a.pairs))
        / 2.0
}

/// How close an item's budget is to the approved amount.
pub fn amount_score(approved: Decimal, budget: Option<Decimal>) -> f64 {
    let Some(budget) = budget else {
        return 0.0;
    };
    let larger = approved.max(budget);
    if larger.is_zero() {
        return 1.0;
    }
    let gap = ((approved - budget).abs() / larger).to_f64().unwrap_or(1.0);
    (1.0 - gap).clamp(0.0, 1.0)
}

/// An e-LAAS item as a candidate for an approval, with its scores.
#[derive(SimpleObject, Clone, Debug)]
pub struct ElaasCandidate {
    pub item: ElaasItem,
    /// 0 … 1: 0.8 × name score + 0.2 × amount score.
    pub score: f64,
    /// 0 … 1: how alike the names are (Thai, ignoring spaces and punctuation).
    pub name_score: f64,
    /// 0 … 1: how close the item's budget is to the approved amount.
    pub amount_score: f64,
    /// The item's budget in its newest figures; null when it has none yet.
    pub budget: Option<Money>,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    #[sqlx(flatten)]
    item: ElaasItem,
    budget: Option<Decimal>,
}

/// What is matched of an approval.
pub struct Wanted<'a> {
    pub approval_id: i64,
    pub organisation_id: i64,
    pub fiscal_year: i32,
    pub amount: Decimal,
    /// The budget item name and the plan project's name: the better counts.
    pub names: [&'a str; 2],
}

/// Ranks `items` for an approval, best first (ties by item code).
fn rank(
    names: &[Name],
    amount: Decimal,
    items: &[(ElaasItem, Option<Decimal>, Name)],
) -> Vec<ElaasCandidate> {
    let mut ranked: Vec<ElaasCandidate> = items
        .iter()
        .map(|(item, budget, item_name)| {
            let name = names
                .iter()
                .map(|n| name_score(n, item_name))
                .fold(0.0, f64::max);
            let amount = amount_score(amount, *budget);
            ElaasCandidate {
                item: item.clone(),
                score: round3(NAME_WEIGHT * name + (1.0 - NAME_WEIGHT) * amount),
                name_score: round3(name),
                amount_score: round3(amount),
                budget: budget.map(Money),
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.item.item_code.cmp(&b.item.item_code))
    });
    ranked
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

async fn candidates(
    conn: &mut PgConnection,
    organisation_id: i64,
    fiscal_year: i32,
    approval_id: i64,
) -> Result<Vec<(ElaasItem, Option<Decimal>, Name)>, sqlx::Error> {
    let rows: Vec<CandidateRow> = crate::db::query_as(include_str!("sql/matching_candidates.sql"))
        .bind(organisation_id)
        .bind(fiscal_year)
        .bind(approval_id)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = Name::new(&r.item.name_th);
            (r.item, r.budget, name)
        })
        .collect())
}

/// The best `first` candidates for an approval: items of its organisation and
/// fiscal year that no other approval links to.
pub async fn suggest(
    conn: &mut PgConnection,
    wanted: &Wanted<'_>,
    first: usize,
) -> Result<Vec<ElaasCandidate>, sqlx::Error> {
    let items = candidates(
        conn,
        wanted.organisation_id,
        wanted.fiscal_year,
        wanted.approval_id,
    )
    .await?;
    let names: Vec<Name> = wanted.names.iter().map(|n| Name::new(n)).collect();
    let mut ranked = rank(&names, wanted.amount, &items);
    ranked.truncate(first);
    Ok(ranked)
}

/// The candidate to link automatically, if the choice is unambiguous: a
/// name score of at least [`AUTO_MIN_NAME`], exactly the approved amount, and
/// at least [`AUTO_MIN_LEAD`] ahead of the runner-up.
pub fn unambiguous(ranked: &[ElaasCandidate], amount: Decimal) -> Option<&ElaasCandidate> {
    let best = ranked.first()?;
    let lead = ranked
        .get(1)
        .map_or(1.0, |second| best.score - second.score);
    (best.name_score >= AUTO_MIN_NAME
        && best.budget.map(|m| m.0) == Some(amount)
        && lead >= AUTO_MIN_LEAD - 1e-9)
        .then_some(best)
}

/// One link the matcher made.
#[derive(Clone, Debug)]
pub struct AutoLink {
    pub approval_id: i64,
    pub item: ElaasItem,
    pub score: f64,
}

#[derive(sqlx::FromRow)]
struct Unlinked {
    id: i64,
    amount: Decimal,
    budget_item_name: String,
    project_name: String,
}

/// Links every unlinked approval of an organisation and fiscal year whose
/// best candidate is unambiguous (and wanted by no other approval), marked
/// 'auto', inside the caller's transaction. Returns the links made and how
/// many approvals stay unlinked.
pub async fn auto_link(
    conn: &mut PgConnection,
    organisation_id: i64,
    fiscal_year: i32,
) -> Result<(Vec<AutoLink>, usize), sqlx::Error> {
    let approvals: Vec<Unlinked> = crate::db::query_as(include_str!("sql/matching_unlinked.sql"))
        .bind(organisation_id)
        .bind(fiscal_year)
        .fetch_all(&mut *conn)
        .await?;
    let items = candidates(&mut *conn, organisation_id, fiscal_year, 0).await?;
    let mut picks: Vec<AutoLink> = Vec::new();
    for a in &approvals {
        let names = [Name::new(&a.budget_item_name), Name::new(&a.project_name)];
        let ranked = rank(&names, a.amount, &items);
        if let Some(best) = unambiguous(&ranked, a.amount) {
            picks.push(AutoLink {
                approval_id: a.id,
                item: best.item.clone(),
                score: best.score,
            });
        }
    }
    // An item two approvals both want is no unambiguous choice for either.
    let mut wanted: HashMap<i64, usize> = HashMap::new();
    for p in &picks {
        *wanted.entry(p.item.id).or_default() += 1;
    }
    picks.retain(|p| wanted.get(&p.item.id) == Some(&1));
    let approval_ids: Vec<i64> = picks.iter().map(|p| p.approval_id).collect();
    let item_ids: Vec<i64> = picks.iter().map(|p| p.item.id).collect();
    let linked: Vec<i64> = crate::db::query_scalar(include_str!("sql/link_auto.sql"))
        .bind(&approval_ids)
        .bind(&item_ids)
        .fetch_all(&mut *conn)
        .await?;
    let linked: HashSet<i64> = linked.into_iter().collect();
    picks.retain(|p| linked.contains(&p.approval_id));
    let left = approvals.len() - picks.len();
    Ok((picks, left))
}

/// A change of an approval's e-LAAS link, by any path (`confirmElaasLink`,
/// `linkElaasItem`).
pub struct LinkChange<'a> {
    /// The approval and the version its caller read.
    pub approval_id: i64,
    pub version: i32,
    /// The item to link; `None` removes the link.
    pub item: Option<i64>,
    /// `manual` (an officer's) or `auto` (the matcher's).
    pub method: &'static str,
    /// The input field that names the item, for errors.
    pub field: &'a str,
}

/// The approval holding `item`, other than `except`: its id and budget item name.
pub async fn holder(
    conn: &mut PgConnection,
    item: i64,
    except: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, budget_item_name FROM budget_approvals WHERE elaas_item_id = $1 AND id <> $2",
    )
    .bind(item)
    .bind(except)
    .fetch_optional(conn)
    .await
}

/// The refusal of a link to an item that `holder` holds.
pub fn already_linked(field: &str, (id, name): (i64, String)) -> AppError {
    AppError::AlreadyLinked {
        field: field.to_string(),
        approval_id: crate::types::global_id::encode("BudgetApproval", id).to_string(),
        approval_name: name,
    }
}

/// The one rule for linking an approval to an e-LAAS item: the item exists,
/// is of the approval's organisation and fiscal year, and belongs to no other
/// approval (`ALREADY_LINKED`, naming it). The unique constraint
/// `budget_approvals_one_per_elaas_item` holds the last against a racing
/// caller: its violation is caught at a savepoint and answered the same way.
/// Returns the approval's id, or `None` when `version` is stale or the
/// approval does not exist (for `plans::mutations::settle`).
pub async fn link_item(
    conn: &mut PgConnection,
    approval: (i64, i64, i32),
    change: &LinkChange<'_>,
) -> Result<Option<i64>, AppError> {
    let (approval_id, organisation_id, fiscal_year) = approval;
    if let Some(item) = change.item {
        let found: Option<(i64, i32)> = crate::db::query_as(
            "SELECT organisation_id, fiscal_year FROM elaas_items WHERE id = $1",
        )
        .bind(item)
        .fetch_optional(&mut *conn)
        .await?;
        match found {
            None => {
                return Err(AppError::validation(
                    change.field,
                    codes::NOT_FOUND,
                    "ไม่พบรายการ e-LAAS นี้",
                    "no e-LAAS item has this id",
                ))
            }
            Some(of) if of != (organisation_id, fiscal_year) => {
                return Err(AppError::validation(
                    change.field,
                    codes::INVALID_INPUT,
                    "รายการ e-LAAS ต้องเป็นของหน่วยงานและปีงบประมาณเดียวกับการอนุมัติงบประมาณ",
                    "the e-LAAS item must be of the approval's organisation and fiscal year",
                ))
            }
            Some(_) => {}
        }
        if let Some(held) = holder(conn, item, approval_id).await? {
            return Err(already_linked(change.field, held));
        }
    }
    crate::db::query("SAVEPOINT elaas_link")
        .execute(&mut *conn)
        .await?;
    let updated: Result<Option<i64>, sqlx::Error> =
        crate::db::query_scalar(include_str!("sql/link_item.sql"))
            .bind(approval_id)
            .bind(change.version)
            .bind(change.item)
            .bind(change.method)
            .fetch_optional(&mut *conn)
            .await;
    match (updated, change.item) {
        (Ok(updated), _) => {
            crate::db::query("RELEASE SAVEPOINT elaas_link")
                .execute(&mut *conn)
                .await?;
            Ok(updated)
        }
        (Err(e), Some(item)) if is_link_conflict(&e) => {
            // Another approval linked the item after the check above and
            // committed first.
            crate::db::query("ROLLBACK TO SAVEPOINT elaas_link")
                .execute(&mut *conn)
                .await?;
            let held = holder(conn, item, approval_id).await?;
            Err(match held {
                Some(held) => already_linked(change.field, held),
                None => e.into(),
            })
        }
        (Err(e), _) => Err(e.into()),
    }
}

fn is_link_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.constraint())
        .is_some_and(|c| c == "budget_approvals_one_per_elaas_item")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manuals_pair_matches_closely() {
        let plan = Name::new("โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)");
        let elaas = Name::new("โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (เนอโรบิคแดนซ์)");
        let other = Name::new("โครงการส่งเสริมและรณรงค์ป้องกันโรคไข้เลือดออก");
        let s = name_score(&plan, &elaas);
        assert!(s > 0.9, "{s}");
        assert!(name_score(&plan, &other) < 0.5);
        assert_eq!(
            name_score(
                &Name::new("โครงการป้องกันโรคระบาด โรคติดต่อ"),
                &Name::new("โครงการป้องกันโรคระบาด  โรคติดต่อ")
            ),
            1.0
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(
            amount_score(Decimal::new(20000, 0), Some(Decimal::new(20000, 0))),
            1.0
        );
        assert_eq!(
            amount_score(Decimal::new(20000, 0), Some(Decimal::new(10000, 0))),
            0.5
        );
        assert_eq!(amount_score(Decimal::new(20000, 0), None), 0.0);
        assert_eq!(amount_score(Decimal::ZERO, Some(Decimal::ZERO)), 1.0);
    }
}
