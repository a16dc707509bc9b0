// Command sxb-load drives a running sxb-edu server over HTTP the way the
// classroom apps do, and measures it.
//
// Modes:
//
//	classroom  teachers create and start rooms, students log in, enter,
//	           send a heartbeat every few seconds, list members and rooms
//	           now and then, and leave; optionally a login storm meanwhile.
//	saturate   C connections send one command as fast as the server
//	           answers, after the same load against a bare HTTP handler
//	           (the ceiling) started by this tool, so each rate is also a
//	           share of what the machine can serve at all.
//	ceiling    only the bare-handler measurement.
//	register   registers N users (to prepare a database once).
//
// It only targets loopback addresses and every run is bounded in time and
// count.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Limits that keep a mistyped flag from turning into an endless run.
const (
	maxDuration = 10 * time.Minute
	maxUsers    = 100000
	maxConns    = 4096
)

type options struct {
	mode      string
	perSecond bool
	raw       bool
	hashCost  int
	url       string
	appid     int64
	pwd       string
	timeout   time.Duration
	conns     int
	jsonOut   string
	pid       int

	// saturate / ceiling
	cmds    string
	c       int
	dur     time.Duration
	warmup  time.Duration
	nRooms  int
	index   int
	skipCei bool
	rounds  int

	// classroom
	rooms     int
	students  int
	hb        time.Duration
	jitter    float64
	ramp      time.Duration
	listEvery time.Duration
	setupC    int
	tokens    string
	prefix    string
	storm     int
	stormC    int
	stormAt   time.Duration
	stormPfx  string

	// register
	n    int
	role int

	// in-process server, for profiling
	serveDB, serveCfg, serveLog, profile string
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // the generator shares the CPUs it measures
	}
	o := parseFlags(os.Args[1:])
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "sxb-load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, &o)
	if rep != nil {
		rep.print(os.Stdout)
	}
	if rep != nil && o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sxb-load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) options {
	var o options
	fs := flag.NewFlagSet("sxb-load", flag.ExitOnError)
	fs.StringVar(&o.mode, "mode", "saturate", "classroom | saturate | ceiling | register")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080",
		"server base URL (loopback only); several, comma-separated, share the load round-robin (servers on one MySQL database)")
	fs.Int64Var(&o.appid, "appid", 1400000000, "SDKAppID sent as appid")
	fs.StringVar(&o.pwd, "pwd", "sxb-load-password", "password of the generated users")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.IntVar(&o.conns, "conns", 0, "HTTP connections kept open (default: -c in saturate, 256 in classroom)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.IntVar(&o.pid, "pid", 0, "server process id: report its memory (VmHWM, VmRSS) from /proc")

	fs.StringVar(&o.cmds, "cmd", "heartbeat,roomlist", "saturate: commands, comma-separated: heartbeat, roomlist, roomidlist, login")
	fs.IntVar(&o.c, "c", 64, "saturate: concurrent connections")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "measured duration (saturate: per command; classroom: the class)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "saturate: unmeasured warm-up before each measurement")
	fs.IntVar(&o.nRooms, "list-rooms", 1000, "saturate roomlist: rooms the app must hold (created when missing)")
	fs.IntVar(&o.index, "index", 0, "saturate roomlist: page index")
	fs.BoolVar(&o.skipCei, "no-ceiling", false, "saturate: skip the ceiling measurement")
	fs.IntVar(&o.rounds, "rounds", 1, "saturate: measure ceiling and commands this many times, alternating")

	fs.IntVar(&o.rooms, "rooms", 200, "classroom: rooms (one teacher each)")
	fs.IntVar(&o.students, "students", 50, "classroom: students per room")
	fs.DurationVar(&o.hb, "hb", 3*time.Second, "classroom: heartbeat interval")
	fs.Float64Var(&o.jitter, "jitter", 0.1, "classroom: heartbeat interval jitter, a share of -hb")
	fs.DurationVar(&o.ramp, "ramp", 10*time.Second, "classroom: students enter over this time before the measured class (-d), and leave over it after")
	fs.DurationVar(&o.listEvery, "list-every", 60*time.Second, "classroom: each user lists members and rooms this often")
	fs.IntVar(&o.setupC, "setup-c", 32, "classroom/register: concurrent requests while logging in and registering")
	fs.StringVar(&o.tokens, "tokens", "", "classroom: file caching the users' tokens across runs (read if present, written after login)")
	fs.StringVar(&o.prefix, "prefix", "cl", "classroom/register: user id prefix")
	fs.BoolVar(&o.raw, "raw", true, "classroom: send through the tool's lean HTTP/1.1 client (false: net/http's)")
	fs.BoolVar(&o.perSecond, "per-second", false, "classroom: also report enters and heartbeats per second of the entry")
	fs.IntVar(&o.hashCost, "hash-cost", 10, "classroom -storm: the server's bcrypt cost (the tool measures the machine's hash capacity at it)")
	fs.IntVar(&o.storm, "storm", 0, "classroom: logins of the login storm (0 = none)")
	fs.IntVar(&o.stormC, "storm-c", 64, "classroom: logins at once in the storm")
	fs.DurationVar(&o.stormAt, "storm-at", 15*time.Second, "classroom: the storm starts this long into the class")
	fs.StringVar(&o.stormPfx, "storm-prefix", "lg", "classroom: storm users are <prefix><5 digits>, registered beforehand (-mode register)")

	fs.IntVar(&o.n, "n", 1000, "register: users")
	fs.IntVar(&o.role, "role", 0, "register: role (0 student, 1 teacher)")
	fs.StringVar(&o.serveDB, "serve", "", "run the server stack in this process on this database file (for profiling; -url is ignored)")
	fs.StringVar(&o.serveCfg, "serve-config", "", "-serve: the server's configuration file")
	fs.StringVar(&o.serveLog, "serve-log", "", "-serve: write the server's log here (default: discarded)")
	fs.StringVar(&o.profile, "profile", "", "-serve: write pprof profiles of the run into this directory")
	fs.Parse(args)
	return o
}

