//! Writing provinces and organisations.

use sqlx::PgConnection;

/// Inserts or renames a province.
pub async fn upsert_province(
    conn: &mut PgConnection,
    code: &str,
    name_th: &str,
    name_en: Option<&str>,
) -> Result<(), sqlx::Error> {
    crate::db::query(include_str!("sql/upsert_province.sql"))
        .bind(code)
        .bind(name_th)
        .bind(name_en)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A new organisation.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewOrganisation {
    pub code: String,
    pub name_th: String,
    /// `pao`, `city_municipality`, `town_municipality`, `subdistrict_municipality`, `sao`, `pattaya`, `bangkok`
    pub kind: String,
    pub province: String,
    pub district: Option<String>,
    #[serde(default)]
    pub recording_method_set: bool,
}

/// Inserts an organisation and returns its id.
pub async fn insert_organisation(
    conn: &mut PgConnection,
    org: &NewOrganisation,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/insert_organisation.sql"))
        .bind(&org.code)
        .bind(&org.name_th)
        .bind(&org.kind)
        .bind(&org.province)
        .bind(&org.district)
        .bind(org.recording_method_set)
        .fetch_one(conn)
        .await
}
