package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shardcat/shardcat/internal/director"
	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
)

func init() {
	register(&command{
		name:    "director",
		summary: "VRRP + L4 load balancer reading keepalived.conf (vrrp_instance, vrrp_script, vrrp_sync_group, virtual_server; --check, status, SIGHUP reload)",
		run:     runDirector,
	})
}

// Exit codes of `director --check`, as keepalived -t: 0 usable, 1 errors.
const (
	exitOK          = 0
	exitConfigError = 1
	exitUsage       = 2
)

func runDirector(ctx context.Context, args []string, s stdio) int {
	if len(args) > 0 && args[0] == "status" {
		return runDirectorStatus(ctx, args[1:], s)
	}
	fs := flag.NewFlagSet("director", flag.ContinueOnError)
	fs.SetOutput(s.err)
	file := fs.String("f", "/etc/keepalived/keepalived.conf", "keepalived configuration `file`")
	check := fs.Bool("check", false, "check the configuration, print it as read with defaults filled in, and exit")
	configID := fs.String("i", "", "config `id` for @ID conditional lines (default: the short host name)")
	socket := fs.String("socket", defaultControlSocket, "control socket `path` for shardcat ipvsadm and director status (\"\" = none)")
	metrics := fs.String("metrics", "", "serve Prometheus metrics on `addr` (e.g. 127.0.0.1:9110) at /metrics (\"\" = off)")
	status := fs.Bool("status", false, "print the running director's VRRP instances (from --socket) and exit")
	asJSON := fs.Bool("json", false, "with --status: print JSON")
	maxConns := fs.Int("max-conns", 0, "cap on concurrent client connections per virtual_server; more are accepted and closed (0 = no cap)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: shardcat director [-f FILE] [-i ID] [--check] [--socket PATH] [--metrics ADDR] [--max-conns N]")
		fmt.Fprintln(s.err, "       shardcat director status [--socket PATH] [--json]   (or --status)")
		fmt.Fprintln(s.err, "SIGHUP reloads FILE: unchanged instances and services keep running.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "shardcat director: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if *status {
		return printStatus(ctx, *socket, *asJSON, s)
	}
	opts := keepalivedconf.Options{ConfigID: *configID}
	if !*check {
		if *maxConns < 0 {
			fmt.Fprintf(s.err, "shardcat director: --max-conns %d: want 0 (no cap) or more\n", *maxConns)
			return exitUsage
		}
		return runConfig(ctx, *file, opts, s, *socket, *metrics, *maxConns)
	}
	return checkConfig(*file, opts, s)
}

// loadForRun loads path and reports its findings; cfg is nil when it must
// not run.
func loadForRun(path string, opts keepalivedconf.Options, logf func(string, ...any)) *keepalivedconf.Config {
	cfg, findings, err := keepalivedconf.Load(path, opts)
	if cfg == nil {
		logf("%v", err)
		return nil
	}
	for _, f := range findings {
		logf("%s", f)
	}
	if keepalivedconf.HasErrors(findings) {
		logf("%s has errors", path)
		return nil
	}
	if len(cfg.VirtualServers) == 0 && len(cfg.Instances) == 0 {
		logf("%s has no vrrp_instance or virtual_server block: nothing to run", path)
		return nil
	}
	return cfg
}

// runConfig runs the vrrp_instance blocks of a keepalived.conf (VRRP
// drivers on the interfaces of the current network namespace, with
// vrrp_script/track_interface tracking, sync groups, notify scripts and SMTP
// alerts) and the virtual_server blocks with the user-space data plane until
// ctx ends (SIGINT/SIGTERM). SIGHUP reloads the file: what did not change
// keeps running; a file with errors leaves the old configuration running.
// On SIGTERM each VRRP master sends a priority 0 advert and removes its VIPs
// before the director exits.
func runConfig(ctx context.Context, path string, opts keepalivedconf.Options, s stdio, socket, metricsAddr string, maxConns int) int {
	// Registered first, so a SIGHUP during startup is not fatal.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	logf := lockedLogf(s.err)
	cfg := loadForRun(path, opts, func(f string, a ...any) { fmt.Fprintf(s.err, f+"\n", a...) })
	if cfg == nil {
		fmt.Fprintf(s.err, "shardcat director: %s: not starting\n", path)
		return exitConfigError
	}
	srv := ipvsadm.NewServer(nil, nil)
	d := director.New(director.Options{Logf: logf, Out: s.out, Control: srv, MaxConns: maxConns})
	if err := d.Start(cfg); err != nil {
		fmt.Fprintf(s.err, "shardcat director: %v\n", err)
		return exitConfigError
	}
	srv.Handle("vrrp", func() (any, error) { return d.Status(), nil })
	stopControl := serveControl(socket, srv, logf)
	stopMetrics := serveMetrics(metricsAddr, d, srv, logf)

	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-hup:
			logf("SIGHUP: reloading %s", path)
			next := loadForRun(path, opts, func(f string, a ...any) { logf("reload: "+f, a...) })
			if next == nil {
				logf("reload: keeping the running configuration")
				continue
			}
			if _, err := d.Reload(next); err != nil {
				logf("reload: %v: keeping the running configuration", err)
			}
		}
	}
	stopMetrics()
	stopControl()
	d.Stop(10 * time.Second)
	return exitOK
}

