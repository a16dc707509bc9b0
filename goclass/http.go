package goclass

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"sxb-edu/front"
)

// Handler serves the API over HTTP: POST /edu_room/{command} with a
// JSON body (or the AES envelope {"s": hex}), answering
// {"ret":{"code","message","seq","timestamp"},"data":…}.
type Handler struct {
	svc     *Service
	block   cipher.Block // nil: no envelope keys
	iv      []byte
	require bool
	replays replays
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// NewHandler builds the HTTP side of s.
func NewHandler(s *Service) *Handler {
	h := &Handler{svc: s, require: s.cfg.RequireEnvelope}
	if s.cfg.AESKey != "" {
		h.block, _ = aes.NewCipher([]byte(s.cfg.AESKey)) // the length is validated
		h.iv = []byte(s.cfg.AESIV)
	}
	h.replays.entries = map[replayKey]replay{}
	return h
}

type ret struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Seq       int    `json:"seq"`
	Timestamp int64  `json:"timestamp"`
}

type answer struct {
	Ret  ret `json:"ret"`
	Data any `json:"data,omitempty"`
}

// command runs one API command on a request's body.
type command func(h *Handler, r *http.Request, body []byte) (data any, err error)

var commands = map[string]command{
	"login_room": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q LoginRoomReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return h.svc.Login(r.Context(), LoginReq{RoomID: q.RoomId, RoomType: q.RoomType, UID: q.UID,
			NickName: q.NickName, Role: q.Role, Platform: q.CommonData.Platform, Addr: front.From(r.Context()).Addr})
	},
	"get_attendee_list": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q GetAttendeeListReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		l, e := h.svc.List(r.Context(), q.RoomId, q.RoomType, q.Uid, false)
		if e != nil {
			return nil, e
		}
		return struct {
			Users  []Person `json:"attendee_list"`
			Seq    int64    `json:"seq"`
			RoomID string   `json:"room_id"`
		}{l.Users, l.Seq, l.RoomID}, nil
	},
	"get_join_live_list": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q GetJoinLiveListReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		l, e := h.svc.List(r.Context(), q.RoomId, q.RoomType, q.Uid, true)
		if e != nil {
			return nil, e
		}
		return struct {
			Users  []Person `json:"join_live_list"`
			Seq    int64    `json:"seq"`
			RoomID string   `json:"room_id"`
		}{l.Users, l.Seq, l.RoomID}, nil
	},
	"get_user_info": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q GetUserInfoReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return h.svc.UserInfo(r.Context(), q.RoomId, q.RoomType, q.Uid, q.TargetUid)
	},
	"set_user_info": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q SetUserInfoReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.SetUserInfo(r.Context(), SetReq{RoomID: q.RoomId, RoomType: q.RoomType, UID: q.Uid,
			TargetUID: q.TargetUid, Camera: q.Camera, Mic: q.Mic, CanShare: q.CanShare})
	},
	"heartbeat": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q HeartbeatReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return h.svc.Heartbeat(r.Context(), q.RoomId, q.RoomType, q.Uid)
	},
	"leave_room": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q LeaveRoomReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.Leave(r.Context(), q.RoomId, q.RoomType, q.Uid)
	},
	"end_teaching": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q EndTeachingReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.EndTeaching(r.Context(), q.RoomId, q.RoomType, q.Uid)
	},
	"start_share": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q StartShareReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.StartShare(r.Context(), q.RoomId, q.RoomType, q.Uid)
	},
	"stop_share": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q StopShareReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.StopShare(r.Context(), q.RoomId, q.RoomType, q.Uid, q.TargetUid)
	},
	"send_message": func(h *Handler, r *http.Request, b []byte) (any, error) {
		var q SendMessageReq
		if e := decode(r, b, &q); e != nil {
			return nil, e
		}
		return nil, h.svc.SendMessage(r.Context(), q.RoomId, q.RoomType, q.Uid, q.Message)
	},
}

// Commands are the API's command names (for the server's metric series).
func Commands() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	return names
}

// jsonError is the decoder's message with the reference's package name
// for the request types.
func jsonError(err error) string {
	return strings.ReplaceAll(err.Error(), "goclass.", "protocol.")
}

func decode(r *http.Request, body []byte, v any) *Error {
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{CodeInvalid, fmt.Sprintf("unmarshal to request failed, url:%v err:%v", r.RequestURI, jsonError(err))}
	}
	return nil
}

