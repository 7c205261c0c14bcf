//! Who may see and change what (docs/access.md).
//!
//! - [`Access`]: the caller of a request, from its bearer token (or nobody).
//! - [`gate`]: the one place that decides which root fields a caller may run.
//! - [`session`]: the scope handed to PostgreSQL with every transaction, where
//!   row-level security (migration `…_auth.sql`) enforces it a second time.
//! - [`token`], [`password`], [`store`]: tokens, argon2 passwords, accounts.
//! - [`rate`]: per-caller rate limits.
//! - [`throttle`]: failed sign-ins per account and address, growing delays.

pub mod gate;
pub mod graphql;
pub mod password;
pub mod rate;
pub mod session;
pub mod store;
pub mod throttle;
pub mod token;

pub use gate::{Gate, Permission};
pub use graphql::{AuthMutation, AuthQuery};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use async_graphql::Enum;
use sqlx::PgPool;

/// The caller of a request with this `Authorization` header value: anonymous
/// without one, refused with a clear error for a token that is malformed,
/// unknown, expired or revoked (checked on every request, so a revoked token
/// stops working at once). An empty `Bearer` is anonymous.
pub async fn authenticate(pool: &PgPool, authorization: Option<&str>) -> AppResult<Access> {
    // GraphiQL's header editor starts with an empty `Bearer ` to fill in.
    let Some(value) = authorization.filter(|v| !v.trim().eq_ignore_ascii_case("bearer")) else {
        return Ok(Access::anonymous());
    };
    let Some(secret) = token::from_header(value) else {
        return Err(AppError::Unauthenticated(
            "send the token as `Authorization: Bearer <token>` / ส่งโทเค็นในรูปแบบ Authorization: Bearer <token>".into(),
        ));
    };
    match store::account_by_token(pool, secret).await? {
        Some((account, token_id)) => Ok(Access::of(account, Some(token_id))),
        None => Err(AppError::Unauthenticated(
            "the token is unknown, expired or revoked / โทเค็นไม่ถูกต้อง หมดอายุ หรือถูกเพิกถอนแล้ว".into(),
        )),
    }
}

/// The database as the command line and loaders see it: administrator
/// rights, no statement timeout, changes recorded under `actor`.
pub fn system_db(pool: &PgPool, actor: &str) -> Db {
    let begin = session::begin_statement(&Access::system(actor), std::time::Duration::ZERO);
    Db::new(pool.clone(), begin)
}

/// What an account may do; its scope is its LAO or province.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// เจ้าหน้าที่ อปท.: reads and writes the data of its own LAO.
    LaoOfficer,
    /// ผู้อนุมัติของ อปท.: an officer who may also approve plans and budgets.
    LaoApprover,
    /// ผู้ประเมินระดับจังหวัด: reads everything of its own province.
    ProvincialEvaluator,
    /// นักวิเคราะห์ส่วนกลาง: reads everything, changes nothing.
    CentralAnalyst,
    /// ผู้ดูแลระบบ: accounts, score weights, reference data, and any LAO's data.
    Admin,
}

impl Role {
    /// Whether the role reads every organisation in full (analysts, administrators).
    pub fn reads_all(self) -> bool {
        matches!(self, Role::CentralAnalyst | Role::Admin)
    }

    /// The value stored in `accounts.role`.
    pub fn as_db(self) -> &'static str {
        match self {
            Role::LaoOfficer => "lao_officer",
            Role::LaoApprover => "lao_approver",
            Role::ProvincialEvaluator => "provincial_evaluator",
            Role::CentralAnalyst => "central_analyst",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored or typed role name (`lao_officer`, `admin`, …).
    pub fn parse(text: &str) -> Option<Role> {
        [
            Role::LaoOfficer,
            Role::LaoApprover,
            Role::ProvincialEvaluator,
            Role::CentralAnalyst,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_db() == text.trim().to_ascii_lowercase().replace('-', "_"))
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Role::parse(&text).ok_or_else(|| format!("unknown role {text:?}"))
    }
}

/// A signed-in account as a request sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// The LAO of an officer or approver.
    pub organisation_id: Option<i64>,
    /// The province of an evaluator.
    pub province_code: Option<String>,
}

/// The caller of one request.
#[derive(Clone, Debug)]
pub struct Access {
    /// `None`: an anonymous caller, who reads only what is published.
    pub account: Option<Account>,
    /// The token the request came with, so that signing out can revoke it.
    pub token_id: Option<i64>,
}

impl Access {
    /// A caller without an account.
    pub fn anonymous() -> Self {
        Access {
            account: None,
            token_id: None,
        }
    }

    /// A signed-in caller.
    pub fn of(account: Account, token_id: Option<i64>) -> Self {
        Access {
            account: Some(account),
            token_id,
        }
    }

    /// Administrator rights under a name: the command line, the demo loader
    /// and tests act this way.
    pub fn system(actor: &str) -> Self {
        Access::of(
            Account {
                id: 0,
                username: actor.to_string(),
                display_name: actor.to_string(),
                role: Role::Admin,
                organisation_id: None,
                province_code: None,
            },
            None,
        )
    }

    /// The role, if signed in.
    pub fn role(&self) -> Option<Role> {
        self.account.as_ref().map(|a| a.role)
    }

    /// The name audit records carry.
    pub fn actor(&self) -> String {
        self.account
            .as_ref()
            .map(|a| a.username.clone())
            .unwrap_or_else(|| "anonymous".into())
    }

    /// Reads every organisation in full.
    pub fn reads_all(&self) -> bool {
        self.role().is_some_and(Role::reads_all)
    }

    /// The LAO this caller belongs to (officers and approvers).
    pub fn organisation(&self) -> Option<i64> {
        self.account
            .as_ref()
            .filter(|a| matches!(a.role, Role::LaoOfficer | Role::LaoApprover))
            .and_then(|a| a.organisation_id)
    }

    /// The province this caller evaluates.
    pub fn province(&self) -> Option<&str> {
        self.account
            .as_ref()
            .filter(|a| a.role == Role::ProvincialEvaluator)
            .and_then(|a| a.province_code.as_deref())
    }
}
