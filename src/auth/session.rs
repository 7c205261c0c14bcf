//! The scope of a request, handed to PostgreSQL at the start of each of its
//! transactions. Row-level security reads these settings (migration
//! `…_auth.sql`); administrators keep the owner's rights and bypass it.

use super::Access;
use std::time::Duration;

/// The role scoped requests run as; row-level security applies to it.
pub const REQUEST_ROLE: &str = "tidtam_request";

/// The `BEGIN; …` block that opens every transaction of `access`.
///
/// Every value is either a number, a two-digit province code or an account
/// name checked by the `accounts` table, and is quoted as a literal anyway.
pub fn begin_statement(access: &Access, statement_timeout: Duration) -> String {
    let mut sql = String::from("BEGIN;");
    if access.role() != Some(super::Role::Admin) {
        sql.push_str(&format!(" SET LOCAL ROLE {REQUEST_ROLE};"));
    }
    let settings = [
        ("tidtam.actor", access.actor()),
        (
            "tidtam.read_all",
            if access.reads_all() { "on" } else { "off" }.into(),
        ),
        ("tidtam.org", number(access.organisation())),
        (
            "tidtam.province",
            access.province().unwrap_or("").to_string(),
        ),
        ("tidtam.write_org", number(access.organisation())),
        // The approver's right, checked by triggers (…16_account_audit.sql).
        (
            "tidtam.approve_org",
            number(
                access
                    .organisation()
                    .filter(|_| access.role() == Some(super::Role::LaoApprover)),
            ),
        ),
        (
            "statement_timeout",
            format!("{}ms", statement_timeout.as_millis()),
        ),
    ];
    let calls: Vec<String> = settings
        .iter()
        .map(|(name, value)| format!("set_config('{name}', {}, true)", literal(value)))
        .collect();
    sql.push_str(&format!(" SELECT {};", calls.join(", ")));
    sql
}

fn number(value: Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A SQL string literal (standard_conforming_strings is on since 9.1).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Account, Role};

    #[test]
    fn a_scoped_caller_runs_as_the_request_role_with_its_lao() {
        let officer = Access::of(
            Account {
                id: 1,
                username: "o'brien".into(),
                display_name: "x".into(),
                role: Role::LaoOfficer,
                organisation_id: Some(42),
                province_code: None,
            },
            None,
        );
        let sql = begin_statement(&officer, Duration::from_secs(5));
        assert!(sql.contains("SET LOCAL ROLE tidtam_request"));
        assert!(sql.contains("set_config('tidtam.org', '42', true)"));
        assert!(sql.contains("set_config('tidtam.actor', 'o''brien', true)"));
        assert!(sql.contains("'5000ms'"));
        assert!(sql.contains("set_config('tidtam.approve_org', '', true)"));
        let approver = Access::of(
            Account {
                role: Role::LaoApprover,
                ..officer.account.clone().expect("an account")
            },
            None,
        );
        let sql = begin_statement(&approver, Duration::from_secs(5));
        assert!(sql.contains("set_config('tidtam.approve_org', '42', true)"));
    }

    #[test]
    fn an_administrator_keeps_the_owners_rights() {
        let sql = begin_statement(&Access::system("cli"), Duration::from_secs(1));
        assert!(!sql.contains("SET LOCAL ROLE"));
        assert!(sql.contains("set_config('tidtam.read_all', 'on', true)"));
    }
}
