package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Member is a present member of a room.
type Member struct {
	Uin  int64
	UID  string
	Role int
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// enter makes uin a present member of room with a heartbeat at now, if
// the room is living (ErrConflict if not: the check is in the statement,
// so a class ended meanwhile, by any server, takes nobody in). A member
// keeps the place of its first entry (the list order).
func (s *Store) enter(ctx context.Context, db execer, room, uin, now int64) (seq int64, err error) {
	args := []any{uin, now}
	if s.d.enterSeq {
		seq = entrySeq()
		args = append(args, seq)
	}
	res, err := db.ExecContext(ctx, s.d.enter, append(args, room)...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, cmp.Or(err, ErrConflict)
	}
	return seq, nil
}

// Enter makes m a present member of room, if it is living.
func (s *Store) Enter(ctx context.Context, room int64, m Member, now int64) error {
	if !s.d.shared && auditOf(ctx) == nil {
		return s.enterTogether(ctx, room, m, now)
	}
	seq, err := s.enter(ctx, s.w, room, m.Uin, now)
	if err != nil {
		return err
	}
	s.entered(room, m, seq)
	return s.publish(ctx, Change{Entered: []Entered{{Room: room, Member: m, Seq: seq}}})
}

// Leave marks uin as having left room; false when uin never entered it.
func (s *Store) Leave(ctx context.Context, room, uin int64) (bool, error) {
	if !s.d.shared && auditOf(ctx) == nil {
		return s.leaveTogether(ctx, room, uin)
	}
	res, err := s.execUnlisted(ctx, leaveMember, uin, room)
	if err != nil {
		return false, err
	}
	s.left(room, uin)
	if err := s.publish(ctx, Change{Left: []Left{{Room: room, Uin: uin}}}); err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const leaveMember = "UPDATE t_class_member SET has_exited = 1 WHERE uin = ? AND room_id = ?"

// leave marks uin as having left room in tx, and reports whether it had
// entered.
func leave(ctx context.Context, tx *sql.Tx, room, uin int64) (bool, error) {
	res, err := tx.ExecContext(ctx, leaveMember, uin, room)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// PresentCount counts the members present in room (from memory; see
// memberCache).
func (s *Store) PresentCount(ctx context.Context, room int64) (int64, error) {
	n, _, err := s.roomMembers(ctx, room)
	return n, err
}

// Members lists the present members of room in entry order.
func (s *Store) Members(ctx context.Context, room, offset, limit int64) (int64, []Member, error) {
	total, rows, err := s.roomMembers(ctx, room)
	if err != nil {
		return 0, nil, err
	}
	out := []Member{}
	var i int64
	for _, r := range rows {
		if !r.present || r.uid == "" { // an account deleted since: not listed
			continue
		}
		if i >= offset && int64(len(out)) < limit {
			out = append(out, Member{Uin: r.uin, UID: r.uid, Role: r.role})
		}
		i++
	}
	return total, out, nil
}

// MemberHistory lists every account that was ever a member of room, the
// teacher first, then in entry order.
func (s *Store) MemberHistory(ctx context.Context, room, hostUin int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT a.uid FROM t_class_member m JOIN t_account a ON a.uin = m.uin
		 WHERE m.room_id = ? ORDER BY (m.uin = ?) DESC, `+s.d.memberOrder, room, hostUin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		out = append(out, uid)
	}
	return out, rows.Err()
}

// Reap ends living rooms whose teacher's heartbeat is older than
// roomBefore, marks students silent since memberBefore as exited, and
// deletes member rows older than purgeBefore. It returns the rooms ended
// and the members marked exited.
func (s *Store) Reap(ctx context.Context, now, roomBefore, memberBefore, purgeBefore, idxDelay int64) (rooms []int64, members int64, err error) {
	if err := s.Flush(ctx); err != nil {
		return nil, 0, fmt.Errorf("reap: flush: %w", err)
	}
	var purged int64
	err = s.txScan(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx,
			"SELECT room_id FROM t_course WHERE state = 1 AND last_update_time < ?", roomBefore)
		if err != nil {
			return fmt.Errorf("reap: find silent rooms: %w", err)
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return fmt.Errorf("reap: find silent rooms: %w", err)
		}
		rooms = rooms[:0]
		for _, id := range ids {
			err := endRoom(ctx, tx, id, 0, now, idxDelay)
			if errors.Is(err, ErrConflict) {
				continue // another server ended it meanwhile
			}
			if err != nil {
				return fmt.Errorf("reap: end room %d: %w", id, err)
			}
			rooms = append(rooms, id)
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE t_class_member SET has_exited = 1 WHERE has_exited = 0 AND last_heartbeat_time < ?
			 AND uin != (SELECT host_uin FROM t_course c WHERE c.room_id = t_class_member.room_id)`, memberBefore)
		if err != nil {
			return fmt.Errorf("reap: exit silent members: %w", err)
		}
		members, _ = res.RowsAffected()
		// The purge finds its rows with a plain read and deletes them by
		// key: a scanning DELETE would wait for every row another
		// transaction holds, old or not.
		rows, err = tx.QueryContext(ctx, "SELECT uin, room_id FROM t_class_member WHERE last_heartbeat_time < ? LIMIT 1000", purgeBefore)
		if err != nil {
			return fmt.Errorf("reap: find old members: %w", err)
		}
		var old [][2]int64
		for rows.Next() {
			var k [2]int64
			if err := rows.Scan(&k[0], &k[1]); err != nil {
				rows.Close()
				return fmt.Errorf("reap: find old members: %w", err)
			}
			old = append(old, k)
		}
		rows.Close()
		for _, k := range old {
			res, err := tx.ExecContext(ctx, "DELETE FROM t_class_member WHERE uin = ? AND room_id = ? AND last_heartbeat_time < ?",
				k[0], k[1], purgeBefore)
			if err != nil {
				return fmt.Errorf("reap: purge old members: %w", err)
			}
			n, _ := res.RowsAffected()
			purged += n
		}
		return rows.Err()
	})
	if len(rooms) > 0 || members > 0 || purged > 0 || err != nil {
		s.Forget(ctx, Change{All: true})
	}
	if err == nil && (len(rooms) > 0 || members > 0 || purged > 0) {
		err = s.publish(ctx, Change{All: true})
	}
	return rooms, members, err
}

