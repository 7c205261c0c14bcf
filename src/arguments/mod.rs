//! Reads refuse what cannot be meant, as writes do.
//!
//! A read that names a fiscal year Tidtam holds no plans for (most often a
//! Common-Era year typed where the Buddhist Era is meant: 2021 for 2564), or
//! a province or organisation code that does not exist, would otherwise
//! answer with every LAO at zero and no error. Here is the one place that
//! decides what a read argument may name:
//!
//! - a fiscal year (`fiscalYear`, `planYear`) must lie within the years Tidtam
//!   holds plans for ([`Known::years`]), else `INVALID_FISCAL_YEAR` naming
//!   the argument, with "use the Buddhist Era year …" when the year is
//!   Common-Era-looking;
//! - a `provinceCode` or `organisationCode` must exist, else `NOT_FOUND`
//!   naming the argument.
//!
//! Who asks:
//!
//! - GraphQL: the [`ReadArguments`] extension checks the arguments of every
//!   field it resolves (root or nested, of a query or inside a mutation's
//!   result), inside input objects too (`filter: {provinceCode: …}`), so a new
//!   field that takes one of these arguments is checked without a line of its
//!   own. The root fields of a mutation validate their own input (they give
//!   the Common-Era hint through [`write_fiscal_year`]). Subscriptions are not
//!   resolved through extensions: they call [`check`].
//! - `GET /export/…` and `tidtam export`: [`check_filter`], [`check`].
//!
//! The lookups `organisation(code:)` and `province(code:)` keep answering
//! `null` for an unknown code: there the absence is the answer asked for
//! (docs/access.md).

use crate::budget::filter::ApprovalFilter;
use crate::db::Db;
use crate::error::{codes, AppError, AppResult};
use crate::types::thai_date::BE_OFFSET;
use crate::validation::Validator;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
    ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{
    Name, PathSegment, Pos, QueryPathSegment, Response, ServerError, ServerResult, Value, Variables,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// The last fiscal year of the 20-year national strategy (ยุทธศาสตร์ชาติ
/// 2561–2580): an edition of the national plans still in force (no last
/// year) covers the years up to it.
pub const NATIONAL_STRATEGY_LAST_YEAR: i32 = 2580;

/// A year before this is a Common-Era year, as in dates (`parse_be`).
pub const COMMON_ERA_BEFORE: i32 = 2400;

/// What a read argument names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    /// ปีงบประมาณ (BE).
    FiscalYear(i32),
    /// รหัสจังหวัด.
    Province(String),
    /// รหัส อปท.
    Organisation(String),
}

/// One argument of a read: the field (as the caller spelled it, e.g.
/// `filter.provinceCode`) and what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argument {
    pub field: String,
    pub named: Named,
}

impl Argument {
    pub fn fiscal_year(field: impl Into<String>, year: i32) -> Self {
        Argument {
            field: field.into(),
            named: Named::FiscalYear(year),
        }
    }

    pub fn province(field: impl Into<String>, code: impl Into<String>) -> Self {
        Argument {
            field: field.into(),
            named: Named::Province(code.into()),
        }
    }

    pub fn organisation(field: impl Into<String>, code: impl Into<String>) -> Self {
        Argument {
            field: field.into(),
            named: Named::Organisation(code.into()),
        }
    }
}

/// The arguments of an `ApprovalFilter`, each named `{prefix}fiscalYear`
/// and so on (`prefix` is `"filter."` in GraphQL, empty for the query
/// parameters of an export).
pub fn filter_arguments(prefix: &str, filter: &ApprovalFilter) -> Vec<Argument> {
    let mut out = Vec::new();
    if let Some(year) = filter.fiscal_year {
        out.push(Argument::fiscal_year(format!("{prefix}fiscalYear"), year));
    }
    if let Some(code) = &filter.province_code {
        out.push(Argument::province(format!("{prefix}provinceCode"), code));
    }
    if let Some(code) = &filter.organisation_code {
        out.push(Argument::organisation(
            format!("{prefix}organisationCode"),
            code,
        ));
    }
    out
}

/// What the database holds that read arguments name.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// The first and last fiscal year Tidtam holds plans for: of its approved
    /// local development plans (แผนพัฒนาท้องถิ่น) and of the editions of the
    /// national plans (an edition in force up to
    /// [`NATIONAL_STRATEGY_LAST_YEAR`]). None when it holds no plan.
    pub years: Option<(i32, i32)>,
    provinces: HashSet<String>,
    organisations: HashSet<String>,
}

