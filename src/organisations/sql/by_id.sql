SELECT id, code, name_th, kind, province_code, district, recording_method_set
FROM organisations WHERE id = ANY($1)
