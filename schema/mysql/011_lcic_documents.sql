-- LCIC courseware: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_lcic_document (
  document_id     VARCHAR(64) NOT NULL,
  app_id          BIGINT NOT NULL,
  owner           VARCHAR(64) NOT NULL DEFAULT '',
  url             TEXT NOT NULL,
  name            VARCHAR(255) NOT NULL DEFAULT '',
  transcode_type  TINYINT NOT NULL DEFAULT 0,
  document_type   VARCHAR(16) NOT NULL DEFAULT '',
  size            BIGINT NOT NULL DEFAULT 0,
  permission      TINYINT NOT NULL DEFAULT 0,
  transcode_state TINYINT NOT NULL DEFAULT 0,
  progress        INT NOT NULL DEFAULT 0,
  result_url      TEXT NOT NULL,
  pages           INT NOT NULL DEFAULT 0,
  info            TEXT NOT NULL,
  extra           TEXT NOT NULL,
  created         BIGINT NOT NULL DEFAULT 0,
  updated         BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (document_id),
  KEY idx_lcic_document_owner (app_id, owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_room_document (
  room_id     BIGINT NOT NULL,
  document_id VARCHAR(64) NOT NULL,
  bind_type   INT NOT NULL DEFAULT 0,
  bound       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, document_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
