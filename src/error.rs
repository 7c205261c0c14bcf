//! One error type for the crate, and its single mapping into GraphQL errors.
//!
//! Every GraphQL error carries a stable `extensions.code`; validation errors
//! also name the field and give the message in Thai and English.

use async_graphql::ErrorExtensions;

/// Errors of Tidtam's domain code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; names the field and says why, in Thai and English.
    #[error("{field}: {message_en} / {message_th}")]
    Validation {
        field: String,
        code: &'static str,
        message_th: String,
        message_en: String,
    },
    /// Several fields are wrong at once; each names itself.
    #[error("{}", .0.iter().map(|e| format!("{}: {} / {}", e.field, e.message_en, e.message_th)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist.
    #[error("not found: {0} / ไม่พบข้อมูล: {0}")]
    NotFound(String),
    /// A stale update: the record changed since the caller read it.
    #[error("{0} was changed by someone else; reload it and try again / {0} ถูกแก้ไขโดยผู้อื่นแล้ว โปรดโหลดใหม่แล้วลองอีกครั้ง")]
    VersionConflict(String),
    /// No account, or a token that is unknown, expired or revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's role or scope does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller sent too many requests; it may retry after this many seconds.
    #[error("too many requests; try again in {0} s / ส่งคำขอถี่เกินไป โปรดลองใหม่ในอีก {0} วินาที")]
    RateLimited(u64),
    /// The request ran longer than its time limit.
    #[error("the request took too long and was stopped / คำขอใช้เวลานานเกินกำหนดจึงถูกยกเลิก")]
    Timeout,
    /// Too many failed sign-ins for this account or address; it may try
    /// again after this many seconds (src/auth/throttle.rs).
    #[error("too many failed sign-ins; try again in {0} s / เข้าสู่ระบบผิดหลายครั้งเกินไป โปรดลองใหม่ในอีก {0} วินาที")]
    SignInThrottled(u64),
    /// An e-LAAS item already linked to another budget approval (an item
    /// belongs to at most one): names that approval.
    #[error("{field}: the e-LAAS item is already linked to budget approval {approval_id} ({approval_name}) / รายการ e-LAAS นี้เชื่อมกับการอนุมัติงบประมาณ {approval_id} ({approval_name}) แล้ว")]
    AlreadyLinked {
        field: String,
        /// The global id of the approval that holds the item.
        approval_id: String,
        approval_name: String,
    },
    /// The request body is larger than this many bytes.
    #[error("คำขอมีขนาดใหญ่เกิน {0} ไบต์ / the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A database failure; its text is logged, never shown to callers.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else unexpected; logged, never shown to callers.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

/// One wrong field of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field, e.g. `input.startDate`.
    pub field: String,
    pub code: &'static str,
    pub message_th: String,
    pub message_en: String,
}

// The one rule for Thai text in errors: `message` always carries both,
// English then Thai (`English / ไทย`), so that any client shows something
// a person reads; an error that names a field (validation, a duplicate, an
// e-LAAS item already linked) also carries the Thai alone in
// `extensions.messageTh`, for a form to show beside that field.

