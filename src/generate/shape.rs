//! What one organisation's plan holds, drawn from a random stream seeded by
//! the generator's seed and the plan's id: the same seed and plan give the
//! same projects, approvals and figures on every run and in every pass (the
//! generator draws each plan again for each table it writes, instead of
//! holding the country in memory).

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A development plan (แผนพัฒนาท้องถิ่น) as read back from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub organisation_id: i64,
    /// The plan's first year (พ.ศ.); it runs five years.
    pub first_year: i32,
    /// Its amendment (แผนเพิ่มเติม), when it has one.
    pub amendment_id: Option<i64>,
}

/// A plan project (โครงการในแผน) with its planned budget for its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Project {
    pub plan_year: i32,
    /// Its number within the plan year, from 1.
    pub number: u16,
    /// Index into [`SECTORS`].
    pub sector: u8,
    /// Index into [`NAMES`].
    pub name: u8,
    /// Planned budget in whole baht (a multiple of 100).
    pub amount: i64,
    /// Added by the plan's amendment.
    pub amended: bool,
}

/// An approval in the budget ordinance (ข้อบัญญัติ/เทศบัญญัติ) of one
/// project, with its e-LAAS item and, perhaps, its report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Approval {
    /// Index into [`Shape::projects`].
    pub project: u32,
    /// Whether the approval is linked to its e-LAAS item.
    pub linked: bool,
    /// A uniform draw that sets the funding path, the disbursement pace and
    /// whether the project reports.
    pub split: f64,
    /// The month of the fiscal year (1 = October) the contract is signed in.
    pub signed_month: Option<u8>,
    /// Whether a reported project is completed.
    pub completed: bool,
}

impl Approval {
    /// About 60% of approved projects report to eMENSCR.
    pub fn reports(&self) -> bool {
        self.split < 0.6
    }
}

/// Everything the generator writes for one plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    pub projects: Vec<Project>,
    pub approvals: Vec<Approval>,
}

pub const SECTORS: [&str; 5] = [
    "ด้านบริการชุมชนและสังคม",
    "ด้านการเศรษฐกิจ",
    "ด้านบริหารทั่วไป",
    "ด้านสังคม",
    "ด้านการดำเนินงานอื่น",
];

pub const NAMES: [&str; 10] = [
    "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก",
    "โครงการส่งเสริมอาชีพ",
    "โครงการป้องกันโรคไข้เลือดออก",
    "โครงการพัฒนาแหล่งน้ำ",
    "โครงการส่งเสริมการออกกำลังกาย",
    "โครงการจัดซื้ออาหารเสริม (นม)",
    "โครงการอบรมผู้สูงอายุ",
    "โครงการวางท่อระบายน้ำ",
    "โครงการติดตั้งไฟฟ้าส่องสว่าง",
    "โครงการแข่งขันกีฬาเยาวชน",
];

/// A project's name as the plan lists it: its kind and village (หมู่ที่).
pub fn project_name(p: &Project) -> String {
    format!("{} หมู่ที่ {}", NAMES[usize::from(p.name)], 1 + p.number % 15)
}

/// The years the plan's approvals are drawn for.
#[derive(Debug, Clone, Copy)]
pub struct Years {
    pub first_fiscal_year: i32,
    pub count: i32,
}

impl Years {
    fn contains(&self, year: i32) -> bool {
        (self.first_fiscal_year..self.first_fiscal_year + self.count).contains(&year)
    }
}

/// Draws one plan: 75–365 projects per plan year; for each fiscal year of
/// `years`, 40–230 of that year's projects approved (as many as there are).
pub fn draw(seed: u32, plan: &Plan, years: Years) -> Shape {
    let mut rng = Draws::new(seed, plan.id);
    let mut shape = Shape::default();
    for plan_year in plan.first_year..plan.first_year + 5 {
        let first = shape.projects.len();
        let count = 75 + rng.below(291) as u16;
        for number in 1..=count {
            shape.projects.push(Project {
                plan_year,
                number,
                sector: rng.below(SECTORS.len() as u64) as u8,
                name: rng.below(NAMES.len() as u64) as u8,
                amount: planned_amount(&mut rng),
                amended: plan.amendment_id.is_some()
                    && years.contains(plan_year)
                    && number % 5 == 0,
            });
        }
        if years.contains(plan_year) {
            approve(&mut rng, first, shape.projects.len(), &mut shape.approvals);
        }
    }
    shape
}

/// 5,000 baht to 2 million, most of them small, in hundreds.
fn planned_amount(rng: &mut Draws) -> i64 {
    let baht = 5_000.0 + rng.unit() * rng.unit() * 2_000_000.0;
    (baht / 100.0).round() as i64 * 100
}

