// Command testdb runs one loopback MariaDB server from internal/mariadb in
// the foreground for the shell scripts (gosqldriver-suite.sh, bench.sh):
// it prints "ready PORT" (and writes PORT to --ready-file) once the server
// accepts logins, and stops it cleanly on SIGINT or SIGTERM. With
// -free-port it only prints a free port.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shardcat/shardcat/internal/mariadb"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var (
		opt       mariadb.Options
		databases listFlag
		readyFile string
	)
	flag.StringVar(&opt.Dir, "dir", "", "server directory (required)")
	flag.IntVar(&opt.Port, "port", 0, "TCP port on 127.0.0.1 (0: a free one)")
	flag.StringVar(&opt.User, "user", "bench", "client account created with all privileges")
	flag.StringVar(&opt.Password, "password", "benchpw", "its password")
	flag.BoolVar(&opt.TLS, "tls", false, "serve TLS with a generated self-signed certificate (DIR/server-cert.pem, DIR/server-key.pem)")
	flag.Var(&databases, "database", "database to create (repeatable)")
	flag.Var((*listFlag)(&opt.ExtraArgs), "arg", "extra mariadbd argument, e.g. --arg=--max-connections=50 (repeatable)")
	flag.StringVar(&readyFile, "ready-file", "", "write the port to this file once ready")
	freePort := flag.Bool("free-port", false, "print a free TCP port on 127.0.0.1 and exit")
	flag.Parse()
	if *freePort {
		port, err := mariadb.FreePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
			os.Exit(1)
		}
		fmt.Println(port)
		return
	}
	if opt.Dir == "" {
		fmt.Fprintln(os.Stderr, "testdb: --dir is required")
		os.Exit(2)
	}
	opt.Databases = databases

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	srv, err := mariadb.Start(startCtx, opt)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb:", err)
		os.Exit(1)
	}
	if readyFile != "" {
		// Written atomically so a poller never reads a partial port.
		tmp := readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(srv.Port())+"\n"), 0o644); err == nil {
			err = os.Rename(tmp, readyFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
			srv.Stop()
			os.Exit(1)
		}
	}
	fmt.Printf("ready %d\n", srv.Port())
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "testdb:", err)
		os.Exit(1)
	}
}