/// Stable codes found in `extensions.code`.
pub mod codes {
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const VERSION_CONFLICT: &str = "VERSION_CONFLICT";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    pub const INVALID_DATE: &str = "INVALID_DATE";
    /// A fiscal year Tidtam holds no plans for (a read), or a Common-Era
    /// year where the Buddhist Era is meant (see `arguments`).
    pub const INVALID_FISCAL_YEAR: &str = "INVALID_FISCAL_YEAR";
    pub const INVALID_MONEY: &str = "INVALID_MONEY";
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    pub const VALIDATION_FAILED: &str = "VALIDATION_FAILED";
    pub const REQUIRED: &str = "REQUIRED";
    pub const DATE_OUT_OF_RANGE: &str = "DATE_OUT_OF_RANGE";
    pub const SOURCES_MISMATCH: &str = "SOURCES_MISMATCH";
    pub const INVALID_PHONE: &str = "INVALID_PHONE";
    pub const OUTSIDE_THAILAND: &str = "OUTSIDE_THAILAND";
    pub const GOAL_CHAIN_BROKEN: &str = "GOAL_CHAIN_BROKEN";
    pub const PLAN_NOT_APPROVED: &str = "PLAN_NOT_APPROVED";
    pub const DUPLICATE: &str = "DUPLICATE";
    pub const INVALID_STATE: &str = "INVALID_STATE";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const TIMEOUT: &str = "TIMEOUT";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// Too many failed sign-ins; `extensions.retryAfter` says when to retry.
    pub const SIGN_IN_THROTTLED: &str = "SIGN_IN_THROTTLED";
    /// The e-LAAS item is linked to another approval (`extensions.approvalId`).
    pub const ALREADY_LINKED: &str = "ALREADY_LINKED";
    /// The database could not be reached (restarting, failing over); nothing
    /// was written; the request may be sent again.
    pub const DATABASE_UNAVAILABLE: &str = "DATABASE_UNAVAILABLE";
}

/// Whether a database error means the server could not be reached, rather
/// than that the statement was wrong: worth retrying.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // connection_exception, admin/crash shutdown, cannot_connect_now,
            // read_only_sql_transaction (a primary that became a standby)
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
}

/// PostgreSQL's "insufficient privilege": a row-level security policy or a
/// grant refused the statement.
const SQLSTATE_INSUFFICIENT_PRIVILEGE: &str = "42501";
/// PostgreSQL's "unique violation": a row with the same key exists (a
/// create that lost a race with another).
const SQLSTATE_UNIQUE_VIOLATION: &str = "23505";
/// PostgreSQL's "query canceled": the statement timeout ran out.
const SQLSTATE_QUERY_CANCELED: &str = "57014";

fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

impl AppError {
    /// This error as a GraphQL error with no path (one raised before or
    /// outside a resolver): its message and `extensions` as a field's.
    pub fn server_error(&self) -> async_graphql::ServerError {
        let e = self.extend();
        let mut error = async_graphql::ServerError::new(e.message, None);
        error.extensions = e.extensions;
        error
    }

