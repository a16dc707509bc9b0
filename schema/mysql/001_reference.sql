-- The tables of the original PHP server's database (sxb_edu_db), for an
-- empty database. A database that already holds them is checked against
-- these columns instead and kept as it is.
CREATE TABLE IF NOT EXISTS t_account (
  uin               INT NOT NULL AUTO_INCREMENT,
  uid               VARCHAR(50) NOT NULL,
  appid             INT NOT NULL DEFAULT 0,
  role              TINYINT(1) NOT NULL DEFAULT 0,
  pwd               VARCHAR(50) NOT NULL,
  token             VARCHAR(50) DEFAULT NULL,
  user_sig          VARCHAR(512) DEFAULT NULL,
  register_time     INT NOT NULL DEFAULT 0,
  login_time        INT NOT NULL DEFAULT 0,
  logout_time       INT NOT NULL DEFAULT 0,
  last_request_time INT NOT NULL DEFAULT 0,
  PRIMARY KEY (uin),
  UNIQUE KEY idx_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;

CREATE TABLE IF NOT EXISTS t_course (
  room_id                     INT NOT NULL AUTO_INCREMENT,
  create_time                 INT NOT NULL DEFAULT 0,
  start_time                  INT NOT NULL DEFAULT 0,
  start_imseq                 INT NOT NULL DEFAULT 0,
  end_time                    INT NOT NULL DEFAULT 0,
  end_imseq                   INT NOT NULL DEFAULT 0,
  last_rec_imseq              INT NOT NULL DEFAULT 0,
  last_update_time            INT NOT NULL DEFAULT 0,
  can_trigger_replay_idx_time INT NOT NULL DEFAULT 0,
  trigger_replay_idx_time     INT NOT NULL DEFAULT 0,
  trigger_replay_idx_result   INT NOT NULL DEFAULT 0,
  title                       VARCHAR(128) NOT NULL DEFAULT '',
  cover                       VARCHAR(128) NOT NULL DEFAULT '',
  host_uin                    INT NOT NULL DEFAULT 0,
  state                       INT NOT NULL DEFAULT 0,
  im_group_id                 VARCHAR(128) NOT NULL DEFAULT '',
  replay_idx_created_time     INT NOT NULL DEFAULT 0,
  replay_idx_created_result   INT NOT NULL DEFAULT 0,
  replay_idx_url              TEXT NOT NULL,
  PRIMARY KEY (room_id),
  KEY idx_host_uin (host_uin)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;

CREATE TABLE IF NOT EXISTS t_class_member (
  uin                 INT NOT NULL DEFAULT 0,
  room_id             INT NOT NULL DEFAULT 0,
  has_exited          INT NOT NULL DEFAULT 0,
  last_heartbeat_time INT NOT NULL DEFAULT 0,
  PRIMARY KEY (uin, room_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS t_video_record (
  id               INT NOT NULL AUTO_INCREMENT,
  uin              INT NOT NULL DEFAULT 0,
  room_id          INT NOT NULL DEFAULT 0,
  video_id         VARCHAR(50) NOT NULL DEFAULT '',
  video_url        VARCHAR(128) NOT NULL DEFAULT '',
  start_time       INT NOT NULL DEFAULT 0,
  end_time         INT NOT NULL DEFAULT 0,
  media_start_time INT NOT NULL DEFAULT 0,
  file_size        INT NOT NULL DEFAULT 0,
  duration         INT NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;

CREATE TABLE IF NOT EXISTS t_bind_file (
  id        INT NOT NULL AUTO_INCREMENT,
  uin       INT NOT NULL DEFAULT 0,
  room_id   INT NOT NULL DEFAULT 0,
  bind_time INT NOT NULL DEFAULT 0,
  type      INT NOT NULL DEFAULT 0,
  file_name VARCHAR(256) NOT NULL DEFAULT '0',
  url       TEXT NOT NULL,
  PRIMARY KEY (id),
  KEY idx_uin (uin),
  KEY idx_roomid (room_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;
