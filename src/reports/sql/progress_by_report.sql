SELECT report_id, fiscal_quarter, percent, narrative, recorded_on, version
FROM report_progress WHERE report_id = ANY($1) ORDER BY fiscal_quarter