impl Known {
    /// The fiscal years, and which of these codes exist: one statement.
    pub async fn load(
        db: &Db,
        provinces: &[String],
        organisations: &[String],
    ) -> Result<Known, sqlx::Error> {
        let (first, last, provinces, organisations): (
            Option<i32>,
            Option<i32>,
            Vec<String>,
            Vec<String>,
        ) = crate::db::query_as(include_str!("known.sql"))
            .bind(provinces)
            .bind(organisations)
            .bind(NATIONAL_STRATEGY_LAST_YEAR)
            .fetch_one(db)
            .await?;
        Ok(Known {
            years: first.zip(last),
            provinces: provinces.into_iter().collect(),
            organisations: organisations.into_iter().collect(),
        })
    }

    /// Ok when the argument names something Tidtam holds.
    pub fn check(&self, argument: &Argument) -> AppResult<()> {
        let field = argument.field.as_str();
        match &argument.named {
            Named::FiscalYear(year) => match self.years {
                Some((first, last)) if (first..=last).contains(year) => Ok(()),
                years => Err(fiscal_year_refusal(field, *year, years)),
            },
            Named::Province(code) if self.provinces.contains(code) => Ok(()),
            Named::Province(code) => Err(AppError::validation(
                field,
                codes::NOT_FOUND,
                format!("ไม่มีจังหวัดรหัส \"{code}\""),
                format!("there is no province with the code \"{code}\""),
            )),
            Named::Organisation(code) if self.organisations.contains(code) => Ok(()),
            Named::Organisation(code) => Err(AppError::validation(
                field,
                codes::NOT_FOUND,
                format!("ไม่มี อปท. รหัส \"{code}\""),
                format!("there is no organisation (LAO) with the code \"{code}\""),
            )),
        }
    }
}

/// A year that looks like the Common Era, and the Buddhist-Era year meant.
fn common_era(year: i32) -> Option<i32> {
    (1..COMMON_ERA_BEFORE)
        .contains(&year)
        .then_some(year + BE_OFFSET)
}

/// The refusal of a fiscal year outside `years` (none: no plan at all).
fn fiscal_year_refusal(field: &str, year: i32, years: Option<(i32, i32)>) -> AppError {
    let Some((first, last)) = years else {
        return AppError::validation(
            field,
            codes::INVALID_FISCAL_YEAR,
            format!("ยังไม่มีแผนในระบบ จึงไม่มีข้อมูลของปีงบประมาณ {year}"),
            format!("Tidtam holds no plans yet, so it has nothing for fiscal year {year}"),
        );
    };
    let held_th = format!("ปีงบประมาณที่มีแผน: พ.ศ. {first}–{last}");
    let held_en = format!("Tidtam holds plans for the fiscal years {first}–{last} (Buddhist Era)");
    let (th, en) = match common_era(year) {
        Some(be) if (first..=last).contains(&be) => (
            format!("ปี {year} เป็น ค.ศ.; ใช้ พ.ศ. {be}"),
            format!("the year {year} is in the Common Era; use the Buddhist Era year {be}"),
        ),
        Some(be) => (
            format!("ปี {year} เป็น ค.ศ. (พ.ศ. {be}); {held_th}"),
            format!("the year {year} is in the Common Era (Buddhist Era {be}); {held_en}"),
        ),
        None => (
            format!("ไม่มีแผนของปีงบประมาณ {year}; {held_th}"),
            format!("there are no plans for the fiscal year {year}; {held_en}"),
        ),
    };
    AppError::validation(field, codes::INVALID_FISCAL_YEAR, th, en)
}

/// Checks read arguments through `db` (one statement, none when there is
/// nothing to check); the first that cannot be meant is the error.
pub async fn check(db: &Db, arguments: &[Argument]) -> AppResult<()> {
    if arguments.is_empty() {
        return Ok(());
    }
    let (provinces, organisations) = codes_of(arguments);
    let known = Known::load(db, &provinces, &organisations).await?;
    arguments.iter().try_for_each(|a| known.check(a))
}

fn codes_of(arguments: &[Argument]) -> (Vec<String>, Vec<String>) {
    let mut provinces = BTreeSet::new();
    let mut organisations = BTreeSet::new();
    for a in arguments {
        match &a.named {
            Named::Province(code) => {
                provinces.insert(code.clone());
            }
            Named::Organisation(code) => {
                organisations.insert(code.clone());
            }
            Named::FiscalYear(_) => {}
        }
    }
    (
        provinces.into_iter().collect(),
        organisations.into_iter().collect(),
    )
}

