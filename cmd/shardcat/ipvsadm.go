package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
)

// defaultControlSocket is where `shardcat director` serves its table and
// `shardcat ipvsadm` reads it.
const defaultControlSocket = "/run/shardcat/director.sock"

func init() {
	register(&command{
		name:    "ipvsadm",
		summary: "list a running director's virtual services as ipvsadm -L -n does (--stats, --rate, ...)",
		run:     runIpvsadm,
	})
}

const ipvsadmUsage = `usage: shardcat ipvsadm -L|-l [-n] [-c|--stats|--rate|--thresholds|--persistent-conn|--timeout] [--exact] [--socket PATH]
  -L, -l, --list      list the virtual server table (the only command so far)
  -n, --numeric       numeric addresses (always: names are never resolved)
  -c, --connection    list the connection entries and persistence templates
  --stats             cumulative counters: Conns InPkts OutPkts InBytes OutBytes
  --rate              rate estimates: CPS InPPS OutPPS InBPS OutBPS (bytes/s)
  --thresholds        upper/lower connection thresholds
  --persistent-conn   persistent connection counts
  --timeout           the tcp, tcpfin and udp timeouts (global_defs lvs_timeouts)
  --exact             exact numbers, no K/M/G/T abbreviation
  --socket PATH       director control socket (default ` + defaultControlSocket + `)
InPkts/OutPkts are the client sockets' TCP segments (TCP_INFO segs_in/segs_out).
`

type ipvsadmArgs struct {
	list    bool
	conns   bool // -c: connection entries
	timeout bool // --timeout: the timeouts line
	opts    ipvsadm.FormatOptions
	socket  string
}

// parseIpvsadmArgs accepts ipvsadm's spellings: bundled short options
// (-Ln), long options with one or two dashes, --socket PATH or --socket=PATH.
func parseIpvsadmArgs(args []string) (ipvsadmArgs, error) {
	a := ipvsadmArgs{socket: defaultControlSocket}
	modes := 0
	setMode := func(m ipvsadm.Mode) {
		a.opts.Mode = m
		modes++
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			return a, fmt.Errorf("unexpected argument %q", arg)
		}
		long := strings.TrimLeft(arg, "-")
		name, value, hasValue := strings.Cut(long, "=")
		switch name {
		case "list":
			a.list = true
			continue
		case "numeric":
			continue
		case "connection":
			a.conns = true
			modes++
			continue
		case "stats":
			setMode(ipvsadm.ModeStats)
			continue
		case "rate":
			setMode(ipvsadm.ModeRate)
			continue
		case "thresholds":
			setMode(ipvsadm.ModeThresholds)
			continue
		case "persistent-conn":
			setMode(ipvsadm.ModePersistentConn)
			continue
		case "timeout":
			a.timeout = true
			modes++
			continue
		case "exact":
			a.opts.Exact = true
			continue
		case "socket":
			if !hasValue {
				if i+1 >= len(args) {
					return a, fmt.Errorf("--socket needs a path")
				}
				i++
				value = args[i]
			}
			a.socket = value
			continue
		}
		if strings.HasPrefix(arg, "--") || hasValue {
			return a, fmt.Errorf("unknown option %q", arg)
		}
		for _, c := range arg[1:] {
			switch c {
			case 'L', 'l':
				a.list = true
			case 'n':
			case 'c':
				a.conns = true
				modes++
			default:
				return a, fmt.Errorf("unknown or unsupported option -%c in %q", c, arg)
			}
		}
	}
	if !a.list {
		return a, fmt.Errorf("only listing (-L) is supported")
	}
	if modes > 1 {
		return a, fmt.Errorf("-c, --stats, --rate, --thresholds, --persistent-conn and --timeout are exclusive")
	}
	return a, nil
}

func runIpvsadm(ctx context.Context, args []string, s stdio) int {
	for _, arg := range args {
		if arg == "-h" || arg == "--help" || arg == "-help" {
			fmt.Fprint(s.out, ipvsadmUsage)
			return exitOK
		}
	}
	a, err := parseIpvsadmArgs(args)
	if err != nil {
		fmt.Fprintf(s.err, "shardcat ipvsadm: %v\n%s", err, ipvsadmUsage)
		return exitUsage
	}
	if a.conns {
		return listConns(ctx, a.socket, s) // bounded by the listing's own minute
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, err := ipvsadm.Fetch(ctx, a.socket)
	if err != nil {
		fmt.Fprintf(s.err, "shardcat ipvsadm: no director answering on %s: %v\n", a.socket, err)
		return 1
	}
	format := func() error { return ipvsadm.Format(s.out, t, a.opts) }
	if a.timeout {
		format = func() error { return ipvsadm.FormatTimeouts(s.out, t.Timeouts) }
	}
	if err := format(); err != nil {
		fmt.Fprintf(s.err, "shardcat ipvsadm: %v\n", err)
		return 1
	}
	return exitOK
}

// listConns prints the connection entries as they arrive from the director:
// a busy director holds hundreds of thousands of them.
func listConns(ctx context.Context, socket string, s stdio) int {
	out := bufio.NewWriterSize(s.out, 64<<10)
	err := ipvsadm.EachConn(ctx, socket, func() error {
		_, err := out.WriteString(ipvsadm.ConnsTitle)
		return err
	}, func(c ipvsadm.Conn) error { return ipvsadm.FormatConn(out, c) })
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	switch {
	case errors.Is(err, ipvsadm.ErrNoDirector):
		fmt.Fprintf(s.err, "shardcat ipvsadm: %v\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(s.err, "shardcat ipvsadm: listing the connections: %v\n", err)
		return 1
	}
	return exitOK
}
