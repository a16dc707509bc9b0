-- The LCIC API: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_api_key (
  secret_id  VARCHAR(64) NOT NULL,
  name       VARCHAR(255) NOT NULL,
  app_id     BIGINT NOT NULL,
  secret_enc TEXT NOT NULL,
  created    BIGINT NOT NULL DEFAULT 0,
  revoked    BIGINT NOT NULL DEFAULT 0,
  last_used  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (secret_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_user (
  user_id   VARCHAR(64) NOT NULL,
  app_id    BIGINT NOT NULL,
  origin_id VARCHAR(255) NOT NULL,
  name      VARCHAR(255) NOT NULL DEFAULT '',
  avatar    TEXT NOT NULL,
  uin       BIGINT NOT NULL,
  created   BIGINT NOT NULL DEFAULT 0,
  deleted   BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id),
  UNIQUE KEY uk_lcic_user_origin (app_id, origin_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_room (
  room_id    BIGINT NOT NULL,
  app_id     BIGINT NOT NULL,
  name       VARCHAR(255) NOT NULL DEFAULT '',
  start_time BIGINT NOT NULL,
  end_time   BIGINT NOT NULL,
  teacher_id VARCHAR(64) NOT NULL,
  assistants TEXT NOT NULL,
  group_id   VARCHAR(64) NOT NULL DEFAULT '',
  extra      TEXT NOT NULL,
  expired    TINYINT NOT NULL DEFAULT 0,
  created    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id),
  KEY idx_lcic_room_time (app_id, start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_group (
  group_id   VARCHAR(64) NOT NULL,
  app_id     BIGINT NOT NULL,
  name       VARCHAR(255) NOT NULL DEFAULT '',
  teacher_id VARCHAR(64) NOT NULL DEFAULT '',
  created    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_group_member (
  group_id VARCHAR(64) NOT NULL,
  user_id  VARCHAR(64) NOT NULL,
  added    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id, user_id),
  KEY idx_lcic_group_member_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS t_lcic_app (
  app_id       BIGINT NOT NULL,
  callback     TEXT NOT NULL,
  callback_key VARCHAR(255) NOT NULL DEFAULT '',
  PRIMARY KEY (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
