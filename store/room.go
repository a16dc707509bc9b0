package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Course states.
const (
	StateCreated  = 0
	StateLiving   = 1
	StateEnded    = 2
	StatePlayback = 3
)

// Room is a row of t_course.
type Room struct {
	ID               int64
	CreateTime       int64
	StartTime        int64
	StartSeq         int64
	EndTime          int64
	EndSeq           int64
	LastRecSeq       int64
	LastUpdate       int64
	CanTriggerTime   int64
	TriggerTime      int64
	TriggerResult    int64
	Title            string
	Cover            string
	HostUin          int64
	State            int
	GroupID          string
	IdxCreatedTime   int64
	IdxCreatedResult int64
	IdxURL           string
	AppID            int64
}

const roomCols = `room_id, create_time, start_time, start_imseq, end_time, end_imseq,
	last_rec_imseq, last_update_time, can_trigger_replay_idx_time, trigger_replay_idx_time,
	trigger_replay_idx_result, title, cover, host_uin, state, im_group_id,
	replay_idx_created_time, replay_idx_created_result, replay_idx_url, appid`

// roomColsC is roomCols qualified by the alias c.
var roomColsC = func() string {
	f := strings.Split(roomCols, ",")
	for i := range f {
		f[i] = "c." + strings.TrimSpace(f[i])
	}
	return strings.Join(f, ", ")
}()

func scanRoom(row interface{ Scan(...any) error }) (*Room, error) {
	r := &Room{}
	err := row.Scan(roomDest(r)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// CreateRoom adds a room in state created for host; its IM group is its
// number as a string.
func (s *Store) CreateRoom(ctx context.Context, host *Account, title, cover string, now int64) (int64, error) {
	return s.createRoom(ctx, host, title, cover, now, nil)
}

// createRoom is CreateRoom; then, when set, writes in the same
// transaction what else belongs to the new room.
func (s *Store) createRoom(ctx context.Context, host *Account, title, cover string, now int64, then func(*sql.Tx, int64) error) (int64, error) {
	var id int64
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO t_course (create_time, title, cover, host_uin, state, appid, order_time, replay_idx_url)
			 VALUES (?, ?, ?, ?, 0, ?, ?, '')`, now, title, cover, host.Uin, host.AppID, now)
		if err != nil {
			return fmt.Errorf("create room: insert: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("create room: number: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE t_course SET im_group_id = ? WHERE room_id = ?",
			strconv.FormatInt(id, 10), id); err != nil {
			return fmt.Errorf("create room: set group: %w", err)
		}
		// A reused number must not inherit members (the reference did the same).
		if _, err = tx.ExecContext(ctx, "DELETE FROM t_class_member WHERE room_id = ?", id); err != nil {
			return fmt.Errorf("create room: clear members: %w", err)
		}
		if then != nil {
			return then(tx, id)
		}
		return nil
	})
	s.Forget(ctx, roomChange(id))
	if err != nil {
		return 0, err
	}
	s.owners.store(id, Owner{Host: host.Uin, AppID: host.AppID})
	return id, s.publish(ctx, roomChange(id))
}

// ownerCache keeps rooms' owners. A map under a lock: sync.Map boxed
// every room id it was asked for (an allocation on every request that
// names a room) and walked its trie.
type ownerCache struct {
	mu sync.RWMutex
	m  map[int64]Owner
}

func (c *ownerCache) load(id int64) (Owner, bool) {
	c.mu.RLock()
	o, ok := c.m[id]
	c.mu.RUnlock()
	return o, ok
}

func (c *ownerCache) store(id int64, o Owner) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[int64]Owner)
	}
	c.m[id] = o
	c.mu.Unlock()
}

func (c *ownerCache) forget(id int64) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// roomChange is a write to room id (its row and its members).
func roomChange(id int64) Change { return Change{Rooms: []int64{id}, Lists: true} }

// Room reads a room.
func (s *Store) Room(ctx context.Context, id int64) (*Room, error) {
	return scanRoom(s.r.QueryRowContext(ctx, "SELECT "+roomCols+" FROM t_course WHERE room_id = ?", id))
}

// AdoptRooms gives the rooms with appid 0 (inserted by the PHP server
// beside sxb-edu) their teacher's appid, else def, and their list order.
func (s *Store) AdoptRooms(ctx context.Context, def int64) (int64, error) {
	res, err := s.exec(ctx, `UPDATE t_course SET
		appid = COALESCE(NULLIF((SELECT a.appid FROM t_account a WHERE a.uin = t_course.host_uin), 0), ?),
		order_time = CASE WHEN start_time > 0 THEN start_time ELSE create_time END
		WHERE appid = 0`, def)
	if err != nil {
		return 0, fmt.Errorf("adopt rooms: %w", err)
	}
	return res.RowsAffected()
}

// Owner is who a room belongs to: its teacher and appid (fixed at creation).
type Owner struct {
	Host, AppID int64
}

// RoomOwner gives the teacher and appid of a room, from memory after the
// first look (the heartbeat path reads it).
func (s *Store) RoomOwner(ctx context.Context, id int64) (Owner, error) {
	if o, ok := s.owners.load(id); ok {
		return o, nil
	}
	var o Owner
	err := s.r.QueryRowContext(ctx, "SELECT host_uin, appid FROM t_course WHERE room_id = ?", id).Scan(&o.Host, &o.AppID)
	if errors.Is(err, sql.ErrNoRows) {
		return Owner{}, ErrNotFound
	}
	if err != nil {
		return Owner{}, err
	}
	s.owners.store(id, o)
	return o, nil
}

// StartRoom moves a created room to living: the teacher becomes a member.
func (s *Store) StartRoom(ctx context.Context, id, hostUin, seq, now int64) error {
	return s.txChange(ctx, roomChange(id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE t_course SET state = 1, start_time = ?, start_imseq = ?, end_time = 0, end_imseq = 0,
			 last_update_time = ?, order_time = ? WHERE room_id = ? AND state = 0`,
			now, seq, now, now, id)
		if err != nil {
			return fmt.Errorf("start room: update: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if _, err := s.enter(ctx, tx, id, hostUin, now); err != nil {
			return fmt.Errorf("start room: teacher enters: %w", err)
		}
		return nil
	})
}