/// The HTTP status of a refused argument: 404 for a code that does not
/// exist, 400 for anything else.
pub fn http_status(error: &AppError) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    match error.code() {
        codes::NOT_FOUND => StatusCode::NOT_FOUND,
        codes::INTERNAL | codes::DATABASE_UNAVAILABLE => StatusCode::INTERNAL_SERVER_ERROR,
        codes::TIMEOUT => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The check of an export's filter (its query parameters), with the HTTP
/// status of a refusal.
pub async fn check_filter(
    db: &Db,
    filter: &ApprovalFilter,
) -> Result<(), (axum::http::StatusCode, AppError)> {
    check(db, &filter_arguments("", filter))
        .await
        .map_err(|e| (http_status(&e), e))
}

/// The check of `trackingReportChanged` (a subscription, which extensions
/// do not see): the server's own statement, as the analytics it follows.
pub async fn check_tracking(
    pool: &sqlx::PgPool,
    fiscal_year: i32,
    province_code: &str,
) -> async_graphql::Result<()> {
    use async_graphql::ErrorExtensions;
    let arguments = [
        Argument::fiscal_year("fiscalYear", fiscal_year),
        Argument::province("provinceCode", province_code),
    ];
    check(&Db::plain(pool), &arguments)
        .await
        .map_err(|e| e.extend())
}

/// A fiscal year given to a write: a Common-Era year (1999) gets the hint
/// dates get ("use the Buddhist Era year 2542"). Returns whether the year
/// is a Buddhist-Era one, so the caller's own range check can follow.
pub fn write_fiscal_year(v: &mut Validator, field: &str, year: i32) -> bool {
    match common_era_refusal(field, year) {
        Some(AppError::Validation {
            code,
            message_th,
            message_en,
            ..
        }) => {
            v.error(field, code, message_th, message_en);
            false
        }
        _ => true,
    }
}

/// The refusal of a Common-Era fiscal year given to a write, if it is one.
pub fn common_era_refusal(field: &str, year: i32) -> Option<AppError> {
    common_era(year).map(|be| {
        AppError::validation(
            field,
            codes::INVALID_FISCAL_YEAR,
            format!("ปี {year} เป็น ค.ศ.; ใช้ พ.ศ. {be}"),
            format!("the year {year} is in the Common Era; use the Buddhist Era year {be}"),
        )
    })
}

/// The GraphQL extension that checks the arguments of every field resolved
/// (see the module's documentation). Made afresh for each request, so its
/// cache of what the database holds lives as long as the request.
pub struct ReadArguments;

impl ExtensionFactory for ReadArguments {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Checker::default())
    }
}

#[derive(Default)]
struct Checker {
    seen: Mutex<Seen>,
    /// What the database holds, loaded once for every code the document names.
    known: tokio::sync::OnceCell<Known>,
}

/// What the request's document and variables say.
#[derive(Default)]
struct Seen {
    variables: Variables,
    /// Each operation's variable defaults, by the operation's name.
    defaults: Vec<(Option<String>, HashMap<Name, Value>)>,
    /// The operation being run.
    operation: Option<String>,
    /// Every province and organisation code the document names (any
    /// operation, any fragment), so one statement answers them all.
    provinces: Vec<String>,
    organisations: Vec<String>,
}

impl Seen {
    fn of(document: &ExecutableDocument, variables: &Variables) -> Seen {
        let mut seen = Seen {
            variables: variables.clone(),
            ..Seen::default()
        };
        for (name, operation) in document.operations.iter() {
            let defaults = operation
                .node
                .variable_definitions
                .iter()
                .filter_map(|d| {
                    let value = d.node.default_value.as_ref()?;
                    Some((d.node.name.node.clone(), value.node.clone()))
                })
                .collect();
            seen.defaults.push((name.map(|n| n.to_string()), defaults));
        }
        let mut found = Vec::new();
        let mut collect = |field: &Field| found.extend(seen.arguments_of(field, true));
        for (_, operation) in document.operations.iter() {
            each_field(&operation.node.selection_set.node, &mut collect);
        }
        for fragment in document.fragments.values() {
            each_field(&fragment.node.selection_set.node, &mut collect);
        }
        let arguments: Vec<Argument> = found.into_iter().map(|(a, _)| a).collect();
        (seen.provinces, seen.organisations) = codes_of(&arguments);
        seen
    }

