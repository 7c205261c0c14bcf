//! Limits against abusive queries, each refusal with a stable code:
//! depth (`QUERY_TOO_DEEP`), complexity (`QUERY_TOO_COMPLEX`), aliases
//! (`TOO_MANY_ALIASES`); page size is checked by each list (`PAGE_SIZE_EXCEEDED`).

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};
use std::sync::Arc;

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
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let aliases: usize = document
            .operations
            .iter()
            .map(|(_, op)| count_aliases(&op.node.selection_set.node))
            .chain(
                document
                    .fragments
                    .values()
                    .map(|f| count_aliases(&f.node.selection_set.node)),
            )
            .sum();
        if aliases > MAX_ALIASES {
            let mut err = ServerError::new(
                format!("ใช้ alias ได้ไม่เกิน {MAX_ALIASES} / the query uses {aliases} aliases; the limit is {MAX_ALIASES}"),
                None,
            );
            err.extensions = Some(code_extension("TOO_MANY_ALIASES"));
            return Err(err);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx)
            .await
            .map_err(|errors| errors.into_iter().map(with_code).collect())
    }
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
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
