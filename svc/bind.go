package svc

import (
	"context"
	"errors"
	"fmt"

	"sxb-edu/store"
)

// ReportBind binds (operate 0) or unbinds (1) a file to a room or to the
// caller's own library.
func (s *Service) ReportBind(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	id, err := optInt(b, "roomnum", "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if id < 0 {
		return nil, E(CodeReqData, "Invalid roomnum")
	}
	if !b.Has("operate") {
		return nil, E(CodeReqData, "Lack of operate")
	}
	op, ok := b.Int("operate")
	if !ok || (op != 0 && op != 1) {
		return nil, E(CodeReqData, " Invalid operate")
	}
	if !b.Has("bind_file") {
		return nil, E(CodeReqData, "Lack of bind_file")
	}
	file, ok := b.Obj("bind_file")
	if !ok {
		if _, list := b["bind_file"].([]any); !list {
			return nil, E(CodeReqData, "bind_file must be array")
		}
		file = Body{} // a JSON list is a PHP array without these keys
	}
	if _, ok := file["type"]; !ok {
		return nil, E(CodeReqData, "Lack info bindfile.type")
	}
	typ, ok := file.Int("type")
	if !ok {
		return nil, E(CodeReqData, "invalide bindfile.type")
	}
	if _, ok := file["file_name"]; !ok {
		return nil, E(CodeReqData, "Lack info bindfile.file_name")
	}
	name, ok := file.Str("file_name")
	if !ok || len(name) > maxFileNameLen {
		return nil, E(CodeReqData, "invalide bindfile.filename")
	}
	if _, ok := file["url"]; !ok {
		return nil, E(CodeReqData, "Lack info bindfile.url")
	}
	url, ok := file.Str("url")
	if !ok || len(url) > maxURLLen {
		return nil, E(CodeReqData, "invalide bindfile.url")
	}
	if id > 0 {
		room, err := s.teacherRoom(ctx, r, id, "only the teacher can bind/unbind a resource.")
		if err != nil {
			return nil, err
		}
		if room.State != store.StateCreated && room.State != store.StateLiving {
			return nil, E(CodeRoomState, "only state=created/living room can bind resource")
		}
	}
	if op == 1 {
		found, err := s.Store.Unbind(ctx, id, r.User.Uin, url)
		if err != nil {
			return nil, internal("unbind", err)
		}
		if !found {
			return nil, E(CodeNotBound, "the resource not binded")
		}
		return nil, nil
	}
	err = s.Store.Bind(ctx, store.BindFile{Uin: r.User.Uin, RoomID: id, Time: s.now(), Type: typ, FileName: name, URL: url},
		maxBindsPerPlace, maxBindsPerUser)
	if errors.Is(err, store.ErrExists) {
		return nil, E(CodeRepeatBind, "has binded.")
	}
	if errors.Is(err, store.ErrFull) {
		return nil, E(CodeReqData, fmt.Sprintf("too many bound files: at most %d in one room or library, %d in all",
			maxBindsPerPlace, maxBindsPerUser))
	}
	if err != nil {
		return nil, internal("bind", err)
	}
	return nil, nil
}

// BindList answers querybind.
type BindList struct {
	Total     int64     `json:"total"`
	BindFiles []BindRow `json:"bind_files"`
}

// BindRow is one bound file.
type BindRow struct {
	Type     int64  `json:"type"`
	BindTime int64  `json:"bind_time"`
	FileName string `json:"file_name"`
	URL      string `json:"url"`
}

// QueryBind lists the files bound to a room (any caller of the room's
// appid), or the caller's own library when no room is given.
func (s *Service) QueryBind(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	f := store.BindFilter{}
	var err error
	if f.RoomID, err = optInt(b, "roomnum", "Invalid roomnum"); err != nil {
		return nil, err
	}
	if f.From, err = optInt(b, "from_time", "Invalid from_time"); err != nil {
		return nil, err
	}
	if f.To, err = optInt(b, "to_time", "Invalid to_time"); err != nil {
		return nil, err
	}
	if f.Offset, f.Limit, err = page(b); err != nil {
		return nil, err
	}
	empty := BindList{BindFiles: []BindRow{}}
	if f.RoomID > 0 {
		room, err := s.Store.Room(ctx, f.RoomID)
		if errors.Is(err, store.ErrNotFound) {
			return empty, nil
		}
		if err != nil {
			return nil, internal("read room", err)
		}
		if room.AppID != r.AppID {
			return empty, nil
		}
	} else {
		f.RoomID = 0
		f.Uin = r.User.Uin
	}
	total, files, err := s.Store.Binds(ctx, f)
	if err != nil {
		return nil, internal("get bind file list fail", err)
	}
	out := BindList{Total: total, BindFiles: make([]BindRow, len(files))}
	for i, bf := range files {
		out.BindFiles[i] = BindRow{Type: bf.Type, BindTime: bf.Time, FileName: bf.FileName, URL: bf.URL}
	}
	return out, nil
}
