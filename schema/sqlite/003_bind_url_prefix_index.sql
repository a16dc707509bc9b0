-- The binding index held whole URLs (up to the url limit each); a prefix
-- finds the row as well, and the full url is compared on it.
DROP INDEX idx_bind_room;
CREATE INDEX idx_bind_room ON t_bind_file (room_id, uin, substr(url, 1, 64));
