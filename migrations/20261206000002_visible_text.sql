-- Required text means visible text (issue 20 §2), in the database as in Rust
-- (src/validation.rs, `is_blank`): a value is blank when nothing is left
-- once white space and the invisible format characters are taken out —
-- Unicode's White_Space and Default_Ignorable_Code_Point properties (U+200B
-- ZERO WIDTH SPACE, the joiners U+200C/U+200D, U+2060, U+FEFF, U+00A0,
-- U+180E, …). The class below is printed by scripts/invisible-table.pl, the
-- same script that makes the Rust table, so the two cannot drift apart.
-- btrim() only took out ASCII spaces: a project name of two U+200B passed.

CREATE FUNCTION tidtam_visible(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT t ~ '[^\u0009-\u000D\u0020\u0085\u00A0\u00AD\u034F\u061C\u115F-\u1160\u1680\u17B4-\u17B5\u180B-\u180F\u2000-\u200F\u2028-\u202F\u205F-\u206F\u3000\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]'
$$;

-- Every required text column: the CHECK that said btrim(x) <> '' now says
-- the text is visible.
ALTER TABLE provinces DROP CONSTRAINT provinces_name_th_check,
    ADD CONSTRAINT provinces_name_th_check CHECK (tidtam_visible(name_th));
ALTER TABLE organisations DROP CONSTRAINT organisations_name_th_check,
    ADD CONSTRAINT organisations_name_th_check CHECK (tidtam_visible(name_th));
ALTER TABLE plan_nodes DROP CONSTRAINT plan_nodes_code_check,
    ADD CONSTRAINT plan_nodes_code_check CHECK (tidtam_visible(code));
ALTER TABLE lao_strategies DROP CONSTRAINT lao_strategies_name_th_check,
    ADD CONSTRAINT lao_strategies_name_th_check CHECK (tidtam_visible(name_th));
ALTER TABLE plan_projects DROP CONSTRAINT plan_projects_sector_check,
    ADD CONSTRAINT plan_projects_sector_check CHECK (tidtam_visible(sector));
ALTER TABLE plan_projects DROP CONSTRAINT plan_projects_name_th_check,
    ADD CONSTRAINT plan_projects_name_th_check CHECK (tidtam_visible(name_th));
ALTER TABLE elaas_items DROP CONSTRAINT elaas_items_item_code_check,
    ADD CONSTRAINT elaas_items_item_code_check CHECK (tidtam_visible(item_code));
ALTER TABLE elaas_items DROP CONSTRAINT elaas_items_name_th_check,
    ADD CONSTRAINT elaas_items_name_th_check CHECK (tidtam_visible(name_th));
ALTER TABLE budget_approvals DROP CONSTRAINT budget_approvals_budget_item_name_check,
    ADD CONSTRAINT budget_approvals_budget_item_name_check CHECK (tidtam_visible(budget_item_name));
ALTER TABLE accounts DROP CONSTRAINT accounts_display_name_check,
    ADD CONSTRAINT accounts_display_name_check CHECK (tidtam_visible(display_name));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_name_check,
    ADD CONSTRAINT api_tokens_name_check CHECK (tidtam_visible(name));
ALTER TABLE project_reports DROP CONSTRAINT project_reports_completion_summary,
    ADD CONSTRAINT project_reports_completion_summary CHECK (NOT completed OR coalesce(tidtam_visible(summary), false));
-- A sent report names its coordinator (ผู้ประสานงานโครงการ), visibly.
ALTER TABLE project_reports
    ADD CONSTRAINT project_reports_coordinator CHECK (status = 'draft' OR coalesce(tidtam_visible(coordinator_name), false));

GRANT EXECUTE ON FUNCTION tidtam_visible(text) TO tidtam_request;
