SELECT id, plan_id, number, approved_on, note FROM plan_amendments WHERE plan_id = ANY($1) ORDER BY number
