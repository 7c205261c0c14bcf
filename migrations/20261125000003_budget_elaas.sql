-- e-LAAS items and their dated figures, and budget approvals (อนุมัติงบประมาณ).

-- One budget item of an LAO's accounting system (e-LAAS) in a fiscal year.
CREATE TABLE elaas_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    fiscal_year     integer NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700),
    item_code       text NOT NULL CHECK (btrim(item_code) <> ''),
    name_th         text NOT NULL CHECK (btrim(name_th) <> ''),
    UNIQUE (organisation_id, fiscal_year, item_code)
);

-- The item's figures "as of" a date (ข้อมูล ณ วันที่).
CREATE TABLE elaas_snapshots (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    elaas_item_id      bigint NOT NULL REFERENCES elaas_items (id) ON DELETE CASCADE,
    as_of              date NOT NULL,
    budget             numeric(14, 2) NOT NULL CHECK (budget >= 0),            -- งบตามข้อบัญญัติ/เทศบัญญัติ
    contract_amount    numeric(14, 2) NOT NULL CHECK (contract_amount >= 0),   -- งบตามสัญญา
    contract_signed_on date,                                                   -- ลงนามสัญญา
    disbursed          numeric(14, 2) NOT NULL CHECK (disbursed >= 0),         -- เบิกจ่าย
    remaining          numeric(14, 2) NOT NULL CHECK (remaining >= 0),         -- คงเหลือ
    imported_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (elaas_item_id, as_of)
);

-- The newest snapshot of every item.
CREATE VIEW elaas_latest AS
SELECT DISTINCT ON (elaas_item_id) *
FROM elaas_snapshots
ORDER BY elaas_item_id, as_of DESC;

CREATE TABLE budget_approvals (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_project_id  bigint NOT NULL REFERENCES plan_projects (id),
    fiscal_year      integer NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700),  -- ปีงบประมาณ (BE)
    -- ข้อบัญญัติ/เทศบัญญัติ, เงินสะสม, เงินทุนสำรองเงินสะสม
    path             text NOT NULL CHECK (path IN ('ordinance', 'accumulated_funds', 'accumulated_funds_reserve')),
    budget_item_name text NOT NULL CHECK (btrim(budget_item_name) <> ''),  -- ชื่อรายการงบประมาณประจำปี
    amount           numeric(14, 2) NOT NULL CHECK (amount >= 0),
    -- The amount by funding source (แหล่งเงิน); together they make the amount.
    from_general_subsidy     numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_general_subsidy >= 0),     -- เงินอุดหนุนทั่วไป
    from_purpose_subsidy     numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_purpose_subsidy >= 0),     -- เงินอุดหนุนแบบมีวัตถุประสงค์
    from_government_subsidy  numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_government_subsidy >= 0),  -- เงินอุดหนุนจากรัฐบาล
    from_specific_subsidy    numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_specific_subsidy >= 0),    -- เงินอุดหนุนเฉพาะกิจ
    from_own_revenue         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_own_revenue >= 0),         -- รายได้จัดเก็บเอง
    from_other_revenue       numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_other_revenue >= 0),       -- รายได้อื่น ๆ
    from_accumulated_funds   numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_accumulated_funds >= 0),   -- เงินสะสม
    from_accumulated_reserve numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_accumulated_reserve >= 0), -- เงินทุนสำรองสะสม
    from_unknown             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (from_unknown >= 0),             -- ไม่ทราบแหล่งที่มา
    approved_on      date NOT NULL,
    elaas_item_id    bigint REFERENCES elaas_items (id),
    -- how the e-LAAS link was made: by an officer, or automatically by the matcher
    elaas_link_method text CHECK (elaas_link_method IN ('manual', 'auto')),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT budget_approvals_one_per_path UNIQUE (plan_project_id, fiscal_year, path),
    CONSTRAINT budget_approvals_sources_sum CHECK (
        from_general_subsidy + from_purpose_subsidy + from_government_subsidy + from_specific_subsidy
        + from_own_revenue + from_other_revenue + from_accumulated_funds + from_accumulated_reserve
        + from_unknown = amount),
    CHECK ((elaas_item_id IS NULL) = (elaas_link_method IS NULL))
);
CREATE INDEX budget_approvals_project ON budget_approvals (plan_project_id);
CREATE INDEX budget_approvals_fiscal_year ON budget_approvals (fiscal_year);
CREATE INDEX budget_approvals_elaas ON budget_approvals (elaas_item_id);

-- The e-LAAS item of an approval belongs to the same LAO and fiscal year.
CREATE FUNCTION budget_approvals_check_elaas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.elaas_item_id IS NOT NULL AND NOT EXISTS (
        SELECT 1
        FROM elaas_items e, plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
        WHERE e.id = NEW.elaas_item_id AND pp.id = NEW.plan_project_id
          AND e.organisation_id = dp.organisation_id AND e.fiscal_year = NEW.fiscal_year
    ) THEN
        RAISE EXCEPTION 'e-LAAS item % is not of the same organisation and fiscal year', NEW.elaas_item_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_approvals_elaas_same_lao_year';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER budget_approvals_check_elaas BEFORE INSERT OR UPDATE ON budget_approvals
    FOR EACH ROW EXECUTE FUNCTION budget_approvals_check_elaas();
