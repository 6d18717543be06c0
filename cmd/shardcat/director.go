package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
)

func init() {
	register(&command{
		name:    "director",
		summary: "VRRP + L4 load balancer reading keepalived.conf (--check only for now)",
		run:     runDirector,
	})
}

// Exit codes of `director --check`, as keepalived -t: 0 usable, 1 errors.
const (
	exitOK          = 0
	exitConfigError = 1
	exitUsage       = 2
)

func runDirector(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("director", flag.ContinueOnError)
	fs.SetOutput(s.err)
	file := fs.String("f", "/etc/keepalived/keepalived.conf", "keepalived configuration `file`")
	check := fs.Bool("check", false, "check the configuration, print it as read with defaults filled in, and exit")
	configID := fs.String("i", "", "config `id` for @ID conditional lines (default: the short host name)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: shardcat director [-f FILE] [-i ID] --check")
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
	if !*check {
		fmt.Fprintln(s.err, "shardcat director: running the director (VRRP and the L4 data plane) is not implemented yet; use --check to validate a keepalived.conf")
		return exitUsage
	}
	return checkConfig(*file, keepalivedconf.Options{ConfigID: *configID}, s)
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
