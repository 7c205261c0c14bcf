SELECT component, weight::float8 AS weight FROM score_weights ORDER BY component
