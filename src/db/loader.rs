//! Generic batch loaders, so that every relation costs one SQL statement per
//! request level whatever the number of parents.
//!
//! - [`ById<T>`]: rows by their id (`T::BY_ID` selects `WHERE id = ANY($1)`).
//! - [`ByParent<T>`]: all rows of each parent (`T::BY_PARENT`, `WHERE parent = ANY($1)`).
//! - [`PagedByParent<T>`]: one page of rows of each parent, with each parent's
//!   total, in one statement (`T::PAGED_BY_PARENT`, see [`PagedChild`]).

use crate::db::Db;
use crate::pagination::Page;
use async_graphql::dataloader::Loader;
use sqlx::postgres::PgRow;
use sqlx::FromRow;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// A row that can be loaded by its id.
pub trait Keyed: for<'r> FromRow<'r, PgRow> + Clone + Send + Sync + Unpin + 'static {
    /// `SELECT … WHERE id = ANY($1)`.
    const BY_ID: &'static str;
    /// The row's id.
    fn key(&self) -> i64;
}

/// A row that belongs to a parent.
pub trait Child: for<'r> FromRow<'r, PgRow> + Clone + Send + Sync + Unpin + 'static {
    /// `SELECT … WHERE parent = ANY($1) ORDER BY …`.
    const BY_PARENT: &'static str;
    /// The parent's id.
    fn parent(&self) -> i64;
}

/// A child row listed a page at a time. The query takes the parent ids
/// (`$1`), the id after which the page starts (`$2`, 0 for the first page) and
/// the rows to fetch (`$3`), and returns each row with `total` (the parent's
/// rows over all pages).
pub trait PagedChild: Keyed {
    const PAGED_BY_PARENT: &'static str;
    fn parent(&self) -> i64;
}

/// Loads rows by id.
pub struct ById<T>(pub Db, PhantomData<T>);

impl<T> ById<T> {
    pub fn new(pool: Db) -> Self {
        ById(pool, PhantomData)
    }
}

impl<T: Keyed> Loader<i64> for ById<T> {
    type Value = T;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, T>, Self::Error> {
        let rows: Vec<T> = crate::db::query_as(T::BY_ID)
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (r.key(), r)).collect())
    }
}

/// Loads all children of each parent.
pub struct ByParent<T>(pub Db, PhantomData<T>);

impl<T> ByParent<T> {
    pub fn new(pool: Db) -> Self {
        ByParent(pool, PhantomData)
    }
}

impl<T: Child> Loader<i64> for ByParent<T> {
    type Value = Vec<T>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, parents: &[i64]) -> Result<HashMap<i64, Vec<T>>, Self::Error> {
        let rows: Vec<T> = crate::db::query_as(T::BY_PARENT)
            .bind(parents)
            .fetch_all(&self.0)
            .await?;
        let mut out: HashMap<i64, Vec<T>> = parents.iter().map(|p| (*p, Vec::new())).collect();
        for row in rows {
            out.entry(row.parent()).or_default().push(row);
        }
        Ok(out)
    }
}

/// One page of a parent's children, and how many it has in all.
#[derive(Clone, Debug)]
pub struct ChildPage<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

struct WithTotal<T> {
    row: T,
    total: i64,
}

impl<'r, T: FromRow<'r, PgRow>> FromRow<'r, PgRow> for WithTotal<T> {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(WithTotal {
            row: T::from_row(row)?,
            total: row.try_get("total")?,
        })
    }
}

/// Loads a page of children per parent; keys with the same page share a statement.
pub struct PagedByParent<T>(pub Db, PhantomData<T>);

impl<T> PagedByParent<T> {
    pub fn new(pool: Db) -> Self {
        PagedByParent(pool, PhantomData)
    }
}

impl<T: PagedChild> Loader<(i64, Page)> for PagedByParent<T> {
    type Value = ChildPage<T>;
    type Error = Arc<sqlx::Error>;

    async fn load(
        &self,
        keys: &[(i64, Page)],
    ) -> Result<HashMap<(i64, Page), ChildPage<T>>, Self::Error> {
        let mut by_page: HashMap<Page, Vec<i64>> = HashMap::new();
        for (parent, page) in keys {
            by_page.entry(*page).or_default().push(*parent);
        }
        let mut out = HashMap::new();
        for (page, parents) in by_page {
            let rows: Vec<WithTotal<T>> = crate::db::query_as(T::PAGED_BY_PARENT)
                .bind(&parents)
                .bind(page.after_id.unwrap_or(0))
                .bind(page.fetch())
                .fetch_all(&self.0)
                .await?;
            let mut pages: HashMap<i64, ChildPage<T>> = parents
                .iter()
                .map(|p| {
                    (
                        *p,
                        ChildPage {
                            rows: Vec::new(),
                            total: 0,
                        },
                    )
                })
                .collect();
            for WithTotal { row, total } in rows {
                let entry = pages.entry(PagedChild::parent(&row)).or_insert(ChildPage {
                    rows: Vec::new(),
                    total,
                });
                entry.total = total;
                entry.rows.push(row);
            }
            out.extend(pages.into_iter().map(|(parent, p)| ((parent, page), p)));
        }
        Ok(out)
    }
}

/// Loads one row through the request's `L` loader.
pub async fn load_one<L, T>(
    ctx: &async_graphql::Context<'_>,
    id: i64,
) -> async_graphql::Result<Option<T>>
where
    L: async_graphql::dataloader::Loader<i64, Value = T, Error = std::sync::Arc<sqlx::Error>>,
    T: Clone + Send + Sync + 'static,
{
    let loader = ctx.data::<async_graphql::dataloader::DataLoader<L>>()?;
    loader.load_one(id).await.map_err(crate::error::internal)
}

/// Loads all children of a parent through the request's loader.
pub async fn load_children<T: Child>(
    ctx: &async_graphql::Context<'_>,
    parent: i64,
) -> async_graphql::Result<Vec<T>> {
    let loader = ctx.data::<async_graphql::dataloader::DataLoader<ByParent<T>>>()?;
    Ok(loader
        .load_one(parent)
        .await
        .map_err(crate::error::internal)?
        .unwrap_or_default())
}