    /// The value of variable `name`: the request's, else the default of the
    /// operation run (`any`: of any operation, for collecting codes).
    fn variable(&self, name: &Name, any: bool) -> Value {
        if let Some(v) = self.variables.get(name) {
            return v.clone();
        }
        let run = |op: &Option<String>| {
            any || op.as_deref() == self.operation.as_deref() || self.defaults.len() == 1
        };
        self.defaults
            .iter()
            .filter(|(op, _)| run(op))
            .find_map(|(_, d)| d.get(name).cloned())
            .unwrap_or(Value::Null)
    }

    /// The read arguments among a field's, with where each was written.
    fn arguments_of(&self, field: &Field, any: bool) -> Vec<(Argument, Pos)> {
        let mut out = Vec::new();
        for (name, value) in &field.arguments {
            let Ok(resolved) = value
                .node
                .clone()
                .into_const_with(|v| Ok::<_, std::convert::Infallible>(self.variable(&v, any)));
            named_in(
                name.node.as_str(),
                &resolved,
                name.node.to_string(),
                value.pos,
                &mut out,
            );
        }
        out
    }
}

/// Calls `f` on every field of a selection set, at any depth (fragment
/// spreads are visited where the fragment is defined).
fn each_field(set: &SelectionSet, f: &mut impl FnMut(&Field)) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                f(&field.node);
                each_field(&field.node.selection_set.node, f);
            }
            Selection::InlineFragment(fragment) => {
                each_field(&fragment.node.selection_set.node, f);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// The read arguments in `value` given as `key` (at `path`), looking inside
/// input objects and lists.
fn named_in(key: &str, value: &Value, path: String, pos: Pos, out: &mut Vec<(Argument, Pos)>) {
    match (key, value) {
        ("fiscalYear" | "planYear", Value::Number(n)) => {
            if let Some(year) = n.as_i64().and_then(|y| i32::try_from(y).ok()) {
                out.push((Argument::fiscal_year(path, year), pos));
            }
        }
        ("provinceCode", Value::String(code)) => {
            out.push((Argument::province(path, code.as_str()), pos));
        }
        ("organisationCode", Value::String(code)) => {
            out.push((Argument::organisation(path, code.as_str()), pos));
        }
        (_, Value::Object(fields)) => {
            for (k, v) in fields {
                named_in(k.as_str(), v, format!("{path}.{k}"), pos, out);
            }
        }
        (_, Value::List(items)) => {
            for (i, v) in items.iter().enumerate() {
                named_in(key, v, format!("{path}[{i}]"), pos, out);
            }
        }
        _ => {}
    }
}

impl Checker {
    fn seen(&self) -> MutexGuard<'_, Seen> {
        // A panic elsewhere while the lock was held leaves plain data behind.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn known(&self, db: &Db) -> Result<&Known, sqlx::Error> {
        self.known
            .get_or_try_init(|| {
                let (provinces, organisations) = {
                    let seen = self.seen();
                    (seen.provinces.clone(), seen.organisations.clone())
                };
                async move { Known::load(db, &provinces, &organisations).await }
            })
            .await
    }
}

/// The error of `error` at the field `path` and the argument's position.
fn located(error: ServerError, info: &ResolveInfo<'_>, pos: Pos) -> ServerError {
    let mut nodes: Vec<&async_graphql::QueryPathNode<'_>> = std::iter::once(info.path_node)
        .chain(info.path_node.parents())
        .collect();
    nodes.reverse();
    ServerError {
        locations: vec![pos],
        path: nodes
            .iter()
            .map(|n| match n.segment {
                QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
                QueryPathSegment::Index(i) => PathSegment::Index(i),
            })
            .collect(),
        ..error
    }
}

