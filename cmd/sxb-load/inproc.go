package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"sxb-edu/server"
)

// serveInProcess runs the production server (built by server.New, as
// main builds it) inside this process on loopback, so that a run can be
// profiled with pprof: CPU, blocking and mutex contention. It returns the
// base URL and a stop function that writes the profiles into dir (when not
// empty). appid is the demo app's SDKAppID, the one main serves.
func serveInProcess(dbPath, cfgPath, logPath, dir string, appid int64) (string, func() error, error) {
	if appid != server.DemoAppID && cfgPath == "" {
		return "", nil, fmt.Errorf("-appid %d needs a -serve-config naming it (the demo app is %d)", appid, server.DemoAppID)
	}
	cfg, err := server.LoadConfig(cfgPath)
	if err != nil {
		return "", nil, err
	}
	var logw io.Writer = io.Discard
	var logf *os.File
	if logPath != "" {
		if logf, err = os.Create(logPath); err != nil {
			return "", nil, err
		}
		logw = logf
	}
	srv, err := server.New(cfg, server.Options{DB: dbPath, Log: slog.New(slog.NewJSONHandler(logw, nil))})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", nil, err
	}
	var cpu *os.File
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, err
		}
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		if cpu, err = os.Create(filepath.Join(dir, "cpu.pprof")); err != nil {
			return "", nil, err
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			return "", nil, err
		}
	}
	srv.Start()
	go srv.Serve(ln)

	stop := func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
			for _, name := range []string{"block", "mutex", "heap", "goroutine"} {
				f, err := os.Create(filepath.Join(dir, name+".pprof"))
				if err != nil {
					return err
				}
				pprof.Lookup(name).WriteTo(f, 0)
				f.Close()
			}
		}
		err := srv.Close()
		if logf != nil {
			logf.Close()
		}
		return err
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// withServer starts the in-process server when -serve is given.
func withServer(o *options, rep *report) (stop func(), err error) {
	if o.serveDB == "" {
		return func() {}, nil
	}
	base, st, err := serveInProcess(o.serveDB, o.serveCfg, o.serveLog, o.profile, o.appid)
	if err != nil {
		return nil, fmt.Errorf("-serve: %w", err)
	}
	o.url = base
	rep.Target = base + " (in-process server on " + o.serveDB + ")"
	rep.note("in-process server: the load generator and the server share one process and its %d Ps", runtime.GOMAXPROCS(0))
	if o.profile != "" {
		rep.note("profiles (cpu, block, mutex, heap, goroutine) written to %s", o.profile)
	}
	return func() {
		if err := st(); err != nil {
			fmt.Fprintln(os.Stderr, "sxb-load: in-process server:", err)
		}
	}, nil
}
