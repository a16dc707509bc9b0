-- The callbacks' outbox: LCIC events of an app, delivered in order per
-- room, retried with backoff for a day, claimed by one server at a time.
CREATE TABLE t_lcic_event (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id        INTEGER NOT NULL,
  room_id       INTEGER NOT NULL DEFAULT 0,
  event_type    TEXT    NOT NULL,
  event_data    TEXT    NOT NULL DEFAULT '{}',
  at            INTEGER NOT NULL,
  state         INTEGER NOT NULL DEFAULT 0,
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_at       INTEGER NOT NULL DEFAULT 0,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  last_status   INTEGER NOT NULL DEFAULT 0,
  last_response TEXT    NOT NULL DEFAULT '',
  delivered_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_lcic_event_due ON t_lcic_event (state, next_at);
CREATE INDEX idx_lcic_event_room ON t_lcic_event (room_id, state, id);
