//! Loading an edition of the hierarchy from CSV
//! (`level,code,parent_code,name_th,goal_th[,strategy_code]`), all or nothing.

use crate::error::{AppError, AppResult};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};

/// One edition of the hierarchy and the fiscal years whose reports link to it.
#[derive(Debug, Clone)]
pub struct Edition {
    pub code: String,
    pub name_th: String,
    pub first_fiscal_year: i32,
    pub last_fiscal_year: Option<i32>,
}

/// One CSV row.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NodeRow {
    pub level: String,
    pub code: String,
    pub parent_code: String,
    pub name_th: String,
    pub goal_th: String,
    #[serde(default)]
    pub strategy_code: String,
}

/// The editions shipped in `data/hierarchy/`.
pub fn shipped() -> Vec<(Edition, &'static str)> {
    vec![
        (
            Edition {
                code: "2561".into(),
                name_th: "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ ฉบับแรก (เฉพาะห่วงโซ่ตามคู่มือ)".into(),
                first_fiscal_year: 2561,
                last_fiscal_year: Some(2565),
            },
            include_str!("../../data/hierarchy/2561-manual.csv"),
        ),
        (
            Edition {
                code: "2566".into(),
                name_th: "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ (ฉบับแก้ไขเพิ่มเติม พ.ศ. 2566)".into(),
                first_fiscal_year: 2566,
                last_fiscal_year: None,
            },
            include_str!("../../data/hierarchy/2566.csv"),
        ),
    ]
}

const LEVELS: [(&str, Option<&str>); 8] = [
    ("strategy", None),
    ("strategy_goal", Some("strategy")),
    ("master_plan", None),
    ("master_plan_goal", Some("master_plan")),
    ("sub_plan", Some("master_plan")),
    ("sub_plan_goal", Some("sub_plan")),
    ("plan13_milestone", None),
    ("plan13_goal", Some("plan13_milestone")),
];

/// Parses and checks every row; the error lists every bad row with its line.
pub fn parse(csv_text: &str) -> AppResult<Vec<NodeRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.deserialize::<NodeRow>().enumerate() {
        match record {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(format!("line {}: {e}", i + 2)),
        }
    }
    problems.extend(check_rows(&rows));
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(AppError::validation(
            "file",
            crate::error::codes::INVALID_INPUT,
            format!("ไฟล์ลำดับชั้นแผนมีแถวที่ไม่ถูกต้อง: {}", problems.join("; ")),
            format!("the hierarchy file has bad rows: {}", problems.join("; ")),
        ))
    }
}

fn check_rows(rows: &[NodeRow]) -> Vec<String> {
    let levels: HashMap<&str, Option<&str>> = LEVELS.into_iter().collect();
    let by_code: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.code.as_str(), r.level.as_str()))
        .collect();
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        if !seen.insert(row.code.as_str()) {
            problems.push(format!("line {line}: code {} appears twice", row.code));
        }
        if row.code.trim().is_empty() {
            problems.push(format!("line {line}: code is empty"));
        }
        if row.name_th.trim().is_empty() && row.goal_th.trim().is_empty() {
            problems.push(format!("line {line}: name_th and goal_th are both empty"));
        }
        match levels.get(row.level.as_str()) {
            None => problems.push(format!("line {line}: unknown level {}", row.level)),
            Some(None) if !row.parent_code.is_empty() => {
                problems.push(format!("line {line}: a {} has no parent", row.level))
            }
            Some(Some(parent_level)) => {
                let actual = by_code.get(row.parent_code.as_str());
                if actual != Some(parent_level) {
                    problems.push(format!(
                        "line {line}: parent_code {} must be a {parent_level} of this file",
                        row.parent_code
                    ));
                }
            }
            Some(None) => {}
        }
    }
    problems
}

/// Writes an edition in one transaction: nodes are inserted or updated by
/// code, so loading the same file twice changes nothing.
pub async fn load_edition(pool: &PgPool, edition: &Edition, rows: &[NodeRow]) -> AppResult<usize> {
    let mut tx = crate::db::begin_as(pool, "hierarchy-loader").await?;
    crate::db::query(include_str!("sql/upsert_edition.sql"))
        .bind(&edition.code)
        .bind(&edition.name_th)
        .bind(edition.first_fiscal_year)
        .bind(edition.last_fiscal_year)
        .execute(&mut *tx)
        .await?;
    // Parents first: the levels are listed parents before children.
    for (level, _) in LEVELS {
        for row in rows.iter().filter(|r| r.level == level) {
            crate::db::query(include_str!("sql/upsert_node.sql"))
                .bind(&edition.code)
                .bind(&row.level)
                .bind(&row.code)
                .bind(none_if_empty(&row.parent_code))
                .bind(none_if_empty(&row.name_th))
                .bind(none_if_empty(&row.goal_th))
                .bind(none_if_empty(&row.strategy_code))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Loads every shipped edition (idempotent).
pub async fn load_shipped(pool: &PgPool) -> AppResult<usize> {
    let mut total = 0;
    for (edition, text) in shipped() {
        total += load_edition(pool, &edition, &parse(text)?).await?;
    }
    Ok(total)
}

fn none_if_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_parse() {
        for (edition, text) in shipped() {
            let rows = parse(text).unwrap_or_else(|e| panic!("{}: {e}", edition.code));
            assert!(!rows.is_empty());
        }
        let rows = parse(shipped()[1].1).unwrap();
        assert_eq!(rows.iter().filter(|r| r.level == "master_plan").count(), 23);
        assert_eq!(rows.iter().filter(|r| r.level == "sub_plan").count(), 86);
    }

    #[test]
    fn reports_every_bad_row() {
        let text = "level,code,parent_code,name_th,goal_th\n\
                    strategy,1,,ก,\n\
                    strategy_goal,1.1,9,,ข\n\
                    planet,x,,ค,\n\
                    strategy,1,,ง,\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("line 3: parent_code 9"), "{err}");
        assert!(err.contains("line 4: unknown level planet"), "{err}");
        assert!(err.contains("line 5: code 1 appears twice"), "{err}");
    }
}
