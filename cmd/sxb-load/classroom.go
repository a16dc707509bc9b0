package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// classroom holds the recorders of one class run. The run has three
// phases: entry (students come in over -ramp and start beating), the
// measured class (-d: every user in, beating, listing now and then; the
// storm, if any, happens here) and leaving (over -ramp again).
type classroom struct {
	cl *client
	o  *options

	// Whole run, by command.
	enter, leave, idlist, rlist *Recorder
	// Heartbeats by phase, and lists within the measured class.
	hbEntry, hb, hbLeave, hbStorm *Recorder
	idlistWin, rlistWin           *Recorder

	storming         atomic.Bool
	start            time.Time // the entry begins
	winStart, winEnd time.Time
	// Per second of the entry (-per-second): enters and heartbeats.
	enterSec, hbSec []*Recorder
}

// perSecond adds a request of the entry to its second's recorder.
func (k *classroom) perSecond(recs []*Recorder, t0 time.Time, d time.Duration, kind string) {
	if i := int(t0.Sub(k.start) / time.Second); i >= 0 && i < len(recs) {
		recs[i].Add(d, kind)
	}
}

func (k *classroom) send(ctx context.Context, rec *Recorder, cmd string, body []byte) {
	t0 := time.Now()
	code, _, err := k.cl.call(ctx, "live", cmd, body, false)
	d := time.Since(t0)
	kind := kindOf(code, err)
	in := !t0.Before(k.winStart) && t0.Before(k.winEnd)
	switch rec {
	case k.hb:
		switch {
		case t0.Before(k.winStart):
			rec = k.hbEntry
			k.perSecond(k.hbSec, t0, d, kind)
		case !in:
			rec = k.hbLeave
		case k.storming.Load():
			k.hbStorm.Add(d, kind)
		}
	case k.enter:
		k.perSecond(k.enterSec, t0, d, kind)
	case k.idlist:
		if in {
			k.idlistWin.Add(d, kind)
		}
	case k.rlist:
		if in {
			k.rlistWin.Add(d, kind)
		}
	}
	rec.Add(d, kind)
}

// jittered is d ± jitter·d, uniformly.
func jittered(d time.Duration, jitter float64) time.Duration {
	return time.Duration(float64(d) * (1 + jitter*(2*rand.Float64()-1)))
}

// user is one app in the class: it enters, beats, lists now and then and
// leaves when the class ends.
func (k *classroom) user(ctx context.Context, token string, room int64, teacher bool, end time.Time, left *sync.WaitGroup) {
	o := k.o
	if !sleepUntil(ctx, time.Now().Add(time.Duration(rand.Int64N(int64(o.ramp)+1)))) {
		return
	}
	if !teacher {
		k.send(ctx, k.enter, "reportmemid", k.cl.req(token, "roomnum", room, "operate", 0))
		k.send(ctx, k.idlist, "roomidlist", k.cl.req(token, "roomnum", room, "index", 0, "size", 20))
	}
	k.send(ctx, k.rlist, "roomlist", k.cl.req(token, "index", 0, "size", 20))
	if !teacher && o.ramp > 0 {
		// Students leave over -ramp after the class, as they came.
		end = end.Add(time.Duration(rand.Int64N(int64(o.ramp))))
	}
	hb := k.cl.req(token, "roomnum", room)
	nextHB := time.Now().Add(time.Duration(rand.Int64N(int64(o.hb))))
	nextList := time.Now().Add(time.Duration(rand.Int64N(int64(o.listEvery))))
	for {
		at := nextHB
		if nextList.Before(at) {
			at = nextList
		}
		if at.After(end) || !sleepUntil(ctx, at) {
			break
		}
		if !nextHB.After(at) {
			k.send(ctx, k.hb, "heartbeat", hb)
			nextHB = nextHB.Add(jittered(o.hb, o.jitter))
		} else {
			if teacher {
				k.send(ctx, k.rlist, "roomlist", k.cl.req(token, "index", 0, "size", 20))
			} else {
				k.send(ctx, k.idlist, "roomidlist", k.cl.req(token, "roomnum", room, "index", 0, "size", 20))
			}
			nextList = nextList.Add(jittered(o.listEvery, o.jitter))
		}
	}
	if ctx.Err() != nil {
		return
	}
	if teacher {
		// The class ends once its students have left.
		done := make(chan struct{})
		go func() { left.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(k.o.ramp + k.o.timeout): // students leave over -ramp
		case <-ctx.Done():
			return
		}
		k.send(ctx, k.leave, "exitroom", k.cl.req(token, "roomnum", room))
	} else {
		k.send(ctx, k.leave, "reportmemid", k.cl.req(token, "roomnum", room, "operate", 1))
	}
}

// studentsLeft counts down the students of one room as they leave.
func studentsLeft(n int) *sync.WaitGroup {
	wg := &sync.WaitGroup{}
	wg.Add(n)
	return wg
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	sleep(ctx, time.Until(t))
	return ctx.Err() == nil
}

