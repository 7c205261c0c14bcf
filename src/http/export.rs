//! `GET /export/{dataset}.{parquet|csv}?fiscalYear=2564&provinceCode=71`:
//! the exports of `analytics::export`, streamed as polars writes them (a
//! national file never sits whole in memory). The whole country needs an
//! account that reads every LAO; a province or an LAO anyone may export.

use super::AppState;
use crate::analytics::export::{self, Dataset, ExportFilter, Format};
use crate::analytics::Analytics;
use crate::auth::Access;
use crate::budget::filter::ApprovalFilter;
use crate::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The query parameters: the fields of GraphQL's `ApprovalFilter`
/// (`fiscalYear`, `provinceCode`, `organisationCode`, `organisationKind`,
/// `sector`, `activityType`, `fundingSource`, `goalCode`, `stage`,
/// `amountMin`, `amountMax`, `approvedFrom`, `approvedTo`, `search`), spelled
/// and parsed as there (enums by name, money as `"20000.00"`, dates as
/// `30/09/2564` or ISO).
pub struct ExportParams {
    pub filter: ApprovalFilter,
}

impl ExportParams {
    /// Parses the parameters through the GraphQL input type itself, so that
    /// they mean exactly what they mean in `disbursement(filter: …)`; also
    /// what `tidtam export --filter field=value` takes.
    pub fn parse(raw: HashMap<String, String>) -> Result<ExportParams, AppError> {
        use async_graphql::{InputType, Name, Number, Value};
        let mut object = async_graphql::indexmap::IndexMap::new();
        for (key, text) in raw {
            if !FILTER_FIELDS.contains(&key.as_str()) {
                return Err(export::bad_argument(
                    &key,
                    &format!("ไม่รู้จักตัวกรอง {key} (ใช้ชื่อเดียวกับ ApprovalFilter)"),
                    &format!("unknown parameter {key}: the filters are ApprovalFilter's fields"),
                ));
            }
            let value = if key == "fiscalYear" {
                match text.trim().parse::<i64>() {
                    Ok(n) => Value::Number(Number::from(n)),
                    Err(_) => {
                        return Err(export::bad_argument(
                            "fiscalYear",
                            "ปีงบประมาณต้องเป็นตัวเลข (พ.ศ.)",
                            "fiscalYear must be a number (BE)",
                        ))
                    }
                }
            } else {
                Value::String(text)
            };
            object.insert(Name::new(key), value);
        }
        let filter =
            <ApprovalFilter as InputType>::parse(Some(Value::Object(object))).map_err(|e| {
                let message = e.into_server_error(async_graphql::Pos::default()).message;
                export::bad_argument(
                    "filter",
                    &format!("ตัวกรองไม่ถูกต้อง: {message}"),
                    &format!("a filter parameter is not valid: {message}"),
                )
            })?;
        Ok(ExportParams { filter })
    }
}

/// The parameters accepted: `ApprovalFilter`'s fields.
const FILTER_FIELDS: [&str; 14] = [
    "fiscalYear",
    "provinceCode",
    "organisationCode",
    "organisationKind",
    "sector",
    "activityType",
    "fundingSource",
    "goalCode",
    "stage",
    "amountMin",
    "amountMax",
    "approvedFrom",
    "approvedTo",
    "search",
];

