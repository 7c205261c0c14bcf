-- $1 provinces, codes 10, 11, …
INSERT INTO provinces (code, name_th, name_en)
SELECT (9 + g)::text, 'จังหวัดจำลองที่ ' || g, 'Synthetic province ' || g
FROM generate_series(1, $1::int) g
