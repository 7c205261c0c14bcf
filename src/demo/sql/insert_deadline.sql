INSERT INTO reporting_deadlines (fiscal_year, stage, due_on, note) VALUES ($1, $2, $3, $4)
ON CONFLICT (fiscal_year, stage) DO UPDATE SET due_on = EXCLUDED.due_on, note = EXCLUDED.note