// run runs the mode o names (o checked) and reports what it measured.
func run(ctx context.Context, o *options) (*report, error) {
	rep := &report{Mode: o.mode, Target: o.url, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		Started: time.Now().UTC().Format(time.RFC3339)}
	rep.LoadAvg = append(rep.LoadAvg, loadAvg())
	cpu0 := procCPU(o.pid)
	stopServer, err := withServer(o, rep)
	if err != nil {
		return nil, err // nothing ran: no report
	}
	switch o.mode {
	case "saturate":
		err = runSaturate(ctx, o, rep)
	case "ceiling":
		o.skipCei = false
		o.cmds = ""
		err = runSaturate(ctx, o, rep)
	case "classroom":
		err = runClassroom(ctx, o, rep)
	case "register":
		err = runRegister(ctx, o, rep)
	}
	stopServer()
	if o.pid > 0 {
		rep.Server = readMem(o.pid, rep.Server)
		rep.ServerCPU = procCPU(o.pid) - cpu0
		if rep.Requests > 0 {
			rep.CPUPerReq = 1e6 * rep.ServerCPU / float64(rep.Requests)
		}
	}
	rep.LoadAvg = append(rep.LoadAvg, loadAvg())
	return rep, err
}

func (o *options) check() error {
	switch o.mode {
	case "saturate", "ceiling", "classroom", "register":
	default:
		return fmt.Errorf("unknown -mode %q", o.mode)
	}
	if o.mode != "ceiling" {
		for _, u := range splitURLs(o.url) {
			if err := checkLoopback(u); err != nil {
				return err
			}
		}
	}
	o.url = strings.Join(splitURLs(o.url), ",")
	if o.dur <= 0 || o.dur > maxDuration || o.warmup < 0 || o.warmup > maxDuration {
		return fmt.Errorf("-d and -warmup must be within 0..%s", maxDuration)
	}
	if o.rounds < 1 || o.rounds > 20 {
		return errors.New("-rounds must be within 1..20")
	}
	if o.c < 1 || o.c > maxConns {
		return fmt.Errorf("-c must be within 1..%d", maxConns)
	}
	if o.rooms < 1 || o.students < 0 || o.rooms*(o.students+1) > maxUsers || o.n < 0 || o.n > maxUsers ||
		o.storm < 0 || o.storm > maxUsers || o.nRooms < 0 || o.nRooms > maxUsers {
		return fmt.Errorf("user and room counts are limited to %d", maxUsers)
	}
	if o.stormC < 1 || o.stormC > maxConns || o.setupC < 1 || o.setupC > maxConns {
		return fmt.Errorf("-storm-c and -setup-c must be within 1..%d", maxConns)
	}
	if o.hb <= 0 || o.jitter < 0 || o.jitter >= 1 || o.listEvery <= 0 || o.ramp < 0 {
		return errors.New("-hb and -list-every must be positive, -jitter within 0..1")
	}
	if o.conns == 0 {
		o.conns = o.c
		if o.mode == "classroom" {
			o.conns = 256
		}
	}
	if o.conns < 1 || o.conns > maxConns {
		return fmt.Errorf("-conns must be within 1..%d", maxConns)
	}
	return nil
}

