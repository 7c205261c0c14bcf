-- What labels a row of the facts export (ข้อมูลรายโครงการ) and puts it on a
-- time axis, per budget approval of a fiscal year ($1), in a province ($2) or
-- an LAO ($3): the project's and budget item's names, the approval date and
-- the date of the e-LAAS figures the row carries. Published approvals only,
-- as in the fact frame (docs/access.md, "What is published").
SELECT f.id AS approval_id,
       f.project_name,
       f.budget_item_name,
       f.approved_on,
       f.elaas_as_of,
       f.contract_signed_on
FROM approval_facts f
WHERE f.fiscal_year = $1
  AND f.published
  AND ($2::text IS NULL OR f.province_code = $2)
  AND ($3::text IS NULL OR f.organisation_code = $3)
