package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/store"
)

// Writes that come while a message is on its way go together in the
// next one, in order, and each returns only once its own change arrived.
func TestPublishBatches(t *testing.T) {
	var (
		mu       sync.Mutex
		messages int
		got      []int64 // rooms, in arrival order
	)
	arrived := make(chan struct{}) // the first message reached the peer
	release := make(chan struct{}) // the first message is held until the others wait
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m peerMessage
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("message: %v", err)
		}
		if len(m.Change.Rooms) == 1 && m.Change.Rooms[0] == 1 {
			close(arrived)
			<-release
		}
		mu.Lock()
		messages++
		got = append(got, m.Change.Rooms...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	p := &peers{log: slog.New(slog.DiscardHandler), key: []byte("k"), timeout: 5 * time.Second, client: slow.Client(),
		list: []store.Peer{{ID: "other", Addr: slow.URL}}, listAt: time.Now().Add(time.Hour)}

	// The first write goes alone; the next 20, made while it travels
	// (held by the peer until they all wait), share the next message.
	first := make(chan error)
	go func() { first <- p.publish(context.Background(), store.Change{Rooms: []int64{1}}) }()
	<-arrived
	var wg sync.WaitGroup
	var late atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			if err := p.publish(context.Background(), store.Change{Rooms: []int64{int64(100 + i)}}); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range got {
				if r == int64(100+i) {
					return
				}
			}
			late.Add(1) // returned before its change arrived
		})
	}
	for queued := 0; queued < 20; time.Sleep(time.Millisecond) {
		p.out.Lock()
		queued = 0
		for _, o := range p.queue {
			queued += o.size()
		}
		p.out.Unlock()
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if messages != 2 || len(got) != 21 || got[0] != 1 || late.Load() != 0 {
		t.Fatalf("%d messages carrying %v; %d writes returned before their change arrived", messages, got, late.Load())
	}
}