// report is everything a run measured.
type report struct {
	Mode       string    `json:"mode"`
	Target     string    `json:"target"`
	Started    string    `json:"started"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	NumCPU     int       `json:"num_cpu"`
	LoadAvg    []string  `json:"loadavg,omitempty"` // /proc/loadavg at the start and the end
	ServerCPU  float64   `json:"server_cpu_seconds,omitempty"`
	Requests   int64     `json:"class_requests,omitempty"` // classroom: enters, leaves, lists and heartbeats
	CPUPerReq  float64   `json:"server_cpu_us_per_request,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	Phases     []phase   `json:"phases"`
	Server     *memStats `json:"server_memory,omitempty"`
}

type phase struct {
	Name     string    `json:"name"`
	Seconds  float64   `json:"seconds"`
	Commands []Summary `json:"commands"`
}

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *report) add(name string, elapsed time.Duration, recs ...*Recorder) {
	p := phase{Name: name, Seconds: elapsed.Seconds()}
	for _, rec := range recs {
		if rec.Count() > 0 {
			p.Commands = append(p.Commands, rec.Summary(elapsed))
		}
	}
	r.Phases = append(r.Phases, p)
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "sxb-load %s against %s (GOMAXPROCS %d, %d CPUs) at %s\n",
		r.Mode, r.Target, r.GOMAXPROCS, r.NumCPU, r.Started)
	for _, p := range r.Phases {
		fmt.Fprintf(w, "\n== %s (%.1f s)\n", p.Name, p.Seconds)
		printTable(w, p.Commands)
	}
	if len(r.LoadAvg) > 0 {
		fmt.Fprintf(w, "\nload average (1, 5, 15 min; runnable/total; last pid) at start: %s; at end: %s\n",
			r.LoadAvg[0], r.LoadAvg[len(r.LoadAvg)-1])
	}
	if r.ServerCPU > 0 {
		fmt.Fprintf(w, "server CPU time used during the run: %.1f s\n", r.ServerCPU)
	}
	if r.CPUPerReq > 0 {
		fmt.Fprintf(w, "server CPU per classroom request: %.1f µs (%d enters, leaves, lists and heartbeats)\n",
			r.CPUPerReq, r.Requests)
	}
	if r.Server != nil {
		fmt.Fprintf(w, "\nserver memory: VmHWM %.1f MB, VmRSS %.1f MB at the end, highest VmRSS sampled %.1f MB\n",
			r.Server.HWM, r.Server.RSS, r.Server.PeakRSS)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
