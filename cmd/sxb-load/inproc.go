package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/labstack/echo/v4"

	"sxb-edu/dispatch"
	"sxb-edu/sig"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// serveInProcess runs the server's stack (the same store, service,
// dispatch, metrics and access log that main wires together) inside this
// process on loopback, so that a run can be profiled with pprof: CPU,
// blocking and mutex contention. It returns the base URL and a stop
// function that writes the profiles into dir (when not empty).
func serveInProcess(dbPath, cfgPath, logPath, dir string, appid int64) (string, func() error, error) {
	cfg, err := svc.LoadConfig(cfgPath)
	if err != nil {
		return "", nil, err
	}
	st, err := store.Open(dbPath)
	if err != nil {
		return "", nil, err
	}
	if len(cfg.Apps) == 0 {
		key, err := st.Setting(context.Background(), "demo_app_key")
		if errors.Is(err, store.ErrNotFound) {
			var b [32]byte
			rand.Read(b[:])
			key = hex.EncodeToString(b[:])
			err = st.SetSetting(context.Background(), "demo_app_key", key)
		}
		if err != nil {
			st.Close()
			return "", nil, err
		}
		cfg.Apps = []svc.App{{SDKAppID: appid, Key: key, Admin: "admin"}}
	}
	var logw io.Writer = io.Discard
	var logf *os.File
	if logPath != "" {
		if logf, err = os.Create(logPath); err != nil {
			st.Close()
			return "", nil, err
		}
		logw = logf
	}
	log := slog.New(slog.NewJSONHandler(logw, nil))
	service := svc.New(cfg, st, &sig.IM{Base: cfg.IMBaseURL, Client: &http.Client{Timeout: 5 * time.Second}}, log)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	d := &dispatch.Server{Svc: service, Log: log, Metrics: dispatch.NewMetrics(service), Done: dispatch.AccessLog(log)}
	d.Register(e)
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
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
	bg, cancel := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { service.Run(bg); close(bgDone) }()
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
		srv.Close()
		cancel()
		<-bgDone
		err := st.Close()
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
