-- What sxb-edu adds to the original tables; nothing is dropped or
-- rewritten. Statements that already took effect (a rerun after a
-- failure) are skipped by the migrator.

-- bcrypt hashes are 60 characters; the original kept 50.
ALTER TABLE t_account MODIFY pwd VARCHAR(255) NOT NULL;

-- The teacher's appid and the list order time (start time once started,
-- else create time), so room lists use an index.
ALTER TABLE t_course ADD COLUMN appid INT NOT NULL DEFAULT 0;
ALTER TABLE t_course ADD COLUMN order_time INT NOT NULL DEFAULT 0;
UPDATE t_course c JOIN t_account a ON a.uin = c.host_uin SET c.appid = a.appid WHERE c.appid = 0;
UPDATE t_course SET order_time = IF(start_time > 0, start_time, create_time) WHERE order_time = 0;
CREATE INDEX idx_course_list ON t_course (appid, order_time, room_id);
CREATE INDEX idx_course_state ON t_course (state);

-- Members are listed in order of first entry; the original had no such
-- column (rows already there keep their key order).
ALTER TABLE t_class_member ADD COLUMN entered_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX idx_member_room ON t_class_member (room_id, has_exited);

-- Recording URLs longer than the original's 128 characters.
ALTER TABLE t_video_record MODIFY video_url TEXT NOT NULL;
CREATE INDEX idx_record_room ON t_video_record (room_id);

CREATE INDEX idx_bind_room ON t_bind_file (room_id, uin, url(64));

CREATE TABLE IF NOT EXISTS t_setting (
  name  VARCHAR(64) NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
