-- Order numbers as customers type them: "ab12345" for a stored "AB-12345", "A-100234"
-- for a stored "a-100234". The assistant looks a typed number up by its folded form
-- (upper case, no hyphens); this index serves that lookup.
CREATE INDEX orders_number_folded ON orders (UPPER(REPLACE(number, '-', '')));
