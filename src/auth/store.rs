//! Accounts and tokens in PostgreSQL. These run on the server's own pool, not
//! in a caller's scope: the request role may not read `accounts` at all.
//! Every change runs under the acting account's name (`tidtam.actor`), so
//! the audit trail (migration `…16_account_audit.sql`) says who did it.

use super::{password, token, Account, Role};
use crate::db::Db;
use crate::error::{codes, AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

/// A token as its owner sees it (never the secret, which is shown once).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct AccountWithToken {
    #[sqlx(flatten)]
    account: Account,
    token_id: i64,
}

#[derive(sqlx::FromRow)]
struct AccountWithHash {
    #[sqlx(flatten)]
    account: Account,
    password_hash: Option<String>,
}

/// The account of a live token, with the token's id.
pub async fn account_by_token(pool: &PgPool, secret: &str) -> AppResult<Option<(Account, i64)>> {
    // In a transaction: safe behind PgBouncer in transaction mode.
    let mut tx = pool.begin().await?;
    let found: Option<AccountWithToken> =
        crate::db::query_as(include_str!("sql/account_by_token.sql"))
            .bind(token::digest(secret))
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(found.map(|f| (f.account, f.token_id)))
}

/// The account whose password this is; `None` for a wrong name or password.
pub async fn check_password(
    pool: &PgPool,
    username: &str,
    given: &str,
) -> AppResult<Option<Account>> {
    let found: Option<AccountWithHash> =
        crate::db::query_as(include_str!("sql/account_for_sign_in.sql"))
            .bind(username.trim().to_lowercase())
            .fetch_optional(&Db::plain(pool))
            .await?;
    // An unknown name, or an account without a password, verifies a dummy
    // hash: the answer takes as long as for a real account.
    let (account, stored) = match found {
        Some(f) => (Some(f.account), f.password_hash),
        None => (None, None),
    };
    let ok = password::verify_or_dummy(given.to_string(), stored).await;
    Ok(account.filter(|_| ok))
}

/// What a new account needs.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: Option<&'a str>,
    pub role: Role,
    /// The LAO code (officers, approvers).
    pub organisation_code: Option<&'a str>,
    /// The province code (evaluators).
    pub province_code: Option<&'a str>,
}

/// Adds an account, checking its scope fits its role. `db` names the actor
/// (`auth::system_db`), for the audit trail.
pub async fn add_account(db: impl PgExecutor<'_>, new: NewAccount<'_>) -> AppResult<Account> {
    validate(&new)?;
    let hash = match new.password {
        Some(p) => Some(password::hash_blocking(p.to_string()).await?),
        None => None,
    };
    let inserted = crate::db::query_as(include_str!("sql/insert_account.sql"))
        .bind(new.username.trim().to_lowercase())
        .bind(crate::validation::tidy(new.display_name))
        .bind(hash)
        .bind(new.role.as_db())
        .bind(new.organisation_code)
        .bind(new.province_code)
        .fetch_one(db)
        .await;
    inserted.map_err(|e| account_error(e, &new))
}

fn validate(new: &NewAccount<'_>) -> AppResult<()> {
    if crate::validation::is_blank(new.display_name) {
        return Err(AppError::validation(
            "input.displayName",
            codes::REQUIRED,
            "ต้องกรอกข้อมูลนี้",
            "is required",
        ));
    }
    let lao = matches!(new.role, Role::LaoOfficer | Role::LaoApprover);
    if lao != new.organisation_code.is_some() {
        return Err(AppError::validation(
            "input.organisationCode",
            codes::INVALID_INPUT,
            "เจ้าหน้าที่และผู้อนุมัติของ อปท. ต้องระบุรหัส อปท. (และบทบาทอื่นต้องไม่ระบุ)",
            "LAO officers and approvers need an organisation code, and other roles take none",
        ));
    }
    if (new.role == Role::ProvincialEvaluator) != new.province_code.is_some() {
        return Err(AppError::validation(
            "input.provinceCode",
            codes::INVALID_INPUT,
            "ผู้ประเมินระดับจังหวัดต้องระบุรหัสจังหวัด (และบทบาทอื่นต้องไม่ระบุ)",
            "provincial evaluators need a province code, and other roles take none",
        ));
    }
    if let Some(p) = new.password {
        if p.chars().count() < 8 {
            return Err(AppError::validation(
                "input.password",
                codes::INVALID_INPUT,
                "รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร",
                "a password needs at least 8 characters",
            ));
        }
    }
    Ok(())
}