#[async_trait::async_trait]
impl Extension for Checker {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        *self.seen() = Seen::of(&document, variables);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.seen().operation = operation_name.map(str::to_string);
        next.run(ctx, operation_name).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<async_graphql::Value>> {
        // A mutation's own input is validated by the mutation (a write names
        // its fields as `input.…`); what it returns is read like any query.
        let checked = !info.is_for_introspection
            && info.parent_type != "Mutation"
            && !info.field.arguments.is_empty();
        if checked {
            let arguments = self.seen().arguments_of(info.field, false);
            if let (false, Some(db)) = (arguments.is_empty(), ctx.data_opt::<Db>()) {
                let known = self.known(db).await.map_err(|e| {
                    let pos = arguments.first().map(|(_, p)| *p).unwrap_or_default();
                    located(crate::error::internal(e).into_server_error(pos), &info, pos)
                })?;
                for (argument, pos) in &arguments {
                    if let Err(e) = known.check(argument) {
                        return Err(located(e.server_error(), &info, *pos));
                    }
                }
            }
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(years: Option<(i32, i32)>) -> Known {
        Known {
            years,
            provinces: ["71".to_string()].into(),
            organisations: ["7100001".to_string()].into(),
        }
    }

    fn refusal(k: &Known, a: Argument) -> (String, &'static str, String) {
        match k.check(&a) {
            Err(AppError::Validation {
                field,
                code,
                message_en,
                ..
            }) => (field, code, message_en),
            other => panic!("{a:?} must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_common_era_year_gets_the_buddhist_era_year_meant() {
        let k = known(Some((2561, 2580)));
        assert!(k.check(&Argument::fiscal_year("fiscalYear", 2564)).is_ok());
        let (field, code, en) = refusal(&k, Argument::fiscal_year("fiscalYear", 2021));
        assert_eq!(
            (field.as_str(), code),
            ("fiscalYear", "INVALID_FISCAL_YEAR")
        );
        assert!(en.contains("use the Buddhist Era year 2564"), "{en}");
        let (_, _, en) = refusal(&k, Argument::fiscal_year("filter.fiscalYear", 9999));
        assert!(en.contains("2561–2580"), "{en}");
        assert!(!en.contains("Common Era;"), "{en}");
        let (_, _, en) = refusal(&k, Argument::fiscal_year("fiscalYear", 1999));
        assert!(en.contains("Common Era (Buddhist Era 2542)"), "{en}");
        let (_, _, en) = refusal(&known(None), Argument::fiscal_year("fiscalYear", 2564));
        assert!(en.contains("no plans"), "{en}");
    }

    #[test]
    fn unknown_codes_are_not_found_by_name() {
        let k = known(Some((2561, 2565)));
        assert!(k.check(&Argument::province("provinceCode", "71")).is_ok());
        let (field, code, _) = refusal(&k, Argument::province("provinceCode", "99"));
        assert_eq!((field.as_str(), code), ("provinceCode", "NOT_FOUND"));
        let (field, code, _) = refusal(
            &k,
            Argument::organisation("filter.organisationCode", "7100009"),
        );
        assert_eq!(
            (field.as_str(), code),
            ("filter.organisationCode", "NOT_FOUND")
        );
    }

    #[test]
    fn writes_hint_at_the_buddhist_era() {
        let mut v = Validator::new();
        assert!(write_fiscal_year(&mut v, "input.fiscalYear", 2564));
        assert!(!write_fiscal_year(&mut v, "input.fiscalYear", 1999));
        let Err(AppError::Invalid(errors)) = v.finish() else {
            panic!("1999 must be refused")
        };
        assert_eq!(errors[0].code, "INVALID_FISCAL_YEAR");
        assert!(errors[0]
            .message_en
            .contains("use the Buddhist Era year 2542"));
    }

    #[test]
    fn arguments_are_found_inside_input_objects_and_variables() {
        let document = async_graphql::parser::parse_query(
            r#"query Q($fy: Int = 2021, $p: String) {
                 disbursement(fiscalYear: $fy, groupBy: [PROVINCE], filter: {provinceCode: $p, organisationCode: "7100001"}) { fiscalYear }
               }"#,
        )
        .unwrap();
        let variables = Variables::from_json(serde_json::json!({"p": "99"}));
        let seen = Seen::of(&document, &variables);
        assert_eq!(seen.provinces, vec!["99".to_string()]);
        assert_eq!(seen.organisations, vec!["7100001".to_string()]);
        let (_, operation) = document.operations.iter().next().unwrap();
        let mut fields = Vec::new();
        each_field(&operation.node.selection_set.node, &mut |f| {
            fields.extend(seen.arguments_of(f, false))
        });
        let arguments: Vec<Argument> = fields.into_iter().map(|(a, _)| a).collect();
        assert_eq!(
            arguments,
            vec![
                Argument::fiscal_year("fiscalYear", 2021),
                Argument::province("filter.provinceCode", "99"),
                Argument::organisation("filter.organisationCode", "7100001"),
            ]
        );
    }
}
