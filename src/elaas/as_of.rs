//! "ข้อมูล ณ วันที่": the newest date of an organisation's e-LAAS figures in a
//! fiscal year, batched over every organisation of a request.

use crate::db::Db;
use async_graphql::dataloader::Loader;
use chrono::NaiveDate;

use std::collections::HashMap;
use std::sync::Arc;

/// Loads the newest as-of date by (organisation id, fiscal year).
pub struct ElaasAsOfLoader(pub Db);

impl Loader<(i64, i32)> for ElaasAsOfLoader {
    type Value = NaiveDate;
    type Error = Arc<sqlx::Error>;

    async fn load(
        &self,
        keys: &[(i64, i32)],
    ) -> Result<HashMap<(i64, i32), NaiveDate>, Self::Error> {
        let organisations: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let years: Vec<i32> = keys.iter().map(|k| k.1).collect();
        let rows: Vec<(i64, i32, NaiveDate)> =
            crate::db::query_as(include_str!("sql/as_of_by_organisation.sql"))
                .bind(&organisations)
                .bind(&years)
                .fetch_all(&self.0)
                .await?;
        Ok(rows.into_iter().map(|(o, y, d)| ((o, y), d)).collect())
    }
}

/// The newest as-of date of an organisation's figures in a fiscal year.
pub async fn latest_as_of(
    ctx: &async_graphql::Context<'_>,
    organisation_id: i64,
    fiscal_year: i32,
) -> async_graphql::Result<Option<NaiveDate>> {
    let loader = ctx.data::<async_graphql::dataloader::DataLoader<ElaasAsOfLoader>>()?;
    loader
        .load_one((organisation_id, fiscal_year))
        .await
        .map_err(crate::error::internal)
}
