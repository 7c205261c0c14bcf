INSERT INTO report_progress (report_id, fiscal_quarter, percent, narrative, recorded_on)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (report_id, fiscal_quarter) DO UPDATE
SET percent = EXCLUDED.percent, narrative = EXCLUDED.narrative, recorded_on = EXCLUDED.recorded_on,
    version = report_progress.version + 1
