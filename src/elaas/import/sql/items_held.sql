-- Does Tidtam hold any item of these (organisation, fiscal year) pairs? When
-- not, every item of the file is new (an LAO's first file of the year).
SELECT EXISTS (
    SELECT 1
    FROM unnest($1::bigint[], $2::int[]) AS k(organisation_id, fiscal_year)
    JOIN elaas_items i ON i.organisation_id = k.organisation_id AND i.fiscal_year = k.fiscal_year
)
