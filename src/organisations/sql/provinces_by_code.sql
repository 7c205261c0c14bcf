SELECT code, name_th, name_en FROM provinces WHERE code = ANY($1)
