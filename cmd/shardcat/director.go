package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/vrrp/driver"
)

func init() {
	register(&command{
		name:    "director",
		summary: "VRRP + L4 load balancer reading keepalived.conf (vrrp_instance and virtual_server blocks, --check)",
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
	fs := flag.NewFlagSet("director", flag.ContinueOnError)
	fs.SetOutput(s.err)
	file := fs.String("f", "/etc/keepalived/keepalived.conf", "keepalived configuration `file`")
	check := fs.Bool("check", false, "check the configuration, print it as read with defaults filled in, and exit")
	configID := fs.String("i", "", "config `id` for @ID conditional lines (default: the short host name)")
	socket := fs.String("socket", defaultControlSocket, "control socket `path` for shardcat ipvsadm (\"\" = none)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: shardcat director [-f FILE] [-i ID] [--check] [--socket PATH]")
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
	opts := keepalivedconf.Options{ConfigID: *configID}
	if !*check {
		return runConfig(ctx, *file, opts, s, *socket)
	}
	return checkConfig(*file, opts, s)
}

// runConfig runs the vrrp_instance blocks of a keepalived.conf with the VRRP
// driver (on the interfaces of the current network namespace) and the
// virtual_server blocks with the user-space data plane until ctx ends
// (SIGINT/SIGTERM). On SIGTERM each VRRP master sends a priority 0 advert and
// removes its VIPs before the director exits.
func runConfig(ctx context.Context, path string, opts keepalivedconf.Options, s stdio, socket string) int {
	cfg, findings, err := keepalivedconf.Load(path, opts)
	if cfg == nil {
		fmt.Fprintf(s.err, "shardcat director: %v\n", err)
		return exitConfigError
	}
	for _, f := range findings {
		fmt.Fprintln(s.err, f)
	}
	if keepalivedconf.HasErrors(findings) {
		fmt.Fprintf(s.err, "shardcat director: %s has errors; not starting\n", path)
		return exitConfigError
	}
	if len(cfg.VirtualServers) == 0 && len(cfg.Instances) == 0 {
		fmt.Fprintf(s.err, "shardcat director: %s has no vrrp_instance or virtual_server block: nothing to run\n", path)
		return exitConfigError
	}
	var configs []dataplane.ServiceConfig
	for _, vs := range cfg.VirtualServers {
		sc, warnings, err := dataplane.FromKeepalived(vs)
		for _, w := range warnings {
			fmt.Fprintf(s.err, "%s: warning: %s\n", path, w)
		}
		if err != nil {
			fmt.Fprintf(s.err, "shardcat director: %v\n", err)
			return exitConfigError
		}
		configs = append(configs, sc)
	}
	logf := lockedLogf(s.err)
	var drivers []*driver.Driver
	for _, inst := range cfg.Instances {
		d, err := driver.New(inst, driver.Options{Logf: logf})
		if err != nil {
			for _, d := range drivers {
				d.Close()
			}
			fmt.Fprintf(s.err, "shardcat director: %v\n", err)
			return exitConfigError
		}
		drivers = append(drivers, d)
	}
	var vrrpDone sync.WaitGroup
	defer vrrpDone.Wait() // graceful VRRP shutdown (priority 0, VIPs removed) before exit
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also on a failed virtual_server start
	for _, d := range drivers {
		vrrpDone.Add(1)
		go func() {
			defer vrrpDone.Done()
			if err := d.Run(ctx); err != nil {
				logf("%v", err)
			}
		}()
	}
	var services []*dataplane.Service
	defer func() {
		for _, svc := range services {
			svc.Close()
		}
	}()
	for _, sc := range configs {
		svc, err := dataplane.Start(sc, dataplane.Options{Logf: logf})
		if err != nil {
			fmt.Fprintf(s.err, "shardcat director: virtual_server %s: %v\n", sc.Addr, err)
			return exitConfigError
		}
		services = append(services, svc)
		fmt.Fprintln(s.out, svc)
	}
	stopControl := startControl(socket, services, s)
	<-ctx.Done()
	stopControl()
	for _, svc := range services {
		svc.Close()
		ss := svc.Snapshot()
		fmt.Fprintf(s.out, "virtual_server %s stopped: %d connection(s), %d bytes in, %d bytes out\n",
			svc.Config().Addr, ss.Conns, ss.InBytes, ss.OutBytes)
	}
	services = nil
	return exitOK
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