/// `GET /export/{file}`.
pub async fn export(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
    peer: super::graphql_http::Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ip = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    let params = match ExportParams::parse(raw) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    // What the file is made of, besides the data and the caller's scope.
    let request = format!("{file}?{}", query.unwrap_or_default());
    if let Some(format) = file.strip_prefix("emenscr.") {
        return handover(&state, format, params, &headers, ip, &request).await;
    }
    let (analytics, dataset, format, filter, access) =
        match prepare(&state, &file, params, &headers, ip).await {
            Ok(prepared) => prepared,
            Err((status, e)) => return error(status, e),
        };
    let etag = revalidate(&state, &access, &request, &headers);
    if let Some(tag) = etag.as_deref() {
        if super::caching::matches(&headers, tag) {
            return super::caching::not_modified(tag, super::caching::control_for(&access));
        }
    }
    let fiscal_year = filter.fiscal_year.unwrap_or_default();
    // The approvals the rest of the filter keeps, read in the caller's scope
    // as `disbursement(filter: …)` reads them.
    let begin = crate::auth::session::begin_statement(&access, state.limits.statement_timeout);
    let db = crate::db::Db::new(state.pool.clone(), begin);
    let approval_ids = match export::approval_ids(&db, fiscal_year, &filter).await {
        Ok(ids) => ids,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let filter = ExportFilter {
        fiscal_year,
        province_code: filter.province_code,
        organisation_code: filter.organisation_code,
        approval_ids,
    };
    let version = analytics.version().await.ok();
    let name = export::file_name(
        dataset.name(),
        filter.fiscal_year,
        filter.province_code.as_deref(),
        filter.organisation_code.as_deref(),
        version,
        format.extension(),
    );
    let mut response = stream(analytics, dataset, format, filter, &name);
    super::caching::tag(
        &mut response,
        etag.as_deref(),
        super::caching::control_for(&access),
    );
    response
}

/// The ETag of an export (src/http/caching.rs), when the data version is known.
fn revalidate(
    state: &AppState,
    access: &Access,
    request: &str,
    headers: &HeaderMap,
) -> Option<String> {
    let version = super::caching::version(state)?;
    let coding = super::caching::accept_encoding(headers);
    Some(super::caching::etag(version, access, &[request, coding]))
}

type Prepared = (Arc<Analytics>, Dataset, Format, ApprovalFilter, Access);

async fn prepare(
    state: &AppState,
    file: &str,
    params: ExportParams,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Prepared, (StatusCode, AppError)> {
    let bad = |e| (StatusCode::BAD_REQUEST, e);
    let (name, extension) = file.rsplit_once('.').unwrap_or((file, ""));
    let dataset = Dataset::parse(name).ok_or_else(|| {
        bad(export::bad_argument(
            "dataset",
            "ไม่มีชุดข้อมูลนี้ (facts, tracking, scores, elaas-history)",
            "no such dataset: facts, tracking, scores or elaas-history",
        ))
    })?;
    let format = Format::parse(extension).ok_or_else(|| {
        bad(export::bad_argument(
            "format",
            "รูปแบบไฟล์ต้องเป็น .parquet หรือ .csv",
            "the file must end in .parquet or .csv",
        ))
    })?;
    let filter = params.filter;
    if export::narrows_beyond_place(&filter) && dataset != Dataset::Facts {
        return Err(bad(export::bad_argument(
            "filter",
            "ชุดข้อมูลนี้กรองได้เฉพาะปี จังหวัด และ อปท. (ตัวกรองอื่นใช้กับ facts)",
            "this dataset takes only fiscalYear, provinceCode and organisationCode; the other filters are for facts",
        )));
    }
    let (fiscal_year, access) = admit(state, headers, ip, &filter).await?;
    let analytics = state
        .schema
        .data::<Arc<Analytics>>()
        .cloned()
        .ok_or_else(|| (StatusCode::SERVICE_UNAVAILABLE, AppError::Timeout))?;
    let mut filter = filter;
    filter.fiscal_year = Some(fiscal_year);
    Ok((analytics, dataset, format, filter, access))
}

/// What every export asks first: the fiscal year (required), the caller
/// (from its token), the whole country only for an account that reads every
/// LAO, and the caller within its rate.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    filter: &ApprovalFilter,
) -> Result<(i32, Access), (StatusCode, AppError)> {
    let fiscal_year = filter.fiscal_year.ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            AppError::validation(
                "fiscalYear",
                crate::error::codes::REQUIRED,
                "ต้องระบุปีงบประมาณ (พ.ศ.)",
                "fiscalYear (BE) is required",
            ),
        )
    })?;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let access: Access = crate::auth::authenticate(&state.pool, authorization)
        .await
        .map_err(|e| (StatusCode::UNAUTHORIZED, e))?;
    let national = filter.province_code.is_none() && filter.organisation_code.is_none();
    if national && !access.reads_all() {
        return Err((
            StatusCode::FORBIDDEN,
            AppError::Forbidden(
                "exporting the whole country needs an analyst's account; add provinceCode or organisationCode / การส่งออกทั้งประเทศต้องใช้บัญชีนักวิเคราะห์".into(),
            ),
        ));
    }
    within_rate(state, &access, ip)?;
    // A year Tidtam holds no plans for, or a code that does not exist: 400/404.
    crate::arguments::check_filter(&crate::db::Db::plain(&state.pool), filter).await?;
    Ok((fiscal_year, access))
}

