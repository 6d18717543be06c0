// Command connrate measures how many new MySQL connections per second a
// server (or a balancer in front of it) accepts: each worker loops over a
// full connection (TCP connect, handshake, authentication, COM_PING,
// COM_QUIT) for the given time. It prints one line:
//
//	conns/s=N p95_ms=N errors=N
//
// scripts/bench.sh uses it to compare direct MariaDB, HAProxy and shardcat
// director. Only loopback addresses are accepted (the network rule).
package main

import (
	"context"
	"database/sql/driver"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3306", "server `host:port` (loopback only)")
	user := flag.String("user", "root", "user")
	password := flag.String("password", "", "password")
	db := flag.String("db", "", "database")
	threads := flag.Int("threads", 8, "concurrent workers")
	dur := flag.Duration("time", 5*time.Second, "how long to run")
	flag.Parse()
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil || !ap.Addr().IsLoopback() {
		fmt.Fprintf(os.Stderr, "connrate: -addr %q: want a loopback IP:port\n", *addr)
		os.Exit(2)
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", *addr, *user, *password, *db
	cfg.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "connrate: %v\n", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		firstErr  error
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range *threads {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			var badErr error
			for ctx.Err() == nil {
				t0 := time.Now()
				c, err := conn.Connect(context.Background())
				if err == nil {
					err = c.(driver.Pinger).Ping(context.Background())
					c.Close()
				}
				if err != nil {
					bad++
					if badErr == nil {
						badErr = err
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errs += bad
			if firstErr == nil {
				firstErr = badErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	p95 := time.Duration(0)
	if n := len(latencies); n > 0 {
		p95 = latencies[min(n-1, n*95/100)]
	}
	fmt.Printf("conns/s=%.0f p95_ms=%.2f errors=%d\n", float64(len(latencies))/elapsed.Seconds(),
		float64(p95.Microseconds())/1000, errs)
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "connrate: first error: %v\n", firstErr)
	}
	if len(latencies) == 0 {
		os.Exit(1)
	}
}