// EndRoom moves a living room to ended: every member exits, the replay
// index may be requested from now+idxDelay. seq is the end IM message's.
func (s *Store) EndRoom(ctx context.Context, id, seq, now, idxDelay int64) error {
	return s.txChange(ctx, roomChange(id), func(tx *sql.Tx) error {
		return endRoom(ctx, tx, id, seq, now, idxDelay)
	})
}

func endRoom(ctx context.Context, tx *sql.Tx, id, seq, now, idxDelay int64) error {
	res, err := tx.ExecContext(ctx,
		`UPDATE t_course SET state = 2, end_time = ?, end_imseq = ?, last_update_time = ?,
		 can_trigger_replay_idx_time = ?, trigger_replay_idx_time = 0
		 WHERE room_id = ? AND state = 1`, now, seq, now, now+idxDelay, id)
	if err != nil {
		return fmt.Errorf("end room: update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	if _, err = tx.ExecContext(ctx, "UPDATE t_class_member SET has_exited = 1 WHERE room_id = ?", id); err != nil {
		return fmt.Errorf("end room: members exit: %w", err)
	}
	return nil
}

// RoomFilter selects rooms for a room list. Zero fields do not filter;
// State < 0 does not filter.
type RoomFilter struct {
	AppID, HostUin, RoomID int64
	State                  int
	From, To               int64
	Offset, Limit          int64
}

// RoomItem is a room of a list with its present member count.
type RoomItem struct {
	Room
	HostUID string
	MemSize int64
}

// Rooms lists rooms newest first by order time (start time if started,
// else create time), with the total that match. The items may be shared
// with other callers: read them, never change them.
func (s *Store) Rooms(ctx context.Context, f RoomFilter) (int64, []RoomItem, error) {
	if !s.caching() {
		return s.rooms(ctx, f) // the counts of now are in the answer
	}
	version := s.lists.local.Load()
	e, ok := s.lists.get(f, version)
	if !ok {
		total, items, err := s.rooms(ctx, f)
		if err != nil {
			return 0, nil, err
		}
		e = roomListEntry{total: total, items: items}
		s.lists.put(f, version, e)
	}
	// The member counts of now, from the member cache.
	items := make([]RoomItem, len(e.items))
	for i, it := range e.items {
		items[i] = it
		n, err := s.PresentCount(ctx, it.ID)
		if err != nil {
			return 0, nil, err
		}
		items[i].MemSize = n
	}
	return e.total, items, nil
}

func (s *Store) rooms(ctx context.Context, f RoomFilter) (int64, []RoomItem, error) {
	where := []string{"c.appid = ?"}
	args := []any{f.AppID}
	if f.State >= 0 {
		where = append(where, "c.state = ?")
		args = append(args, f.State)
	}
	if f.HostUin > 0 {
		where = append(where, "c.host_uin = ?")
		args = append(args, f.HostUin)
	}
	if f.RoomID > 0 {
		where = append(where, "c.room_id = ?")
		args = append(args, f.RoomID)
	}
	if f.From > 0 {
		where = append(where, "c.order_time > ?")
		args = append(args, f.From)
	}
	if f.To > 0 {
		where = append(where, "c.order_time <= ?")
		args = append(args, f.To)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_course c"+w, args...).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("rooms: count: %w", err)
	}
	if total == 0 || f.Limit == 0 || f.Offset >= total {
		return total, []RoomItem{}, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+roomColsC+`, a.uid,
		(SELECT COUNT(*) FROM t_class_member m WHERE m.room_id = c.room_id AND m.has_exited = 0)
		FROM t_course c JOIN t_account a ON a.uin = c.host_uin`+w+
		" ORDER BY c.order_time DESC, c.room_id DESC LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, fmt.Errorf("rooms: list: %w", err)
	}
	defer rows.Close()
	items := []RoomItem{}
	for rows.Next() {
		var it RoomItem
		r := &it.Room
		if err := rows.Scan(&r.ID, &r.CreateTime, &r.StartTime, &r.StartSeq, &r.EndTime, &r.EndSeq,
			&r.LastRecSeq, &r.LastUpdate, &r.CanTriggerTime, &r.TriggerTime,
			&r.TriggerResult, &r.Title, &r.Cover, &r.HostUin, &r.State, &r.GroupID,
			&r.IdxCreatedTime, &r.IdxCreatedResult, &r.IdxURL, &r.AppID, &it.HostUID, &it.MemSize); err != nil {
			return 0, nil, err
		}
		items = append(items, it)
	}
	return total, items, rows.Err()
}

// ClaimReplayIndex marks a room's replay index as requested at now when it
// is ended, allowed (0 < allowed time <= now) and not yet requested. Only
// one caller wins; the others get ErrConflict.
func (s *Store) ClaimReplayIndex(ctx context.Context, id, now int64) error {
	res, err := s.execChange(ctx, roomChange(id),
		`UPDATE t_course SET trigger_replay_idx_time = ?, can_trigger_replay_idx_time = 0
		 WHERE room_id = ? AND state = 2 AND can_trigger_replay_idx_time > 0
		 AND can_trigger_replay_idx_time <= ? AND trigger_replay_idx_time = 0`, now, id, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return nil
}

// ReplayIndexRequested records the result of a replay-index request; a
// url means the index already existed, so the room is ready for playback.
func (s *Store) ReplayIndexRequested(ctx context.Context, id, result int64, url string, created int64) error {
	if url == "" {
		_, err := s.execChange(ctx, roomChange(id),
			"UPDATE t_course SET trigger_replay_idx_result = ? WHERE room_id = ?", result, id)
		return err
	}
	return s.txChange(ctx, roomChange(id), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`UPDATE t_course SET trigger_replay_idx_result = ?, replay_idx_url = ?,
			 replay_idx_created_time = ?, replay_idx_created_result = 0, state = 3
			 WHERE room_id = ? AND state IN (2, 3)`, result, url, created, id)
		if err != nil {
			return fmt.Errorf("replay index requested: update: %w", err)
		}
		if _, err = tx.ExecContext(ctx, "DELETE FROM t_class_member WHERE room_id = ?", id); err != nil {
			return fmt.Errorf("replay index requested: delete members: %w", err)
		}
		return nil
	})
}

