package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client speaks the protocol to one server the way the apps do: POST
// /index.php?svc=..&cmd=.. with a JSON body, over kept-alive connections.
type client struct {
	bases []string // several servers: requests go round-robin
	next  atomic.Uint64
	appid int64
	hc    *http.Client
	raw   []*rawPool // set by useRaw: the lean client, a pool per server
	urls  sync.Map   // "svc/cmd" -> full URLs, one per base
}

// useRaw makes the client send through rawPools of n connections per
// server instead of net/http's.
func (c *client) useRaw(n int, timeout time.Duration) error {
	for _, b := range c.bases {
		p, err := newRawPool(b, n, timeout)
		if err != nil {
			return err
		}
		c.raw = append(c.raw, p)
	}
	return nil
}

// newClient makes a client whose transport keeps up to conns connections
// per server open and never opens more (so a stall queues instead of
// churning ports). base may name several servers, comma-separated: each
// request goes to the next, so one user's requests land on all of them.
func newClient(base string, appid int64, conns int, timeout time.Duration) *client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{bases: splitURLs(base), appid: appid, hc: &http.Client{Transport: tr, Timeout: timeout}}
}

// splitURLs reads a comma-separated list of server base URLs.
func splitURLs(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func (c *client) url(svc, cmd string) string {
	_, u := c.pick(svc, cmd)
	return u
}

// pick chooses the server of the next request (round-robin) and its URL.
func (c *client) pick(svc, cmd string) (int, string) {
	k := svc + "/" + cmd
	v, ok := c.urls.Load(k)
	if !ok {
		us := make([]string, len(c.bases))
		for i, b := range c.bases {
			us[i] = b + "/index.php?svc=" + url.QueryEscape(svc) + "&cmd=" + url.QueryEscape(cmd)
		}
		v, _ = c.urls.LoadOrStore(k, us)
	}
	us := v.([]string)
	if len(us) == 1 {
		return 0, us[0]
	}
	i := int(c.next.Add(1) % uint64(len(us)))
	return i, us[i]
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// errKind names a failed outcome for the error tables.
type callErr struct{ kind string }

func (e *callErr) Error() string { return e.kind }

// call sends one request and returns the errorCode and, when want is
// set, the raw answer. err is set for a transport failure or an answer
// that is not the protocol's envelope.
func (c *client) call(ctx context.Context, svc, cmd string, body []byte, want bool) (code int, raw []byte, err error) {
	if len(c.raw) > 0 {
		return c.callRaw(ctx, svc, cmd, body, want)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(svc, cmd), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, &callErr{"transport"}
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	defer bufPool.Put(buf)
	if err != nil {
		return 0, nil, &callErr{"transport"}
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, &callErr{"http " + strconv.Itoa(resp.StatusCode)}
	}
	code, ok := errorCode(buf.Bytes())
	if !ok {
		return 0, nil, &callErr{"bad answer"}
	}
	if want {
		raw = append([]byte(nil), buf.Bytes()...)
	}
	return code, raw, nil
}

func (c *client) callRaw(ctx context.Context, svc, cmd string, body []byte, want bool) (int, []byte, error) {
	i, u := c.pick(svc, cmd)
	path := u[len(c.bases[i]):]
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	status, err := c.raw[i].post(ctx, path, body, buf)
	if err != nil {
		return 0, nil, &callErr{"transport"}
	}
	if status != http.StatusOK {
		return 0, nil, &callErr{"http " + strconv.Itoa(status)}
	}
	code, ok := errorCode(buf.Bytes())
	if !ok {
		return 0, nil, &callErr{"bad answer"}
	}
	var raw []byte
	if want {
		raw = append([]byte(nil), buf.Bytes()...)
	}
	return code, raw, nil
}

// errorCode reads the envelope's errorCode. The server writes it first,
// so the common case is a prefix match without decoding the whole answer
// (room lists are kilobytes; the generator shares the CPUs it measures).
func errorCode(b []byte) (int, bool) {
	const p = `{"errorCode":`
	if bytes.HasPrefix(b, []byte(p)) {
		n, i := 0, len(p)
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			n = n*10 + int(b[i]-'0')
		}
		if i > len(p) && i < len(b) && (b[i] == ',' || b[i] == '}') {
			return n, true
		}
	}
	var env struct {
		ErrorCode *int `json:"errorCode"`
	}
	if json.Unmarshal(b, &env) != nil || env.ErrorCode == nil {
		return 0, false
	}
	return *env.ErrorCode, true
}

// kindOf names the outcome of a call for the error tables ("" = success).
func kindOf(code int, err error) string {
	var ce *callErr
	switch {
	case errors.As(err, &ce):
		return ce.kind
	case err != nil:
		return "transport"
	case code != 0:
		return strconv.Itoa(code)
	}
	return ""
}

// req builds a request body: appid, timeStamp, the token when given,
// then the fields, as JSON. Values are strings or integers.
func (c *client) req(token string, kv ...any) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"appid":`...)
	b = strconv.AppendInt(b, c.appid, 10)
	b = append(b, `,"timeStamp":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	if token != "" {
		b = append(b, `,"token":`...)
		b = strconv.AppendQuote(b, token)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, ',')
		b = strconv.AppendQuote(b, kv[i].(string))
		b = append(b, ':')
		switch v := kv[i+1].(type) {
		case string:
			q, _ := json.Marshal(v)
			b = append(b, q...)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		default:
			panic(fmt.Sprintf("req: field %v of type %T", kv[i], v))
		}
	}
	return append(b, '}')
}

// data decodes the data of a successful answer into v.
func data(raw []byte, v any) error {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, v)
}

// checkLoopback refuses a target that is not this machine: the tool is a
// load generator and must not be pointed at someone else's server.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("target %s: only http:// on loopback", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %s: only loopback addresses (127.0.0.0/8, ::1, localhost)", base)
	}
	return nil
}

// ceilingServer answers every request with a fixed small JSON, the shape
// and size of a heartbeat answer: the most this machine can serve over
// HTTP with the same client, measured in the same run.
func ceilingServer() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	answer := []byte(`{"errorCode":0,"errorInfo":""}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
