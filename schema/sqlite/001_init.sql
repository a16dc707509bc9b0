-- Tables and columns keep the reference server's names (PROTOCOL §10).
-- AUTOINCREMENT keeps numbers from being reused after a delete.

CREATE TABLE t_account (
  uin               INTEGER PRIMARY KEY AUTOINCREMENT,
  uid               TEXT    NOT NULL COLLATE NOCASE UNIQUE,
  appid             INTEGER NOT NULL DEFAULT 0,
  role              INTEGER NOT NULL DEFAULT 0,
  pwd               TEXT    NOT NULL,
  token             TEXT    UNIQUE,
  user_sig          TEXT,
  register_time     INTEGER NOT NULL DEFAULT 0,
  login_time        INTEGER NOT NULL DEFAULT 0,
  logout_time       INTEGER NOT NULL DEFAULT 0,
  last_request_time INTEGER NOT NULL DEFAULT 0
);
-- Numbers start at 10001 like the reference.
INSERT INTO sqlite_sequence (name, seq) VALUES ('t_account', 10000);

CREATE TABLE t_course (
  room_id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  create_time                 INTEGER NOT NULL DEFAULT 0,
  start_time                  INTEGER NOT NULL DEFAULT 0,
  start_imseq                 INTEGER NOT NULL DEFAULT 0,
  end_time                    INTEGER NOT NULL DEFAULT 0,
  end_imseq                   INTEGER NOT NULL DEFAULT 0,
  last_rec_imseq              INTEGER NOT NULL DEFAULT 0,
  last_update_time            INTEGER NOT NULL DEFAULT 0,
  can_trigger_replay_idx_time INTEGER NOT NULL DEFAULT 0,
  trigger_replay_idx_time     INTEGER NOT NULL DEFAULT 0,
  trigger_replay_idx_result   INTEGER NOT NULL DEFAULT 0,
  title                       TEXT    NOT NULL DEFAULT '',
  cover                       TEXT    NOT NULL DEFAULT '',
  host_uin                    INTEGER NOT NULL DEFAULT 0,
  state                       INTEGER NOT NULL DEFAULT 0,
  im_group_id                 TEXT    NOT NULL DEFAULT '',
  replay_idx_created_time     INTEGER NOT NULL DEFAULT 0,
  replay_idx_created_result   INTEGER NOT NULL DEFAULT 0,
  replay_idx_url              TEXT    NOT NULL DEFAULT '',
  -- Not in the reference: the teacher's appid and the list order time
  -- (start time if started, else create time), so room lists use an index.
  appid                       INTEGER NOT NULL DEFAULT 0,
  order_time                  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('t_course', 10000);
CREATE INDEX idx_course_host ON t_course (host_uin);
CREATE INDEX idx_course_list ON t_course (appid, order_time DESC, room_id DESC);
CREATE INDEX idx_course_state ON t_course (state);

CREATE TABLE t_class_member (
  uin                 INTEGER NOT NULL DEFAULT 0,
  room_id             INTEGER NOT NULL DEFAULT 0,
  has_exited          INTEGER NOT NULL DEFAULT 0,
  last_heartbeat_time INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (uin, room_id)
);
CREATE INDEX idx_member_room ON t_class_member (room_id, has_exited);

CREATE TABLE t_video_record (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  uin              INTEGER NOT NULL DEFAULT 0,
  room_id          INTEGER NOT NULL DEFAULT 0,
  video_id         TEXT    NOT NULL DEFAULT '',
  video_url        TEXT    NOT NULL DEFAULT '',
  start_time       INTEGER NOT NULL DEFAULT 0,
  end_time         INTEGER NOT NULL DEFAULT 0,
  media_start_time INTEGER NOT NULL DEFAULT 0,
  file_size        INTEGER NOT NULL DEFAULT 0,
  duration         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('t_video_record', 10000);
CREATE INDEX idx_record_room ON t_video_record (room_id);

CREATE TABLE t_bind_file (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  uin       INTEGER NOT NULL DEFAULT 0,
  room_id   INTEGER NOT NULL DEFAULT 0,
  bind_time INTEGER NOT NULL DEFAULT 0,
  type      INTEGER NOT NULL DEFAULT 0,
  file_name TEXT    NOT NULL DEFAULT '',
  url       TEXT    NOT NULL DEFAULT ''
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('t_bind_file', 10000);
CREATE INDEX idx_bind_uin ON t_bind_file (uin);
CREATE INDEX idx_bind_room ON t_bind_file (room_id, uin, url);

-- Server settings kept in the database (the demo app's generated key).
CREATE TABLE t_setting (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