// RemoveMember takes a member out of a class for good: it has left, and
// Enter refuses it (ErrRemoved) from now on.
func (s *Store) RemoveMember(ctx context.Context, room, uin, now int64) error {
	ins := s.d.insertIgnore + " INTO t_removed_member (room_id, uin, at) VALUES (?, ?, ?)"
	return s.txChange(ctx, Change{Rooms: []int64{room}}, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, ins, room, uin, now); err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE t_class_member SET has_exited = 1 WHERE room_id = ? AND uin = ?", room, uin); err != nil {
			return fmt.Errorf("remove member: mark exited: %w", err)
		}
		return nil
	})
}

// Unremove lets a removed member enter the class again; false when they
// were not removed.
func (s *Store) Unremove(ctx context.Context, room, uin int64) (bool, error) {
	var n int64
	err := s.txChange(ctx, Change{Rooms: []int64{room}}, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM t_removed_member WHERE room_id = ? AND uin = ?", room, uin)
		if err != nil {
			return fmt.Errorf("unremove member: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// ErrRemoved is an enter by a member an operator removed from the class.
var ErrRemoved = errors.New("store: removed from the class")

// MemberEntry is a member of a class as the console shows it.
type MemberEntry struct {
	Uin           int64
	UID           string
	Exited        bool
	Removed       bool
	LastHeartbeat int64
}

// MemberEntries lists everyone who entered a class, with their state.
func (s *Store) MemberEntries(ctx context.Context, room int64) ([]MemberEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.uin, COALESCE(a.uid, ''), m.has_exited,
		(SELECT COUNT(*) FROM t_removed_member r WHERE r.room_id = m.room_id AND r.uin = m.uin), m.last_heartbeat_time
		FROM t_class_member m LEFT JOIN t_account a ON a.uin = m.uin WHERE m.room_id = ? ORDER BY m.uin`, room)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MemberEntry
	for rows.Next() {
		var m MemberEntry
		if err := rows.Scan(&m.Uin, &m.UID, &m.Exited, &m.Removed, &m.LastHeartbeat); err != nil {
			return nil, err
		}
		if hb, ok := s.live.lastBeat(room, m.Uin); ok && hb > m.LastHeartbeat {
			m.LastHeartbeat = hb // not yet written behind
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// entrySeq is the member list order of a first entry: nanoseconds, kept
// increasing within the process.
func entrySeq() int64 {
	for {
		last := lastEntry.Load()
		next := max(time.Now().UnixNano(), last+1)
		if lastEntry.CompareAndSwap(last, next) {
			return next
		}
	}
}

var lastEntry atomic.Int64
