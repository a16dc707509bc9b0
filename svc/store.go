package svc

import (
	"context"

	"sxb-edu/store"
)

// Store is what the handlers, the reaper and the scheduler need from
// storage. store.Store (SQLite) provides it; an engine's own queries and
// tricks (json_each, data_version, checkpoints) stay behind it.
type Store interface {
	// Accounts and tokens.
	CreateAccount(ctx context.Context, a *store.Account, now int64) error
	AccountByUID(ctx context.Context, uid string) (*store.Account, error)
	Login(ctx context.Context, a *store.Account, token, userSig string, now int64) error
	SetPassword(ctx context.Context, uin int64, hash string) error
	Logout(ctx context.Context, token string, now int64) (uid string, err error)
	SessionByToken(ctx context.Context, token string) (*store.Session, error)
	ExpireSession(ctx context.Context, se *store.Session, now int64) error

	// Rooms.
	CreateRoom(ctx context.Context, host *store.Account, title, cover string, now int64) (int64, error)
	Room(ctx context.Context, id int64) (*store.Room, error)
	RoomOwner(ctx context.Context, id int64) (store.Owner, error)
	StartRoom(ctx context.Context, id, hostUin, seq, now int64) error
	EndRoom(ctx context.Context, id, seq, now, idxDelay int64) error
	// LockRoom serialises the state changes of a room across the servers
	// sharing the database (a no-op where only one can).
	LockRoom(ctx context.Context, id int64) (unlock func(), err error)
	Rooms(ctx context.Context, f store.RoomFilter) (int64, []store.RoomItem, error)

	// Members and their heartbeats.
	Enter(ctx context.Context, room int64, m store.Member, now int64) error
	RoomForEnter(ctx context.Context, id int64) (*store.Room, error)
	Removed(ctx context.Context, room, uin int64) (bool, error)
	RemoveMember(ctx context.Context, room, uin, now int64) error
	UID(ctx context.Context, uin int64) (string, error)
	SignOut(ctx context.Context, uin, now int64) (bool, error)
	Leave(ctx context.Context, room, uin int64) (bool, error)
	PresentCount(ctx context.Context, room int64) (int64, error)
	Members(ctx context.Context, room, offset, limit int64) (int64, []store.Member, error)
	MemberHistory(ctx context.Context, room, hostUin int64) ([]string, error)
	Heartbeat(room, uin int64, host bool, now int64) error
	Flush(ctx context.Context) error
	// SyncSessions forgets cached sessions whose token another server
	// ended (a no-op where only one server can).
	SyncSessions(ctx context.Context) error
	Pending() int
	Reap(ctx context.Context, now, roomBefore, memberBefore, purgeBefore, idxDelay int64) ([]int64, int64, error)

	// Courseware.
	Bind(ctx context.Context, b store.BindFile, perPlace, perUser int) error
	Unbind(ctx context.Context, room, uin int64, url string) (bool, error)
	Binds(ctx context.Context, f store.BindFilter) (int64, []store.BindFile, error)

	// Recordings and the replay index.
	SaveRecording(ctx context.Context, r store.Recording, seq int64) error
	ClaimReplayIndex(ctx context.Context, id, now int64) error
	ReplayIndexRequested(ctx context.Context, id, result int64, url string, created int64) error
	ReplayIndexReady(ctx context.Context, id int64, url string, result, now int64) error
	DueReplayIndex(ctx context.Context, now int64) ([]int64, error)

	// Shared reports whether several servers may use the database.
	SeveralServers() bool

	// Health and gauges.
	Ping(ctx context.Context) error
	Stats(ctx context.Context) (store.Stats, error)
}

var _ Store = (*store.Store)(nil)
