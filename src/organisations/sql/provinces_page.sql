SELECT code, name_th, name_en FROM provinces WHERE code > $1 ORDER BY code LIMIT $2