// ServeHTTP answers /edu_room/{command}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions && (r.Header.Get("Access-Control-Request-Method") != "" ||
		r.Header.Get("Access-Control-Request-Headers") != "") {
		Preflight(w, r)
		return
	}
	CORS(w.Header())
	name := strings.TrimPrefix(r.URL.Path, "/edu_room/")
	cmd, ok := commands[name]
	if !ok || r.Method != http.MethodPost {
		NotFound(w, r)
		return
	}
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd = "edu_room", name
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client went away
	}
	if len(body) > maxBody {
		h.write(w, rec, nil, nil, &Error{CodeInvalid, "request body too large"})
		return
	}
	data, e, enc := h.serve(r, rec, cmd, body)
	h.write(w, rec, enc, data, e)
}

// Fail answers a request whose command failed without answering (a
// panic): HTTP 500 with the API's system error.
func Fail(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Code, rec.Failed = CodeSystem, true
	b, _ := json.Marshal(answer{Ret: ret{Code: CodeSystem, Message: "system error", Timestamp: time.Now().UnixMilli()}})
	CORS(w.Header())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(b)
}

// errEnvelope answers every envelope that does not open.
var errEnvelope = &Error{CodeInvalid, "encrypted request refused: the envelope does not decrypt to a request"}

// maxDeviceID bounds common_data.device_id: the clients send a UUID.
const maxDeviceID = 128

// serve decodes the envelope and the common part, answers a repeated
// request from the cache, and runs the command. enc is the envelope's
// cipher when the request came in one (the answer goes back in it).
func (h *Handler) serve(r *http.Request, rec *front.Record, cmd command, body []byte) (data any, e *Error, enc cipher.Block) {
	if len(body) == 0 {
		return nil, &Error{CodeInvalid, "c.reqBuf == 0"}, nil
	}
	var base BaseRequest
	if err := json.Unmarshal(body, &base); err != nil {
		return nil, &Error{CodeInvalid, jsonError(err)}, nil
	}
	switch {
	case base.S != "" && h.block == nil:
		return nil, &Error{CodeInvalid, "encrypted request refused: this server has no aes_key"}, nil
	case base.S != "":
		// Every bad envelope gets the same answer: telling a bad padding
		// from bad JSON inside would be an oracle on the padding.
		enc = h.block
		plain, err := h.open(base.S)
		if err != nil {
			return nil, errEnvelope, enc
		}
		base = BaseRequest{}
		if err := json.Unmarshal(plain, &base); err != nil {
			return nil, errEnvelope, enc
		}
		body = plain
	case h.require:
		return nil, &Error{CodeInvalid, "plain request refused: this server takes requests in the AES envelope only"}, nil
	}
	if base.Uid != 0 {
		rec.UserID = strconv.FormatInt(base.Uid, 10)
	}
	cd := base.CommonData
	if len(cd.DeviceId) > maxDeviceID {
		return nil, &Error{CodeInvalid, fmt.Sprintf("common_data.device_id is longer than %d bytes", maxDeviceID)}, enc
	}
	var key replayKey
	repeatable := cd.DeviceId != "" && cd.Seq != 0
	if repeatable {
		// The whole request is the key: a repeat is the same bytes to the
		// same command, never another device's or another user's request
		// that happens to share a device id and seq.
		hs := sha256.New()
		io.WriteString(hs, r.URL.Path)
		hs.Write([]byte{0})
		hs.Write(body)
		hs.Sum(key[:0])
		if b, ok := h.replays.get(key, h.svc.now()); ok {
			return cached(b), nil, nil
		}
	}
	data, err := cmd(h, r, body)
	if err != nil && !errors.As(err, &e) {
		h.svc.log.Error("goclass: command", "cmd", rec.Cmd, "err", err)
		e = &Error{CodeSystem, "system error"}
	}
	if e == nil && repeatable {
		h.replays.put(key, h.answer(enc, data, nil), h.svc.now())
	}
	return data, e, enc
}

// cached is an answer already encoded.
type cached []byte

// answer encodes an answer (in the envelope when enc is set).
func (h *Handler) answer(enc cipher.Block, data any, e *Error) []byte {
	if c, ok := data.(cached); ok {
		return c
	}
	a := answer{Ret: ret{Code: CodeOK, Message: "succeed"}, Data: data}
	if e != nil {
		a = answer{Ret: ret{Code: e.Code, Message: e.Message, Timestamp: h.svc.ms()}}
	}
	if enc == nil {
		b, _ := json.Marshal(a)
		return b
	}
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	je.Encode(a)
	b, _ := json.Marshal(map[string]string{"s": hex.EncodeToString(h.seal(buf.Bytes()))})
	return b
}

