-- The newest as-of date of the e-LAAS figures of each (organisation, fiscal year).
SELECT k.organisation_id, k.fiscal_year, max(s.as_of) AS as_of
FROM unnest($1::bigint[], $2::integer[]) AS k(organisation_id, fiscal_year)
JOIN elaas_items i ON i.organisation_id = k.organisation_id AND i.fiscal_year = k.fiscal_year
JOIN elaas_snapshots s ON s.elaas_item_id = i.id
GROUP BY k.organisation_id, k.fiscal_year
