//! `viewer`, signing in and out, API tokens, and account administration.

use super::store::{self, NewAccount, TokenInfo};
use super::throttle::{self, Keys, SignInLimits};
use super::{Access, Account, Role};
use crate::db::loader::{load_one, ById};
use crate::error::{codes, AppError, GqlResultExt};
use crate::organisations::graphql::ProvinceLoader;
use crate::organisations::{Organisation, Province};
use crate::pagination::{self, List, Page};
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;

/// How long a signed-in session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The longest an API token may live.
pub const MAX_TOKEN_DAYS: i32 = 366;

/// The server's own pool, for accounts and tokens only: the request role may
/// not read them, so these few statements run outside the caller's scope.
#[derive(Clone)]
pub struct AccountsPool(pub PgPool);

fn accounts_pool<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a PgPool> {
    Ok(&ctx.data::<AccountsPool>()?.0)
}

fn access(ctx: &Context<'_>) -> Access {
    ctx.data_opt::<Access>()
        .cloned()
        .unwrap_or_else(Access::anonymous)
}

/// A signed-in account: who it is and what it may see.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[graphql(skip)]
    pub organisation_id: Option<i64>,
    /// The province of an evaluator.
    pub province_code: Option<String>,
    #[graphql(skip)]
    pub account_id: i64,
}

impl From<Account> for Viewer {
    fn from(a: Account) -> Self {
        Viewer {
            username: a.username,
            display_name: a.display_name,
            role: a.role,
            organisation_id: a.organisation_id,
            province_code: a.province_code,
            account_id: a.id,
        }
    }
}

