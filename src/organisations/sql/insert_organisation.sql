INSERT INTO organisations (code, name_th, kind, province_code, district, recording_method_set)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
