-- Approving a plan amendment (its `approved_on`) is the approver's right, as
-- approving the plan is (…16_account_audit.sql): an officer could approve an
-- amendment by passing `approvedOn` to amendPlan though approvePlan was
-- refused. The resolver refuses it (src/plans/mutations.rs); PostgreSQL holds
-- it too, on every path that writes the column.
CREATE FUNCTION tidtam_check_amendment_approver() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.approved_on IS NULL
       OR (TG_OP = 'UPDATE' AND OLD.approved_on IS NOT DISTINCT FROM NEW.approved_on) THEN
        RETURN NEW;
    END IF;
    IF NOT tidtam_approves((SELECT organisation_id FROM development_plans WHERE id = NEW.plan_id)) THEN
        RAISE EXCEPTION 'only an approver of the LAO may approve a plan amendment'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER plan_amendments_approver BEFORE INSERT OR UPDATE OF approved_on ON plan_amendments
    FOR EACH ROW EXECUTE FUNCTION tidtam_check_amendment_approver();

GRANT EXECUTE ON FUNCTION tidtam_check_amendment_approver() TO tidtam_request;
