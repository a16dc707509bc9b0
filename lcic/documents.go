package lcic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"sxb-edu/front"
	"sxb-edu/store"
)

func init() {
	for name, a := range map[string]action{
		"CreateDocument": (*Service).createDocument, "DescribeDocument": (*Service).describeDocument,
		"DescribeDocuments": (*Service).describeDocuments, "BatchDescribeDocument": (*Service).describeDocuments,
		"DeleteDocument": (*Service).deleteDocument, "BindDocumentToRoom": (*Service).bindDocument,
		"UnbindDocumentFromRoom": (*Service).unbindDocument, "DescribeDocumentsByRoom": (*Service).documentsByRoom,
	} {
		actions[name] = a
	}
}

const mb = 1 << 20

// docKind is what a transcode type takes: suffixes and their size cap.
type docKind struct {
	suffixes []string
	max      int64
}

// docRules are the courseware rules of Tencent's practice: type 0 images
// (no transcoding), 1 documents, 2 video and audio.
var docRules = map[int][]docKind{
	0: {{[]string{"bmp", "jpg", "jpeg", "png", "gif"}, 100 * mb}},
	1: {{[]string{"doc", "docx", "ppt", "pptx", "pdf", "xls", "xlsx"}, 100 * mb}},
	2: {{[]string{"mp4", "3gp", "mpg", "mpeg", "3g2", "avi", "flv", "wmv", "h264", "m4v", "mj2", "mov", "ogg", "ogv", "rm", "qt",
		"vob", "webm", "f4v", "rmvb"}, 500 * mb},
		{[]string{"mp3", "wav", "wma", "aac", "flac", "m4a", "oga", "opus"}, 50 * mb}},
}

// checkDocument applies the rules to a document's type and size.
func checkDocument(transcode int, suffix string, size int64) error {
	kinds, ok := docRules[transcode]
	if !ok {
		return fail("InvalidParameter.TranscodeType", "TranscodeType is 0 (image), 1 (document) or 2 (video or audio)")
	}
	for _, k := range kinds {
		for _, s := range k.suffixes {
			if s == suffix {
				if size > k.max {
					return fail("LimitExceeded.DocumentSize", "a %s of transcode type %d holds at most %d MB", suffix, transcode, k.max/mb)
				}
				return nil
			}
		}
	}
	return fail("InvalidParameter.DocumentType", "%q is not a type of transcode type %d", suffix, transcode)
}

// docFields are CreateDocument's other documented fields, kept as given.
var docFields = map[string]bool{"AutoHandleUnsupportedElement": true, "MinScaleResolution": true, "Width": true, "Height": true, "Cover": true}

