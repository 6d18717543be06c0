// Command embedded-mysql serves one in-memory MySQL-compatible database
// (github.com/dolthub/go-mysql-server) on a loopback port. `shardcat demo`
// starts two of them as shards when mariadbd is not installed, so that a
// newcomer with nothing but Go gets a working cluster. It is a separate
// module on purpose: the engine never enters the shardcat binary or the
// proxy's path, and its large dependency tree is built only on demand.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	database := flag.String("database", "db1", "database to create")
	readyFile := flag.String("ready-file", "", "write the listening address here once ready")
	flag.Parse()
	if err := run(*addr, *database, *readyFile); err != nil {
		fmt.Fprintln(os.Stderr, "embedded-mysql:", err)
		os.Exit(1)
	}
}

func run(addr, database, readyFile string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %s: only loopback addresses are allowed", addr)
	}
	db := memory.NewDatabase(database)
	db.BaseDatabase.EnablePrimaryKeyIndexes()
	pro := memory.NewDBProvider(db)
	engine := sqle.NewDefault(pro)
	// Without the mysql database enabled, the engine accepts any account:
	// the demo's shards listen on loopback only.
	s, err := server.NewServer(server.Config{Protocol: "tcp", Address: addr}, engine, sql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		return err
	}
	if readyFile != "" {
		if err := os.WriteFile(readyFile, []byte(s.Listener.Addr().String()), 0o644); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	return s.Start()
}
