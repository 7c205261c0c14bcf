-- A file of new items with one as-of date: each row is a new item, so it
-- takes its item's id from the items' own sequence as it is copied in, and
-- the merge needs no join to find it.
SELECT format('ALTER TABLE elaas_staging ADD COLUMN item_id bigint NOT NULL DEFAULT nextval(%L::regclass)',
              pg_get_serial_sequence('elaas_items', 'id'))