// ReplayIndexReady stores the index of a room in state 2 or 3 and moves it
// to 3; the member history is no longer needed and is deleted.
func (s *Store) ReplayIndexReady(ctx context.Context, id int64, url string, result, now int64) error {
	return s.txChange(ctx, roomChange(id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE t_course SET state = 3, replay_idx_url = ?, last_update_time = ?,
			 can_trigger_replay_idx_time = 0, replay_idx_created_time = ?, replay_idx_created_result = ?
			 WHERE room_id = ? AND state IN (2, 3)`, url, now, now, result, id)
		if err != nil {
			return fmt.Errorf("replay index ready: update: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if _, err = tx.ExecContext(ctx, "DELETE FROM t_class_member WHERE room_id = ?", id); err != nil {
			return fmt.Errorf("replay index ready: delete members: %w", err)
		}
		return nil
	})
}

// DueReplayIndex lists ended rooms whose replay index may be requested now.
func (s *Store) DueReplayIndex(ctx context.Context, now int64) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT room_id FROM t_course WHERE state = 2 AND can_trigger_replay_idx_time > 0
		 AND can_trigger_replay_idx_time <= ? AND trigger_replay_idx_time = 0`, now)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Recording is a row of t_video_record.
type Recording struct {
	Uin, RoomID                                      int64
	VideoID, VideoURL                                string
	StartTime, EndTime, MediaStartTime, Size, Length int64
}

// SaveRecording stores a finished recording and the IM seq announcing it
// as the room's last recording seq.
func (s *Store) SaveRecording(ctx context.Context, r Recording, seq int64) error {
	return s.txChange(ctx, roomChange(r.RoomID), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE t_course SET last_rec_imseq = ? WHERE room_id = ?", seq, r.RoomID); err != nil {
			return fmt.Errorf("save recording: update room: %w", err)
		}
		return insertRecording(ctx, tx, r)
	})
}

