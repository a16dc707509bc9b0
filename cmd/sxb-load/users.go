package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// must sends a request that has to succeed.
func (c *client) must(ctx context.Context, svc, cmd string, body []byte) error {
	code, _, err := c.call(ctx, svc, cmd, body, false)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", svc, cmd, err)
	}
	if code != 0 {
		return fmt.Errorf("%s/%s: errorCode %d", svc, cmd, code)
	}
	return nil
}

// mustData sends a request that has to succeed and decodes its data.
func (c *client) mustData(ctx context.Context, svc, cmd string, body []byte, v any) error {
	code, raw, err := c.call(ctx, svc, cmd, body, true)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", svc, cmd, err)
	}
	if code != 0 {
		return fmt.Errorf("%s/%s: errorCode %d", svc, cmd, code)
	}
	return data(raw, v)
}

// register registers id; an id already taken counts as done.
func (c *client) register(ctx context.Context, id, pwd string, role int) error {
	code, _, err := c.call(ctx, "account", "regist", c.req("", "id", id, "pwd", pwd, "role", role), false)
	if err != nil {
		return fmt.Errorf("regist %s: %w", id, err)
	}
	if code != 0 && code != 10004 {
		return fmt.Errorf("regist %s: errorCode %d", id, code)
	}
	return nil
}

// ensureLogin registers id (an id already taken is fine) and logs it in.
// It registers first rather than on a 10005 because failed logins count
// against the address's login rate limit. It also says how long the login
// itself took.
func (c *client) ensureLogin(ctx context.Context, id, pwd string, role int) (string, time.Duration, error) {
	if err := c.register(ctx, id, pwd, role); err != nil {
		return "", 0, err
	}
	t0 := time.Now()
	code, raw, err := c.call(ctx, "account", "login", c.req("", "id", id, "pwd", pwd), true)
	took := time.Since(t0)
	if err != nil {
		return "", took, fmt.Errorf("login %s: %w", id, err)
	}
	if code != 0 {
		return "", took, fmt.Errorf("login %s: errorCode %d", id, code)
	}
	var d struct {
		Token string `json:"token"`
	}
	if err := data(raw, &d); err != nil || d.Token == "" {
		return "", took, fmt.Errorf("login %s: no token in the answer", id)
	}
	return d.Token, took, nil
}

// openRoom creates a room and starts the class in it.
func (c *client) openRoom(ctx context.Context, token, title string) (int64, error) {
	var d struct {
		RoomNum int64 `json:"roomnum"`
	}
	if err := c.mustData(ctx, "live", "create", c.req(token, "title", title), &d); err != nil {
		return 0, err
	}
	return d.RoomNum, c.must(ctx, "live", "startcourse", c.req(token, "roomnum", d.RoomNum))
}

// parallel runs fn(0..n-1), at most conc at once; the first error stops
// the rest from starting and is returned.
func parallel(ctx context.Context, n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < conc && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// runRegister registers -n users <prefix><5 digits> with -role.
func runRegister(ctx context.Context, o *options, rep *report) error {
	cl := newClient(o.url, o.appid, o.setupC, o.timeout)
	rec := NewRecorder("regist")
	t0 := time.Now()
	err := parallel(ctx, o.n, o.setupC, func(i int) error {
		s := time.Now()
		err := cl.register(ctx, fmt.Sprintf("%s%05d", o.prefix, i), o.pwd, o.role)
		rec.Add(time.Since(s), kindOfErr(err))
		return err
	})
	rep.add(fmt.Sprintf("register %d users %s00000.. (role %d), %d at once", o.n, o.prefix, o.role, o.setupC),
		time.Since(t0), rec)
	return err
}

func kindOfErr(err error) string {
	if err == nil {
		return ""
	}
	return "failed"
}

// memStats is the server's memory as /proc tells it, in MB.
type memStats struct {
	HWM     float64 `json:"vmhwm_mb"`
	RSS     float64 `json:"vmrss_mb"`
	PeakRSS float64 `json:"peak_sampled_vmrss_mb"`
}

// procMem reads VmHWM and VmRSS of pid, in MB.
func procMem(pid int) (hwm, rss float64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			hwm = kb / 1024
		case "VmRSS:":
			rss = kb / 1024
		}
	}
	return hwm, rss, nil
}

func readMem(pid int, prev *memStats) *memStats {
	m := &memStats{}
	if prev != nil {
		*m = *prev
	}
	if hwm, rss, err := procMem(pid); err == nil {
		m.HWM, m.RSS = hwm, rss
		if rss > m.PeakRSS {
			m.PeakRSS = rss
		}
	}
	return m
}

// loadAvg is /proc/loadavg: how busy the machine was besides this run.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// procCPU is the CPU time pid used so far (user + system), in seconds.
func procCPU(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}
