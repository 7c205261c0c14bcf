COPY elaas_items (id, organisation_id, fiscal_year, item_code, name_th) FROM STDIN
