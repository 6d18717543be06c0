package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"text/tabwriter"

	"github.com/shardcat/shardcat/internal/demo"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "run two MariaDB shards and the sharding proxy on this machine, with sample data",
		run:     runDemo,
	})
}

func runDemo(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(s.err)
	dir := fs.String("dir", "", "`directory` for the shards' data and the Mycat conf (default: a temporary one, removed on exit)")
	port := fs.Int("port", demo.DefaultPort, "proxy `port` on 127.0.0.1 (0: a free one)")
	managerPort := fs.Int("manager-port", demo.DefaultManagerPort, "proxy manager `port` (0: a free one)")
	password := fs.String("password", demo.DefaultPassword, "`password` of the proxy's root account")
	engine := fs.String("engine", "", "shards: `mariadb`, embedded, or empty for MariaDB when mariadbd is installed and the embedded engine otherwise")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: shardcat demo [--dir DIR] [--port 8066] [--manager-port 9066] [--password PW]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "shardcat demo: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}

	workDir := *dir
	if workDir == "" {
		d, err := os.MkdirTemp("", "shardcat-demo-")
		if err != nil {
			fmt.Fprintln(s.err, "shardcat demo:", err)
			return 1
		}
		// Deferred first so it runs last, after the shards have stopped.
		defer os.RemoveAll(d)
		workDir = d
	}
	fmt.Fprintf(s.out, "dir: %s\n", workDir)

	cluster, err := demo.Start(ctx, workDir, demo.Options{
		Port:        freeIfZero(*port),
		ManagerPort: freeIfZero(*managerPort),
		Password:    *password,
		Engine:      *engine,
	})
	if err != nil {
		fmt.Fprintln(s.err, "shardcat demo:", err)
		return 1
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(s.err, "shardcat demo: stopping the shards:", err)
		}
	}()
	for _, sh := range cluster.Shards {
		fmt.Fprintf(s.out, "shard %s: %s on %s, database %s (dataNode %s)\n", sh.Name, sh.Server.Kind(), sh.Server.Addr(), sh.Database, sh.DataNode)
	}
	fmt.Fprintf(s.out, "conf: %s\n", cluster.ConfDir)

	// ready may be called before the proxy accepts connections, so the
	// sample data loads in its own goroutine; a failure stops the demo.
	proxyCtx, stopProxy := context.WithCancel(ctx)
	defer stopProxy()
	var (
		loading sync.WaitGroup
		loadErr error
	)
	ready := func(addr string) {
		loading.Add(1)
		go func() {
			defer loading.Done()
			if err := cluster.LoadSampleData(proxyCtx, addr); err != nil {
				loadErr = err
				stopProxy()
				return
			}
			printDemoHelp(s, cluster, addr)
		}()
	}
	err = serveProxy(proxyCtx, cluster.ConfDir, s, ready)
	stopProxy()
	loading.Wait()
	switch {
	case loadErr != nil:
		fmt.Fprintln(s.err, "shardcat demo:", loadErr)
		return 1
	case err != nil && !errors.Is(err, context.Canceled):
		fmt.Fprintln(s.err, "shardcat demo: proxy:", err)
		return 1
	}
	fmt.Fprintln(s.out, "demo stopped")
	return 0
}

// freeIfZero maps the flag value 0 ("a free port") to demo.Options' -1.
func freeIfZero(port int) int {
	if port == 0 {
		return -1
	}
	return port
}

func printDemoHelp(s stdio, c *demo.Cluster, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		port = strconv.Itoa(c.Port)
	}
	fmt.Fprintf(s.out, "\nsample data loaded: %d orders sharded by id over dn1 and dn2, their items, 4 global regions\n", demo.SampleOrders)
	fmt.Fprintf(s.out, "proxy ready on %s; connect with:\n\n", addr)
	fmt.Fprintf(s.out, "    mariadb -h127.0.0.1 -P%s -u%s -p%s %s\n\n", port, c.User, c.Password, demo.Schema)
	fmt.Fprintln(s.out, "and try:")
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	for _, ex := range demo.Examples() {
		fmt.Fprintf(tw, "    %s\t-- %s\n", ex.SQL, ex.Shows)
	}
	tw.Flush()
	fmt.Fprintln(s.out, "\nCtrl-C stops the proxy and the shards.")
}
