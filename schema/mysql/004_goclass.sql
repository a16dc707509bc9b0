-- GO课堂 (ZEGO) rooms: see the SQLite migration of the same number.
-- Room names compare byte for byte, as the reference's Redis keys do.
CREATE TABLE IF NOT EXISTS t_edu_room (
  id             BIGINT NOT NULL AUTO_INCREMENT,
  room_type      TINYINT NOT NULL,
  room_name      VARCHAR(128) NOT NULL,
  teacher_uid    BIGINT NOT NULL DEFAULT 0,
  sharing_uid    BIGINT NOT NULL DEFAULT 0,
  default_camera TINYINT NOT NULL DEFAULT 0,
  default_mic    TINYINT NOT NULL DEFAULT 0,
  allow_camera   TINYINT NOT NULL DEFAULT 0,
  allow_mic      TINYINT NOT NULL DEFAULT 0,
  attendee_seq   BIGINT NOT NULL DEFAULT 0,
  join_live_seq  BIGINT NOT NULL DEFAULT 0,
  created_ms     BIGINT NOT NULL DEFAULT 0,
  destroy_ms     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_edu_room (room_type, room_name),
  KEY idx_edu_room_destroy (destroy_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_edu_member (
  room         BIGINT NOT NULL,
  uid          BIGINT NOT NULL,
  nick_name    TEXT NOT NULL,
  role         TINYINT NOT NULL,
  camera       TINYINT NOT NULL DEFAULT 0,
  mic          TINYINT NOT NULL DEFAULT 0,
  can_share    TINYINT NOT NULL DEFAULT 0,
  login_ms     BIGINT NOT NULL DEFAULT 0,
  join_live_ms BIGINT NOT NULL DEFAULT 0,
  joined_live  TINYINT NOT NULL DEFAULT 0,
  heartbeat_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room, uid),
  KEY idx_edu_member_heartbeat (heartbeat_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
