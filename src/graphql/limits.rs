//! Limits against abusive queries, each refusal with a stable code:
//! nesting of values (`VALUE_TOO_DEEP`), depth (`QUERY_TOO_DEEP`), complexity
//! (`QUERY_TOO_COMPLEX`), aliases (`TOO_MANY_ALIASES`); page size is checked by each list (`PAGE_SIZE_EXCEEDED`).
//! It also gives a code to the errors async-graphql itself raises: a document
//! that does not parse (`GRAPHQL_PARSE_FAILED`), one that fails validation
//! (`GRAPHQL_VALIDATION_FAILED`), an argument that does not coerce
//! (`BAD_USER_INPUT`).

use super::{depth, MAX_DEPTH};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use std::sync::Arc;

/// The complexity of a list field: its page size times what each item selects,
/// capped so that nested lists cannot overflow the sum (they are refused far
/// below the cap anyway).
pub fn list_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let page = usize::try_from(first.unwrap_or(20).clamp(0, 100)).unwrap_or(0);
    page.saturating_mul(child_complexity).min(1_000_000_000) + 1
}

/// The complexity of a list without pagination: how many items such a list
/// realistically holds (one of the constants below) times what each item
/// selects. Without it a list costs 1 whatever it nests, and
/// `organisations(first: 100) { … projects { history { … } } }` would pass.
pub fn unpaged_cost(items: usize, child_complexity: usize) -> usize {
    items.saturating_mul(child_complexity).min(1_000_000_000) + 1
}

/// A list of a handful: an LAO's plans, a plan's amendments, a project's
/// planned years (five) or approvals, a report's quarters (four), the goals
/// or sub-plans under one node of the national hierarchy (one to eight).
pub const FEW: usize = 5;
/// A list of moderate length: an LAO's projects or e-LAAS items of a year
/// (most LAOs have a few dozen; priced as a typical one, so that one LAO's
/// lists pass and a page of 100 LAOs with their lists does not), a record's
/// history, an e-LAAS item's figures (monthly, with corrections), a plan's
/// strategies, the national strategies (six) or master plans (23) of an edition.
pub const SOME: usize = 20;
/// A long list: the sub-plans of an edition (about 140).
pub const MANY: usize = 100;

/// Most aliases one document may use.
pub const MAX_ALIASES: usize = 30;

/// The extension that enforces the alias limit and codes the limit errors.
pub struct Limits;

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension)
    }
}

struct LimitsExtension;

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    /// Before async-graphql parses anything: the nesting of the text and of
    /// the variables (src/graphql/depth.rs), then the parsed document's
    /// depth, size and aliases, each refused with its own code. A document
    /// that does not parse is left to the parser's own error.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        depth::check_text(&request.query)?;
        depth::check_variables(&request.variables)?;
        if let Ok(document) = request.parsed_query() {
            check_document(document)?;
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut e| {
            if e.extensions.is_none() {
                // The schema's recursion guard (`limit_recursive_depth`),
                // should a document get past `check_document`.
                let code = if e.message.contains("recursion depth") {
                    depth::QUERY_TOO_DEEP
                } else {
                    "GRAPHQL_PARSE_FAILED"
                };
                e.extensions = Some(code_extension(code));
            }
            e
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        for err in &mut response.errors {
            let coercion = err.message.starts_with("Failed to parse")
                || err.message.starts_with("Invalid value");
            if err.extensions.is_none() && coercion {
                err.extensions = Some(code_extension("BAD_USER_INPUT"));
            }
            censor_uncoded(err);
        }
        response
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next
            .run(ctx)
            .await
            .map_err(|errors| errors.into_iter().map(with_code).collect::<Vec<_>>())?;
        if let Some(budget) = ctx.data_opt::<Arc<BatchBudget>>() {
            budget.spend(result.complexity).map_err(|e| vec![e])?;
        }
        // A document sent with its hash (automatic persisted queries) is
        // stored only now that it parsed and validated. Should storing
        // fail, the operation still runs; the client sends the document
        // again when its hash is not found.
        if let Some(registration) = ctx.data_opt::<crate::http::persisted::Registration>() {
            if let Err(e) = registration.store().await {
                tracing::warn!(error = %e, "storing a persisted query failed");
            }
        }
        Ok(result)
    }
}