#[ComplexObject]
impl Viewer {
    /// The LAO of an officer or approver.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organisation>> {
        match self.organisation_id {
            Some(id) => load_one::<ById<Organisation>, _>(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The province an evaluator reads, or the province of an officer's LAO.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        let code = match (&self.province_code, self.organisation_id) {
            (Some(code), _) => code.clone(),
            (None, Some(id)) => match load_one::<ById<Organisation>, _>(ctx, id).await? {
                Some(org) => org.province_code,
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        let loader = ctx.data::<DataLoader<ProvinceLoader>>()?;
        loader.load_one(code).await.map_err(crate::error::internal)
    }

    /// Whether this account reads every organisation (analysts, administrators).
    async fn reads_all(&self) -> bool {
        self.role.reads_all()
    }

    /// This account's tokens, newest last; the secrets are never shown again.
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<List<ApiToken>> {
        let page = Page::new(first, after.as_deref()).gql()?;
        let rows = store::tokens_of(
            accounts_pool(ctx)?,
            self.account_id,
            page.after_id.unwrap_or(0),
            page.fetch(),
        )
        .await
        .gql()?;
        let rows: Vec<ApiToken> = rows.into_iter().map(ApiToken::from).collect();
        let total = rows.len() as i64;
        Ok(pagination::connection(rows, page, total, false, |t| t.id))
    }
}

/// A bearer token of an account.
#[derive(SimpleObject, Clone)]
pub struct ApiToken {
    pub id: i64,
    /// `session` (from signing in) or `api` (for a dashboard or BI tool).
    pub kind: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenInfo> for ApiToken {
    fn from(t: TokenInfo) -> Self {
        ApiToken {
            id: t.id,
            kind: t.kind,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: the secret is shown this once.
#[derive(SimpleObject)]
pub struct IssuedToken {
    /// Send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub info: ApiToken,
    pub viewer: Viewer,
}

/// An account to create.
#[derive(InputObject)]
pub struct NewAccountInput {
    pub username: String,
    pub display_name: String,
    /// At least 8 characters; leave out for an account that uses API tokens only.
    pub password: Option<String>,
    pub role: Role,
    /// รหัส อปท.: the LAO of an officer or approver.
    pub organisation_code: Option<String>,
    /// รหัสจังหวัด: the province of an evaluator.
    pub province_code: Option<String>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The account of this request's token; null for an anonymous caller.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        access(ctx).account.map(Viewer::from)
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in with a username and password; the answer's token lasts 12 hours.
    /// Repeated failures for one account or from one address are refused for
    /// a growing while with SIGN_IN_THROTTLED and `extensions.retryAfter`
    /// (seconds); see docs/access.md.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> async_graphql::Result<IssuedToken> {
        let pool = accounts_pool(ctx)?;
        let address = ctx
            .data_opt::<crate::graphql::ClientAddress>()
            .and_then(|a| a.0);
        let limits = ctx
            .data_opt::<SignInLimits>()
            .copied()
            .unwrap_or_else(SignInLimits::from_env);
        let keys = Keys::new(&username, address);
        // The audit trail names the attempt: who it claimed to be, and from where.
        let actor = format!(
            "sign-in:{}@{}",
            keys.account.trim_start_matches("account:"),
            address.map_or_else(|| "unknown".to_string(), |a| a.to_string())
        );
        throttle::admit(pool, &actor, &keys).await.gql()?;
        let Some(account) = store::check_password(pool, &username, &password)
            .await
            .gql()?
        else {
            throttle::failed(pool, &actor, &keys, &limits).await.gql()?;
            return Err(AppError::Unauthenticated(
                "wrong username or password / ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง".into(),
            ))
            .gql();
        };
        throttle::succeeded(pool, &actor, &keys).await.gql()?;
        let (token, info) = store::create_token(
            pool,
            &account.username,
            account.id,
            "session",
            "sign-in",
            SESSION_LIFETIME,
        )
        .await
        .gql()?;
        tracing::info!(username = %account.username, "signed in");
        Ok(IssuedToken {
            token,
            info: info.into(),
            viewer: account.into(),
        })
    }

    /// Revokes the token this request came with.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let access = access(ctx);
        let (Some(account), Some(token)) = (&access.account, access.token_id) else {
            return Ok(false);
        };
        store::revoke_token(
            accounts_pool(ctx)?,
            &account.username,
            token,
            account.id,
            false,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// A long-lived token for a dashboard or BI tool, with this account's rights.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(default = 90)] expires_in_days: i32,
    ) -> async_graphql::Result<IssuedToken> {
        if !(1..=MAX_TOKEN_DAYS).contains(&expires_in_days) {
            return Err(AppError::validation(
                "expiresInDays",
                codes::INVALID_INPUT,
                format!("อายุโทเค็นต้องอยู่ระหว่าง 1 ถึง {MAX_TOKEN_DAYS} วัน"),
                format!("expiresInDays must be between 1 and {MAX_TOKEN_DAYS}"),
            ))
            .gql();
        }
        let Some(account) = access(ctx).account else {
            return Err(AppError::Unauthenticated(
                "sign in first / กรุณาเข้าสู่ระบบ".into(),
            ))
            .gql();
        };
        let lifetime = Duration::from_secs(u64::from(expires_in_days.unsigned_abs()) * 86_400);
        let (token, info) = store::create_token(
            accounts_pool(ctx)?,
            &account.username,
            account.id,
            "api",
            &name,
            lifetime,
        )
        .await
        .gql()?;
        Ok(IssuedToken {
            token,
            info: info.into(),
            viewer: account.into(),
        })
    }

    /// Revokes a token of this account (an administrator: of any account). It
    /// stops working at once.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        id: i64,
    ) -> async_graphql::Result<ApiToken> {
        let access = access(ctx);
        let Some(account) = &access.account else {
            return Err(AppError::Unauthenticated(
                "sign in first / กรุณาเข้าสู่ระบบ".into(),
            ))
            .gql();
        };
        let admin = account.role == Role::Admin;
        let info = store::revoke_token(
            accounts_pool(ctx)?,
            &account.username,
            id,
            account.id,
            admin,
        )
        .await
        .gql()?;
        Ok(info.into())
    }

    /// Creates an account (administrators).
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: NewAccountInput,
    ) -> async_graphql::Result<Viewer> {
        let account = store::add_account(
            &super::system_db(accounts_pool(ctx)?, &access(ctx).actor()),
            NewAccount {
                username: &input.username,
                display_name: &input.display_name,
                password: input.password.as_deref(),
                role: input.role,
                organisation_code: input.organisation_code.as_deref(),
                province_code: input.province_code.as_deref(),
            },
        )
        .await
        .gql()?;
        tracing::info!(by = %access(ctx).actor(), username = %account.username, "account created");
        Ok(account.into())
    }

    /// Disables an account and revokes all its tokens (administrators).
    async fn disable_account(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<bool> {
        let done = store::disable_account(accounts_pool(ctx)?, &access(ctx).actor(), &username)
            .await
            .gql()?;
        tracing::info!(by = %access(ctx).actor(), %username, "account disabled");
        Ok(done)
    }
}
