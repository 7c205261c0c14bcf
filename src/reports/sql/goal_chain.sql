-- A goal with its parent and grandparent, and the edition's fiscal years.
SELECT g.id, g.level, g.edition, g.parent_id, p.level AS parent_level, p.parent_id AS grandparent_id,
       p.code AS parent_code, p.strategy_code AS parent_strategy_code,
       e.first_fiscal_year, e.last_fiscal_year
FROM plan_nodes g
LEFT JOIN plan_nodes p ON p.id = g.parent_id
JOIN plan_editions e ON e.code = g.edition
WHERE g.id = ANY($1)
