-- The operator's console: see the SQLite migration of the same number.
CREATE TABLE IF NOT EXISTS t_admin (
  id      BIGINT NOT NULL AUTO_INCREMENT,
  name    VARCHAR(64) NOT NULL,
  pwd     VARCHAR(255) NOT NULL,
  created BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_admin_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS t_admin_session (
  token_hash CHAR(64) NOT NULL,
  admin_id   BIGINT NOT NULL,
  csrf       VARCHAR(64) NOT NULL,
  created    BIGINT NOT NULL DEFAULT 0,
  expires    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS t_audit (
  id     BIGINT NOT NULL AUTO_INCREMENT,
  at     BIGINT NOT NULL,
  admin  VARCHAR(64) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target VARCHAR(255) NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS t_removed_member (
  room_id BIGINT NOT NULL,
  uin     BIGINT NOT NULL,
  at      BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, uin)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
