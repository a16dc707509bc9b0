-- LCIC courseware: documents of an app (their transcoding state moved by
-- the operator's pipeline) and the rooms they are bound to.
CREATE TABLE t_lcic_document (
  document_id     TEXT    PRIMARY KEY,
  app_id          INTEGER NOT NULL,
  owner           TEXT    NOT NULL DEFAULT '',
  url             TEXT    NOT NULL,
  name            TEXT    NOT NULL DEFAULT '',
  transcode_type  INTEGER NOT NULL DEFAULT 0,
  document_type   TEXT    NOT NULL DEFAULT '',
  size            INTEGER NOT NULL DEFAULT 0,
  permission      INTEGER NOT NULL DEFAULT 0,
  transcode_state INTEGER NOT NULL DEFAULT 0,
  progress        INTEGER NOT NULL DEFAULT 0,
  result_url      TEXT    NOT NULL DEFAULT '',
  pages           INTEGER NOT NULL DEFAULT 0,
  info            TEXT    NOT NULL DEFAULT '',
  extra           TEXT    NOT NULL DEFAULT '{}',
  created         INTEGER NOT NULL DEFAULT 0,
  updated         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_lcic_document_owner ON t_lcic_document (app_id, owner);
CREATE TABLE t_lcic_room_document (
  room_id     INTEGER NOT NULL,
  document_id TEXT    NOT NULL,
  bind_type   INTEGER NOT NULL DEFAULT 0,
  bound       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, document_id)
);
