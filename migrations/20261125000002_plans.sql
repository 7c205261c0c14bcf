-- The local development plan (แผนพัฒนาท้องถิ่น): five years, its strategies,
-- amendments and projects with a planned budget per plan year.

CREATE TABLE development_plans (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    first_year      integer NOT NULL CHECK (first_year BETWEEN 2500 AND 2700),  -- Buddhist Era
    last_year       integer NOT NULL,
    approved_on     date,      -- อนุมัติแผน
    version         integer NOT NULL DEFAULT 1,
    UNIQUE (organisation_id, first_year),
    CHECK (last_year = first_year + 4)
);

-- ยุทธศาสตร์การพัฒนาของ อปท.: the LAO's own development strategies in a plan
CREATE TABLE lao_strategies (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id  bigint NOT NULL REFERENCES development_plans (id) ON DELETE CASCADE,
    number   integer NOT NULL CHECK (number > 0),
    name_th  text NOT NULL CHECK (btrim(name_th) <> ''),
    UNIQUE (plan_id, number)
);

-- แผนพัฒนาท้องถิ่น (แก้ไข/เพิ่มเติม): an amendment that adds or changes projects
CREATE TABLE plan_amendments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id     bigint NOT NULL REFERENCES development_plans (id) ON DELETE CASCADE,
    number      integer NOT NULL CHECK (number > 0),
    approved_on date,
    note        text,
    UNIQUE (plan_id, number)
);

CREATE TABLE plan_projects (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id       bigint NOT NULL REFERENCES development_plans (id) ON DELETE CASCADE,
    strategy_id   bigint REFERENCES lao_strategies (id),
    sector        text NOT NULL CHECK (btrim(sector) <> ''),       -- ด้าน, e.g. ด้านสังคม
    activity_type text,                                             -- ประเภทกิจกรรม: "งาน - แผนงาน"
    name_th       text NOT NULL CHECK (btrim(name_th) <> ''),
    amendment_id  bigint REFERENCES plan_amendments (id),           -- NULL: in the plan as approved
    version       integer NOT NULL DEFAULT 1
);
CREATE INDEX plan_projects_plan ON plan_projects (plan_id);

CREATE TABLE plan_project_budgets (
    plan_project_id bigint NOT NULL REFERENCES plan_projects (id) ON DELETE CASCADE,
    plan_year       integer NOT NULL,
    amount          numeric(14, 2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (plan_project_id, plan_year)
);

-- A planned budget year must lie inside the plan's five years.
CREATE FUNCTION plan_project_budgets_check_year() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
        WHERE pp.id = NEW.plan_project_id AND NEW.plan_year BETWEEN dp.first_year AND dp.last_year
    ) THEN
        RAISE EXCEPTION 'plan year % is outside the plan of project %', NEW.plan_year, NEW.plan_project_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_project_budgets_year_in_plan';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plan_project_budgets_check_year BEFORE INSERT OR UPDATE ON plan_project_budgets
    FOR EACH ROW EXECUTE FUNCTION plan_project_budgets_check_year();
