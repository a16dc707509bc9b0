-- Every request of a logged-in user finds its account by token; the
-- original had no index on it, so each lookup read the whole table.
CREATE INDEX idx_account_token ON t_account (token);
