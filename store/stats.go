package store

import "context"

// Stats are the gauges of /metrics, read when it is scraped.
type Stats struct {
	RoomsLiving    int64 // rooms in state 1
	MembersPresent int64 // member rows not exited in living rooms
}

// Stats counts living rooms and the members present in them.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM t_course WHERE state = 1),
		(SELECT COUNT(*) FROM t_class_member m JOIN t_course c ON c.room_id = m.room_id
		 WHERE m.has_exited = 0 AND c.state = 1)`).Scan(&st.RoomsLiving, &st.MembersPresent)
	return st, err
}
