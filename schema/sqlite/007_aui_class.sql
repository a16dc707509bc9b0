-- AUI Kits classroom: classes (id is the IM group's), members (one row
-- a user; seq orders joins within a second), kicks with their expiry,
-- courseware and the assistant's permit.
CREATE TABLE t_aui_class (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT    NOT NULL UNIQUE,
  created_ms   INTEGER NOT NULL DEFAULT 0,
  updated_ms   INTEGER NOT NULL DEFAULT 0,
  started_ms   INTEGER NOT NULL DEFAULT 0,
  stopped_ms   INTEGER NOT NULL DEFAULT 0,
  title        TEXT    NOT NULL DEFAULT '',
  notice       TEXT    NOT NULL DEFAULT '',
  cover_url    TEXT    NOT NULL DEFAULT '',
  teacher_id   TEXT    NOT NULL DEFAULT '',
  teacher_nick TEXT    NOT NULL DEFAULT '',
  extends      TEXT    NOT NULL DEFAULT '',
  status       INTEGER NOT NULL DEFAULT 0,
  mode         INTEGER NOT NULL DEFAULT 0,
  aliyun_id    TEXT    NOT NULL DEFAULT '',
  im           TEXT    NOT NULL DEFAULT '',
  meeting_id   TEXT    NOT NULL DEFAULT '',
  meeting_info TEXT    NOT NULL DEFAULT '',
  boards       TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE t_aui_class_member (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  class_id    TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  user_name   TEXT    NOT NULL DEFAULT '',
  user_avatar TEXT    NOT NULL DEFAULT '',
  identity    INTEGER NOT NULL DEFAULT 1,
  status      INTEGER NOT NULL DEFAULT 1,
  created_ms  INTEGER NOT NULL DEFAULT 0,
  updated_ms  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (class_id, user_id)
);
CREATE TABLE t_aui_class_kick (
  class_id   TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  expires_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (class_id, user_id)
);
CREATE TABLE t_aui_class_doc (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  class_id    TEXT    NOT NULL,
  doc_id      TEXT    NOT NULL,
  server_type TEXT    NOT NULL DEFAULT '',
  doc_infos   TEXT    NOT NULL DEFAULT '',
  created_ms  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (class_id, doc_id)
);
CREATE TABLE t_aui_class_permit (
  class_id   TEXT    PRIMARY KEY,
  permit     TEXT    NOT NULL,
  created_ms INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL DEFAULT 0
);
