-- AUI Kits live rooms: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_live_room (
  seq          BIGINT NOT NULL AUTO_INCREMENT,
  id           VARCHAR(128) NOT NULL,
  created_ms   BIGINT NOT NULL DEFAULT 0,
  updated_ms   BIGINT NOT NULL DEFAULT 0,
  started_ms   BIGINT NOT NULL DEFAULT 0,
  stopped_ms   BIGINT NOT NULL DEFAULT 0,
  title        TEXT NOT NULL,
  notice       TEXT NOT NULL,
  cover_url    TEXT NOT NULL,
  anchor_id    VARCHAR(128) NOT NULL DEFAULT '',
  anchor_nick  TEXT NOT NULL,
  extends      MEDIUMTEXT NOT NULL,
  status       TINYINT NOT NULL DEFAULT 0,
  mode         TINYINT NOT NULL DEFAULT 0,
  chat_id      VARCHAR(128) NOT NULL DEFAULT '',
  meeting_id   VARCHAR(128) NOT NULL DEFAULT '',
  vod_id       VARCHAR(128) NOT NULL DEFAULT '',
  meeting_info MEDIUMTEXT NOT NULL,
  PRIMARY KEY (seq),
  UNIQUE KEY uk_live_room (id),
  KEY idx_live_room_status (status, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
