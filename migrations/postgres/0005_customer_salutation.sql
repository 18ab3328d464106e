-- How a customer is addressed in replies ("Frau Olbrich", "Mr Hartley"): `ms` or `mr`,
-- from the optional `salutation` of the ingestion format. NULL: by the full name.
ALTER TABLE customers ADD COLUMN salutation TEXT;
