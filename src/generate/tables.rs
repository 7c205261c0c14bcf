//! The six large tables the generator fills by COPY, in an order that keeps
//! every foreign key satisfied, and each table's rows in COPY's text format.

use super::shape::{self, Approval, Plan, Shape};
use chrono::{Datelike, Days, Months, NaiveDate};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Projects,
    Budgets,
    Items,
    Approvals,
    Snapshots,
    Reports,
}

/// e-LAAS figures per approval: one at the end of each month of the fiscal year.
pub const MONTHS: u8 = 12;

impl Table {
    /// Parents before children.
    pub const ALL: [Table; 6] = [
        Table::Projects,
        Table::Budgets,
        Table::Items,
        Table::Approvals,
        Table::Snapshots,
        Table::Reports,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Projects => "plan projects",
            Table::Budgets => "planned budgets",
            Table::Items => "e-LAAS items",
            Table::Approvals => "budget approvals",
            Table::Snapshots => "e-LAAS monthly figures",
            Table::Reports => "project reports",
        }
    }

    pub fn copy_sql(self) -> &'static str {
        match self {
            Table::Projects => include_str!("sql/copy_projects.sql"),
            Table::Budgets => include_str!("sql/copy_budgets.sql"),
            Table::Items => include_str!("sql/copy_items.sql"),
            Table::Approvals => include_str!("sql/copy_approvals.sql"),
            Table::Snapshots => include_str!("sql/copy_snapshots.sql"),
            Table::Reports => include_str!("sql/copy_reports.sql"),
        }
    }

    /// How many rows of this table a plan gives.
    pub fn rows(self, shape: &Shape) -> u64 {
        let approvals = shape.approvals.len() as u64;
        match self {
            Table::Projects | Table::Budgets => shape.projects.len() as u64,
            Table::Items | Table::Approvals => approvals,
            Table::Snapshots => approvals * u64::from(MONTHS),
            Table::Reports => shape.approvals.iter().filter(|a| a.reports()).count() as u64,
        }
    }
}

/// The ids one plan's rows start after: projects, and approvals (each
/// approval's e-LAAS item has the approval's id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ids {
    pub project: i64,
    pub approval: i64,
}

impl Ids {
    /// The ids the next plan starts after.
    pub fn after(self, shape: &Shape) -> Ids {
        Ids {
            project: self.project + shape.projects.len() as i64,
            approval: self.approval + shape.approvals.len() as i64,
        }
    }
}

/// Appends the plan's rows of `table` to `out`.
pub fn write(table: Table, plan: &Plan, shape: &Shape, ids: Ids, out: &mut String) {
    match table {
        Table::Projects => projects(plan, shape, ids, out),
        Table::Budgets => budgets(shape, ids, out),
        _ => {
            for (j, approval) in shape.approvals.iter().enumerate() {
                let row = ApprovalRow::new(plan, shape, ids, j, approval);
                match table {
                    Table::Items => row.item(out),
                    Table::Approvals => row.approval(out),
                    Table::Snapshots => row.snapshots(out),
                    _ => row.report(out),
                }
            }
        }
    }
}

fn projects(plan: &Plan, shape: &Shape, ids: Ids, out: &mut String) {
    for (i, p) in shape.projects.iter().enumerate() {
        let amendment = match plan.amendment_id {
            Some(a) if p.amended => a.to_string(),
            _ => NULL.into(),
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{amendment}",
            ids.project + i as i64 + 1,
            plan.id,
            shape::SECTORS[usize::from(p.sector)],
            shape::project_name(p),
        );
    }
}

fn budgets(shape: &Shape, ids: Ids, out: &mut String) {
    for (i, p) in shape.projects.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}\t{}\t{}.00",
            ids.project + i as i64 + 1,
            p.plan_year,
            p.amount
        );
    }
}

const NULL: &str = "\\N";

/// One approval with what its rows need.
struct ApprovalRow<'a> {
    plan: &'a Plan,
    approval: &'a Approval,
    project: &'a shape::Project,
    project_id: i64,
    /// Also its e-LAAS item's id.
    id: i64,
    fiscal_year: i32,
}

impl<'a> ApprovalRow<'a> {
    fn new(plan: &'a Plan, shape: &'a Shape, ids: Ids, j: usize, approval: &'a Approval) -> Self {
        let project = &shape.projects[approval.project as usize];
        ApprovalRow {
            plan,
            approval,
            project,
            project_id: ids.project + i64::from(approval.project) + 1,
            id: ids.approval + j as i64 + 1,
            fiscal_year: project.plan_year,
        }
    }

    /// The Gregorian year a fiscal year (พ.ศ.) ends in; it starts on
    /// 1 October of the year before.
    fn end_year(&self) -> i32 {
        self.fiscal_year - 543
    }

    fn date(&self, year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
    }

