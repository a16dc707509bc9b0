-- AUI Kits classroom: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_aui_class (
  seq          BIGINT NOT NULL AUTO_INCREMENT,
  id           VARCHAR(128) NOT NULL,
  created_ms   BIGINT NOT NULL DEFAULT 0,
  updated_ms   BIGINT NOT NULL DEFAULT 0,
  started_ms   BIGINT NOT NULL DEFAULT 0,
  stopped_ms   BIGINT NOT NULL DEFAULT 0,
  title        TEXT NOT NULL,
  notice       TEXT NOT NULL,
  cover_url    TEXT NOT NULL,
  teacher_id   VARCHAR(255) NOT NULL DEFAULT '',
  teacher_nick TEXT NOT NULL,
  extends      MEDIUMTEXT NOT NULL,
  status       TINYINT NOT NULL DEFAULT 0,
  mode         BIGINT NOT NULL DEFAULT 0,
  aliyun_id    VARCHAR(128) NOT NULL DEFAULT '',
  im           VARCHAR(16) NOT NULL DEFAULT '',
  meeting_id   VARCHAR(64) NOT NULL DEFAULT '',
  meeting_info MEDIUMTEXT NOT NULL,
  boards       TEXT NOT NULL,
  PRIMARY KEY (seq),
  UNIQUE KEY uk_aui_class (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_aui_class_member (
  seq         BIGINT NOT NULL AUTO_INCREMENT,
  class_id    VARCHAR(128) NOT NULL,
  user_id     VARCHAR(255) NOT NULL,
  user_name   VARCHAR(255) NOT NULL DEFAULT '',
  user_avatar TEXT NOT NULL,
  identity    TINYINT NOT NULL DEFAULT 1,
  status      TINYINT NOT NULL DEFAULT 1,
  created_ms  BIGINT NOT NULL DEFAULT 0,
  updated_ms  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (seq),
  UNIQUE KEY uk_aui_class_member (class_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_aui_class_kick (
  class_id   VARCHAR(128) NOT NULL,
  user_id    VARCHAR(255) NOT NULL,
  expires_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (class_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_aui_class_doc (
  seq         BIGINT NOT NULL AUTO_INCREMENT,
  class_id    VARCHAR(128) NOT NULL,
  doc_id      VARCHAR(255) NOT NULL,
  server_type VARCHAR(64) NOT NULL DEFAULT '',
  doc_infos   MEDIUMTEXT NOT NULL,
  created_ms  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (seq),
  UNIQUE KEY uk_aui_class_doc (class_id, doc_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_aui_class_permit (
  class_id   VARCHAR(128) NOT NULL,
  permit     TEXT NOT NULL,
  created_ms BIGINT NOT NULL DEFAULT 0,
  updated_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (class_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
