//! e-LAAS as mutations: import a snapshot file, confirm a suggested link,
//! link the unambiguous matches automatically.

use super::import::{self, ImportError, ImportSummary, RowError};
use super::matching::{self, Wanted};
use super::ElaasItem;
use crate::audit;
use crate::budget::mutations::approval_by_id;
use crate::budget::BudgetApproval;
use crate::db::loader::Keyed;
use crate::db::Db;
use crate::error::{codes, internal, AppError, GqlResultExt};
use crate::plans::mutations::{key_of, settle};
use crate::types::format_be;
use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject, Upload, Value, ID};
use chrono::NaiveDate;

/// How an e-LAAS file was read.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ElaasFileFormat {
    /// CSV in UTF-8 (with or without a byte-order mark).
    #[graphql(name = "CSV_UTF8")]
    CsvUtf8,
    /// CSV in Windows-874 / TIS-620.
    #[graphql(name = "CSV_WINDOWS_874")]
    CsvWindows874,
    /// Excel workbook (first sheet).
    Xlsx,
}

impl From<import::Format> for ElaasFileFormat {
    fn from(f: import::Format) -> Self {
        match f {
            import::Format::CsvUtf8 => Self::CsvUtf8,
            import::Format::CsvWindows874 => Self::CsvWindows874,
            import::Format::Xlsx => Self::Xlsx,
        }
    }
}

/// What an import of an e-LAAS snapshot file did.
#[derive(SimpleObject, Clone, Debug)]
pub struct ElaasImportResult {
    /// The number of the import's record (elaas_imports); null when the
    /// import changed nothing (the same figures were already held: the file
    /// was imported before).
    pub import_id: Option<i64>,
    /// True when nothing changed.
    pub unchanged: bool,
    /// SHA-256 of the file, in hex.
    pub file_hash: String,
    pub format: ElaasFileFormat,
    /// Data rows in the file.
    pub rows: i64,
    /// e-LAAS items new to Tidtam.
    pub items_created: i64,
    /// Items whose name changed in e-LAAS.
    pub items_renamed: i64,
    /// Figures for an item and date not held before.
    pub snapshots_inserted: i64,
    /// Figures for an item and date that this file superseded.
    pub snapshots_updated: i64,
    /// Rows whose figures were already held as they are.
    pub snapshots_unchanged: i64,
    /// The file's as-of dates, oldest first.
    pub as_of: Vec<NaiveDate>,
    /// The as-of dates in the Buddhist Era, e.g. "31/03/2564".
    #[graphql(name = "asOfBE")]
    pub as_of_be: Vec<String>,
}

impl From<ImportSummary> for ElaasImportResult {
    fn from(s: ImportSummary) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        ElaasImportResult {
            import_id: s.import_id,
            unchanged: s.unchanged(),
            file_hash: s.file_hash.clone(),
            format: s.format.into(),
            rows: n(s.rows),
            items_created: n(s.items_created),
            items_renamed: n(s.items_renamed),
            snapshots_inserted: n(s.snapshots_inserted),
            snapshots_updated: n(s.snapshots_updated),
            snapshots_unchanged: n(s.snapshots_unchanged),
            as_of_be: s.as_of_dates.iter().map(|d| format_be(*d)).collect(),
            as_of: s.as_of_dates,
        }
    }
}

/// A link the matcher made.
#[derive(SimpleObject, Clone, Debug)]
pub struct ElaasAutoLink {
    pub approval: BudgetApproval,
    pub item: ElaasItem,
    /// The match's score (0 … 1).
    pub score: f64,
}

/// What `autoLinkElaas` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct ElaasAutoLinkResult {
    /// The approvals linked, each marked `elaasLinkMethod: "auto"`.
    pub linked: Vec<ElaasAutoLink>,
    /// Approvals still without a link: no unambiguous match; see their
    /// `suggestedElaasItems`.
    pub unlinked_left: i64,
}

/// Mutations of this domain.
#[derive(Default)]
pub struct ElaasMutation;