func (s *Service) createDocument(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId                                       *uint64
		DocumentUrl, DocumentName, Owner, DocumentType *string
		TranscodeType, Permission, DocumentSize        *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(c.params, &all)
	extra := map[string]json.RawMessage{}
	for k, v := range all {
		switch k {
		case "SdkAppId", "DocumentUrl", "DocumentName", "Owner", "DocumentType", "TranscodeType", "Permission", "DocumentSize":
		default:
			if !docFields[k] {
				return nil, fail("UnknownParameter", "the parameter %s is not a document field", k)
			}
			extra[k] = v
		}
	}
	u, err := url.Parse(str(p.DocumentUrl))
	switch {
	case str(p.DocumentUrl) == "":
		return nil, fail("MissingParameter", "DocumentUrl is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fail("InvalidParameter.DocumentUrl", "DocumentUrl is not an http(s) URL")
	case str(p.DocumentName) == "" || len(str(p.DocumentName)) > 255:
		return nil, fail("InvalidParameter", "DocumentName holds 1 to 255 bytes")
	case p.Permission != nil && *p.Permission > 1:
		return nil, fail("InvalidParameter", "Permission is 0 (private) or 1 (public)")
	}
	suffix := strings.ToLower(strings.TrimPrefix(str(p.DocumentType), "."))
	if suffix == "" {
		suffix = strings.ToLower(strings.TrimPrefix(path.Ext(u.Path), "."))
	}
	tt := int(u64(p.TranscodeType))
	if err := checkDocument(tt, suffix, u64(p.DocumentSize)); err != nil {
		return nil, err
	}
	if owner := str(p.Owner); owner != "" {
		if _, err := s.user(ctx, c, owner); err != nil {
			return nil, err
		}
	}
	pages := 0
	if suffix == "pdf" {
		// A PDF's pages are known at once; a file that is not there yet
		// (or not reachable) gets them from the pipeline's report.
		n, size, err := s.pdfPages(ctx, u.String(), docRules[tt][0].max)
		switch {
		case errors.Is(err, errTooLarge):
			return nil, fail("LimitExceeded.DocumentSize", "the PDF at DocumentUrl is larger than %d MB", docRules[tt][0].max/mb)
		case err != nil:
			s.d.Log.Warn("lcic: PDF pages not counted", "url", u.Redacted(), "err", err)
		default:
			pages = n
			if p.DocumentSize == nil {
				v := uint64(size)
				p.DocumentSize = &v
			}
		}
	}
	now := s.d.Now().Unix()
	d := &store.LCICDocument{DocumentID: randomText(24), Pages: pages, AppID: c.key.AppID, Owner: str(p.Owner), URL: u.String(),
		Name: str(p.DocumentName), DocumentType: suffix, Size: u64(p.DocumentSize), TranscodeType: tt,
		Permission: int(u64(p.Permission)), Created: now, Updated: now, Extra: extra}
	if tt != 0 {
		d.TranscodeState = 1 // waiting for the operator's pipeline
	} else {
		d.Progress = 100
	}
	if err := s.st.CreateLCICDocument(ctx, d); err != nil {
		return nil, err
	}
	s.enqueue(ctx, d.AppID, 0, "DocumentCreate", map[string]any{"DocumentId": d.DocumentID, "Owner": d.Owner})
	return map[string]any{"DocumentId": d.DocumentID}, nil
}

func docView(d *store.LCICDocument) map[string]any {
	out := map[string]any{}
	for k, v := range d.Extra {
		out[k] = v
	}
	out["DocumentId"], out["DocumentUrl"], out["DocumentName"], out["Owner"] = d.DocumentID, d.URL, d.Name, d.Owner
	out["SdkAppId"], out["Permission"], out["TranscodeResult"], out["TranscodeType"] = d.AppID, d.Permission, d.ResultURL, d.TranscodeType
	out["TranscodeProgress"], out["TranscodeState"], out["TranscodeInfo"] = d.Progress, d.TranscodeState, d.Info
	out["DocumentType"], out["DocumentSize"], out["UpdateTime"], out["Pages"] = d.DocumentType, d.Size, d.Updated, d.Pages
	return out
}

// document finds a document of the key's app.
func (s *Service) document(ctx context.Context, c *call, id string) (*store.LCICDocument, error) {
	if id == "" {
		return nil, fail("MissingParameter", "DocumentId is required")
	}
	d, err := s.st.LCICDocument(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && d.AppID != c.key.AppID {
		return nil, fail("ResourceNotFound.Document", "no document %s", id)
	}
	return d, err
}

func (s *Service) describeDocument(ctx context.Context, c *call) (any, error) {
	var p struct{ DocumentId *string }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	d, err := s.document(ctx, c, str(p.DocumentId))
	if err != nil {
		return nil, err
	}
	return docView(d), nil
}

type docsParams struct {
	SdkAppId, RoomId, Page, Limit *uint64
	Permission                    []uint64
	Owner, Keyword                *string
	DocumentId                    []string
}

func (s *Service) listDocuments(ctx context.Context, c *call, p *docsParams, room int64) (any, error) {
	f := store.LCICDocFilter{AppID: c.key.AppID, Owner: str(p.Owner), Keyword: str(p.Keyword), IDs: p.DocumentId, RoomID: room}
	for _, perm := range p.Permission {
		switch perm {
		case 0, 1:
			f.Permissions = append(f.Permissions, int(perm))
		case 2: // the owner's private ones and everyone's public ones: by owner below
		default:
			return nil, fail("InvalidParameter", "Permission holds 0, 1 or 2")
		}
	}
	f.Offset, f.Limit = page(p.Page, p.Limit, 100, 1000)
	total, docs, err := s.st.LCICDocuments(ctx, f)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(docs))
	for i := range docs {
		list[i] = docView(&docs[i])
	}
	return map[string]any{"Total": total, "Documents": list}, nil
}

func (s *Service) describeDocuments(ctx context.Context, c *call) (any, error) {
	var p docsParams
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, c, &p, 0)
}

func (s *Service) documentsByRoom(ctx context.Context, c *call) (any, error) {
	var p docsParams
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, false); err != nil {
		return nil, err
	}
	r, _, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, c, &p, r.RoomID)
}

// courseware is the 随心播 binding of a document to a class: in the
// teacher's name, so the apps list it as the class's courseware.
func courseware(d *store.LCICDocument, room, host, now int64) store.BindFile {
	typ := int64(0)
	if d.TranscodeType == 2 {
		typ = 1 // video
	}
	return store.BindFile{Uin: host, RoomID: room, Type: typ, FileName: d.Name, URL: d.URL, Time: now}
}

func (s *Service) bindDocument(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomId, BindType *uint64
		DocumentId       *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	cl, d, err := s.roomDocument(ctx, c, p.RoomId, p.DocumentId)
	if err != nil {
		return nil, err
	}
	now := s.d.Now().Unix()
	made, err := s.st.BindLCICDocument(ctx, cl.ID, d.DocumentID, u64(p.BindType), now)
	if err != nil || !made {
		return nil, err
	}
	err = s.st.Bind(ctx, courseware(d, cl.ID, cl.HostUin, now), bindsPerRoom, bindsPerUser)
	switch {
	case err == nil, errors.Is(err, store.ErrExists): // the teacher may have bound the same file by hand
		return nil, nil
	case errors.Is(err, store.ErrFull):
		err = fail("LimitExceeded", "the class holds %d files or its teacher %d: unbind some first", bindsPerRoom, bindsPerUser)
	}
	// Not in the courseware list: the binding is not kept either.
	if _, uerr := s.st.UnbindLCICDocument(ctx, cl.ID, d.DocumentID); uerr != nil {
		return nil, errors.Join(err, uerr)
	}
	return nil, err
}