// runClassroom logs everybody in, opens the rooms and runs the class for
// -d, with the login storm when asked for.
func runClassroom(ctx context.Context, o *options, rep *report) error {
	cl := newClient(o.url, o.appid, o.conns, o.timeout)
	if o.raw {
		if err := cl.useRaw(o.conns, o.timeout); err != nil {
			return err
		}
	}
	nT, nS := o.rooms, o.rooms*o.students
	ids := make([]string, 0, nT+nS)
	for i := 0; i < nT; i++ {
		ids = append(ids, fmt.Sprintf("%s-t%04d", o.prefix, i))
	}
	for i := 0; i < nS; i++ {
		ids = append(ids, fmt.Sprintf("%s-s%05d", o.prefix, i))
	}

	// Log in (registering when needed), or reuse the tokens of a former run.
	tokens := map[string]string{}
	if o.tokens != "" {
		if b, err := os.ReadFile(o.tokens); err == nil {
			if err := json.Unmarshal(b, &tokens); err != nil {
				return fmt.Errorf("%s: %w", o.tokens, err)
			}
		}
	}
	var missing []string
	for _, id := range ids {
		if tokens[id] == "" {
			missing = append(missing, id)
		}
	}
	if len(missing) < len(ids) {
		// A token of another database would fail every request: check one.
		code, _, err := cl.call(ctx, "live", "heartbeat", cl.req(tokens[ids[0]], "roomnum", 1), false)
		if err != nil || code == 10009 {
			rep.note("cached tokens are stale (%v, code %d): logging everybody in", err, code)
			missing = ids
		}
	}
	loginRec := NewRecorder("login (setup)")
	t0 := time.Now()
	var mu sync.Mutex
	err := parallel(ctx, len(missing), o.setupC, func(i int) error {
		id := missing[i]
		role := 0
		if id[len(o.prefix)+1] == 't' {
			role = 1
		}
		tok, took, err := cl.ensureLogin(ctx, id, o.pwd, role)
		loginRec.Add(took, kindOfErr(err))
		mu.Lock()
		tokens[id] = tok
		mu.Unlock()
		return err
	})
	rep.add(fmt.Sprintf("setup: %d of %d users logged in (the rest reused cached tokens)", len(missing), len(ids)),
		time.Since(t0), loginRec)
	if err != nil {
		return err
	}
	if o.tokens != "" && len(missing) > 0 {
		b, _ := json.Marshal(tokens)
		if err := os.WriteFile(o.tokens, b, 0o600); err != nil {
			return err
		}
	}

	// Every teacher opens a room.
	rooms := make([]int64, nT)
	openRec := NewRecorder("create+startcourse")
	t0 = time.Now()
	err = parallel(ctx, nT, o.setupC, func(i int) error {
		s := time.Now()
		r, err := cl.openRoom(ctx, tokens[ids[i]], fmt.Sprintf("class %d", i))
		openRec.Add(time.Since(s), kindOfErr(err))
		rooms[i] = r
		return err
	})
	rep.add(fmt.Sprintf("setup: %d rooms created and started", nT), time.Since(t0), openRec)
	if err != nil {
		return err
	}

	k := &classroom{cl: cl, o: o,
		enter: NewRecorder("reportmemid enter"), leave: NewRecorder("leave (reportmemid 1, exitroom)"),
		idlist: NewRecorder("roomidlist"), rlist: NewRecorder("roomlist"),
		hbEntry: NewRecorder("heartbeat"), hb: NewRecorder("heartbeat"), hbLeave: NewRecorder("heartbeat"),
		hbStorm:   NewRecorder("heartbeat during storm"),
		idlistWin: NewRecorder("roomidlist"), rlistWin: NewRecorder("roomlist")}
	if o.perSecond {
		n := int((o.ramp+o.hb)/time.Second) + 1
		for range n {
			k.enterSec = append(k.enterSec, NewRecorder("enter"))
			k.hbSec = append(k.hbSec, NewRecorder("heartbeat"))
		}
	}
	var hashCap float64
	if o.storm > 0 {
		hashCap = hashCapacity(o.hashCost, runtime.NumCPU(), 3*time.Second)
	}
	start := time.Now()
	k.start = start
	// The class is measured from one heartbeat interval after the last
	// student came in, so the entry's queue has drained.
	k.winStart = start.Add(o.ramp + o.hb)
	k.winEnd = k.winStart.Add(o.dur)
	end := k.winEnd
	var wg sync.WaitGroup
	left := make([]*sync.WaitGroup, nT)
	for i := range left {
		left[i] = studentsLeft((nS - i + nT - 1) / nT) // students j with j%nT == i
	}
	for i := 0; i < nT; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k.user(ctx, tokens[ids[i]], rooms[i], true, end, left[i])
		}(i)
	}
	for j := 0; j < nS; j++ {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			defer left[j%nT].Done()
			k.user(ctx, tokens[ids[nT+j]], rooms[j%nT], false, end, nil)
		}(j)
	}

	// Server memory, sampled through the run.
	memDone, memStopped := make(chan struct{}), make(chan struct{})
	if o.pid > 0 {
		go func() {
			defer close(memStopped)
			tk := time.NewTicker(500 * time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case <-memDone:
					return
				case <-tk.C:
					rep.Server = readMem(o.pid, rep.Server)
				}
			}
		}()
	}

	// The login storm: -storm logins, -storm-c at once, during the class.
	stormLogin := NewRecorder("login (storm)")
	var stormTook time.Duration
	stormDone := make(chan error, 1)
	if o.storm > 0 {
		go func() {
			if !sleepUntil(ctx, k.winStart.Add(o.stormAt)) {
				stormDone <- ctx.Err()
				return
			}
			scl := newClient(o.url, o.appid, o.stormC, o.timeout)
			if o.raw {
				if err := scl.useRaw(o.stormC, o.timeout); err != nil {
					stormDone <- err
					return
				}
			}
			k.storming.Store(true)
			s := time.Now()
			err := parallel(ctx, o.storm, o.stormC, func(i int) error {
				id := fmt.Sprintf("%s%05d", o.stormPfx, i)
				t := time.Now()
				code, _, err := scl.call(ctx, "account", "login", scl.req("", "id", id, "pwd", o.pwd), false)
				stormLogin.Add(time.Since(t), kindOf(code, err))
				return nil
			})
			stormTook = time.Since(s)
			k.storming.Store(false)
			stormDone <- err
		}()
	} else {
		stormDone <- nil
	}
	if o.pid <= 0 {
		close(memStopped)
	}
	wg.Wait()
	elapsed := time.Since(start)
	serr := <-stormDone
	close(memDone)
	<-memStopped
	rep.add(fmt.Sprintf("entry: %d students enter over %s and start beating (then %s to settle)", nS, o.ramp, o.hb), o.ramp+o.hb,
		k.enter, k.hbEntry)
	if o.perSecond {
		rep.note("entry, per second: second, enters (p99 ms), heartbeats (p99 ms)")
		for i := range k.enterSec {
			rep.note("  %3d  %6d (%7.2f)  %6d (%7.2f)", i, k.enterSec[i].Count(), ms(k.enterSec[i].Quantile(0.99)),
				k.hbSec[i].Count(), ms(k.hbSec[i].Quantile(0.99)))
		}
	}
	rep.add(fmt.Sprintf("class (measured): %d rooms × %d students, heartbeat every %s ±%.0f%%, lists every %s",
		nT, o.students, o.hb, 100*o.jitter, o.listEvery), o.dur, k.hb, k.idlistWin, k.rlistWin)
	rep.add("leaving: students leave over -ramp, then teachers end their classes", elapsed-o.ramp-o.hb-o.dur,
		k.leave, k.hbLeave)
	rep.add("whole run, by command", elapsed, k.enter, k.idlist, k.rlist, k.leave)
	// What a classroom's server CPU is divided by (BENCHMARKS.md): every
	// request of the class but the setup's and the storm's logins.
	for _, r := range []*Recorder{k.enter, k.idlist, k.rlist, k.leave, k.hbEntry, k.hb, k.hbLeave} {
		rep.Requests += r.Count()
	}
	if o.storm > 0 {
		rep.add(fmt.Sprintf("login storm: %d logins, %d at once, from %s into the class", o.storm, o.stormC, o.stormAt),
			stormTook, stormLogin, k.hbStorm)
		if stormTook > 0 && hashCap > 0 {
			rate := float64(stormLogin.Count()) / stormTook.Seconds()
			rep.note("login storm: %.1f logins/s = %.0f%% of the hash capacity (%.1f bcrypt-%d hashes/s on %d cores, measured by this tool before the run)",
				rate, 100*rate/hashCap, hashCap, o.hashCost, runtime.NumCPU())
		}
		if stormTook > 0 && time.Duration(o.stormAt)+stormTook > o.dur {
			rep.note("the storm outlasted the measured class (it ended %.1f s into it): its last logins had no class beside them",
				(o.stormAt + stormTook).Seconds())
		}
	}
	rep.note("expected heartbeat rate %.0f/s (%d users every %s)", float64(nT+nS)/o.hb.Seconds(), nT+nS, o.hb)
	if serr != nil {
		return serr
	}
	return ctx.Err()
}

// hashCapacity measures how many bcrypt hashes of cost this machine's
// cores make per second, all of them hashing for d.
func hashCapacity(cost, cores int, d time.Duration) float64 {
	var n atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range cores {
		wg.Go(func() {
			for time.Now().Before(stop) {
				bcrypt.GenerateFromPassword([]byte("capacity"), cost)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}
