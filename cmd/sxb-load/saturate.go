package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bodyFn gives worker w's next request.
type bodyFn func(w int) (svc, cmd string, body []byte)

// pound runs c workers that each send a request as soon as the previous
// answer came, for warmup unrecorded and then d recorded.
func pound(ctx context.Context, cl *client, name string, c int, warmup, d time.Duration, next bodyFn) (*Recorder, time.Duration) {
	rec := NewRecorder(name)
	var on atomic.Bool
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil {
				svc, cmd, body := next(w)
				t0 := time.Now()
				code, _, err := cl.call(ctx, svc, cmd, body, false)
				if on.Load() {
					rec.Add(time.Since(t0), kindOf(code, err))
				}
			}
		}(w)
	}
	sleep(ctx, warmup)
	on.Store(true)
	t0 := time.Now()
	sleep(ctx, d)
	on.Store(false)
	elapsed := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	return rec, elapsed
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// runSaturate measures the ceiling, then each command at saturation. With
// -rounds above 1 it does so again, alternating, so that a drift in what
// else the machine is doing shows in the ratios instead of biasing them;
// the summary gives each command's median share over the rounds.
func runSaturate(ctx context.Context, o *options, rep *report) error {
	var cmds []string
	for _, cmd := range strings.Split(o.cmds, ",") {
		if cmd = strings.TrimSpace(cmd); cmd != "" {
			cmds = append(cmds, cmd)
		}
	}
	cl := newClient(o.url, o.appid, o.conns, o.timeout)
	// The students every worker speaks as, logged in once (a login
	// replaces the user's token).
	stud := make([]string, o.c)
	if len(cmds) > 0 {
		if err := parallel(ctx, o.c, o.setupC, func(i int) error {
			tok, _, err := cl.ensureLogin(ctx, fmt.Sprintf("sat-s%04d", i), o.pwd, 0)
			stud[i] = tok
			return err
		}); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	next := map[string]bodyFn{}
	for _, cmd := range cmds {
		fn, err := satSetup(ctx, cl, o, rep, cmd, stud)
		if err != nil {
			return fmt.Errorf("%s setup: %w", cmd, err)
		}
		next[cmd] = fn
	}
	shares := map[string][]float64{}
	for round := 1; round <= o.rounds && ctx.Err() == nil; round++ {
		t0 := time.Now()
		var results []Summary
		var ceiling float64
		if !o.skipCei {
			s, err := measureCeiling(ctx, o)
			if err != nil {
				return err
			}
			ceiling = s.Rate
			results = append(results, s)
		}
		for _, cmd := range cmds {
			if cmd == "login" && round > 1 {
				continue // slow and bounded by hashing: once is enough
			}
			rec, el := pound(ctx, cl, cmd, o.c, o.warmup, o.dur, next[cmd])
			s := rec.Summary(el)
			if ceiling > 0 {
				s.Ceiling = s.Rate / ceiling
				shares[cmd] = append(shares[cmd], s.Ceiling)
			}
			results = append(results, s)
		}
		rep.Phases = append(rep.Phases, phase{
			Name:    fmt.Sprintf("saturate round %d of %d, %d connections, %s each", round, o.rounds, o.c, o.dur),
			Seconds: time.Since(t0).Seconds(), Commands: results})
	}
	for _, cmd := range cmds {
		if v := shares[cmd]; len(v) > 1 {
			sort.Float64s(v)
			rep.note("%s: median share of the ceiling over %d rounds %.1f%% (min %.1f%%, max %.1f%%)",
				cmd, len(v), 100*v[len(v)/2], 100*v[0], 100*v[len(v)-1])
		}
	}
	return ctx.Err()
}

// measureCeiling runs the saturating load against a bare handler.
func measureCeiling(ctx context.Context, o *options) (Summary, error) {
	base, stop, err := ceilingServer()
	if err != nil {
		return Summary{}, err
	}
	defer stop()
	cl := newClient(base, o.appid, o.conns, o.timeout)
	defer cl.hc.CloseIdleConnections()
	// The body a heartbeat sends, so both sides move the same bytes.
	body := cl.req("0123456789abcdef0123456789abcdef", "roomnum", 10001)
	rec, el := pound(ctx, cl, "ceiling (bare handler)", o.c, o.warmup, o.dur,
		func(int) (string, string, []byte) { return "live", "heartbeat", body })
	s := rec.Summary(el)
	s.Ceiling = 1
	return s, nil
}

// satSetup prepares the users and rooms one command needs and returns
// its request maker. Workers are students sat-s0000...; each keeps its
// own token, as real clients do.
func satSetup(ctx context.Context, cl *client, o *options, rep *report, cmd string, stud []string) (bodyFn, error) {
	switch cmd {
	case "heartbeat", "roomidlist":
		tt, _, err := cl.ensureLogin(ctx, "sat-t0001", o.pwd, 1)
		if err != nil {
			return nil, err
		}
		room, err := cl.openRoom(ctx, tt, "saturate "+cmd)
		if err != nil {
			return nil, err
		}
		if err := parallel(ctx, o.c, o.setupC, func(i int) error {
			return cl.must(ctx, "live", "reportmemid", cl.req(stud[i], "roomnum", room, "operate", 0))
		}); err != nil {
			return nil, err
		}
		bodies := make([][]byte, o.c)
		for i := range bodies {
			if cmd == "heartbeat" {
				bodies[i] = cl.req(stud[i], "roomnum", room)
			} else {
				bodies[i] = cl.req(stud[i], "roomnum", room, "index", 0, "size", 20)
			}
		}
		return func(w int) (string, string, []byte) { return "live", cmd, bodies[w] }, nil
	case "roomlist":
		tt, _, err := cl.ensureLogin(ctx, "sat-t0002", o.pwd, 1)
		if err != nil {
			return nil, err
		}
		var list struct {
			Total int `json:"total"`
		}
		if err := cl.mustData(ctx, "live", "roomlist", cl.req(tt, "index", 0, "size", 0), &list); err != nil {
			return nil, err
		}
		if missing := o.nRooms - list.Total; missing > 0 {
			if err := parallel(ctx, missing, o.setupC, func(i int) error {
				_, err := cl.openRoom(ctx, tt, fmt.Sprintf("room %d", i))
				return err
			}); err != nil {
				return nil, err
			}
			rep.note("roomlist: created %d rooms (started) so that the app holds %d", missing, o.nRooms)
		} else {
			rep.note("roomlist: the app holds %d rooms (-list-rooms %d)", list.Total, o.nRooms)
		}
		bodies := make([][]byte, o.c)
		for i := range bodies {
			bodies[i] = cl.req(stud[i], "index", o.index, "size", 20)
		}
		return func(w int) (string, string, []byte) { return "live", "roomlist", bodies[w] }, nil
	case "login":
		// Users of their own: logging in replaces the other workers' tokens.
		if err := parallel(ctx, o.c, o.setupC, func(i int) error {
			return cl.register(ctx, fmt.Sprintf("sat-l%04d", i), o.pwd, 0)
		}); err != nil {
			return nil, err
		}
		bodies := make([][]byte, o.c)
		for i := range bodies {
			bodies[i] = cl.req("", "id", fmt.Sprintf("sat-l%04d", i), "pwd", o.pwd)
		}
		rep.note("login: each connection logs its own user in again and again (the hash cost is the server's)")
		return func(w int) (string, string, []byte) { return "account", "login", bodies[w] }, nil
	}
	return nil, fmt.Errorf("unknown command %q (heartbeat, roomlist, roomidlist, login)", cmd)
}
