-- A class's playback: whether the reconciler asked VOD for its
-- recordings (once), and how often its share link was viewed and its
-- files downloaded.
CREATE TABLE t_playback (
  room_id    INTEGER PRIMARY KEY,
  checked_at INTEGER NOT NULL DEFAULT 0,
  found      INTEGER NOT NULL DEFAULT 0,
  views      INTEGER NOT NULL DEFAULT 0,
  downloads  INTEGER NOT NULL DEFAULT 0
);
