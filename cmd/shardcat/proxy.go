package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
)

func init() {
	register(&command{
		name:    "proxy",
		summary: "run the Mycat-compatible sharding proxy (--conf DIR [--check])",
		run:     runProxy,
	})
}

func runProxy(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(s.err)
	conf := fs.String("conf", "conf", "Mycat conf directory (server.xml, schema.xml, rule.xml)")
	check := fs.Bool("check", false, "validate the conf directory, print the model and findings, and exit")
	verbose := fs.Bool("v", false, "log at debug level")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until the proxy stops")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *check {
		cfg, findings, err := mycatconf.LoadWith(*conf, mycatconf.Options{ReadOnly: true})
		mycatconf.FormatCheck(s.out, cfg, findings)
		if err != nil {
			fmt.Fprintf(s.err, "shardcat proxy: %s: %v\n", *conf, err)
			return 1
		}
		return 0
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(s.err, "shardcat proxy: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(s.err, "shardcat proxy: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
	err := serveProxyWith(ctx, *conf, logger, func(addr string) {
		fmt.Fprintf(s.out, "shardcat proxy serving %s on %s\n", *conf, addr)
	})
	if err != nil {
		fmt.Fprintf(s.err, "shardcat proxy: %v\n", err)
		return 1
	}
	return 0
}

// serveProxy serves a Mycat conf dir until ctx is cancelled, calling ready
// with the server port's address once it listens.
func serveProxy(ctx context.Context, confDir string, s stdio, ready func(addr string)) error {
	logger := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return serveProxyWith(ctx, confDir, logger, ready)
}

func serveProxyWith(ctx context.Context, confDir string, logger *slog.Logger, ready func(addr string)) error {
	cfg, findings, err := mycatconf.Load(confDir)
	for _, f := range findings {
		if f.Warning {
			logger.Warn("config", "finding", f.String())
		}
	}
	if err != nil {
		for _, f := range findings {
			if !f.Warning {
				logger.Error("config", "finding", f.String())
			}
		}
		return fmt.Errorf("%s: %w", confDir, err)
	}
	opts := proxy.Options{Logger: logger}
	if stage := os.Getenv("SHARDCAT_FAILPOINT_XA_EXIT"); stage != "" {
		// Fault injection for HA tests: the process dies at this stage of
		// two-phase commit ("prepared" or "decided"), as under kill -9.
		logger.Warn("fault injection armed: the process exits during XA commit", "stage", stage)
		opts.XAHook = func(s string) error {
			if s == stage {
				os.Exit(137)
			}
			return nil
		}
	}
	p, err := proxy.New(cfg, opts)
	if err != nil {
		return err
	}
	if err := p.Start(ctx); err != nil {
		p.Close()
		return err
	}
	if ready != nil {
		ready(p.Addr())
	}
	<-ctx.Done()
	return p.Close()
}