    /// A validation error on `field`, with messages in both languages.
    pub fn validation(
        field: impl Into<String>,
        code: &'static str,
        message_th: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        AppError::Validation {
            field: field.into(),
            code,
            message_th: message_th.into(),
            message_en: message_en.into(),
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { code, .. } => code,
            AppError::Invalid(errors) if errors.len() == 1 => errors[0].code,
            AppError::Invalid(_) => codes::VALIDATION_FAILED,
            AppError::NotFound(_) => codes::NOT_FOUND,
            AppError::VersionConflict(_) => codes::VERSION_CONFLICT,
            AppError::Unauthenticated(_) => codes::UNAUTHENTICATED,
            AppError::Forbidden(_) => codes::FORBIDDEN,
            AppError::Timeout => codes::TIMEOUT,
            AppError::RateLimited(_) => codes::RATE_LIMITED,
            AppError::SignInThrottled(_) => codes::SIGN_IN_THROTTLED,
            AppError::AlreadyLinked { .. } => codes::ALREADY_LINKED,
            AppError::PayloadTooLarge(_) => codes::PAYLOAD_TOO_LARGE,
            AppError::Database(e) if unavailable(e) => codes::DATABASE_UNAVAILABLE,
            AppError::Database(e) => match sqlstate(e).as_deref() {
                Some(SQLSTATE_INSUFFICIENT_PRIVILEGE) => codes::FORBIDDEN,
                Some(SQLSTATE_UNIQUE_VIOLATION) => codes::DUPLICATE,
                Some(SQLSTATE_QUERY_CANCELED) => codes::TIMEOUT,
                _ => codes::INTERNAL,
            },
            AppError::Internal(_) => codes::INTERNAL,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let message = match (self, self.code()) {
            (AppError::Database(_), codes::FORBIDDEN) => {
                "this data belongs to an organisation outside your scope / ข้อมูลนี้อยู่นอกขอบเขตสิทธิ์ของคุณ"
                    .to_string()
            }
            (AppError::Database(_), codes::DATABASE_UNAVAILABLE) => {
                "the database is unavailable for a moment; nothing was saved, try again / ฐานข้อมูลไม่พร้อมชั่วคราว ยังไม่มีการบันทึก โปรดลองใหม่".to_string()
            }
            (AppError::Database(e), codes::DUPLICATE) => {
                let (_, th, en) = duplicate_of(e);
                format!("{en} / {th}")
            }
            (AppError::Database(_), codes::TIMEOUT) => {
                "the query took too long and was stopped / คำสั่งใช้เวลานานเกินกำหนดจึงถูกยกเลิก"
                    .to_string()
            }
            (AppError::Database(_) | AppError::Internal(_), _) => {
                tracing::error!(error = %self, "request failed");
                "internal server error / เกิดข้อผิดพลาดภายในระบบ".to_string()
            }
            (other, _) => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code());
            if self.code() == codes::DATABASE_UNAVAILABLE {
                ext.set("retryable", true);
            }
            match self {
                AppError::Validation {
                    field, message_th, ..
                } => {
                    ext.set("field", field.as_str());
                    ext.set("messageTh", message_th.as_str());
                }
                AppError::Database(e) if self.code() == codes::DUPLICATE => {
                    let (field, message_th, _) = duplicate_of(e);
                    ext.set("field", field);
                    ext.set("messageTh", message_th);
                }
                AppError::SignInThrottled(seconds) => {
                    ext.set("retryAfter", *seconds);
                }
                AppError::AlreadyLinked {
                    field,
                    approval_id,
                    approval_name,
                } => {
                    ext.set("field", field.as_str());
                    ext.set("approvalId", approval_id.as_str());
                    ext.set(
                        "messageTh",
                        format!(
                            "รายการ e-LAAS นี้เชื่อมกับการอนุมัติงบประมาณ {approval_id} ({approval_name}) แล้ว"
                        ),
                    );
                }
                AppError::Invalid(errors) => {
                    if let Some(first) = errors.first() {
                        ext.set("field", first.field.as_str());
                        ext.set(
                            "messageTh",
                            errors
                                .iter()
                                .map(|e| e.message_th.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                        );
                    }
                    let list: Vec<async_graphql::Value> =
                        errors.iter().map(field_error_value).collect();
                    ext.set("errors", async_graphql::Value::List(list));
                }
                _ => {}
            }
        })
    }
}

/// Turns a `Result<T, AppError>` into a GraphQL result with the error's code.
pub trait GqlResultExt<T> {
    /// Maps the error through [`ErrorExtensions::extend`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<AppError>> GqlResultExt<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

/// Result alias for domain code.
pub type AppResult<T> = Result<T, AppError>;

/// Maps an unexpected error (a failed batch load, say) to a censored GraphQL
/// error with code `INTERNAL_SERVER_ERROR`; the detail goes to the log only.
/// A statement refused by row-level security or stopped by the statement
/// timeout keeps its own code (`FORBIDDEN`, `TIMEOUT`).
pub fn internal<E: std::fmt::Display + 'static>(error: E) -> async_graphql::Error {
    let any = &error as &dyn std::any::Any;
    let sql = any.downcast_ref::<sqlx::Error>().or_else(|| {
        any.downcast_ref::<std::sync::Arc<sqlx::Error>>()
            .map(|a| &**a)
    });
    if let Some(e) = sql.filter(|e| unavailable(e)) {
        tracing::warn!(error = %e, "database unavailable");
        let mut err = async_graphql::Error::new(
            "the database is unavailable for a moment; nothing was saved, try again / ฐานข้อมูลไม่พร้อมชั่วคราว โปรดลองใหม่",
        );
        err = err.extend_with(|_, ext| {
            ext.set("code", codes::DATABASE_UNAVAILABLE);
            ext.set("retryable", true);
        });
        return err;
    }
    let app = match sql.and_then(sqlstate).as_deref() {
        Some(SQLSTATE_INSUFFICIENT_PRIVILEGE) => AppError::Forbidden(
            "this data belongs to an organisation outside your scope / ข้อมูลนี้อยู่นอกขอบเขตสิทธิ์ของคุณ"
                .into(),
        ),
        Some(SQLSTATE_QUERY_CANCELED) => AppError::Timeout,
        Some(SQLSTATE_UNIQUE_VIOLATION) => {
            let (field, th, en) = sql.map(duplicate_of).unwrap_or(("input", "", ""));
            AppError::validation(field, codes::DUPLICATE, th, en)
        }
        _ => AppError::Internal(anyhow::anyhow!("{error}")),
    };
    app.extend()
}

