-- The original PHP server's MySQL schema (sxb_edu_db), as its deployments
-- have it: column types, defaults and keys of each table, written out for
-- the takeover tests. The database default character set is utf8, the
-- tables' utf8mb4.
CREATE TABLE t_account (
  uin int(11) NOT NULL AUTO_INCREMENT,
  uid varchar(50) NOT NULL,
  appid int(11) NOT NULL DEFAULT 0,
  role tinyint(1) NOT NULL DEFAULT 0,
  pwd varchar(50) NOT NULL,
  token varchar(50) DEFAULT NULL,
  user_sig varchar(512) DEFAULT NULL,
  register_time int(11) NOT NULL DEFAULT 0,
  login_time int(11) NOT NULL DEFAULT 0,
  logout_time int(11) NOT NULL DEFAULT 0,
  last_request_time int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (uin),
  UNIQUE KEY idx_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;
CREATE TABLE t_course (
  room_id int(11) NOT NULL AUTO_INCREMENT,
  create_time int(11) NOT NULL DEFAULT 0,
  start_time int(11) NOT NULL DEFAULT 0,
  start_imseq int(11) NOT NULL DEFAULT 0,
  end_time int(11) NOT NULL DEFAULT 0,
  end_imseq int(11) NOT NULL DEFAULT 0,
  last_rec_imseq int(11) NOT NULL DEFAULT 0,
  last_update_time int(11) NOT NULL DEFAULT 0,
  can_trigger_replay_idx_time int(11) NOT NULL DEFAULT 0,
  trigger_replay_idx_time int(11) NOT NULL DEFAULT 0,
  trigger_replay_idx_result int(11) NOT NULL DEFAULT 0,
  title varchar(128) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
  cover varchar(128) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
  host_uin int(11) NOT NULL DEFAULT 0,
  state int(11) NOT NULL DEFAULT 0,
  im_group_id varchar(128) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
  replay_idx_created_time int(11) NOT NULL DEFAULT 0,
  replay_idx_created_result int(11) NOT NULL DEFAULT 0,
  replay_idx_url text COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
  PRIMARY KEY (room_id),
  KEY idx_host_uin (host_uin)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=10001;
CREATE TABLE t_class_member (
  uin int(11) NOT NULL DEFAULT 0,
  room_id int(11) NOT NULL DEFAULT 0,
  has_exited int(11) NOT NULL DEFAULT 0,
  last_heartbeat_time int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (uin, room_id)
);
CREATE TABLE t_video_record (
  id int(11) NOT NULL AUTO_INCREMENT,
  uin int(11) NOT NULL DEFAULT 0,
  room_id int(11) NOT NULL DEFAULT 0,
  video_id varchar(50) NOT NULL DEFAULT '',
  video_url varchar(128) NOT NULL DEFAULT '',
  start_time int(11) NOT NULL DEFAULT 0,
  end_time int(11) NOT NULL DEFAULT 0,
  media_start_time int(11) NOT NULL DEFAULT 0,
  file_size int(11) NOT NULL DEFAULT 0,
  duration int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) AUTO_INCREMENT=10001;
CREATE TABLE t_bind_file (
  id int(11) NOT NULL AUTO_INCREMENT,
  uin int(11) NOT NULL DEFAULT 0,
  room_id int(11) NOT NULL DEFAULT 0,
  bind_time int(11) NOT NULL DEFAULT 0,
  type int(11) NOT NULL DEFAULT 0,
  file_name varchar(256) NOT NULL DEFAULT 0,
  url text NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY idx_uin (uin),
  KEY idx_roomid (room_id)
) AUTO_INCREMENT=10001;
