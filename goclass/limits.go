package goclass

import (
	"fmt"
	"sync"
	"time"
)

// creator is who asks for a room that may not exist yet.
type creator struct{ addr string }

// tooFast refuses a new room: its address made its minute's rooms.
type tooFast struct{ wait time.Duration }

func (e *tooFast) Error() string {
	return fmt.Sprintf("too many new rooms from this address, retry in %d s", int(e.wait.Seconds()+0.999))
}

// creations counts new rooms per client address in one-minute windows:
// anyone can make a room by logging in to it, and one client once made
// 10,000 in 30 s.
type creations struct {
	mu sync.Mutex
	m  map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// creationsKept bounds the addresses remembered; past it expired windows
// are forgotten.
const creationsKept = 10000

func (c *creations) allow(addr string, now time.Time, perMinute int) error {
	if perMinute <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*window{}
	}
	w := c.m[addr]
	if w == nil || now.Sub(w.start) >= time.Minute {
		if len(c.m) >= creationsKept {
			for k, o := range c.m {
				if now.Sub(o.start) >= time.Minute {
					delete(c.m, k)
				}
			}
		}
		w = &window{start: now}
		c.m[addr] = w
	}
	if w.n >= perMinute {
		return &tooFast{wait: w.start.Add(time.Minute).Sub(now)}
	}
	w.n++
	return nil
}