/// The unique constraints of the schema and the input field each protects,
/// with the refusal in Thai and English: a create that loses a race to
/// another (the check before its insert saw nothing yet) answers as the check
/// would have. A constraint missing here still answers `DUPLICATE`, naming
/// no field more precise than `input`.
const UNIQUE_FIELDS: &[(&str, &str, &str, &str)] = &[
    (
        "development_plans_organisation_id_first_year_key",
        "input.firstYear",
        "หน่วยงานมีแผนที่เริ่มปีนี้แล้ว",
        "the organisation already has a plan starting this year",
    ),
    (
        "plan_amendments_plan_id_number_key",
        "input.planId",
        "แผนนี้มีการแก้ไขครั้งนี้แล้ว",
        "the plan already has an amendment with this number",
    ),
    (
        "lao_strategies_plan_id_number_key",
        "input.strategies",
        "ยุทธศาสตร์ลำดับนี้มีอยู่แล้ว",
        "the plan already has a strategy with this number",
    ),
    (
        "plan_project_budgets_pkey",
        "input.plannedBudgets",
        "ปีนี้ซ้ำ",
        "this plan year is given twice",
    ),
    (
        "budget_approvals_one_per_path",
        "input.planProjectId",
        "โครงการนี้อนุมัติงบประมาณปีนี้ทางนี้แล้ว",
        "the project is already approved for this fiscal year by this path",
    ),
    (
        "budget_approvals_one_per_elaas_item",
        "input.elaasItemId",
        "รายการ e-LAAS นี้เชื่อมกับการอนุมัติงบประมาณอื่นแล้ว",
        "the e-LAAS item is already linked to another approval",
    ),
    (
        "project_reports_budget_approval_id_key",
        "input.approvalId",
        "โครงการนี้มีรายงานแล้ว",
        "the project already has a report",
    ),
    (
        "accounts_username_key",
        "input.username",
        "ชื่อผู้ใช้นี้มีอยู่แล้ว",
        "this username is taken",
    ),
    (
        "elaas_items_organisation_id_fiscal_year_item_code_key",
        "file",
        "รหัสรายการ e-LAAS ซ้ำ",
        "an e-LAAS item code appears twice for one organisation and year",
    ),
];

/// The field and messages (Thai, English) of a unique violation.
fn duplicate_of(e: &sqlx::Error) -> (&'static str, &'static str, &'static str) {
    let constraint = e.as_database_error().and_then(|d| d.constraint());
    UNIQUE_FIELDS
        .iter()
        .find(|(name, ..)| Some(*name) == constraint)
        .map(|(_, field, th, en)| (*field, *th, *en))
        .unwrap_or((
            "input",
            "มีข้อมูลนี้อยู่แล้ว",
            "a record with this key exists already",
        ))
}

fn field_error_value(e: &FieldError) -> async_graphql::Value {
    let mut map = async_graphql::indexmap::IndexMap::new();
    map.insert(
        async_graphql::Name::new("field"),
        async_graphql::Value::from(e.field.as_str()),
    );
    map.insert(
        async_graphql::Name::new("code"),
        async_graphql::Value::from(e.code),
    );
    map.insert(
        async_graphql::Name::new("messageTh"),
        async_graphql::Value::from(e.message_th.as_str()),
    );
    map.insert(
        async_graphql::Name::new("messageEn"),
        async_graphql::Value::from(e.message_en.as_str()),
    );
    async_graphql::Value::Object(map)
}
