COPY elaas_staging (line, organisation_id, fiscal_year, item_code, name_th, budget, contract_amount,
                    contract_signed_on, disbursed, remaining, as_of)
FROM STDIN
