package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"sxb-edu/front"
	"sxb-edu/store"
)

// Several servers on one MySQL database (README, "Several servers"):
// each registers with a lease and its address; a write is acknowledged
// only after every other server has dropped what the write made stale,
// or was fenced out and its lease ran out. A server uses its caches only
// while it holds its lease and every writer knows of it.

// peerPath is where servers tell each other of writes.
const peerPath = "/_sxb/peer"

// peerHeader carries the HMAC-SHA256 of the body under the shared key.
const peerHeader = "X-Sxb-Peer"

const (
	renewEvery = store.LeaseTime / 3
	// leaseMargin: the lease is used a little less long than the
	// database grants it (the renewal's own time, clock rate).
	leaseMargin = 250 * time.Millisecond
	// listMaxAge: a writer asks the database for the servers again when
	// its list is older. joinDelay, longer, is how long a new server
	// reads through before it caches: by then every writer lists it.
	listMaxAge = renewEvery + renewEvery/2
	joinDelay  = 2 * renewEvery
	// maxMessageAge refuses a replayed message (it would only drop caches).
	maxMessageAge = time.Minute
)

type peerMessage struct {
	From   string       `json:"from"`
	At     int64        `json:"at"` // unix ms
	Change store.Change `json:"change"`
}

// peers is this server's part in a group of servers on one database.
type peers struct {
	st      *store.Store
	log     *slog.Logger
	key     []byte
	self    string // the advertised URL
	client  *http.Client
	timeout time.Duration

	mu     sync.Mutex
	id     string // this server's row; "" until registered
	list   []store.Peer
	listAt time.Time

	out     sync.Mutex  // guards queue and sending
	queue   []*outgoing // messages to send, the last one still gathering
	sending bool        // drain is running
}