/// The complexity a batch's operations share: together they may cost what
/// one request may ([`super::MAX_COMPLEXITY`]); an operation that would pass
/// it is refused with `QUERY_TOO_COMPLEX`, as one request over it is.
pub struct BatchBudget(std::sync::atomic::AtomicUsize);

impl Default for BatchBudget {
    fn default() -> Self {
        BatchBudget(std::sync::atomic::AtomicUsize::new(super::MAX_COMPLEXITY))
    }
}

impl BatchBudget {
    /// Takes `complexity` from what is left, or refuses it (leaving the rest).
    fn spend(&self, complexity: usize) -> ServerResult<()> {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(complexity)
            })
            .map(|_| ())
            .map_err(|left| {
                depth::coded(
                    depth::QUERY_TOO_COMPLEX,
                    format!(
                        "คำสั่งในชุดรวมกันซับซ้อนเกิน {0} / the batch's operations together pass the complexity limit of {0} (this one costs {complexity}, {left} is left)",
                        super::MAX_COMPLEXITY
                    ),
                )
            })
    }
}

/// Refuses a document nested deeper than the schema allows (counting
/// fragments where they are spread), one that expands to too many
/// selections, and one with too many aliases, in that order, so that each
/// limit names itself: a deep query without an alias is `QUERY_TOO_DEEP`.
pub fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    let measured = depth::measure(document).map_err(|depth::Unmeasurable::Cycle(name)| {
        let mut err = ServerError::new(
            format!("fragment {name} ถูกอ้างถึงซ้อนตัวเอง / fragment {name} spreads itself (a cycle)"),
            None,
        );
        err.extensions = Some(code_extension("GRAPHQL_VALIDATION_FAILED"));
        err
    })?;
    if measured.depth > MAX_DEPTH || measured.nesting > depth::MAX_NESTING {
        return Err(depth::coded(
            depth::QUERY_TOO_DEEP,
            format!(
                "คำสั่งซ้อนกันได้ไม่เกิน {MAX_DEPTH} ชั้น / the query is nested {} levels deep; the limit is {MAX_DEPTH}",
                measured.depth.max(MAX_DEPTH + 1)
            ),
        ));
    }
    if measured.selections > depth::MAX_EXPANDED_SELECTIONS {
        return Err(depth::coded(
            depth::QUERY_TOO_COMPLEX,
            format!(
                "คำสั่งขยายเป็นรายการเลือกเกิน {0} รายการ / the query expands to more than {0} selections (fragments counted where spread)",
                depth::MAX_EXPANDED_SELECTIONS
            ),
        ));
    }
    let aliases = measured.aliases;
    if aliases > MAX_ALIASES {
        let mut err = ServerError::new(
            format!("ใช้ alias ได้ไม่เกิน {MAX_ALIASES} / the query uses {aliases} aliases; the limit is {MAX_ALIASES}"),
            None,
        );
        err.extensions = Some(code_extension("TOO_MANY_ALIASES"));
        return Err(err);
    }
    Ok(())
}

/// The last net under every resolver: an error that reached the answer
/// without a code was not raised on purpose (async-graphql's own "Data
/// `tidtam::db::scoped::Db` does not exist", a library's message), and one
/// that names a Rust path tells an attacker how the server is built. Either
/// is answered as `INTERNAL_SERVER_ERROR` with the neutral message every
/// internal error has; the original goes to the log.
fn censor_uncoded(err: &mut ServerError) {
    if err.extensions.is_some() && !names_internals(&err.message) {
        return;
    }
    tracing::error!(error = %err.message, path = ?err.path, "an error without a code; answered as INTERNAL_SERVER_ERROR");
    err.message = "internal server error / เกิดข้อผิดพลาดภายในระบบ".to_string();
    err.source = None;
    err.extensions = Some(code_extension(crate::error::codes::INTERNAL));
}

/// A message naming a Rust path (`tidtam::…`, `sqlx::…`) or a crate's type.
fn names_internals(message: &str) -> bool {
    [
        "tidtam::",
        "async_graphql::",
        "sqlx::",
        "polars",
        "tokio::",
        "alloc::",
        "core::",
        "std::",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

fn with_code(mut err: ServerError) -> ServerError {
    let code = if err.message.contains("nested too deep") {
        "QUERY_TOO_DEEP"
    } else if err.message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    };
    if err.extensions.is_none() {
        err.extensions = Some(code_extension(code));
    }
    err
}

fn code_extension(code: &str) -> async_graphql::ErrorExtensionValues {
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    ext
}