// roomDocument reads a room and a document of the key's app.
func (s *Service) roomDocument(ctx context.Context, c *call, room *uint64, doc *string) (*store.Room, *store.LCICDocument, error) {
	_, cl, err := s.room(ctx, c, u64(room))
	if err != nil {
		return nil, nil, err
	}
	d, err := s.document(ctx, c, str(doc))
	if err != nil {
		return nil, nil, err
	}
	return cl, d, nil
}

// The binding caps for a school's courseware (the apps' own are lower).
const (
	bindsPerRoom = 1000
	bindsPerUser = 100000
)

func (s *Service) unbindDocument(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomId     *uint64
		DocumentId *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	cl, d, err := s.roomDocument(ctx, c, p.RoomId, p.DocumentId)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.UnbindLCICDocument(ctx, cl.ID, d.DocumentID); err != nil {
		return nil, err
	}
	_, err = s.st.Unbind(ctx, cl.ID, cl.HostUin, d.URL)
	return nil, err
}

func (s *Service) deleteDocument(ctx context.Context, c *call) (any, error) {
	var p struct{ DocumentId *string }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	d, err := s.document(ctx, c, str(p.DocumentId))
	if err != nil {
		return nil, err
	}
	rooms, err := s.st.DeleteLCICDocument(ctx, d.DocumentID)
	if err != nil {
		return nil, err
	}
	s.enqueue(ctx, d.AppID, 0, "DocumentDelete", map[string]any{"DocumentId": d.DocumentID})
	for _, r := range rooms {
		if o, err := s.st.RoomOwner(ctx, r); err == nil {
			if _, err := s.st.Unbind(ctx, r, o.Host, d.URL); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// TranscodePath is where the operator's transcoding pipeline reports a
// document's state, signed as the server's callbacks are.
const TranscodePath = "/_sxb/lcic/transcode"

// transcode takes a pipeline's report: {DocumentId, TranscodeState (1
// running, 2 failed, 3 done), TranscodeProgress, TranscodeResult, Pages,
// TranscodeInfo}, signed with t and sign on the query string.
func (h *Handler) transcode(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd = "lcic", "transcode"
	reply := func(status int, msg string) {
		rec.Code = status
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
	}
	q := r.URL.Query()
	if err := h.s.d.VerifyCallback(q.Get("t"), q.Get("sign")); err != nil {
		reply(http.StatusForbidden, err.Error())
		return
	}
	var p struct {
		DocumentId        string
		TranscodeState    int
		TranscodeProgress int
		TranscodeResult   string
		Pages             int
		TranscodeInfo     string
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&p); err != nil {
		reply(http.StatusBadRequest, "the body is not a JSON report")
		return
	}
	if p.TranscodeState < 1 || p.TranscodeState > 3 || p.TranscodeProgress < 0 || p.TranscodeProgress > 100 || p.Pages < 0 {
		reply(http.StatusBadRequest, "TranscodeState is 1, 2 or 3; TranscodeProgress 0 to 100")
		return
	}
	if p.TranscodeState == 3 {
		u, err := url.Parse(p.TranscodeResult)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			reply(http.StatusBadRequest, "a finished transcoding needs its TranscodeResult URL")
			return
		}
		p.TranscodeProgress = 100
	}
	ctx := r.Context()
	d, err := h.s.st.LCICDocument(ctx, p.DocumentId)
	if errors.Is(err, store.ErrNotFound) {
		reply(http.StatusNotFound, "no document "+p.DocumentId)
		return
	}
	if err != nil {
		rec.Err, rec.Failed = err, true
		reply(http.StatusInternalServerError, "internal error")
		return
	}
	d.TranscodeState, d.Progress, d.ResultURL, d.Pages, d.Info, d.Updated =
		p.TranscodeState, p.TranscodeProgress, p.TranscodeResult, p.Pages, p.TranscodeInfo, h.s.d.Now().Unix()
	if err := h.s.st.SetLCICTranscode(ctx, d); err != nil {
		rec.Err, rec.Failed = err, true
		reply(http.StatusInternalServerError, "internal error")
		return
	}
	if d.TranscodeState >= 2 {
		h.s.enqueue(ctx, d.AppID, 0, "DocumentTranscodeFinish", map[string]any{"DocumentId": d.DocumentID,
			"TranscodeState": d.TranscodeState, "TranscodeResult": d.ResultURL, "Pages": d.Pages})
	}
	reply(http.StatusOK, "ok")
}
