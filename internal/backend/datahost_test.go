package backend_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/testenv"
)

func hostOf(name string, s *mariadb.Server) *mycatconf.Host {
	return &mycatconf.Host{Name: name, Addr: s.Addr(), User: s.User(), Password: s.Password()}
}

// Write-host failover as switchType 1 does it: after MaxRetryCount failed
// heartbeats the next live write host takes the writes; reads with
// balance 3 go to the read host and fall back to the write host.
func TestFailoverAndReadSplit(t *testing.T) {
	testenv.RequireMariaDB(t)
	m1 := testenv.MariaDB(t, mariadb.Options{})
	m2 := testenv.MariaDB(t, mariadb.Options{})
	r1 := testenv.MariaDB(t, mariadb.Options{})
	w1 := hostOf("m1", m1)
	w1.ReadHosts = []*mycatconf.Host{hostOf("r1", r1)}
	cfg := &mycatconf.DataHost{Name: "dh", MaxCon: 5, MinCon: 1, Balance: 3, SwitchType: 1,
		Heartbeat: "select user()", WriteHosts: []*mycatconf.Host{w1, hostOf("m2", m2)}}
	d := backend.NewDataHost(cfg, backend.Options{MaxRetryCount: 2})
	d.Start(context.Background())
	defer d.Close()
	ctx := context.Background()

	port := func(write bool) string {
		t.Helper()
		c, err := d.Acquire(ctx, write)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Release(c)
		r, err := c.Execute("SELECT @@port")
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Rows[0][0])
	}
	if got := port(true); got != itoa(m1.Port()) {
		t.Fatalf("writes go to %s, want m1 (%d)", got, m1.Port())
	}
	if got := port(false); got != itoa(r1.Port()) {
		t.Fatalf("balance 3 reads go to %s, want r1 (%d)", got, r1.Port())
	}

	if err := m1.Kill(); err != nil {
		t.Fatal(err)
	}
	d.Heartbeat()
	if d.ActiveWrite().Config.Name != "m1" {
		t.Fatal("one failed heartbeat must not switch (MaxRetryCount 2)")
	}
	d.Heartbeat()
	if d.ActiveWrite().Config.Name != "m2" || d.Switches() != 1 {
		t.Fatalf("after 2 failed heartbeats the writes must move to m2, active %s", d.ActiveWrite().Config.Name)
	}
	if got := port(true); got != itoa(m2.Port()) {
		t.Fatalf("writes go to %s after failover, want m2 (%d)", got, m2.Port())
	}

	if err := r1.Kill(); err != nil {
		t.Fatal(err)
	}
	d.Heartbeat()
	d.Heartbeat()
	if got := port(false); got != itoa(m2.Port()) {
		t.Fatalf("with the read host down, reads go to %s, want the write host m2", got)
	}
	if err := d.SwitchTo(5); err == nil {
		t.Fatal("switching to a write host that does not exist must fail")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