// newPeers reads (or makes) the group's shared key.
func newPeers(st *store.Store, log *slog.Logger, timeout time.Duration) (*peers, error) {
	var b [32]byte
	rand.Read(b[:])
	key, err := st.AddSetting(context.Background(), "peer_key", hex.EncodeToString(b[:]))
	if err != nil {
		return nil, fmt.Errorf("peer key: %w", err)
	}
	return &peers{st: st, log: log, key: []byte(key), timeout: timeout,
		client: &http.Client{Timeout: timeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
			// The body is signed and holds only room and account numbers.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		}}}, nil
}

func (p *peers) sign(body []byte) string {
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// run registers this server at self and keeps its lease until ctx ends;
// then it leaves the group.
func (p *peers) run(ctx context.Context, self string) {
	p.self = self
	// joined: when this server (re)joined; until: how long its caches
	// may be used. After a lapse it joins anew: writers dropped it from
	// their lists meanwhile and must list it again before it caches.
	var joined, until time.Time
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		start := time.Now()
		p.mu.Lock()
		id := p.id
		p.mu.Unlock()
		if id == "-" {
			return
		}
		if id == "" {
			nid, err := p.st.RegisterServer(ctx, self, start.Unix())
			if err != nil {
				p.log.Error("several servers: cannot register; reading everything from the database", "err", err)
			} else {
				p.mu.Lock()
				p.id = nid
				p.mu.Unlock()
				joined = start
				p.log.Info("several servers: registered", "id", nid, "addr", self)
			}
		} else if ok, err := p.st.RenewLease(ctx, id); err != nil {
			p.log.Error("several servers: cannot renew the lease", "err", err)
		} else if !ok {
			p.st.StopCaches()
			p.log.Warn("several servers: fenced out by another server (it could not reach this one); registering again")
			p.mu.Lock()
			if p.id == id {
				p.id = ""
			}
			p.mu.Unlock()
			continue
		} else {
			if !until.IsZero() && start.After(until) && joined.Before(until) {
				joined = start
				p.log.Warn("several servers: the lease had lapsed; reading through until every server lists this one again")
			}
			if _, err := p.refresh(ctx, start); err != nil {
				p.log.Error("several servers: list", "err", err)
			} else if start.Sub(joined) >= joinDelay {
				until = start.Add(store.LeaseTime - leaseMargin)
				p.st.UseCachesUntil(until)
			}
		}
		select {
		case <-ctx.Done():
			p.leave()
			return
		case <-t.C:
		}
	}
}

// leave stops the caches and removes this server from the group, so
// that nobody waits for it; the loop is then over.
func (p *peers) leave() {
	p.st.StopCaches()
	p.mu.Lock()
	id := p.id
	p.id = "-" // never registers again
	p.mu.Unlock()
	if id != "" && id != "-" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.st.RetireServer(ctx, id); err != nil {
			p.log.Warn("several servers: could not leave the group (the others fence this server out)", "err", err)
		}
	}
}

// refresh reads the other servers; at is when the read began.
func (p *peers) refresh(ctx context.Context, at time.Time) ([]store.Peer, error) {
	p.mu.Lock()
	id := p.id
	p.mu.Unlock()
	list, err := p.st.Peers(ctx, id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if at.After(p.listAt) {
		p.list, p.listAt = list, at
	}
	return list, nil
}

// current is the list of other servers, read again when old.
func (p *peers) current(ctx context.Context) ([]store.Peer, error) {
	p.mu.Lock()
	list, at := p.list, p.listAt
	p.mu.Unlock()
	if time.Since(at) < listMaxAge {
		return list, nil
	}
	return p.refresh(ctx, time.Now())
}

// publish delivers c to every other server, fencing out (and waiting
// out) those it cannot reach. It is the store's Publisher. Writes that
// come while a message is on its way go together in the next one (each
// waits for the message that carries its change): under a storm of
// enters the servers exchange a few messages a round trip, not one per
// write.
func (p *peers) publish(ctx context.Context, c store.Change) error {
	if list, err := p.current(ctx); err != nil {
		return fmt.Errorf("several servers: list: %w", err)
	} else if len(list) == 0 {
		return nil
	}
	p.out.Lock()
	var b *outgoing
	if n := len(p.queue); n > 0 && p.queue[n-1].size() < maxBatch {
		b = p.queue[n-1]
	} else {
		b = &outgoing{done: make(chan struct{})}
		p.queue = append(p.queue, b)
	}
	b.change = b.change.Merge(c)
	if !p.sending {
		p.sending = true
		go p.drain()
	}
	p.out.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// outgoing is a message to send: the changes of the writes waiting for it.
type outgoing struct {
	change store.Change
	done   chan struct{}
	err    error
}

// maxBatch bounds the items of one message (well within what a server
// reads of one: 1 MB).
const maxBatch = 2000

func (o *outgoing) size() int {
	c := o.change
	return len(c.Rooms) + len(c.Entered) + len(c.Left) + len(c.Uins) + len(c.Hosts)
}

// drain sends the waiting messages in order, one at a time, until none wait.
func (p *peers) drain() {
	for {
		p.out.Lock()
		if len(p.queue) == 0 {
			p.sending = false
			p.out.Unlock()
			return
		}
		b := p.queue[0]
		p.queue = p.queue[1:]
		p.out.Unlock()
		b.err = p.deliver(context.Background(), b.change)
		close(b.done)
	}
}

// deliver sends one message to every other server at once.
func (p *peers) deliver(ctx context.Context, c store.Change) error {
	list, err := p.current(ctx)
	if err != nil {
		return fmt.Errorf("several servers: list: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	p.mu.Lock()
	from := p.id
	p.mu.Unlock()
	body, _ := json.Marshal(peerMessage{From: from, At: time.Now().UnixMilli(), Change: c})
	sig := p.sign(body)
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, peer := range list {
		wg.Go(func() {
			err := p.send(ctx, peer, body, sig)
			if err == nil {
				return
			}
			errs[i] = p.fence(ctx, peer, err)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (p *peers) send(ctx context.Context, peer store.Peer, body []byte, sig string) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer.Addr+peerPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(peerHeader, sig)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// fence shuts out a server that could not be told of a write: it can no
// longer renew its lease, and once the lease ran out it uses no cache.
func (p *peers) fence(ctx context.Context, peer store.Peer, cause error) error {
	left, err := p.st.Fence(ctx, peer.ID)
	if err != nil {
		return fmt.Errorf("several servers: %s could not be told of a write (%v) nor fenced out: %w", peer.Addr, cause, err)
	}
	p.log.Warn("several servers: fenced out a server that could not be told of a write",
		"peer", peer.Addr, "id", peer.ID, "err", cause, "lease_left_ms", left.Milliseconds())
	p.mu.Lock()
	for i, q := range p.list {
		if q.ID == peer.ID {
			p.list = append(p.list[:i:i], p.list[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	time.Sleep(left + leaseMargin)
	return nil
}

// ServeHTTP receives another server's message.
func (p *peers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd, rec.Quiet = "peer", "change", true
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	got, _ := hex.DecodeString(r.Header.Get(peerHeader))
	want, _ := hex.DecodeString(p.sign(body))
	if !hmac.Equal(got, want) {
		rec.Quiet = false
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var m peerMessage
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	if age := time.Since(time.UnixMilli(m.At)); age > maxMessageAge || age < -maxMessageAge {
		rec.Quiet = false
		http.Error(w, "stale message", http.StatusForbidden)
		return
	}
	p.st.Forget(r.Context(), m.Change)
	w.WriteHeader(http.StatusNoContent)
}

// advertise is the URL other servers reach this one at: the configured
// peer_url, else this machine's address toward the database (the network
// the servers share) and the listening port.
func advertise(cfg *Config, ln net.Addr, dbURL string, tlsOn bool) string {
	if cfg.PeerURL != "" {
		return cfg.PeerURL
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(ln.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
		if c, err := store.MySQLConfig(dbURL); err == nil {
			if dbHost, _, err := net.SplitHostPort(c.Addr); err == nil {
				if conn, err := net.Dial("udp", net.JoinHostPort(dbHost, "9")); err == nil {
					host, _, _ = net.SplitHostPort(conn.LocalAddr().String())
					conn.Close()
				}
			}
		}
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}).String()
}
