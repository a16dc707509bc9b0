-- The operator's console: its accounts (separate from app users), their
-- sessions (token and CSRF secret stored as hashes/values, expiring), the
-- audit list of every console action, and the members an operator removed
-- from a class (they cannot enter it again).
CREATE TABLE t_admin (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name    TEXT    NOT NULL UNIQUE,
  pwd     TEXT    NOT NULL,
  created INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE t_admin_session (
  token_hash TEXT    PRIMARY KEY,
  admin_id   INTEGER NOT NULL,
  csrf       TEXT    NOT NULL,
  created    INTEGER NOT NULL DEFAULT 0,
  expires    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE t_audit (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at     INTEGER NOT NULL,
  admin  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  target TEXT    NOT NULL,
  detail TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE t_removed_member (
  room_id INTEGER NOT NULL,
  uin     INTEGER NOT NULL,
  at      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, uin)
);
