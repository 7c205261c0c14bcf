SELECT code, id FROM organisations WHERE code = ANY($1)
