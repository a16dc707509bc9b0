package svc

import (
	"context"
	"math/rand/v2"
	"strconv"

	"sxb-edu/sig"
)

// IM message types (docs/protocol.md §8).
const (
	msgClassStart = 1001
	msgClassEnd   = 1002
	msgEnter      = 1003
	msgRecording  = 1004
)

// sendMsg sends a custom group message; a failure is 10103.
func (s *Service) sendMsg(ctx context.Context, appid int64, room int64, typ int, ts int64, value any) (int64, error) {
	msg := sig.GroupMsg{Type: typ, Seq: 10000 + rand.Int64N(100000000-10000+1), Timestamp: ts, Value: value}
	seq, err := s.IM.SendGroupMsg(ctx, s.imApp(appid), strconv.FormatInt(room, 10), msg)
	if err != nil {
		s.Log.Warn("im message failed", "room", room, "type", typ, "err", err)
		return 0, &Error{Code: CodeSendIM, Info: "save info to imgroup failed.", cause: err}
	}
	return seq, nil
}

type uidValue struct {
	UID string `json:"uid"`
}
