-- Reference data: provinces, local administrative organisations (อปท.) and the
-- national plan hierarchy (ยุทธศาสตร์ชาติ → แผนแม่บท → แผนย่อย) by edition.

CREATE TABLE provinces (
    code    text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name_th text NOT NULL CHECK (btrim(name_th) <> ''),
    name_en text
);

CREATE TABLE organisations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{5,10}$'),
    name_th       text NOT NULL CHECK (btrim(name_th) <> ''),
    -- อบจ., เทศบาลนคร, เทศบาลเมือง, เทศบาลตำบล, อบต., เมืองพัทยา, กทม.
    kind          text NOT NULL CHECK (kind IN ('pao', 'city_municipality', 'town_municipality',
                                                'subdistrict_municipality', 'sao', 'pattaya', 'bangkok')),
    province_code text NOT NULL REFERENCES provinces (code),
    district      text,
    -- วิธีบันทึก: the LAO has chosen how it records its data (first column of the tracking report)
    recording_method_set boolean NOT NULL DEFAULT false
);
CREATE INDEX organisations_province ON organisations (province_code);

-- One edition of the national plan hierarchy. The master plans were revised in 2566:
-- reports of FY 2561–2565 link to the first edition, later ones to the revision.
CREATE TABLE plan_editions (
    code              text PRIMARY KEY,
    name_th           text NOT NULL,
    first_fiscal_year integer NOT NULL,
    last_fiscal_year  integer,
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (last_fiscal_year IS NULL OR last_fiscal_year >= first_fiscal_year)
);

CREATE TABLE plan_nodes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    edition       text NOT NULL REFERENCES plan_editions (code) ON DELETE CASCADE,
    level         text NOT NULL CHECK (level IN ('strategy', 'strategy_goal', 'master_plan', 'master_plan_goal',
                                                 'sub_plan', 'sub_plan_goal', 'plan13_milestone', 'plan13_goal')),
    code          text NOT NULL CHECK (btrim(code) <> ''),
    parent_id     bigint REFERENCES plan_nodes (id) ON DELETE CASCADE,
    name_th       text,
    goal_th       text,
    -- For a master plan: the national strategy it is grouped under (a commonly
    -- presented grouping, not an official one; NULL where unknown).
    strategy_code text,
    UNIQUE (edition, code),
    CHECK ((level IN ('strategy', 'master_plan', 'plan13_milestone')) = (parent_id IS NULL)),
    CHECK (name_th IS NOT NULL OR goal_th IS NOT NULL)
);
CREATE INDEX plan_nodes_parent ON plan_nodes (parent_id);

-- A node's parent must be of the level above it, in the same edition.
CREATE FUNCTION plan_nodes_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p plan_nodes;
    expected text := CASE NEW.level
        WHEN 'strategy_goal' THEN 'strategy'
        WHEN 'master_plan_goal' THEN 'master_plan'
        WHEN 'sub_plan' THEN 'master_plan'
        WHEN 'sub_plan_goal' THEN 'sub_plan'
        WHEN 'plan13_goal' THEN 'plan13_milestone'
    END;
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT * INTO p FROM plan_nodes WHERE id = NEW.parent_id;
    IF p.level IS DISTINCT FROM expected OR p.edition <> NEW.edition THEN
        RAISE EXCEPTION 'plan node % (%) needs a parent of level % in edition %', NEW.code, NEW.level, expected, NEW.edition
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_nodes_parent_level';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plan_nodes_check_parent BEFORE INSERT OR UPDATE ON plan_nodes
    FOR EACH ROW EXECUTE FUNCTION plan_nodes_check_parent();
