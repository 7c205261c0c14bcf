SELECT code, name_th, first_fiscal_year, last_fiscal_year FROM plan_editions ORDER BY first_fiscal_year