/// Approves a random 40–230 of the projects `first..end`, in plan order.
fn approve(rng: &mut Draws, first: usize, end: usize, out: &mut Vec<Approval>) {
    let mut candidates: Vec<u32> = (first as u32..end as u32).collect();
    let wanted = (40 + rng.below(191) as usize).min(candidates.len());
    // A partial Fisher–Yates shuffle: the first `wanted` are the pick.
    for i in 0..wanted {
        let j = i + rng.below((candidates.len() - i) as u64) as usize;
        candidates.swap(i, j);
    }
    let mut picked = candidates[..wanted].to_vec();
    picked.sort_unstable();
    for project in picked {
        let linked = rng.unit() < 0.9;
        let split = rng.unit();
        // About 70% sign a contract, in October to June.
        let signs = rng.unit() < 0.7;
        let month = 1 + rng.below(9) as u8;
        let completed = rng.unit() < 0.33;
        out.push(Approval {
            project,
            linked,
            split,
            signed_month: signs.then_some(month),
            completed,
        });
    }
}

/// Disbursed by the end of month `month` of the fiscal year (1 = October),
/// in satang: nothing before the contract, then rising by a sixth to a tenth
/// of the budget a month until all of it is paid.
pub fn disbursed_satang(approval: &Approval, amount_baht: i64, month: u8) -> i64 {
    let total = amount_baht * 100;
    match approval.signed_month {
        Some(signed) if month >= signed => {
            let months = f64::from(month - signed + 1);
            let pace = (0.6 + 0.4 * approval.split) / 6.0;
            ((total as f64 * months * pace).round() as i64).min(total)
        }
        _ => 0,
    }
}

/// A seeded stream of draws (ChaCha8: the same numbers on every platform and
/// version, unlike a standard library hasher or `rand`'s `StdRng`).
struct Draws(ChaCha8Rng);

impl Draws {
    fn new(seed: u32, plan_id: i64) -> Self {
        let key = (u64::from(seed) << 32) ^ (plan_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Draws(ChaCha8Rng::seed_from_u64(key))
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0; the modulo bias is negligible for small n).
    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: Plan = Plan {
        id: 42,
        organisation_id: 7,
        first_year: 2561,
        amendment_id: Some(3),
    };
    const ONE_YEAR: Years = Years {
        first_fiscal_year: 2561,
        count: 1,
    };

    #[test]
    fn a_plan_has_the_manuals_ranges_and_repeats_for_its_seed() {
        let shape = draw(1, &PLAN, ONE_YEAR);
        for year in 2561..2566 {
            let n = shape
                .projects
                .iter()
                .filter(|p| p.plan_year == year)
                .count();
            assert!((75..=365).contains(&n), "{year}: {n}");
        }
        assert!((40..=230).contains(&shape.approvals.len()));
        assert!(shape
            .approvals
            .iter()
            .all(|a| shape.projects[a.project as usize].plan_year == 2561));
        assert!(shape
            .projects
            .iter()
            .all(|p| p.amount % 100 == 0 && (5_000..=2_005_000).contains(&p.amount)));
        assert_eq!(draw(1, &PLAN, ONE_YEAR), shape);
        assert_ne!(draw(2, &PLAN, ONE_YEAR), shape);
    }

    #[test]
    fn only_the_amended_years_projects_come_from_the_amendment() {
        let shape = draw(1, &PLAN, ONE_YEAR);
        assert!(shape
            .projects
            .iter()
            .filter(|p| p.amended)
            .all(|p| p.plan_year == 2561 && p.number % 5 == 0));
        let unamended = Plan {
            amendment_id: None,
            ..PLAN
        };
        assert!(!draw(1, &unamended, ONE_YEAR)
            .projects
            .iter()
            .any(|p| p.amended));
    }

    #[test]
    fn disbursement_rises_to_the_budget_and_not_beyond() {
        let approval = Approval {
            project: 0,
            linked: true,
            split: 0.5,
            signed_month: Some(3),
            completed: false,
        };
        let by_month: Vec<i64> = (1..=12)
            .map(|m| disbursed_satang(&approval, 1_000, m))
            .collect();
        assert_eq!(&by_month[..2], &[0, 0]);
        assert_eq!(by_month[2], 13_333); // 1,000 baht × 0.8 / 6, in satang
        assert!(by_month.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(by_month[11], 100_000);
        let unsigned = Approval {
            signed_month: None,
            ..approval
        };
        assert_eq!(disbursed_satang(&unsigned, 1_000, 12), 0);
    }
}
