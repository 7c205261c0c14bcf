INSERT INTO plan_amendments (plan_id, number, approved_on, note) VALUES ($1, $2, $3, $4) RETURNING id
