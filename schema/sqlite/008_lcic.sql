-- The LCIC API: its keys (the secret encrypted with a key kept outside the
-- database), the school's users mapped to accounts, scheduled rooms (a
-- room is a class of t_course), groups and each app's callback.
CREATE TABLE t_api_key (
  secret_id  TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  app_id     INTEGER NOT NULL,
  secret_enc TEXT    NOT NULL,
  created    INTEGER NOT NULL DEFAULT 0,
  revoked    INTEGER NOT NULL DEFAULT 0,
  last_used  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE t_lcic_user (
  user_id   TEXT    PRIMARY KEY,
  app_id    INTEGER NOT NULL,
  origin_id TEXT    NOT NULL,
  name      TEXT    NOT NULL DEFAULT '',
  avatar    TEXT    NOT NULL DEFAULT '',
  uin       INTEGER NOT NULL,
  created   INTEGER NOT NULL DEFAULT 0,
  deleted   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (app_id, origin_id)
);
CREATE TABLE t_lcic_room (
  room_id    INTEGER PRIMARY KEY,
  app_id     INTEGER NOT NULL,
  name       TEXT    NOT NULL DEFAULT '',
  start_time INTEGER NOT NULL,
  end_time   INTEGER NOT NULL,
  teacher_id TEXT    NOT NULL,
  assistants TEXT    NOT NULL DEFAULT '[]',
  group_id   TEXT    NOT NULL DEFAULT '',
  extra      TEXT    NOT NULL DEFAULT '{}',
  expired    INTEGER NOT NULL DEFAULT 0,
  created    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_lcic_room_time ON t_lcic_room (app_id, start_time);
CREATE TABLE t_lcic_group (
  group_id   TEXT    PRIMARY KEY,
  app_id     INTEGER NOT NULL,
  name       TEXT    NOT NULL DEFAULT '',
  teacher_id TEXT    NOT NULL DEFAULT '',
  created    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE t_lcic_group_member (
  group_id TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  added    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX idx_lcic_group_member_user ON t_lcic_group_member (user_id);
CREATE TABLE t_lcic_app (
  app_id       INTEGER PRIMARY KEY,
  callback     TEXT    NOT NULL DEFAULT '',
  callback_key TEXT    NOT NULL DEFAULT ''
);
