INSERT INTO provinces (code, name_th, name_en) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name_th = EXCLUDED.name_th, name_en = EXCLUDED.name_en
