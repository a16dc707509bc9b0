-- The servers sharing this database (MySQL only: SQLite has one server).
-- Each holds a lease it renews every second; a writer that cannot reach a
-- server to invalidate its caches fences it (fenced = 1) and waits out
-- its lease before it answers (store/peer.go).
CREATE TABLE IF NOT EXISTS t_server (
  id          CHAR(32) NOT NULL,
  addr        VARCHAR(255) NOT NULL,
  lease_until BIGINT NOT NULL,
  fenced      TINYINT NOT NULL DEFAULT 0,
  started     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
