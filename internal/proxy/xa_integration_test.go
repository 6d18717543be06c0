package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
)

// SET XA = ON: a transaction over two nodes commits with two-phase commit,
// any number of statements per node; a proxy that dies after the decision
// is finished by the next proxy's recovery, one that dies before it is
// rolled back.
func TestXATwoPhaseCommitAndRecovery(t *testing.T) {
	c := startCluster(t)
	db := c.admin
	mustExec(t, db, "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20), amount DECIMAL(10,2))")

	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "SET XA = ON")
	mustExec(t, conn, "BEGIN")
	for id := 1; id <= 6; id++ { // three statements on each node
		mustExec(t, conn, "INSERT INTO orders (id, customer, amount) VALUES (?, 'xa', 1)", id)
	}
	mustExec(t, conn, "UPDATE orders SET amount = 2 WHERE id IN (1, 2)")
	mustExec(t, conn, "COMMIT")
	if got := strings.Join(column(t, db, "SELECT id FROM orders WHERE amount > 0 ORDER BY id"), ","); got != "1,2,3,4,5,6" {
		t.Fatalf("after XA commit: %s", got)
	}
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "DELETE FROM orders WHERE id IN (1, 2)")
	mustExec(t, conn, "ROLLBACK")
	conn.Close()
	if got := len(column(t, db, "SELECT id FROM orders")); got != 6 {
		t.Fatalf("after XA rollback: %d rows", got)
	}

	// A second proxy on the same conf dies at the given stage of its commit.
	crashAt := func(stage string, ids ...int) {
		t.Helper()
		cfg, _, err := mycatconf.Load(c.conf)
		if err != nil {
			t.Fatal(err)
		}
		dying, err := proxy.New(cfg, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0",
			XAHook: func(s string) error {
				if s == stage {
					return errors.New("simulated crash at " + s)
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := dying.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		other := &cluster{p: dying}
		d := other.open(t, "root", testPassword, "TESTDB", "")
		cn, err := d.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, cn, "SET XA = ON")
		mustExec(t, cn, "BEGIN")
		for _, id := range ids {
			mustExec(t, cn, "INSERT INTO orders (id, customer, amount) VALUES (?, 'crash', 1)", id)
		}
		if _, err := cn.ExecContext(context.Background(), "COMMIT"); err == nil {
			t.Fatalf("the commit must fail at %s", stage)
		}
		cn.Close()
		d.Close()
		dying.Close() // the proxy is gone; prepared branches wait on the shards
	}
	crashAt("decided", 11, 12)
	if got := column(t, db, "SELECT id FROM orders WHERE id > 10"); len(got) != 0 {
		t.Fatalf("in-doubt rows must not be visible before recovery: %v", got)
	}
	// The next proxy to start finishes the decided transaction at once.
	crashAt("prepared", 13, 14)
	if got := strings.Join(column(t, db, "SELECT id FROM orders WHERE id > 10 ORDER BY id"), ","); got != "11,12" {
		t.Fatalf("after the next start's recovery: %s, want 11,12 (13,14 are undecided and young)", got)
	}
	// Undecided branches past the grace period are rolled back.
	n, err := c.p.RecoverXA(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("recovery finished %d branches, want the 2 undecided ones", n)
	}
	if got := strings.Join(column(t, db, "SELECT id FROM orders WHERE id > 10 ORDER BY id"), ","); got != "11,12" {
		t.Fatalf("after recovery: %s, want 11,12 committed and 13,14 rolled back", got)
	}
	// Nothing in doubt remains, and the decision log is empty.
	time.Sleep(10 * time.Millisecond)
	if n, err := c.p.RecoverXA(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("second recovery: %d, %v", n, err)
	}
	if got := shardColumn(t, c.a, "db1", "SELECT COUNT(*) FROM shardcat_xa_log"); got[0] != "0" {
		t.Fatalf("decision log rows left: %v", got)
	}
}
