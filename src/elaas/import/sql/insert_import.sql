INSERT INTO elaas_imports (id, file_name, file_hash, format, rows, as_of_dates, items_created, items_renamed,
                           snapshots_inserted, snapshots_updated, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, current_setting('tidtam.actor'))
RETURNING imported_at