/// The rate check of every export: the one admission rule of every door
/// (src/http/admission.rs; each export loads a whole fiscal year).
fn within_rate(
    state: &AppState,
    access: &Access,
    ip: Option<IpAddr>,
) -> Result<(), (StatusCode, AppError)> {
    super::admission::within_rate(&state.limits, access, ip)
        .map_err(|e| (StatusCode::TOO_MANY_REQUESTS, e))
}

/// `GET /export/emenscr.{json|xlsx}`: the eMENSCR hand-over, read in the
/// caller's scope.
async fn handover(
    state: &AppState,
    format: &str,
    params: ExportParams,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    request: &str,
) -> Response {
    let filter = params.filter;
    if export::narrows_beyond_place(&filter) {
        return error(
            StatusCode::BAD_REQUEST,
            export::bad_argument(
                "filter",
                "การส่งต่อ eMENSCR กรองได้เฉพาะปี จังหวัด และ อปท.",
                "the eMENSCR hand-over takes only fiscalYear, provinceCode and organisationCode",
            ),
        );
    }
    if format != "json" && format != "xlsx" {
        return error(
            StatusCode::BAD_REQUEST,
            export::bad_argument(
                "format",
                "รูปแบบต้องเป็น .json หรือ .xlsx",
                "the file must end in .json or .xlsx",
            ),
        );
    }
    let (fiscal_year, access) = match admit(state, headers, ip, &filter).await {
        Ok(admitted) => admitted,
        Err((status, e)) => return error(status, e),
    };
    let etag = revalidate(state, &access, request, headers);
    let control = super::caching::control_for(&access);
    if let Some(tag) = etag.as_deref() {
        if super::caching::matches(headers, tag) {
            return super::caching::not_modified(tag, control);
        }
    }
    let begin = crate::auth::session::begin_statement(&access, state.limits.statement_timeout);
    let db = crate::db::Db::new(state.pool.clone(), begin);
    let records = match crate::reports::handover::records(
        &db,
        fiscal_year,
        filter.province_code.as_deref(),
        filter.organisation_code.as_deref(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.into()),
    };
    let version = crate::db::query_scalar::<i64>("SELECT version FROM data_version")
        .fetch_one(&db)
        .await
        .ok();
    let name = export::file_name(
        "emenscr",
        fiscal_year,
        filter.province_code.as_deref(),
        filter.organisation_code.as_deref(),
        version,
        format,
    );
    let disposition = format!("attachment; filename=\"{name}\"");
    let tagged = |mut response: Response| {
        super::caching::tag(&mut response, etag.as_deref(), control);
        response
    };
    if format == "json" {
        let body = serde_json::Value::Array(records).to_string();
        return tagged(
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/json; charset=utf-8".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response(),
        );
    }
    match tokio::task::spawn_blocking(move || crate::reports::handover::workbook(&records)).await {
        Ok(Ok(bytes)) => tagged(
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response(),
        ),
        other => {
            tracing::error!(?other, "writing the hand-over workbook failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal(anyhow::anyhow!("workbook")),
            )
        }
    }
}

/// An export refused or failed, in the error shape of `/graphql` (the one
/// mapping of `AppError`: its code, field and Thai message; a database error's
/// text goes to the log, not to the caller).
fn error(status: StatusCode, e: AppError) -> Response {
    let retry_after = match e {
        AppError::RateLimited(seconds) => HeaderValue::from_str(&seconds.to_string()).ok(),
        _ => None,
    };
    let mut response = super::graphql_http::refusal(super::graphql_http::Media::Json, status, e);
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Streams the file: polars writes into a channel from a blocking thread
/// (the e-LAAS history a page of organisations at a time).
fn stream(
    analytics: Arc<Analytics>,
    dataset: Dataset,
    format: Format,
    filter: ExportFilter,
    name: &str,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let out = ChannelWriter::new(tx.clone());
        let result = export::write_to(&analytics, dataset, &filter, format, out).await;
        if let Err(e) = result {
            tracing::error!(error = %e, "export failed");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    // Fused: the compression layer may poll once more after the end.
    let body = Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
    )));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A `Write` that sends 256 KiB chunks down a channel (blocking: it runs on a
/// blocking thread, and waits while the client is slow to read).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

impl ChannelWriter {
    fn new(tx: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        ChannelWriter {
            tx,
            buffer: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}
