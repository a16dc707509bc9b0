-- A class's playback: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_playback (
  room_id    BIGINT NOT NULL,
  checked_at BIGINT NOT NULL DEFAULT 0,
  found      INT NOT NULL DEFAULT 0,
  views      BIGINT NOT NULL DEFAULT 0,
  downloads  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
