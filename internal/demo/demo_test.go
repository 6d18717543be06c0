package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/shard"
	"github.com/shardcat/shardcat/internal/testenv"
)

func startCluster(t *testing.T) *Cluster {
	t.Helper()
	testenv.RequireMariaDB(t)
	c, err := Start(context.Background(), testenv.ShortTempDir(t), Options{Port: -1, ManagerPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// The generated conf dir loads with our Mycat loader into the intended
// model, and its writeHosts really log in to the shards.
func TestConfDescribesTheShards(t *testing.T) {
	c := startCluster(t)
	cfg, findings, err := mycatconf.LoadWith(c.ConfDir, mycatconf.Options{NewFunction: shard.New, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("finding: %s", f)
	}
	if cfg.System.ServerPort != c.Port {
		t.Errorf("serverPort %d, want %d", cfg.System.ServerPort, c.Port)
	}
	if u := cfg.Users[c.User]; u == nil || u.Password != c.Password || u.DefaultSchema != Schema {
		t.Errorf("user %q: %+v", c.User, u)
	}
	schema := cfg.Schemas[Schema]
	if schema == nil || schema.DataNode != "dn1" {
		t.Fatalf("schema %s: %+v", Schema, schema)
	}
	orders, items, regions := schema.Tables["ORDERS"], schema.Tables["ORDER_ITEMS"], schema.Tables["REGIONS"]
	if orders == nil || orders.Type != mycatconf.TableSharded || strings.Join(orders.DataNodes, ",") != "dn1,dn2" {
		t.Fatalf("orders: %+v", orders)
	}
	for id, want := range map[string]int{"1": 1, "2": 0, "3": 1, "10": 0} {
		if got, err := orders.Rule.Function.Impl.Calculate(id); err != nil || got != want {
			t.Errorf("orders id %s -> node %d (%v), want %d", id, got, err, want)
		}
	}
	if items == nil || items.Type != mycatconf.TableChild || items.Parent != orders || items.JoinKey != "ORDER_ID" || items.ParentKey != "ID" {
		t.Fatalf("order_items: %+v", items)
	}
	if regions == nil || regions.Type != mycatconf.TableGlobal {
		t.Fatalf("regions: %+v", regions)
	}
	for _, s := range c.Shards {
		node := cfg.DataNodes[s.DataNode]
		if node == nil || node.Database != s.Database || node.DataHost != s.Name {
			t.Fatalf("dataNode %s: %+v", s.DataNode, node)
		}
		host := cfg.DataHosts[s.Name].WriteHosts[0]
		if host.Addr != s.Server.Addr() {
			t.Errorf("%s writeHost %s, want %s", s.Name, host.Addr, s.Server.Addr())
		}
		// The proxy's backend login, exactly as configured.
		dsn := mysql.NewConfig()
		dsn.User, dsn.Passwd, dsn.Net, dsn.Addr, dsn.DBName = host.User, host.Password, "tcp", host.Addr, node.Database
		db, err := sql.Open("mysql", dsn.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		var dbs string
		err = db.QueryRow("SELECT GROUP_CONCAT(schema_name) FROM information_schema.schemata WHERE schema_name LIKE 'db_'").Scan(&dbs)
		db.Close()
		if err != nil {
			t.Fatalf("%s: backend login: %v", s.Name, err)
		}
		if dbs != s.Database {
			t.Errorf("%s has databases %q, want only %q", s.Name, dbs, s.Database)
		}
	}
}

// The sample data is valid SQL for MariaDB and self-consistent: each
// order's total is the sum of its items. Run here on one server; the demo
// runs it through the proxy.
func TestSampleSQLIsConsistent(t *testing.T) {
	c := startCluster(t)
	a := c.Shards[0]
	db, err := a.Server.Open(a.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range SampleSQL() {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var orders, items, wrongTotals int
	err = db.QueryRow(`SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_items),
		(SELECT COUNT(*) FROM orders o WHERE o.total <> (SELECT SUM(qty*price) FROM order_items i WHERE i.order_id = o.id))`).
		Scan(&orders, &items, &wrongTotals)
	if err != nil {
		t.Fatal(err)
	}
	if orders != SampleOrders || items != 2*SampleOrders || wrongTotals != 0 {
		t.Fatalf("orders %d, items %d, orders whose total is not their items' sum %d", orders, items, wrongTotals)
	}
	// All rows on one node: VerifyPlacement must notice.
	if err := c.VerifyPlacement(context.Background()); err == nil {
		t.Fatal("VerifyPlacement accepted every order on shard A")
	}
}

// VerifyPlacement accepts the data split by id mod 2, as a proxy would.
func TestVerifyPlacementAcceptsModLong(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	for i, s := range c.Shards {
		var stmts []string
		for _, stmt := range SampleSQL() {
			if id, ok := sampleRowID(stmt); ok && id%2 != i {
				continue // another shard's row
			}
			stmts = append(stmts, stmt)
		}
		execOn(t, s.Server, s.Database, stmts)
	}
	if err := c.VerifyPlacement(ctx); err != nil {
		t.Fatal(err)
	}
}

// execOn runs statements in order on one connection to a shard.
func execOn(t *testing.T, srv ShardServer, database string, stmts []string) {
	t.Helper()
	db, err := srv.Open(database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// sampleRowID is the sharding id of an orders or order_items INSERT.
func sampleRowID(stmt string) (int, bool) {
	var id, orderID int
	if _, err := fmt.Sscanf(stmt, "INSERT INTO orders (id, customer, region_id, total, created_at) VALUES (%d,", &id); err == nil {
		return id, true
	}
	if _, err := fmt.Sscanf(stmt, "INSERT INTO order_items (id, order_id, sku, qty, price) VALUES (%d, %d,", &id, &orderID); err == nil {
		return orderID, true
	}
	return 0, false
}

// LoadSampleData speaks plain MySQL: a single MariaDB with a TESTDB
// database stands in for the proxy here.
func TestLoadSampleDataThroughAnyServer(t *testing.T) {
	srv := testenv.MariaDB(t, mariadb.Options{User: "demo", Password: "pw", Databases: []string{Schema}})
	c := &Cluster{User: "demo", Password: "pw"}
	if err := c.LoadSampleData(context.Background(), srv.Addr()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", c.ProxyDSN(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var orders int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&orders); err != nil || orders != SampleOrders {
		t.Fatalf("%d orders, %v", orders, err)
	}
	// Loading twice works: the sample starts by dropping its tables.
	if err := c.LoadSampleData(context.Background(), srv.Addr()); err != nil {
		t.Fatalf("second load: %v", err)
	}
	// A wrong password is reported at once, without retries.
	wrong := &Cluster{User: "demo", Password: "wrong"}
	start := time.Now()
	if err := wrong.LoadSampleData(context.Background(), srv.Addr()); err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("wrong password: %v after %v", err, time.Since(start))
	}
	// A proxy that never comes up is reported, not waited for forever.
	if err := c.LoadSampleData(context.Background(), "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "connect to the proxy") {
		t.Fatalf("unreachable proxy: %v", err)
	}
}
