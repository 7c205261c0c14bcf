-- The eMENSCR project report (รายงานการดำเนินโครงการ) of one budget approval.

CREATE TABLE project_reports (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    budget_approval_id bigint NOT NULL UNIQUE REFERENCES budget_approvals (id),
    activity_type      text,                               -- ประเภทกิจกรรม
    planned_budget     numeric(14, 2) CHECK (planned_budget >= 0),  -- งบตามแผน
    coordinator_name   text,                               -- ผู้ประสานงานโครงการ
    coordinator_phone  text,
    rationale          text,                               -- หลักการและเหตุผล
    output_target      text,                               -- เป้าหมายเชิงผลผลิต
    outcome_target     text,                               -- เป้าหมายเชิงผลลัพธ์
    expected_results   text,                               -- ผลที่คาดว่าจะเกิด
    success_indicator  text,                               -- ดัชนีชี้วัดความสำเร็จ
    target_group       text,                               -- กลุ่มเป้าหมาย/ผู้ได้รับประโยชน์
    start_date         date,
    end_date           date,
    off_plan_reason    text,                               -- สาเหตุที่เบิกจ่ายไม่เป็นไปตามแผน
    strategy_goal_id        bigint REFERENCES plan_nodes (id),  -- เป้าหมายยุทธศาสตร์ชาติ
    strategy_goal_result    text,
    master_plan_goal_id     bigint REFERENCES plan_nodes (id),  -- เป้าหมายแผนแม่บท
    master_plan_goal_result text,
    sub_plan_goal_id        bigint REFERENCES plan_nodes (id),  -- เป้าหมายแผนย่อย
    sub_plan_goal_result    text,
    latitude           double precision,
    longitude          double precision,
    completed          boolean NOT NULL DEFAULT false,     -- ดำเนินการเสร็จสิ้น
    completed_on       date,
    summary            text,                               -- สรุปผลการดำเนินงาน
    problems           text,                               -- ปัญหาและอุปสรรค
    suggestions        text,                               -- ข้อเสนอแนะ
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'completed')),
    submitted_on       date,
    version            integer NOT NULL DEFAULT 1,
    CONSTRAINT project_reports_dates CHECK (end_date >= start_date),
    CONSTRAINT project_reports_goals_all_or_none CHECK (
        (strategy_goal_id IS NULL) = (master_plan_goal_id IS NULL)
        AND (master_plan_goal_id IS NULL) = (sub_plan_goal_id IS NULL)),
    -- A point inside Thailand's bounding box.
    CONSTRAINT project_reports_location CHECK (
        (latitude IS NULL) = (longitude IS NULL)
        AND (latitude IS NULL OR (latitude BETWEEN 5.5 AND 20.5 AND longitude BETWEEN 97.3 AND 105.7))),
    CONSTRAINT project_reports_completion CHECK (
        (completed = (completed_on IS NOT NULL)) AND (completed = (status = 'completed'))),
    CONSTRAINT project_reports_completion_summary CHECK (NOT completed OR btrim(coalesce(summary, '')) <> '')
);
CREATE INDEX project_reports_strategy_goal ON project_reports (strategy_goal_id);
CREATE INDEX project_reports_master_plan_goal ON project_reports (master_plan_goal_id);
CREATE INDEX project_reports_sub_plan_goal ON project_reports (sub_plan_goal_id);

-- The three goal links form one chain of one edition of the hierarchy:
-- sub-plan goal → sub-plan → master plan ← master-plan goal, and the strategy
-- goal's strategy is the master plan's strategy where that grouping is known.
CREATE FUNCTION project_reports_check_goal_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sg plan_nodes; mg plan_nodes; pg plan_nodes; sp plan_nodes; mp plan_nodes; st plan_nodes;
BEGIN
    IF NEW.sub_plan_goal_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT * INTO sg FROM plan_nodes WHERE id = NEW.strategy_goal_id;
    SELECT * INTO mg FROM plan_nodes WHERE id = NEW.master_plan_goal_id;
    SELECT * INTO pg FROM plan_nodes WHERE id = NEW.sub_plan_goal_id;
    SELECT * INTO sp FROM plan_nodes WHERE id = pg.parent_id;
    SELECT * INTO mp FROM plan_nodes WHERE id = mg.parent_id;
    SELECT * INTO st FROM plan_nodes WHERE id = sg.parent_id;
    IF sg.level IS DISTINCT FROM 'strategy_goal' OR mg.level IS DISTINCT FROM 'master_plan_goal'
       OR pg.level IS DISTINCT FROM 'sub_plan_goal'
       OR sg.edition <> mg.edition OR mg.edition <> pg.edition
       OR sp.parent_id IS DISTINCT FROM mp.id
       OR (mp.strategy_code IS NOT NULL AND mp.strategy_code <> st.code) THEN
        RAISE EXCEPTION 'the three goals (%, %, %) are not one chain of the national plan hierarchy',
            sg.code, mg.code, pg.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'project_reports_goal_chain';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER project_reports_check_goal_chain BEFORE INSERT OR UPDATE ON project_reports
    FOR EACH ROW EXECUTE FUNCTION project_reports_check_goal_chain();

-- Progress per fiscal quarter (ไตรมาส; Q1 = October–December), as eMENSCR collects it.
CREATE TABLE report_progress (
    report_id      bigint NOT NULL REFERENCES project_reports (id) ON DELETE CASCADE,
    fiscal_quarter integer NOT NULL CHECK (fiscal_quarter BETWEEN 1 AND 4),
    percent        numeric(5, 2) NOT NULL CHECK (percent BETWEEN 0 AND 100),
    narrative      text NOT NULL,
    recorded_on    date NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    PRIMARY KEY (report_id, fiscal_quarter)
);

-- กรอบเวลาในการส่งข้อมูล: the deadline of each reporting stage of a fiscal year.
CREATE TABLE reporting_deadlines (
    fiscal_year integer NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700),
    stage       text NOT NULL CHECK (stage IN ('budget_approval', 'report_submission', 'progress_q1',
                                               'progress_q2', 'progress_q3', 'progress_q4', 'completion')),
    due_on      date NOT NULL,
    note        text,
    PRIMARY KEY (fiscal_year, stage)
);
