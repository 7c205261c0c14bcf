-- The rows of the file, checked, with their organisation resolved; dropped
-- at the end of the import's transaction.
CREATE TEMP TABLE elaas_staging (
    line               bigint NOT NULL,
    organisation_id    bigint NOT NULL,
    fiscal_year        integer NOT NULL,
    item_code          text NOT NULL,
    name_th            text NOT NULL,
    budget             numeric(14, 2) NOT NULL,
    contract_amount    numeric(14, 2) NOT NULL,
    contract_signed_on date,
    disbursed          numeric(14, 2) NOT NULL,
    remaining          numeric(14, 2) NOT NULL,
    as_of              date NOT NULL
) ON COMMIT DROP
