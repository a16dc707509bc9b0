// Command sxb-edu is a drop-in replacement for the PHP backend of
// 随心播.教育: one binary, an embedded SQLite database.
package main

import (
	"bufio"
	"cmp"
	"strings"
	"time"

	"sxb-edu/console"
	"sxb-edu/lcic"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"sxb-edu/server"
	"sxb-edu/store"
)

func main() {
	level := new(slog.LevelVar)
	out := newLogBuffer(os.Stderr)
	log := slog.New(flushingHandler{slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}), out})
	err := run(os.Args[1:], os.Stdout, log, level)
	out.Flush()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Error("fatal", "err", err)
		os.Exit(1)
	}
}

// shellQuote quotes s for a shell command line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// buildVersion is set at build time when VCS stamping is off:
// go build -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

// version is the module version and VCS revision the binary was built
// from; buildVersion when the build recorded neither.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return cmp.Or(buildVersion, "unknown")
	}
	v := bi.Main.Version
	if v == "(devel)" && buildVersion != "" {
		v = buildVersion
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += " (modified)"
		}
	}
	return v
}

func run(args []string, stdout io.Writer, log *slog.Logger, level *slog.LevelVar) error {
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "admin" {
		return runAdmin(args[1:], os.Stdin, stdout)
	}
	if len(args) > 0 && args[0] == "export" {
		return runExport(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "apikey" {
		return runAPIKey(args[1:], stdout)
	}
	fs := flag.NewFlagSet("sxb-edu", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", env("SXB_ADDR", ":8080"), "listen address (env SXB_ADDR)")
	dbPath := fs.String("db", env("SXB_DB", "./sxb-edu.db"),
		"SQLite database file, or mysql://user:password@host:port/dbname (env SXB_DB)")
	cfgPath := fs.String("config", env("SXB_CONFIG", ""), "configuration file, JSON (env SXB_CONFIG); see config.example.json")
	logLevel := fs.String("log-level", env("SXB_LOG_LEVEL", "info"),
		"debug, info, warn or error (env SXB_LOG_LEVEL); debug adds successful heartbeats to the access log")
	showVersion := fs.Bool("version", false, "print the version and exit")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate file (PEM; with -tls-key; config tls_cert)")
	tlsKey := fs.String("tls-key", "", "the certificate's key file (PEM; config tls_key)")
	httpsNames := fs.String("https", "", "DOMAIN[,DOMAIN…]: get certificates through ACME and serve HTTPS on :443, "+
		"the ACME challenge and a redirect on :80 (config https, https_addr, acme_http_addr, acme_directory, acme_email)")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: sxb-edu [flags]\n       sxb-edu import -from mysql://… -db new.db\n"+
			"       sxb-edu export -db … -to mysql://…   (back to the PHP server's schema)\n"+
			"       sxb-edu admin create [-db …] NAME   (the password is read from standard input)\n"+
			"       sxb-edu apikey create|list|revoke [-db …] …   (keys of the LCIC API)\n\n"+
			"Serves the 随心播.教育 protocol on one SQLite file or a MySQL database.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "sxb-edu", version())
		return flag.ErrHelp
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	cfg, err := server.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *tlsCert != "" || *tlsKey != "" || *httpsNames != "" {
		cfg.TLSCert, cfg.TLSKey = cmp.Or(*tlsCert, cfg.TLSCert), cmp.Or(*tlsKey, cfg.TLSKey)
		if *httpsNames != "" {
			cfg.HTTPS = strings.Split(*httpsNames, ",")
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	srv, err := server.New(cfg, server.Options{DB: *dbPath, Log: log})
	if err != nil {
		return err
	}
	listenOn := *addr
	if len(cfg.HTTPS) > 0 {
		listenOn = cfg.HTTPSAddr
	}
	ln, err := net.Listen("tcp", listenOn)
	if err != nil {
		srv.Close()
		return err
	}
	var httpLn net.Listener // the ACME challenge and redirect (with -https)
	if len(cfg.HTTPS) > 0 {
		if httpLn, err = net.Listen("tcp", cfg.ACMEHTTPAddr); err != nil {
			ln.Close()
			srv.Close()
			return fmt.Errorf("https: the ACME challenge needs %s: %w (binding ports below 1024 needs CAP_NET_BIND_SERVICE)", cfg.ACMEHTTPAddr, err)
		}
	}
	configFile := *cfgPath
	if configFile == "" {
		configFile = "(none: defaults)"
	}
	log.Info("listening", "addr", ln.Addr().String(), "https", cfg.TLSCert != "" || len(cfg.HTTPS) > 0, "db", store.Redact(*dbPath), "config", configFile,
		"version", version(), "im", cfg.IMBaseURL != "", "replay_index", cfg.ReplayIndexURL != "",
		"callback_signing", cfg.CallbackKey != "",
		"cloud_signing", cfg.Cloud.SecretID != "" && cfg.Cloud.SecretKey != "")
	if link, err := srv.Console.SetupLink(context.Background()); err != nil {
		log.Error("console: setup link", "err", err)
	} else if link != "" {
		log.Warn("the operator console has no account yet: open this one-time link (it works for a day) to create one, or run the command",
			"link", "http://"+consoleHost(ln.Addr().String())+link,
			"command", "sxb-edu admin create -db "+shellQuote(*dbPath)+" NAME")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv.Start()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			srv.ReloadTLS()
		}
	}()
	errc := make(chan error, 1)
	go func() {
		if httpLn != nil {
			errc <- srv.ServeACME(ln, httpLn)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return errors.Join(err, srv.Close())
	case <-ctx.Done():
	}
	// A second signal kills at once.
	stop()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// runImport copies the original server's MySQL database into a new SQLite
// file: sxb-edu import -from mysql://… -db new.db.
func runImport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sxb-edu import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	from := fs.String("from", "", "the MySQL database to copy: mysql://user:password@host:port/dbname (only read)")
	dbPath := fs.String("db", "", "the new SQLite database file (must not hold data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	if !store.IsMySQL(*from) || *dbPath == "" || store.IsMySQL(*dbPath) {
		return errors.New("import: want -from mysql://user:password@host:port/dbname -db new.db")
	}
	if _, err := os.Stat(*dbPath); err == nil {
		return fmt.Errorf("import: %s exists: import into a new file (a database that is not empty is never written)", *dbPath)
	}
	// The copy is made beside the target and renamed to it once whole: a
	// failed import leaves no half-filled database behind.
	part := *dbPath + ".part"
	removeDB := func(p string) {
		for _, f := range []string{p, p + "-wal", p + "-shm"} {
			os.Remove(f)
		}
	}
	removeDB(part)
	st, err := store.Open(part, store.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "importing %s into %s\n", store.Redact(*from), *dbPath)
	counts, err := st.Import(context.Background(), *from, func(table string, done, total int64) {
		fmt.Fprintf(stdout, "  %s: %d/%d rows\n", table, done, total)
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, *dbPath)
	}
	if err != nil {
		removeDB(part)
		return fmt.Errorf("%w (nothing was written to %s)", err, *dbPath)
	}
	fmt.Fprintln(stdout, "rows in the new database (read back):")
	for _, t := range []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file", "t_setting"} {
		fmt.Fprintf(stdout, "  %-15s %d\n", t, counts[t])
	}
	return nil
}

// runExport writes a database back into the original PHP server's MySQL
// schema: sxb-edu export -db … -to mysql://….
func runExport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sxb-edu export", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db", "sxb-edu.db", "the sxb-edu database: a SQLite file or mysql://… (only read)")
	to := fs.String("to", "", "the new, empty MySQL database for the PHP server: mysql://user:password@host:port/dbname")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	}
	if !store.IsMySQL(*to) {
		return errors.New("export: want -to mysql://user:password@host:port/dbname (a new, empty database)")
	}
	if !store.IsMySQL(*dbPath) {
		if _, err := os.Stat(*dbPath); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	st, err := store.Open(*dbPath, store.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "exporting %s into %s (the PHP server's schema)\n", store.Redact(*dbPath), store.Redact(*to))
	counts, rehashed, err := st.Export(context.Background(), *to, func(table string, done, total int64) {
		fmt.Fprintf(stdout, "  %s: %d/%d rows\n", table, done, total)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "rows in the PHP database (read back):")
	for _, t := range []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file"} {
		fmt.Fprintf(stdout, "  %-15s %d\n", t, counts[t])
	}
	if len(rehashed) == 0 {
		fmt.Fprintln(stdout, "every password is in the PHP server's form: everyone logs in as before")
		return nil
	}
	fmt.Fprintf(stdout, "%d accounts logged in to sxb-edu since the move: their passwords are bcrypt hashes the PHP server cannot check, "+
		"so they were left empty; give these users a new password:\n", len(rehashed))
	for _, u := range rehashed {
		fmt.Fprintf(stdout, "  %s\n", u)
	}
	return nil
}

// consoleHost is a host:port a browser on this machine can open.
func consoleHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}

// runAdmin manages console accounts: sxb-edu admin create [-db …] NAME,
// with the password as the first line of standard input.
func runAdmin(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("admin: want sxb-edu admin create [-db …] NAME")
	}
	fs := flag.NewFlagSet("sxb-edu admin create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db", env("SXB_DB", "./sxb-edu.db"), "SQLite database file, or mysql://… (env SXB_DB)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("admin create: want one NAME")
	}
	fmt.Fprintf(stdout, "password for %s: ", fs.Arg(0))
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("admin create: no password on standard input")
	}
	st, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := console.CreateAdmin(context.Background(), st, fs.Arg(0), strings.TrimRight(line, "\r\n"), time.Now()); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(stdout, "\nconsole account %s created: sign in at /admin/\n", fs.Arg(0))
	return nil
}