/// Turns the database's refusal of an account into a field error.
fn account_error(e: sqlx::Error, new: &NewAccount<'_>) -> AppError {
    let Some(db) = e.as_database_error() else {
        return e.into();
    };
    let (field, th, en) = match db.constraint() {
        Some("accounts_username_key") => {
            ("input.username", "ชื่อผู้ใช้นี้มีอยู่แล้ว", "this username is taken")
        }
        Some("accounts_username_check") => (
            "input.username",
            "ชื่อผู้ใช้ต้องเป็นอักษรอังกฤษตัวเล็ก ตัวเลข . _ - ยาว 3–64 ตัว",
            "a username is 3–64 lower-case letters, digits, '.', '_' or '-'",
        ),
        Some("accounts_lao_scope") => (
            "input.organisationCode",
            "ไม่พบ อปท. รหัสนี้",
            "no organisation has this code",
        ),
        Some("accounts_province_code_fkey") => (
            "input.provinceCode",
            "ไม่พบจังหวัดรหัสนี้",
            "no province has this code",
        ),
        _ => return e.into(),
    };
    let code = if field == "input.username" && new.username.is_empty() {
        codes::REQUIRED
    } else {
        codes::INVALID_INPUT
    };
    AppError::validation(field, code, th, en)
}

/// The account of a username.
pub async fn account_by_username(pool: &PgPool, username: &str) -> AppResult<Option<Account>> {
    Ok(
        crate::db::query_as(include_str!("sql/account_by_username.sql"))
            .bind(username.trim().to_lowercase())
            .fetch_optional(&Db::plain(pool))
            .await?,
    )
}

/// Creates a token for an account; returns the secret (shown once) and its
/// record. `actor`: who asks (the account itself when it signs in).
pub async fn create_token(
    pool: &PgPool,
    actor: &str,
    account_id: i64,
    kind: &str,
    name: &str,
    lifetime: std::time::Duration,
) -> AppResult<(String, TokenInfo)> {
    if crate::validation::is_blank(name) {
        return Err(AppError::validation(
            "name",
            codes::REQUIRED,
            "ต้องตั้งชื่อโทเค็น",
            "a token needs a name",
        ));
    }
    let secret = token::generate();
    let info = crate::db::query_as(include_str!("sql/insert_token.sql"))
        .bind(account_id)
        .bind(kind)
        .bind(crate::validation::tidy(name))
        .bind(token::digest(&secret))
        .bind(lifetime.as_secs_f64())
        .fetch_one(&super::system_db(pool, actor))
        .await?;
    Ok((secret, info))
}

/// Revokes a token at once; `any` lets an administrator revoke others' tokens.
pub async fn revoke_token(
    pool: &PgPool,
    actor: &str,
    id: i64,
    account_id: i64,
    any: bool,
) -> AppResult<TokenInfo> {
    crate::db::query_as(include_str!("sql/revoke_token.sql"))
        .bind(id)
        .bind(account_id)
        .bind(any)
        .fetch_optional(&super::system_db(pool, actor))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("live token {id} of this account")))
}

/// One page of an account's tokens.
pub async fn tokens_of(
    pool: &PgPool,
    account_id: i64,
    after: i64,
    limit: i64,
) -> AppResult<Vec<TokenInfo>> {
    Ok(
        crate::db::query_as(include_str!("sql/tokens_of_account.sql"))
            .bind(account_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&Db::plain(pool))
            .await?,
    )
}

/// Disables an account and revokes its tokens; false when none was live.
pub async fn disable_account(pool: &PgPool, actor: &str, username: &str) -> AppResult<bool> {
    let before = account_by_username(pool, username).await?;
    crate::db::query(include_str!("sql/disable_account.sql"))
        .bind(username.trim().to_lowercase())
        .execute(&super::system_db(pool, actor))
        .await?;
    Ok(before.is_some())
}