    fn item(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}-{}\t{}",
            self.id,
            self.plan.organisation_id,
            self.fiscal_year,
            self.fiscal_year,
            self.project_id,
            shape::project_name(self.project)
        );
    }

    fn approval(&self, out: &mut String) {
        let amount = self.project.amount;
        // Most from the general subsidy, a tenth specific, the rest own revenue.
        let general = amount * 6 / 10;
        let specific = amount / 10;
        let own = amount - general - specific;
        let path = if self.approval.split < 0.93 {
            "ordinance"
        } else {
            "accumulated_funds"
        };
        let approved_on = self.date(self.end_year() - 1, 9, 1 + (self.id % 28) as u32);
        let (item, method) = if self.approval.linked {
            (self.id.to_string(), "manual")
        } else {
            (NULL.to_string(), NULL)
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{path}\t{}\t{amount}.00\t{general}.00\t{own}.00\t{specific}.00\t{approved_on}\t{item}\t{method}",
            self.id,
            self.project_id,
            self.fiscal_year,
            shape::project_name(self.project),
        );
    }

    fn snapshots(&self, out: &mut String) {
        let amount = self.project.amount;
        let year_start = self.date(self.end_year() - 1, 10, 1);
        for month in 1..=MONTHS {
            let as_of = month_end(year_start, month);
            let signed = self.approval.signed_month.filter(|s| month >= *s);
            let (contract, signed_on) = match signed {
                Some(s) => {
                    let first = year_start + Months::new(u32::from(s) - 1);
                    (amount, (first + Days::new(14)).to_string())
                }
                None => (0, NULL.to_string()),
            };
            let paid = shape::disbursed_satang(self.approval, amount, month);
            let left = amount * 100 - paid;
            let _ = writeln!(
                out,
                "{}\t{as_of}\t{amount}.00\t{contract}.00\t{signed_on}\t{}\t{}",
                self.id,
                satang(paid),
                satang(left)
            );
        }
    }

    fn report(&self, out: &mut String) {
        if !self.approval.reports() {
            return;
        }
        let year = self.end_year();
        let done = self.approval.completed;
        let submitted = self.date(year, 1, 1) + Days::new((self.id % 90) as u64);
        let (status, completed_on, summary) = if done {
            (
                "completed",
                self.date(year, 9, 20).to_string(),
                "ดำเนินการเสร็จสิ้น",
            )
        } else {
            ("submitted", NULL.to_string(), NULL)
        };
        let _ = writeln!(
            out,
            "{}\tผู้ประสานงาน {}\t034000000\tหลักการและเหตุผล\tเป้าหมายเชิงผลผลิต\tเป้าหมายเชิงผลลัพธ์\t\
             ผลที่คาดว่าจะเกิด\tดัชนีชี้วัด\t{}\t{}\t{status}\t{submitted}\t{}\t{completed_on}\t{summary}",
            self.id,
            self.plan.organisation_id,
            self.date(year, 1, 5),
            self.date(year, 9, 15),
            if done { "t" } else { "f" },
        );
    }
}

/// The last day of month `month` (1 = the month `start` is in).
fn month_end(start: NaiveDate, month: u8) -> NaiveDate {
    let next = start.with_day(1).unwrap_or(start) + Months::new(u32::from(month));
    next - Days::new(1)
}

/// Satang as baht with two decimals.
fn satang(s: i64) -> String {
    format!("{}.{:02}", s / 100, s % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::shape::{draw, Years};

    const PLAN: Plan = Plan {
        id: 1,
        organisation_id: 9,
        first_year: 2561,
        amendment_id: None,
    };

    fn lines(table: Table) -> Vec<String> {
        let shape = draw(3, &PLAN, years());
        let mut out = String::new();
        write(table, &PLAN, &shape, Ids::default(), &mut out);
        assert_eq!(out.lines().count() as u64, table.rows(&shape));
        out.lines().map(str::to_string).collect()
    }

    fn years() -> Years {
        Years {
            first_fiscal_year: 2561,
            count: 1,
        }
    }

    #[test]
    fn monthly_figures_run_from_october_to_september() {
        let rows = lines(Table::Snapshots);
        let dates: Vec<&str> = rows[..12]
            .iter()
            .filter_map(|l| l.split('\t').nth(1))
            .collect();
        assert_eq!(dates[0], "2017-10-31");
        assert_eq!(dates[4], "2018-02-28");
        assert_eq!(dates[11], "2018-09-30");
    }

    #[test]
    fn funding_sources_add_up_to_the_amount() {
        for line in lines(Table::Approvals) {
            let cells: Vec<&str> = line.split('\t').collect();
            let money = |i: usize| {
                cells[i]
                    .trim_end_matches(".00")
                    .parse::<i64>()
                    .unwrap_or(-1)
            };
            assert_eq!(money(5), money(6) + money(7) + money(8), "{line}");
        }
    }

    #[test]
    fn money_is_written_with_two_decimals() {
        assert_eq!(satang(1_333_305), "13333.05");
        assert_eq!(satang(0), "0.00");
    }
}
