package dispatch

import (
	"encoding/json"
	"strconv"

	"sxb-edu/svc"
)

// appendRoomList writes a room list's answer as encoding/json would, byte
// for byte, without reflection: a page of rooms is the largest answer at
// the top of the hour, and encoding it by reflection was a quarter of
// the server's time for a roomlist.
func appendRoomList(b []byte, l svc.RoomList) []byte {
	b = append(b, `{"errorCode":0,"errorInfo":"","data":{"total":`...)
	b = strconv.AppendInt(b, l.Total, 10)
	b = append(b, `,"rooms":`...)
	if l.Rooms == nil {
		return append(b, "null}}"...)
	}
	b = append(b, '[')
	for i, r := range l.Rooms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"host_uid":`...)
		b = appendString(b, r.HostUID)
		b = append(b, `,"title":`...)
		b = appendString(b, r.Title)
		b = append(b, `,"roomnum":`...)
		b = strconv.AppendInt(b, r.RoomNum, 10)
		b = append(b, `,"state":`...)
		b = strconv.AppendInt(b, int64(r.State), 10)
		b = append(b, `,"groupid":`...)
		b = appendString(b, r.GroupID)
		b = append(b, `,"cover":`...)
		b = appendString(b, r.Cover)
		b = append(b, `,"memsize":`...)
		b = strconv.AppendInt(b, r.MemSize, 10)
		b = append(b, `,"begin_time":`...)
		b = strconv.AppendInt(b, r.BeginTime, 10)
		b = append(b, `,"end_time":`...)
		b = strconv.AppendInt(b, r.EndTime, 10)
		b = append(b, `,"begin_imseq":`...)
		b = strconv.AppendInt(b, r.BeginIMSeq, 10)
		b = append(b, `,"end_imseq":`...)
		b = strconv.AppendInt(b, r.EndIMSeq, 10)
		b = append(b, `,"playback_idx_url":`...)
		b = appendString(b, r.PlaybackIdxURL)
		b = append(b, `,"can_trigger_replay_idx":`...)
		b = strconv.AppendInt(b, int64(r.CanTriggerReplayIdx), 10)
		b = append(b, `,"trigger_replay_idx_time":`...)
		b = strconv.AppendInt(b, r.TriggerReplayIdxTime, 10)
		b = append(b, `,"trigger_replay_idx_result":`...)
		b = strconv.AppendInt(b, r.TriggerReplayIdxResult, 10)
		b = append(b, `,"replay_idx_created_time":`...)
		b = strconv.AppendInt(b, r.ReplayIdxCreatedTime, 10)
		b = append(b, `,"replay_idx_created_result":`...)
		b = strconv.AppendInt(b, r.ReplayIdxCreatedResult, 10)
		b = append(b, `,"replay_idx_url":`...)
		b = appendString(b, r.ReplayIdxURL)
		b = append(b, '}')
	}
	return append(b, "]}}"...)
}

// appendMemberList writes a room's member list as encoding/json would:
// every student lists its room once a minute, fifty members a page.
func appendMemberList(b []byte, l svc.MemberList) []byte {
	b = append(b, `{"errorCode":0,"errorInfo":"","data":{"total":`...)
	b = strconv.AppendInt(b, l.Total, 10)
	b = append(b, `,"idlist":`...)
	if l.IDList == nil {
		return append(b, "null}}"...)
	}
	b = append(b, '[')
	for i, m := range l.IDList {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, m.ID)
		b = append(b, `,"role":`...)
		b = strconv.AppendInt(b, int64(m.Role), 10)
		b = append(b, '}')
	}
	return append(b, "]}}"...)
}

// plainByte marks the bytes encoding/json writes as they are: printable
// ASCII but for the quote, the backslash and <, >, & (HTML-escaped).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as a JSON string. Printable ASCII other than
// what encoding/json escapes is copied; anything else is left to
// encoding/json, so the escaping is always its own.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
