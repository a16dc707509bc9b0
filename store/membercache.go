package store

import (
	"context"
	"fmt"
	"sync"
)

// memberCache keeps each room's member rows (present or not, in entry
// order) in memory, so that roomidlist and the enter's "anyone present"
// check read no database at the top of the hour, when every student of a
// room enters and lists its members within seconds. Enters and leaves of
// this server update it in place; other servers' writes drop what they
// change before they are acknowledged (see peer.go).
type memberCache struct {
	mu      sync.Mutex
	rooms   map[int64]*roomMembers
	loading map[int64]*memberLoad // rooms being read (with the caches on)
}

// memberLoad is a room's list being read. Requests that miss meanwhile
// wait for it instead of reading the same rows again, and the room's
// changes meanwhile are kept in order and applied to what it read (each
// change sets a state, so applying one the read already saw changes
// nothing). Dropping the loads whose room changed meanwhile, as was done
// before, fed on itself in a storm of enters: with the database slowed
// by the storm, every load saw an enter and was read again.
type memberLoad struct {
	journal []func(c *memberCache, e *roomMembers)
	lost    bool // the room was dropped meanwhile: not kept
	done    chan struct{}
}

type roomMembers struct {
	rows    []memberRow
	pos     map[int64]int // uin -> index in rows
	present int64
	removed map[int64]bool // removed by an operator (see RemoveMember)
}

type memberRow struct {
	uin     int64
	uid     string
	role    int
	present bool
	seq     int64 // MySQL: entered_at, the list order (with uin)
}

// maxMemberRooms bounds the rooms kept; past it the cache starts over.
const maxMemberRooms = 20000

func (c *memberCache) init() {
	c.rooms = make(map[int64]*roomMembers)
	c.loading = make(map[int64]*memberLoad)
}

// roomMembers returns the cached rows of room, loading them when missing or
// expired. It returns a snapshot to read (the cache may change after).
func (s *Store) roomMembers(ctx context.Context, room int64) (total int64, rows []memberRow, err error) {
	e, err := s.roomEntry(ctx, room, 0)
	if err != nil {
		return 0, nil, err
	}
	return e.present, e.rows, nil
}

// memberSnap is what roomEntry returns by value (no allocation on the hot
// path): the rows and count as they were, and whether the uin asked about
// was removed.
type memberSnap struct {
	rows    []memberRow
	present int64
	removed bool
}

// Removed reports whether an operator removed uin from room.
func (s *Store) Removed(ctx context.Context, room, uin int64) (bool, error) {
	e, err := s.roomEntry(ctx, room, uin)
	if err != nil {
		return false, err
	}
	return e.removed, nil
}

// roomEntry returns room's cached entry (a snapshot: read it only),
// loading it when missing; uin is looked up in the same lock.
func (s *Store) roomEntry(ctx context.Context, room, uin int64) (memberSnap, error) {
	c := &s.members
	caching := s.caching()
	for {
		c.mu.Lock()
		if !caching {
			c.mu.Unlock()
			// Every answer is read after its request came.
			e, err := s.loadMembers(ctx, room)
			if err != nil {
				return memberSnap{}, err
			}
			return memberSnap{rows: e.rows, present: e.present, removed: e.removed[uin]}, nil
		}
		if e, ok := c.rooms[room]; ok {
			snap := memberSnap{rows: e.rows, present: e.present, removed: e.removed[uin]}
			c.mu.Unlock()
			return snap, nil
		}
		if l, ok := c.loading[room]; ok {
			c.mu.Unlock()
			select {
			case <-l.done:
				continue
			case <-ctx.Done():
				return memberSnap{}, ctx.Err()
			}
		}
		l := &memberLoad{done: make(chan struct{})}
		c.loading[room] = l
		c.mu.Unlock()

		e, err := s.loadMembers(ctx, room)
		if s.memberReadHook != nil {
			s.memberReadHook()
		}
		c.mu.Lock()
		delete(c.loading, room)
		close(l.done)
		if err != nil {
			c.mu.Unlock()
			return memberSnap{}, err
		}
		if !l.lost {
			if len(c.rooms) >= maxMemberRooms {
				c.rooms = make(map[int64]*roomMembers)
			}
			c.rooms[room] = e
			for _, fn := range l.journal {
				cur, ok := c.rooms[room]
				if !ok {
					break // dropped
				}
				fn(c, cur)
			}
		}
		// A lost load was read after the request came: answer from it.
		snap := memberSnap{rows: e.rows, present: e.present, removed: e.removed[uin]}
		if cur, ok := c.rooms[room]; ok {
			snap = memberSnap{rows: cur.rows, present: cur.present, removed: cur.removed[uin]}
		}
		c.mu.Unlock()
		return snap, nil
	}
}

