-- Login matches the id exactly (COLLATE BINARY), which the NOCASE unique
-- index cannot serve: without this index every login of an unknown id
-- scanned the table.
CREATE INDEX idx_account_uid_exact ON t_account (uid COLLATE BINARY);
