-- AUI Kits live rooms. id is the IM group's id (the apps' room id); seq
-- orders the list newest first without the ties of one-second times.
CREATE TABLE t_live_room (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT    NOT NULL UNIQUE,
  created_ms   INTEGER NOT NULL DEFAULT 0,
  updated_ms   INTEGER NOT NULL DEFAULT 0,
  started_ms   INTEGER NOT NULL DEFAULT 0,
  stopped_ms   INTEGER NOT NULL DEFAULT 0,
  title        TEXT    NOT NULL DEFAULT '',
  notice       TEXT    NOT NULL DEFAULT '',
  cover_url    TEXT    NOT NULL DEFAULT '',
  anchor_id    TEXT    NOT NULL DEFAULT '',
  anchor_nick  TEXT    NOT NULL DEFAULT '',
  extends      TEXT    NOT NULL DEFAULT '',
  status       INTEGER NOT NULL DEFAULT 0,
  mode         INTEGER NOT NULL DEFAULT 0,
  chat_id      TEXT    NOT NULL DEFAULT '',
  meeting_id   TEXT    NOT NULL DEFAULT '',
  vod_id       TEXT    NOT NULL DEFAULT '',
  meeting_info TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX idx_live_room_status ON t_live_room (status, seq);