// loadMembers reads room's members and removed members.
func (s *Store) loadMembers(ctx context.Context, room int64) (*roomMembers, error) {
	e := &roomMembers{pos: map[int64]int{}, removed: map[int64]bool{}}
	rm, err := s.r.QueryContext(ctx, "SELECT uin FROM t_removed_member WHERE room_id = ?", room)
	if err != nil {
		return nil, fmt.Errorf("removed members: %w", err)
	}
	ids, err := scanIDs(rm)
	if err != nil {
		return nil, fmt.Errorf("removed members: %w", err)
	}
	for _, id := range ids {
		e.removed[id] = true
	}
	q, err := s.r.QueryContext(ctx, `SELECT m.uin, COALESCE(a.uid, ''), COALESCE(a.role, 0), m.has_exited, `+s.d.memberSeq+`
		FROM t_class_member m LEFT JOIN t_account a ON a.uin = m.uin
		WHERE m.room_id = ? ORDER BY `+s.d.memberOrder, room)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var r memberRow
		var exited bool
		if err := q.Scan(&r.uin, &r.uid, &r.role, &exited, &r.seq); err != nil {
			return nil, err
		}
		r.present = !exited
		if r.present {
			e.present++
		}
		e.pos[r.uin] = len(e.rows)
		e.rows = append(e.rows, r)
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// memberGenSlots hold the rooms' member generations: a write to a room
// moves its slot, so a load of that room in flight is not kept. Rooms
// sharing a slot only make each other load again; a single generation
// for every room did that to every load during a storm of enters, and
// the lists were read from the database again and again.
const memberGenSlots = 4096

// roomGen is room's member generation: it moves with every write to the
// room (its slot) and with every change of all rooms (memberGen).
func (s *Store) roomGen(room int64) int64 {
	return s.memberGen.Load() + s.memberGens[uint64(room)%memberGenSlots].Load()
}

func (s *Store) bumpRoomGen(room int64) { s.memberGens[uint64(room)%memberGenSlots].Add(1) }

// changeMembers runs fn on room's cached entry, if there is one, or keeps
// it for the load in flight (see memberLoad), after moving the member
// generation (see leftElsewhere).
func (s *Store) changeMembers(room int64, fn func(c *memberCache, e *roomMembers)) {
	s.bumpRoomGen(room)
	c := &s.members
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.rooms[room]; ok {
		fn(c, e)
	} else if l, ok := c.loading[room]; ok {
		l.journal = append(l.journal, fn)
	}
}

// setPresent changes row i. The rows slice is copied on change: readers
// keep the snapshot they took.
func (e *roomMembers) setPresent(i int, present bool) {
	if e.rows[i].present == present {
		return
	}
	e.rows = append([]memberRow(nil), e.rows...)
	e.rows[i].present = present
	if present {
		e.present++
	} else {
		e.present--
	}
}

// entered records that m is present in room; seq is its entered_at
// (MySQL; 0 on SQLite).
func (s *Store) entered(room int64, m Member, seq int64) {
	s.changeMembers(room, func(c *memberCache, e *roomMembers) {
		if i, ok := e.pos[m.Uin]; ok {
			e.setPresent(i, true)
			return
		}
		if m.UID == "" { // not known here: read again
			delete(c.rooms, room)
			return
		}
		e.insert(memberRow{m.Uin, m.UID, m.Role, true, seq})
	})
}

// insert adds a new present member in the list's order: by (seq, uin)
// on MySQL, at the end where seq is 0 (SQLite: one writer, rowid order).
// The rows slice is copied: readers keep the snapshot they took.
func (e *roomMembers) insert(row memberRow) {
	i := len(e.rows)
	for row.seq != 0 && i > 0 && (e.rows[i-1].seq > row.seq || e.rows[i-1].seq == row.seq && e.rows[i-1].uin > row.uin) {
		i--
	}
	rows := make([]memberRow, 0, len(e.rows)+1)
	rows = append(append(append(rows, e.rows[:i]...), row), e.rows[i:]...)
	e.rows = rows
	for j := i; j < len(rows); j++ {
		e.pos[rows[j].uin] = j
	}
	e.present++
}

// enteredElsewhere applies another server's enter. A member new to the
// cached list takes its place in the list's order (entered_at, uin) at
// once; a change to a listed member drops the list (read again): two
// servers' changes to one member may arrive in either order, a new
// member's first entry is the only one whose outcome cannot depend on it.
func (s *Store) enteredElsewhere(x Entered) {
	s.changeMembers(x.Room, func(c *memberCache, e *roomMembers) {
		if i, ok := e.pos[x.Uin]; ok && x.Seq != 0 && e.rows[i].present && e.rows[i].seq == x.Seq {
			return // listed as this enter left it (a load that read it)
		}
		if _, ok := e.pos[x.Uin]; ok || x.Seq == 0 || x.UID == "" {
			delete(c.rooms, x.Room)
			return
		}
		e.insert(memberRow{x.Uin, x.UID, x.Role, true, x.Seq})
	})
}

// leftElsewhere applies another server's leave: the member's row is
// read again (one row by its key), the list is not. A leave and a
// re-entry of one member through two servers may arrive in either order;
// the row read after the message is the truth either way. Should anything
// change the room meanwhile, or the read fail, the list is dropped.
func (s *Store) leftElsewhere(ctx context.Context, l Left) {
	c := &s.members
	c.mu.Lock()
	e, ok := c.rooms[l.Room]
	listed := false
	if ok {
		_, listed = e.pos[l.Uin]
	} else if ld, loading := c.loading[l.Room]; loading {
		ld.lost = true // whether its read saw the leave is unknown
	}
	c.mu.Unlock()
	s.bumpRoomGen(l.Room) // a load in flight is not kept
	if !ok {
		return
	}
	gen := s.roomGen(l.Room)
	var exited bool
	err := s.r.QueryRowContext(ctx, "SELECT has_exited FROM t_class_member WHERE room_id = ? AND uin = ?",
		l.Room, l.Uin).Scan(&exited)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, still := c.rooms[l.Room]; !still || cur != e {
		return
	}
	if err != nil || !listed || s.roomGen(l.Room) != gen {
		delete(c.rooms, l.Room)
		return
	}
	e.setPresent(e.pos[l.Uin], !exited)
}

// left records that uin is no longer present in room.
func (s *Store) left(room, uin int64) {
	s.changeMembers(room, func(_ *memberCache, e *roomMembers) {
		if i, ok := e.pos[uin]; ok {
			e.setPresent(i, false)
		}
	})
}

// membersChanged forgets every cached list (the reaper's bulk changes).
func (s *Store) membersChanged() {
	c := &s.members
	s.memberGen.Add(1)
	c.mu.Lock()
	c.rooms = make(map[int64]*roomMembers)
	for _, l := range c.loading {
		l.lost = true
	}
	c.mu.Unlock()
}

// dropMembers forgets room's cached list (its members changed in bulk).
func (s *Store) dropMembers(room int64) {
	s.changeMembers(room, func(c *memberCache, _ *roomMembers) { delete(c.rooms, room) })
}
