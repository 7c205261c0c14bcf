SELECT id, plan_id, number, approved_on, note FROM plan_amendments WHERE id = ANY($1)