func (h *Handler) write(w http.ResponseWriter, rec *front.Record, enc cipher.Block, data any, e *Error) {
	if e != nil {
		rec.Code = e.Code
		rec.Failed = e.Code == CodeSystem
	} else {
		rec.Quiet = rec.Cmd == "heartbeat"
	}
	b := h.answer(enc, data, e)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// open decrypts an envelope: hex, AES-CBC, PKCS#7 padding.
func (h *Handler) open(s string) ([]byte, error) {
	ct, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(ct) < aes.BlockSize {
		return nil, errors.New("ciphertext too short")
	}
	if len(ct)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext is not a multiple of the block size")
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(h.block, h.iv).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(pt) {
		return nil, errors.New("unpadding failed")
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, errors.New("unpadding failed")
		}
	}
	return pt[:len(pt)-pad], nil
}

// seal encrypts an answer for the envelope.
func (h *Handler) seal(pt []byte) []byte {
	pad := aes.BlockSize - len(pt)%aes.BlockSize
	pt = append(pt, bytes.Repeat([]byte{byte(pad)}, pad)...)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(h.block, h.iv).CryptBlocks(ct, pt)
	return ct
}

// CORS sets the headers the reference sends with every answer.
func CORS(hd http.Header) {
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Allow-Credentials", "false")
	hd.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ","))
	hd.Set("Access-Control-Allow-Headers", strings.Join(corsHeaders, ","))
	hd.Set("Access-Control-Expose-Headers", "Content-Length,Access-Control-Allow-Origin,Access-Control-Allow-Headers,Content-Type")
}

var (
	corsMethods = []string{"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"}
	corsHeaders = []string{"Origin", "Authorization", "Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Content-Type"}
)

// Preflight answers a CORS preflight request.
func Preflight(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Allow-Credentials", "true")
	for _, m := range corsMethods {
		if m == r.Header.Get("Access-Control-Request-Method") {
			hd.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ","))
		}
	}
	var allowed []string
	for _, rh := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		rh = strings.TrimSpace(rh)
		for _, a := range corsHeaders {
			if strings.EqualFold(rh, a) {
				allowed = append(allowed, rh)
				break
			}
		}
	}
	if len(allowed) > 0 {
		hd.Set("Access-Control-Allow-Headers", strings.Join(allowed, ","))
	}
	hd.Set("Access-Control-Expose-Headers", "Content-Length,Access-Control-Allow-Origin,Access-Control-Allow-Headers,Content-Type")
	w.WriteHeader(http.StatusOK)
}

// NotFound answers an unknown route or method as the reference: 404.
func NotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Page Not Found</title></head><body><h1>404</h1><p>Page Not Found</p></body></html>\n")
	}
}

// Empty answers the load balancers' health checks (GET /health, HEAD /).
func Empty(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd, rec.Quiet = "health", "check", true
	CORS(w.Header())
	w.WriteHeader(http.StatusOK)
}

// replays keeps a minute of answers by request (a hash of the command
// and the whole body): a client that repeats a request gets the first
// answer and nothing runs twice. The cache is bounded in bytes.
type replays struct {
	mu      sync.Mutex
	entries map[replayKey]replay
	bytes   int
	puts    int
}

type replayKey [sha256.Size]byte

type replay struct {
	body []byte
	exp  time.Time
}

const (
	replayLife = time.Minute
	// replayBytes bounds the answers kept (16 MB: a minute of a busy
	// school's repeats); past it, new answers are not kept until old ones
	// expire.
	replayBytes = 16 << 20
	replayEntry = 128 // the bytes an entry costs besides its answer
)

func (c *replays) get(key replayKey, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.exp) {
		return nil, false
	}
	return e.body, true
}

func (c *replays) put(key replayKey, body []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cost := len(body) + replayEntry
	if c.puts++; c.puts%1000 == 0 || c.bytes+cost > replayBytes {
		for k, e := range c.entries {
			if now.After(e.exp) {
				delete(c.entries, k)
				c.bytes -= len(e.body) + replayEntry
			}
		}
	}
	if _, dup := c.entries[key]; !dup && c.bytes+cost <= replayBytes {
		c.entries[key] = replay{body, now.Add(replayLife)}
		c.bytes += cost
	}
}
