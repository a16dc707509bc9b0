-- GO课堂 (ZEGO) rooms: created by their first login, removed when a
-- teacher ends the class or some time after the last member left.
-- room_type is 1 (small class) or 2 (large class); room_name is the id
-- the users typed, so "abc" may exist once per type.
CREATE TABLE t_edu_room (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  room_type      INTEGER NOT NULL,
  room_name      TEXT    NOT NULL,
  teacher_uid    INTEGER NOT NULL DEFAULT 0,
  sharing_uid    INTEGER NOT NULL DEFAULT 0,
  default_camera INTEGER NOT NULL DEFAULT 0,
  default_mic    INTEGER NOT NULL DEFAULT 0,
  allow_camera   INTEGER NOT NULL DEFAULT 0,
  allow_mic      INTEGER NOT NULL DEFAULT 0,
  attendee_seq   INTEGER NOT NULL DEFAULT 0,
  join_live_seq  INTEGER NOT NULL DEFAULT 0,
  created_ms     INTEGER NOT NULL DEFAULT 0,
  destroy_ms     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (room_type, room_name)
);
CREATE INDEX idx_edu_room_destroy ON t_edu_room (destroy_ms);

CREATE TABLE t_edu_member (
  room         INTEGER NOT NULL,
  uid          INTEGER NOT NULL,
  nick_name    TEXT    NOT NULL DEFAULT '',
  role         INTEGER NOT NULL,
  camera       INTEGER NOT NULL DEFAULT 0,
  mic          INTEGER NOT NULL DEFAULT 0,
  can_share    INTEGER NOT NULL DEFAULT 0,
  login_ms     INTEGER NOT NULL DEFAULT 0,
  join_live_ms INTEGER NOT NULL DEFAULT 0,
  joined_live  INTEGER NOT NULL DEFAULT 0,
  heartbeat_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room, uid)
);
CREATE INDEX idx_edu_member_heartbeat ON t_edu_member (heartbeat_ms);