#[Object]
impl ElaasMutation {
    /// Imports an e-LAAS snapshot file (CSV in UTF-8 or Windows-874, or .xlsx;
    /// see docs/elaas-format.md), all or nothing. A file with any bad row is
    /// rejected with code IMPORT_REJECTED and `extensions.errors` listing every
    /// bad cell as {line, field, code, messageTh, messageEn}; nothing is written.
    async fn import_elaas_snapshot(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> async_graphql::Result<ElaasImportResult> {
        let upload = file.value(ctx).map_err(|e| {
            AppError::validation(
                "file",
                codes::INVALID_INPUT,
                format!("อ่านไฟล์ที่ส่งมาไม่ได้: {e}"),
                format!("cannot read the uploaded file: {e}"),
            )
            .extend()
        })?;
        let db = ctx.data::<Db>()?;
        let bytes = upload.content.to_vec();
        let summary = import::import(db, bytes, Some(upload.filename.as_str()), &mut |_| {})
            .await
            .map_err(import_error)?;
        Ok(summary.into())
    }

    /// Links an approval to one of its suggested e-LAAS items (marked
    /// "manual"). The item must be of the approval's organisation and fiscal
    /// year and not linked to another approval (ALREADY_LINKED, with
    /// `extensions.approvalId` naming the one that holds it); `version` is
    /// the approval's. The same rule and code as `linkElaasItem`.
    async fn confirm_elaas_link(
        &self,
        ctx: &Context<'_>,
        approval_id: ID,
        version: i32,
        elaas_item_id: ID,
    ) -> async_graphql::Result<BudgetApproval> {
        let id = key_of(&approval_id, "BudgetApproval", "approvalId").gql()?;
        let item = key_of(&elaas_item_id, "ElaasItem", "elaasItemId").gql()?;
        link(ctx, id, version, Some(item), "elaasItemId").await
    }

    /// Links, in one transaction, every approval of an organisation and fiscal
    /// year without an e-LAAS link whose best candidate is unambiguous: name
    /// score ≥ 0.85, the same amount, 0.1 ahead of the runner-up, and wanted by
    /// no other approval. The links are marked "auto".
    async fn auto_link_elaas(
        &self,
        ctx: &Context<'_>,
        organisation_code: String,
        fiscal_year: i32,
    ) -> async_graphql::Result<ElaasAutoLinkResult> {
        if let Some(e) = crate::arguments::common_era_refusal("fiscalYear", fiscal_year) {
            return Err(e).gql();
        }
        let mut tx = audit::begin(ctx).await?;
        let organisation: Option<i64> =
            crate::db::query_scalar("SELECT id FROM organisations WHERE code = $1")
                .bind(organisation_code.trim())
                .fetch_optional(&mut *tx)
                .await
                .gql()?;
        let Some(organisation_id) = organisation else {
            return Err(AppError::validation(
                "organisationCode",
                codes::NOT_FOUND,
                format!("ไม่พบ อปท. รหัส {organisation_code}"),
                format!("no organisation has the code {organisation_code}"),
            ))
            .gql();
        };
        // Refused outright for another LAO, even when nothing would be linked
        // (PostgreSQL would refuse each link anyway).
        let access = ctx.data_opt::<crate::auth::Access>();
        let admin = access.and_then(|a| a.role()) == Some(crate::auth::Role::Admin);
        if !admin && access.and_then(|a| a.organisation()) != Some(organisation_id) {
            return Err(AppError::Forbidden(format!(
                "only the LAO's own officers may link its e-LAAS items / เชื่อมรายการ e-LAAS ได้เฉพาะ อปท. ของตน ({organisation_code})"
            )))
            .gql();
        }
        let (links, left) = matching::auto_link(&mut tx, organisation_id, fiscal_year)
            .await
            .gql()?;
        let ids: Vec<i64> = links.iter().map(|l| l.approval_id).collect();
        let approvals: Vec<BudgetApproval> = crate::db::query_as(BudgetApproval::BY_ID)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await
            .gql()?;
        tx.commit().await.gql()?;
        let mut linked = Vec::with_capacity(links.len());
        for link in links {
            let approval = approvals
                .iter()
                .find(|a| a.id == link.approval_id)
                .cloned()
                .ok_or_else(|| internal(format!("approval {} not reloaded", link.approval_id)))?;
            linked.push(ElaasAutoLink {
                approval,
                item: link.item,
                score: link.score,
            });
        }
        Ok(ElaasAutoLinkResult {
            linked,
            unlinked_left: i64::try_from(left).unwrap_or(i64::MAX),
        })
    }
}

/// Links approval `id` (at `version`) to `item`, or unlinks it: the one path
/// of `confirmElaasLink` and `linkElaasItem`, under the one rule of
/// [`matching::link_item`]. `field` names the item in the caller's input.
pub async fn link(
    ctx: &Context<'_>,
    id: i64,
    version: i32,
    item: Option<i64>,
    field: &str,
) -> async_graphql::Result<BudgetApproval> {
    let mut tx = audit::begin(ctx).await?;
    let current: Option<BudgetApproval> = crate::db::query_as(BudgetApproval::BY_ID)
        .bind(vec![id])
        .fetch_optional(&mut *tx)
        .await
        .gql()?;
    let Some(current) = current else {
        return Err(AppError::NotFound(format!("BudgetApproval {id}"))).gql();
    };
    let change = matching::LinkChange {
        approval_id: id,
        version,
        item,
        method: "manual",
        field,
    };
    let updated = matching::link_item(
        &mut tx,
        (id, current.organisation_id, current.fiscal_year),
        &change,
    )
    .await
    .gql()?;
    settle(&mut tx, updated, "budget_approvals", id, "BudgetApproval")
        .await
        .gql()?;
    let approval = approval_by_id(&mut tx, id).await.gql()?;
    tx.commit().await.gql()?;
    Ok(approval)
}

/// The suggestions of one approval (the resolver of
/// `BudgetApproval.suggestedElaasItems`).
pub async fn suggestions(
    ctx: &Context<'_>,
    approval: &BudgetApproval,
    first: i32,
) -> async_graphql::Result<Vec<matching::ElaasCandidate>> {
    let db = ctx.data::<Db>()?;
    let mut conn = db.begin().await.map_err(internal)?;
    let wanted = Wanted {
        approval_id: approval.id,
        organisation_id: approval.organisation_id,
        fiscal_year: approval.fiscal_year,
        amount: approval.amount,
        names: [&approval.budget_item_name, &approval.project_name],
    };
    let first = usize::try_from(first.clamp(0, 50)).unwrap_or(0);
    matching::suggest(&mut conn, &wanted, first)
        .await
        .map_err(internal)
}

/// A failed import as a GraphQL error: a rejected file lists every bad cell.
pub fn import_error(e: ImportError) -> async_graphql::Error {
    match e {
        ImportError::Rejected(errors) => {
            let lines = errors
                .iter()
                .map(|e| e.line)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            async_graphql::Error::new(format!(
                "the file was rejected: {} error(s) in {lines} line(s); nothing was imported",
                errors.len()
            ))
            .extend_with(|_, ext| {
                ext.set("code", import::codes::IMPORT_REJECTED);
                ext.set(
                    "messageTh",
                    format!(
                        "ไฟล์ถูกปฏิเสธ: พบข้อผิดพลาด {} รายการใน {lines} บรรทัด ไม่มีข้อมูลใดถูกนำเข้า",
                        errors.len()
                    ),
                );
                ext.set(
                    "errors",
                    Value::List(errors.iter().map(row_error_value).collect()),
                );
            })
        }
        ImportError::Busy => async_graphql::Error::new(
            "another e-LAAS import is running; nothing was imported, try again when it has finished",
        )
        .extend_with(|_, ext| {
            ext.set("code", import::codes::IMPORT_BUSY);
            ext.set(
                "messageTh",
                "มีการนำเข้าข้อมูล e-LAAS อื่นกำลังทำงานอยู่ ยังไม่มีข้อมูลใดถูกนำเข้า โปรดลองใหม่เมื่อเสร็จแล้ว",
            );
            ext.set("retryable", true);
        }),
        ImportError::Database(e) => AppError::Database(e).extend(),
        ImportError::Internal(e) => internal(e),
    }
}

fn row_error_value(e: &RowError) -> Value {
    let mut map = async_graphql::indexmap::IndexMap::new();
    let mut put = |k: &str, v: Value| {
        map.insert(async_graphql::Name::new(k), v);
    };
    put("line", Value::from(e.line));
    put("field", Value::from(e.field.as_str()));
    put("code", Value::from(e.code));
    put("messageTh", Value::from(e.message_th.as_str()));
    put("messageEn", Value::from(e.message_en.as_str()));
    Value::Object(map)
}