// serveControl serves srv on the control socket at path until the returned
// function is called, which also removes the socket. An empty path disables
// it; a socket that cannot be created is a warning, not a reason to stop.
func serveControl(path string, srv *ipvsadm.Server, logf func(string, ...any)) (stop func()) {
	if path == "" {
		return func() {}
	}
	l, err := ipvsadm.Listen(path)
	if err != nil {
		logf("warning: control socket: %v (shardcat ipvsadm and director status will not reach this director)", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		srv.RunEstimator(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ctx, l); err != nil {
			logf("control socket: %v", err)
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// serveMetrics serves /metrics on addr: the VRRP instances (shardcat_vrrp_*),
// the virtual servers (shardcat_lvs_*) and the Go runtime.
func serveMetrics(addr string, d *director.Director, srv *ipvsadm.Server, logf func(string, ...any)) (stop func()) {
	if addr == "" {
		return func() {}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collector(), srv.Collector(), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		logf("warning: metrics: %v (no /metrics)", err)
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("metrics: %v", err)
		}
	}()
	logf("metrics on http://%s/metrics", l.Addr())
	return func() {
		hs.Close()
		<-done
	}
}

func runDirectorStatus(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("director status", flag.ContinueOnError)
	fs.SetOutput(s.err)
	socket := fs.String("socket", defaultControlSocket, "control socket `path` of the running director")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "shardcat director status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	return printStatus(ctx, *socket, *asJSON, s)
}

// printStatus asks the director on socket for its VRRP instances.
func printStatus(ctx context.Context, socket string, asJSON bool, s stdio) int {
	var st []director.InstanceStatus
	if err := ipvsadm.Call(ctx, socket, "vrrp", &st); err != nil {
		fmt.Fprintf(s.err, "shardcat director status: %s: %v\n", socket, err)
		return exitConfigError
	}
	if asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		enc.Encode(st)
		return exitOK
	}
	writeStatusTable(s.out, st, time.Now())
	return exitOK
}

// statusRows renders the instances as table rows (header first).
func statusRows(st []director.InstanceStatus, now time.Time) [][]string {
	rows := [][]string{{"INSTANCE", "INTERFACE", "VRID", "STATE", "PRIO", "BASE", "MASTER", "SENT", "RECEIVED", "DROPS", "LAST TRANSITION", "REASON"}}
	for _, x := range st {
		master := x.Master
		if master == "" {
			master = "-"
		}
		var drops []string
		for _, r := range slices.Sorted(maps.Keys(x.Drops)) {
			drops = append(drops, fmt.Sprintf("%s=%d", r, x.Drops[r]))
		}
		if len(drops) == 0 {
			drops = []string{"0"}
		}
		last, reason := "-", x.LastReason
		if !x.LastTransition.IsZero() {
			last = fmt.Sprintf("%s->%s %s ago", x.LastFrom, x.State, now.Sub(x.LastTransition).Round(time.Second))
		}
		if x.Fault != "" {
			reason = x.Fault
		}
		if reason == "" {
			reason = "-"
		}
		rows = append(rows, []string{x.Name, x.Interface, strconv.Itoa(x.VRID), x.State, strconv.Itoa(x.Priority),
			strconv.Itoa(x.BasePriority), master, strconv.FormatUint(x.AdvertsSent, 10),
			strconv.FormatUint(x.AdvertsReceived, 10), strings.Join(drops, ","), last, reason})
	}
	return rows
}

func writeStatusTable(w io.Writer, st []director.InstanceStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range statusRows(st, now) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// lockedLogf writes one line per call to w, serialised across the services'
// goroutines.
func lockedLogf(w io.Writer) func(format string, args ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "shardcat director: "+format+"\n", args...)
	}
}

// finding formats a data-plane message "FILE:LINE: text" as the parser's
// findings are: "FILE:LINE: severity: text".
func finding(severity, msg string) string {
	if m := posPrefix.FindStringSubmatch(msg); m != nil {
		return m[1] + ": " + severity + ": " + m[2]
	}
	return severity + ": " + msg
}

var posPrefix = regexp.MustCompile(`^([^ ]+:\d+): (.*)$`)

// checkConfig prints the findings to stderr (like keepalived -t), then the
// configuration as read to stdout, and a one-line summary.
func checkConfig(path string, opts keepalivedconf.Options, s stdio) int {
	cfg, findings, err := keepalivedconf.Load(path, opts)
	if cfg == nil {
		fmt.Fprintf(s.err, "shardcat director: %v\n", err)
		return exitConfigError
	}
	warnings, errs := 0, 0
	for _, f := range findings {
		fmt.Fprintln(s.err, f)
		if f.Severity == keepalivedconf.Error {
			errs++
		} else {
			warnings++
		}
	}
	// What the data plane refuses or warns about (fwmark services, UDP,
	// disabled scripts) is reported here too, not first at start.
	if !keepalivedconf.HasErrors(findings) {
		_, dpWarnings, err := director.Services(cfg, 0)
		for _, w := range dpWarnings {
			fmt.Fprintln(s.err, finding("warning", w))
			warnings++
		}
		if err != nil {
			fmt.Fprintln(s.err, finding("error", err.Error()))
			errs++
		}
	}
	fmt.Fprintf(s.out, "# %s as shardcat director reads it (defaults filled in)\n", path)
	if err := keepalivedconf.Dump(s.out, cfg); err != nil {
		fmt.Fprintf(s.err, "shardcat director: %v\n", err)
		return exitConfigError
	}
	fmt.Fprintf(s.err, "%s: %d error(s), %d warning(s); %d vrrp_instance, %d virtual_server\n",
		path, errs, warnings, len(cfg.Instances), len(cfg.VirtualServers))
	if errs > 0 {
		return exitConfigError
	}
	return exitOK
}