func insertRecording(ctx context.Context, tx *sql.Tx, r Recording) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO t_video_record (uin, room_id, video_id, video_url, start_time, end_time,
		 media_start_time, file_size, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Uin, r.RoomID, r.VideoID, r.VideoURL, r.StartTime, r.EndTime, r.MediaStartTime, r.Size, r.Length)
	if err != nil {
		return fmt.Errorf("save recording: insert: %w", err)
	}
	return nil
}

// RoomSearch selects classes for the console.
type RoomSearch struct {
	State         int    // -1: any
	Teacher       string // the teacher's id (exact)
	From, To      int64  // create time range (0: open)
	Offset, Limit int64
}

// RoomRow is a class as the console lists it.
type RoomRow struct {
	Room
	Teacher string
	Present int64
}

// SearchRooms lists classes newest first, with the total that match.
func (s *Store) SearchRooms(ctx context.Context, f RoomSearch) (int64, []RoomRow, error) {
	var where []string
	var args []any
	if f.State >= 0 {
		where, args = append(where, "c.state = ?"), append(args, f.State)
	}
	if f.Teacher != "" {
		where, args = append(where, "a.uid = ?"), append(args, f.Teacher)
	}
	if f.From > 0 {
		where, args = append(where, "c.create_time >= ?"), append(args, f.From)
	}
	if f.To > 0 {
		where, args = append(where, "c.create_time <= ?"), append(args, f.To)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	from := " FROM t_course c LEFT JOIN t_account a ON a.uin = c.host_uin" + cond
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+roomColsC+", COALESCE(a.uid, ''), (SELECT COUNT(*) FROM t_class_member m WHERE m.room_id = c.room_id AND m.has_exited = 0)"+
		from+" ORDER BY c.room_id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []RoomRow
	for rows.Next() {
		var c RoomRow
		dest := append(roomDest(&c.Room), &c.Teacher, &c.Present)
		if err := rows.Scan(dest...); err != nil {
			return 0, nil, err
		}
		out = append(out, c)
	}
	return total, out, rows.Err()
}

// Recordings lists a class's recordings.
func (s *Store) Recordings(ctx context.Context, room int64) ([]Recording, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT uin, room_id, video_id, video_url, start_time, end_time,
		media_start_time, file_size, duration FROM t_video_record WHERE room_id = ? ORDER BY id`, room)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		var r Recording
		if err := rows.Scan(&r.Uin, &r.RoomID, &r.VideoID, &r.VideoURL, &r.StartTime, &r.EndTime,
			&r.MediaStartTime, &r.Size, &r.Length); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// roomDest is the scan destination of roomCols.
func roomDest(r *Room) []any {
	return []any{&r.ID, &r.CreateTime, &r.StartTime, &r.StartSeq, &r.EndTime, &r.EndSeq,
		&r.LastRecSeq, &r.LastUpdate, &r.CanTriggerTime, &r.TriggerTime,
		&r.TriggerResult, &r.Title, &r.Cover, &r.HostUin, &r.State, &r.GroupID,
		&r.IdxCreatedTime, &r.IdxCreatedResult, &r.IdxURL, &r.AppID}
}
