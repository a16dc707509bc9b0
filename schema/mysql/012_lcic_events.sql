-- The callbacks' outbox: see the SQLite migration of the same name.
CREATE TABLE IF NOT EXISTS t_lcic_event (
  id            BIGINT NOT NULL AUTO_INCREMENT,
  app_id        BIGINT NOT NULL,
  room_id       BIGINT NOT NULL DEFAULT 0,
  event_type    VARCHAR(64) NOT NULL,
  event_data    TEXT NOT NULL,
  at            BIGINT NOT NULL,
  state         TINYINT NOT NULL DEFAULT 0,
  attempts      INT NOT NULL DEFAULT 0,
  next_at       BIGINT NOT NULL DEFAULT 0,
  claimed_until BIGINT NOT NULL DEFAULT 0,
  last_status   INT NOT NULL DEFAULT 0,
  last_response TEXT NOT NULL,
  delivered_at  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_lcic_event_due (state, next_at),
  KEY idx_lcic_event_room (room_id, state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