// runAPIKey manages the LCIC API's keys: create [-db …] [-app SDKAPPID]
// [-secrets FILE] NAME prints the SecretId and SecretKey as its last two
// lines; list shows them; revoke ends one.
func runAPIKey(args []string, stdout io.Writer) error {
	usage := errors.New("apikey: want sxb-edu apikey create [-db …] [-app SDKAPPID] [-secrets FILE] NAME, apikey list [-db …] or apikey revoke [-db …] SECRETID")
	if len(args) == 0 {
		return usage
	}
	fs := flag.NewFlagSet("sxb-edu apikey "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db", env("SXB_DB", "./sxb-edu.db"), "SQLite database file, or mysql://… (env SXB_DB)")
	app := fs.Int64("app", server.DemoAppID, "the SdkAppId the key is for (the demo app's by default)")
	secrets := fs.String("secrets", "", "the secrets file (default: beside the SQLite file, sxb-edu.secrets for MySQL; config lcic.secrets_file)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch {
	case args[0] == "create" && fs.NArg() == 1:
		path := *secrets
		if path == "" {
			path = lcic.SecretsFile(*dbPath)
		}
		kr, err := lcic.LoadKeyring(path)
		if err != nil {
			return err
		}
		id, secret, err := lcic.CreateKey(ctx, st, kr, fs.Arg(0), *app, time.Now().Unix())
		if err != nil {
			return fmt.Errorf("apikey create: %w", err)
		}
		fmt.Fprintf(stdout, "API key %q for app %d (its secret is shown this once; sealed with %s):\nSecretId: %s\nSecretKey: %s\n",
			fs.Arg(0), *app, path, id, secret)
		return nil
	case args[0] == "list" && fs.NArg() == 0:
		keys, err := st.APIKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "live"
			if k.Revoked != 0 {
				state = "revoked " + time.Unix(k.Revoked, 0).UTC().Format(time.RFC3339)
			}
			used := "never used"
			if k.LastUsed != 0 {
				used = "last used " + time.Unix(k.LastUsed, 0).UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%s\t%s\tapp %d\t%s\t%s\n", k.SecretID, k.Name, k.AppID, state, used)
		}
		return nil
	case args[0] == "revoke" && fs.NArg() == 1:
		ok, err := st.RevokeAPIKey(ctx, fs.Arg(0), time.Now().Unix())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("apikey revoke: no live key %s", fs.Arg(0))
		}
		fmt.Fprintf(stdout, "API key %s revoked\n", fs.Arg(0))
		return nil
	}
	return usage
}
