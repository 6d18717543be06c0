package proxy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
	"github.com/shardcat/shardcat/internal/testenv"
)

// cluster is two real MariaDB shards behind a running proxy.
type cluster struct {
	a, b  *mariadb.Server
	p     *proxy.Proxy
	conf  string
	admin *sql.DB // root@proxy, schema TESTDB
}

const testPassword = "s3cret"

func writeConf(t *testing.T, dir string, a, b *mariadb.Server, extraSystem ...string) {
	t.Helper()
	server := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:server SYSTEM "server.dtd">
<mycat:server xmlns:mycat="http://io.mycat/">
  <system>` + strings.Join(extraSystem, "") + `
    <property name="serverPort">8066</property>
    <property name="managerPort">9066</property>
    <property name="dataNodeHeartbeatPeriod">500</property>
  </system>
  <user name="root">
    <property name="password">` + testPassword + `</property>
    <property name="schemas">TESTDB</property>
  </user>
  <user name="reader">
    <property name="password">readpw</property>
    <property name="schemas">TESTDB</property>
    <property name="readOnly">true</property>
  </user>
</mycat:server>
`
	schema := schemaXML(a, b, `
    <table name="orders" dataNode="dn1,dn2" rule="mod-long">
      <childTable name="order_items" joinKey="order_id" parentKey="id"/>
    </table>
    <table name="regions" type="global" dataNode="dn1,dn2"/>
    <table name="strict_t" dataNode="dn1,dn2" rule="mod-long" ruleRequired="true"/>`)
	rule := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:rule SYSTEM "rule.dtd">
<mycat:rule xmlns:mycat="http://io.mycat/">
  <tableRule name="mod-long">
    <rule><columns>id</columns><algorithm>mod-long</algorithm></rule>
  </tableRule>
  <function name="mod-long" class="io.mycat.route.function.PartitionByMod">
    <property name="count">2</property>
  </function>
</mycat:rule>
`
	for name, text := range map[string]string{"server.xml": server, "schema.xml": schema, "rule.xml": rule} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// schemaXML is schema TESTDB with the given tables over dn1 (db1 on a) and
// dn2 (db2 on b).
func schemaXML(a, b *mariadb.Server, tables string) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<!DOCTYPE mycat:schema SYSTEM "schema.dtd">
<mycat:schema xmlns:mycat="http://io.mycat/">
  <schema name="TESTDB" checkSQLschema="true" sqlMaxLimit="100" dataNode="dn1">%s
  </schema>
  <dataNode name="dn1" dataHost="hostA" database="db1"/>
  <dataNode name="dn2" dataHost="hostB" database="db2"/>
  <dataHost name="hostA" maxCon="20" minCon="2" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
    <heartbeat>select user()</heartbeat>
    <writeHost host="a1" url="%s" user="%s" password="%s"/>
  </dataHost>
  <dataHost name="hostB" maxCon="20" minCon="2" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
    <heartbeat>select user()</heartbeat>
    <writeHost host="b1" url="%s" user="%s" password="%s"/>
  </dataHost>
</mycat:schema>
`, tables, a.Addr(), a.User(), a.Password(), b.Addr(), b.User(), b.Password())
}

func startCluster(t *testing.T, extraSystem ...string) *cluster {
	testenv.RequireMariaDB(t)
	c := &cluster{conf: t.TempDir()}
	c.a = testenv.MariaDB(t, mariadb.Options{Databases: []string{"db1"}})
	c.b = testenv.MariaDB(t, mariadb.Options{Databases: []string{"db2"}})
	writeConf(t, c.conf, c.a, c.b, extraSystem...)
	cfg, findings, err := mycatconf.Load(c.conf)
	if err != nil {
		t.Fatalf("load conf: %v %v", err, findings)
	}
	c.p, err = proxy.New(cfg, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.p.Close() })
	c.admin = c.open(t, "root", testPassword, "TESTDB", "")
	return c
}

func (c *cluster) dsn(user, pass, db, params string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, pass, "tcp", c.p.Addr(), db
	cfg.Timeout = 5 * time.Second
	dsn := cfg.FormatDSN()
	if params != "" {
		if strings.Contains(dsn, "?") {
			dsn += "&" + params
		} else {
			dsn += "?" + params
		}
	}
	return dsn
}

func (c *cluster) open(t *testing.T, user, pass, db, params string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", c.dsn(user, pass, db, params))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) sql.Result {
	t.Helper()
	r, err := db.ExecContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

// column reads a one-column result as strings.
func column(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	cols, _ := rows.Columns()
	for rows.Next() {
		var v sql.NullString
		dest := []any{&v}
		for range cols[1:] {
			dest = append(dest, new(sql.RawBytes))
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		if v.Valid {
			out = append(out, v.String)
		} else {
			out = append(out, "NULL")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// shardColumn reads directly from one shard, bypassing the proxy.
func shardColumn(t *testing.T, s *mariadb.Server, db, q string) []string {
	t.Helper()
	d, err := sql.Open("mysql", s.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return column(t, d, q)
}

func sqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestProxyAgainstRealShards(t *testing.T) {
	c := startCluster(t)
	db := c.admin

	mustExec(t, db, "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20), amount DECIMAL(10,2))")
	mustExec(t, db, "CREATE TABLE order_items (id INT PRIMARY KEY, order_id INT, sku VARCHAR(10))")
	mustExec(t, db, "CREATE TABLE regions (id INT PRIMARY KEY, name VARCHAR(20))")
	mustExec(t, db, "CREATE TABLE strict_t (id INT PRIMARY KEY)")
	mustExec(t, db, "CREATE TABLE plain (id INT PRIMARY KEY, v VARCHAR(10))") // unlisted: default dataNode dn1

	t.Run("DDL reaches every node of the table", func(t *testing.T) {
		for _, s := range []struct {
			srv *mariadb.Server
			db  string
		}{{c.a, "db1"}, {c.b, "db2"}} {
			got := strings.Join(shardColumn(t, s.srv, s.db, "SHOW TABLES"), ",")
			if !strings.Contains(got, "orders") || !strings.Contains(got, "regions") {
				t.Fatalf("%s tables: %s", s.db, got)
			}
		}
		if got := shardColumn(t, c.b, "db2", "SHOW TABLES LIKE 'plain'"); len(got) != 0 {
			t.Fatalf("unlisted table must live on the default node only, found on dn2")
		}
	})

	t.Run("multi-row insert splits rows by mod-long", func(t *testing.T) {
		r := mustExec(t, db, "INSERT INTO orders (id, customer, amount) VALUES (1,'ann',10.50),(2,'bob',20.00),(3,'cid',5.25),(4,'dan',99.99),(5,'eve',0.01),(6,'fay',42.00),(7,'gus',7.00),(8,'hal',8.00),(9,'ivy',19.90),(10,'jon',10.00)")
		if n, _ := r.RowsAffected(); n != 10 {
			t.Fatalf("affected %d, want 10", n)
		}
		even := shardColumn(t, c.a, "db1", "SELECT id FROM orders ORDER BY id")
		odd := shardColumn(t, c.b, "db2", "SELECT id FROM orders ORDER BY id")
		if strings.Join(even, ",") != "2,4,6,8,10" || strings.Join(odd, ",") != "1,3,5,7,9" {
			t.Fatalf("placement: dn1=%v dn2=%v", even, odd)
		}
	})

	t.Run("point reads route to one node", func(t *testing.T) {
		if got := column(t, db, "SELECT customer FROM orders WHERE id = 7"); strings.Join(got, ",") != "gus" {
			t.Fatalf("got %v", got)
		}
		if got := column(t, db, "SELECT customer FROM orders WHERE id IN (2, 3) ORDER BY customer"); strings.Join(got, ",") != "bob,cid" {
			t.Fatalf("got %v", got)
		}
	})

	t.Run("scatter read with ORDER BY, LIMIT and OFFSET merges correctly", func(t *testing.T) {
		got := column(t, db, "SELECT id, amount FROM orders ORDER BY amount DESC LIMIT 3 OFFSET 1")
		if strings.Join(got, ",") != "6,2,9" {
			t.Fatalf("got %v, want 6,2,9", got)
		}
		all := column(t, db, "SELECT id FROM orders")
		sort.Strings(all)
		if len(all) != 10 {
			t.Fatalf("scatter read returned %d rows", len(all))
		}
		if got := column(t, db, "SELECT customer FROM orders ORDER BY customer LIMIT 2"); strings.Join(got, ",") != "ann,bob" {
			t.Fatalf("got %v", got)
		}
		// The sort key is not selected: the router adds it as a hidden column.
		if got := column(t, db, "SELECT id FROM orders ORDER BY amount DESC LIMIT 3"); strings.Join(got, ",") != "4,6,2" {
			t.Fatalf("ORDER BY a hidden column: got %v", got)
		}
	})

	t.Run("aggregates across nodes are merged", func(t *testing.T) {
		var n, sum, lo, hi, avg string
		if err := db.QueryRow("SELECT COUNT(*), SUM(amount), MIN(amount), MAX(amount), AVG(amount) FROM orders WHERE id <= 10").Scan(&n, &sum, &lo, &hi, &avg); err != nil {
			t.Fatal(err)
		}
		// 10.50+20+5.25+99.99+0.01+42+7+8+19.90+10 = 222.65
		if n != "10" || sum != "222.65" || lo != "0.01" || hi != "99.99" || avg != "22.265000" {
			t.Fatalf("got count=%s sum=%s min=%s max=%s avg=%s", n, sum, lo, hi, avg)
		}
		got := column(t, db, "SELECT id % 3 AS k, COUNT(*) FROM orders WHERE id <= 10 GROUP BY k ORDER BY COUNT(*) DESC, k")
		if strings.Join(got, ",") != "1,0,2" {
			t.Fatalf("GROUP BY ... ORDER BY COUNT(*): got %v", got)
		}
		if got := column(t, db, "SELECT DISTINCT amount > 10 FROM orders WHERE id <= 10 ORDER BY 1"); strings.Join(got, ",") != "0,1" {
			t.Fatalf("DISTINCT: got %v", got)
		}
		// COUNT(DISTINCT) counts the values the nodes return.
		if got := column(t, db, "SELECT COUNT(DISTINCT id % 4) FROM orders WHERE id <= 10"); got[0] != "4" {
			t.Fatalf("COUNT(DISTINCT): got %v", got)
		}
		// HAVING is evaluated by the proxy on the merged groups.
		if got := column(t, db, "SELECT id % 3 AS k, COUNT(*) AS n FROM orders WHERE id <= 10 GROUP BY k HAVING n > 3 OR k = 2 ORDER BY k"); strings.Join(got, ",") != "1,2" {
			t.Fatalf("HAVING: got %v", got)
		}
	})

	t.Run("prepared statements are routed on each execution", func(t *testing.T) {
		st, err := db.Prepare("SELECT customer, amount FROM orders WHERE id = ?")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for id, want := range map[int]string{1: "ann 10.50", 4: "dan 99.99", 9: "ivy 19.90"} {
			var cust, amount string
			if err := st.QueryRow(id).Scan(&cust, &amount); err != nil {
				t.Fatalf("id %d: %v", id, err)
			}
			if cust+" "+amount != want {
				t.Fatalf("id %d: got %s %s want %s", id, cust, amount, want)
			}
		}
		ins, err := db.Prepare("INSERT INTO orders (id, customer, amount) VALUES (?, ?, ?)")
		if err != nil {
			t.Fatal(err)
		}
		defer ins.Close()
		if _, err := ins.Exec(12, "o'neil", "3.00"); err != nil {
			t.Fatal(err)
		}
		if got := shardColumn(t, c.a, "db1", "SELECT customer FROM orders WHERE id = 12"); strings.Join(got, "") != "o'neil" {
			t.Fatalf("prepared insert landed wrong: %v", got)
		}
	})

	t.Run("global table written everywhere, read once", func(t *testing.T) {
		mustExec(t, db, "INSERT INTO regions (id, name) VALUES (1,'north'),(2,'south')")
		for _, s := range []struct {
			srv *mariadb.Server
			db  string
		}{{c.a, "db1"}, {c.b, "db2"}} {
			if got := shardColumn(t, s.srv, s.db, "SELECT COUNT(*) FROM regions"); got[0] != "2" {
				t.Fatalf("%s has %v regions", s.db, got)
			}
		}
		if got := column(t, db, "SELECT name FROM regions ORDER BY id"); strings.Join(got, ",") != "north,south" {
			t.Fatalf("got %v", got)
		}
		// A join with a global table is pushed down.
		if got := column(t, db, "SELECT r.name FROM orders o JOIN regions r ON r.id = 1 WHERE o.id = 3"); strings.Join(got, ",") != "north" {
			t.Fatalf("join with global table: %v", got)
		}
	})

	t.Run("ER child rows follow their parent", func(t *testing.T) {
		mustExec(t, db, "INSERT INTO order_items (id, order_id, sku) VALUES (100, 3, 'x1')")
		mustExec(t, db, "INSERT INTO order_items (id, order_id, sku) VALUES (101, 4, 'x2')")
		if got := shardColumn(t, c.b, "db2", "SELECT id FROM order_items"); strings.Join(got, ",") != "100" {
			t.Fatalf("dn2 items: %v", got)
		}
		got := column(t, db, "SELECT i.sku FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = 4")
		if strings.Join(got, ",") != "x2" {
			t.Fatalf("ER join: %v", got)
		}
	})

	t.Run("unsupported or unsafe statements are refused with an error", func(t *testing.T) {
		if _, err := db.Exec("UPDATE orders SET id = 20 WHERE id = 2"); err == nil {
			t.Fatal("updating the shard column must be refused")
		}
		if _, err := db.Query("SELECT customer, COUNT(*) FROM orders GROUP BY customer HAVING COUNT(*) > 1 AND MAX(LENGTH(customer)) > 1"); sqlCode(err) != 1235 {
			t.Fatalf("cross-node HAVING over an aggregate that is not selected: want error 1235, got %v", err)
		}
		if _, err := db.Query("SELECT COUNT(DISTINCT customer, amount) FROM orders"); sqlCode(err) != 1235 {
			t.Fatalf("cross-node COUNT(DISTINCT a, b): want error 1235, got %v", err)
		}
		if _, err := db.Query("SELECT * FROM strict_t"); err == nil {
			t.Fatal("ruleRequired table without a shard condition must be refused")
		}
		if _, err := db.Exec("SELEKT 1"); sqlCode(err) != 1064 {
			t.Fatalf("parse error: want 1064, got %v", err)
		}
	})

	t.Run("transactions across nodes commit and roll back together", func(t *testing.T) {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, "INSERT INTO orders (id, customer, amount) VALUES (21, 'tx1', 1)")
		mustExec(t, tx, "INSERT INTO orders (id, customer, amount) VALUES (22, 'tx2', 1)")
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := column(t, db, "SELECT id FROM orders WHERE id IN (21, 22)"); len(got) != 0 {
			t.Fatalf("rolled back rows visible: %v", got)
		}
		tx, _ = db.Begin()
		mustExec(t, tx, "INSERT INTO orders (id, customer, amount) VALUES (23, 'tx3', 1)")
		mustExec(t, tx, "INSERT INTO orders (id, customer, amount) VALUES (24, 'tx4', 1)")
		if got := column(t, tx, "SELECT customer FROM orders WHERE id = 24"); strings.Join(got, "") != "tx4" {
			t.Fatalf("a transaction must read its own write: %v", got)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := column(t, db, "SELECT id FROM orders WHERE id IN (23, 24) ORDER BY id"); strings.Join(got, ",") != "23,24" {
			t.Fatalf("committed rows: %v", got)
		}
	})

	t.Run("session statements answered by the proxy", func(t *testing.T) {
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if got := column(t, conn, "SELECT DATABASE()"); got[0] != "TESTDB" {
			t.Fatalf("DATABASE() = %v", got)
		}
		tables := strings.Join(column(t, conn, "SHOW TABLES"), ",")
		for _, want := range []string{"orders", "order_items", "regions", "plain"} {
			if !strings.Contains(tables, want) {
				t.Fatalf("SHOW TABLES = %s, missing %s", tables, want)
			}
		}
		if got := strings.Join(column(t, conn, "SHOW DATABASES"), ","); got != "TESTDB" {
			t.Fatalf("SHOW DATABASES = %s", got)
		}
		mustExec(t, conn, "SET @marker = 'kept'")
		if got := column(t, conn, "SELECT @marker FROM orders WHERE id = 1"); got[0] != "kept" {
			t.Fatalf("user variable not carried to the backend: %v", got)
		}
		if _, err := conn.ExecContext(context.Background(), "USE nosuchdb"); sqlCode(err) != 1049 {
			t.Fatalf("USE unknown schema: %v", err)
		}
	})

	t.Run("EXPLAIN shows Mycat's DATA_NODE and SQL columns", func(t *testing.T) {
		rows, err := db.Query("EXPLAIN SELECT * FROM orders WHERE id = 5")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		if strings.Join(cols, ",") != "DATA_NODE,SQL" {
			t.Fatalf("columns %v", cols)
		}
		var node, q string
		rows.Next()
		if err := rows.Scan(&node, &q); err != nil {
			t.Fatal(err)
		}
		if node != "dn2" {
			t.Fatalf("id 5 routes to %s, want dn2", node)
		}
	})

	t.Run("read-only user and bad password are refused", func(t *testing.T) {
		ro := c.open(t, "reader", "readpw", "TESTDB", "")
		if _, err := ro.Exec("DELETE FROM orders WHERE id = 1"); sqlCode(err) != 1290 {
			t.Fatalf("read-only write: %v", err)
		}
		if got := column(t, ro, "SELECT customer FROM orders WHERE id = 1"); got[0] != "ann" {
			t.Fatalf("read-only read: %v", got)
		}
		bad := c.open(t, "root", "wrong", "TESTDB", "")
		if err := bad.Ping(); sqlCode(err) != 1045 {
			t.Fatalf("wrong password: want 1045, got %v", err)
		}
	})

	t.Run("multi-statements return every result", func(t *testing.T) {
		ms := c.open(t, "root", testPassword, "TESTDB", "multiStatements=true")
		rows, err := ms.Query("SELECT id FROM orders WHERE id = 1; SELECT id FROM orders WHERE id = 2")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for {
			for rows.Next() {
				var v string
				rows.Scan(&v)
				got = append(got, v)
			}
			if !rows.NextResultSet() {
				break
			}
		}
		if strings.Join(got, ",") != "1,2" {
			t.Fatalf("got %v", got)
		}
	})

	t.Run("LOAD DATA LOCAL into a one-node table, refused for a sharded one", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "rows.csv")
		if err := os.WriteFile(file, []byte("1,a\n2,b\n3,c\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mysql.RegisterLocalFile(file)
		defer mysql.DeregisterLocalFile(file)
		r := mustExec(t, db, "LOAD DATA LOCAL INFILE '"+file+"' INTO TABLE plain FIELDS TERMINATED BY ','")
		if n, _ := r.RowsAffected(); n != 3 {
			t.Fatalf("loaded %d rows, want 3", n)
		}
		if got := shardColumn(t, c.a, "db1", "SELECT v FROM plain ORDER BY id"); strings.Join(got, ",") != "a,b,c" {
			t.Fatalf("plain on dn1: %v", got)
		}
		if _, err := db.Exec("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE orders FIELDS TERMINATED BY ','"); sqlCode(err) != 1235 {
			t.Fatalf("LOAD DATA into a sharded table: want 1235, got %v", err)
		}
		if _, err := db.Exec("LOCK TABLES orders WRITE"); sqlCode(err) != 1235 {
			t.Fatalf("a statement that would reach one node of a sharded table: want 1235, got %v", err)
		}
	})

	t.Run("the mariadb CLI works through the proxy", func(t *testing.T) {
		cli, err := exec.LookPath("mariadb")
		if err != nil {
			if testenv.InCI() {
				t.Fatal("mariadb CLI missing in CI")
			}
			t.Skip("mariadb CLI not installed")
		}
		host, port, _ := strings.Cut(c.p.Addr(), ":")
		out, err := exec.Command(cli, "--no-defaults", "-h"+host, "-P"+port, "-uroot", "-p"+testPassword, "TESTDB",
			"--batch", "--skip-column-names", "-e", "SELECT customer FROM orders WHERE id = 4; SELECT COUNT(*) FROM regions").CombinedOutput()
		if err != nil {
			t.Fatalf("mariadb CLI: %v\n%s", err, out)
		}
		if got := strings.Fields(string(out)); strings.Join(got, ",") != "dan,2" {
			t.Fatalf("CLI output %q", out)
		}
	})

	t.Run("a dead data host fails only the statements that need it", func(t *testing.T) {
		if err := c.b.Kill(); err != nil {
			t.Fatal(err)
		}
		if got := column(t, db, "SELECT customer FROM orders WHERE id = 2"); got[0] != "bob" {
			t.Fatalf("dn1 read while dn2 is down: %v", got)
		}
		if _, err := db.Query("SELECT customer FROM orders WHERE id = 3"); err == nil {
			t.Fatal("a read on the dead node must fail")
		} else if !strings.Contains(err.Error(), "dn2") {
			t.Fatalf("the error must name the data node: %v", err)
		}
		if err := c.b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var cust string
			err := db.QueryRow("SELECT customer FROM orders WHERE id = 3").Scan(&cust)
			if err == nil && cust == "cid" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("dn2 did not come back: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// caching_sha2_password through the proxy: the first login is a full
// authentication (the password over TLS), later ones take the fast path
// from the proxy's cache; a wrong password is refused either way.
func TestCachingSHA2Logins(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := mariadb.WriteSelfSignedCert(cert, key); err != nil {
		t.Fatal(err)
	}
	c := startCluster(t,
		`<property name="defaultAuthPlugin">caching_sha2_password</property>`,
		`<property name="sslCert">`+cert+`</property>`,
		`<property name="sslKey">`+key+`</property>`)
	tlsDB := c.open(t, "root", testPassword, "TESTDB", "tls=skip-verify")
	if err := tlsDB.Ping(); err != nil {
		t.Fatalf("full authentication over TLS: %v", err)
	}
	plain := c.open(t, "root", testPassword, "TESTDB", "")
	if err := plain.Ping(); err != nil {
		t.Fatalf("fast authentication from the cache, without TLS: %v", err)
	}
	if got := column(t, plain, "SELECT 1"); got[0] != "1" {
		t.Fatalf("after fast auth: %v", got)
	}
	bad := c.open(t, "root", "wrong", "TESTDB", "tls=skip-verify")
	if err := bad.Ping(); sqlCode(err) != 1045 {
		t.Fatalf("wrong password: want 1045, got %v", err)
	}
}

func TestManagerPort(t *testing.T) {
	c := startCluster(t)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "root", testPassword, "tcp", c.p.ManagerAddr()
	cfg.InterpolateParams = true
	m, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.SetMaxOpenConns(1)
	rows, err := m.Query("show @@datasource")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 2 {
		t.Fatalf("show @@datasource: %d rows, want 2", n)
	}
	if _, err := m.Exec("offline"); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.Ping(); err == nil {
		// database/sql may reuse a pooled connection; a fresh one must fail its ping.
		conn, _ := c.admin.Conn(context.Background())
		if err := conn.PingContext(context.Background()); err == nil {
			t.Fatal("ping must fail while the proxy is offline")
		}
		conn.Close()
	}
	if _, err := m.Exec("online"); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.Ping(); err != nil {
		t.Fatalf("ping after online: %v", err)
	}
	if _, err := m.Exec("reload @@config"); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := column(t, c.admin, "SELECT 1"); got[0] != "1" {
		t.Fatalf("after reload: %v", got)
	}
}

// The merge budget (mergeMaxRows) refuses a scatter read that would hold
// too many rows, with an error rather than an out-of-memory crash.
func TestMergeBudget(t *testing.T) {
	c := startCluster(t, `<property name="mergeMaxRows">5</property>`)
	mustExec(t, c.admin, "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20), amount DECIMAL(10,2))")
	mustExec(t, c.admin, "INSERT INTO orders (id, customer, amount) VALUES (1,'a',1),(2,'b',2),(3,'c',3),(4,'d',4),(5,'e',5),(6,'f',6)")
	if got := column(t, c.admin, "SELECT id FROM orders ORDER BY id LIMIT 5"); len(got) != 5 {
		t.Fatalf("within the budget: %v", got)
	}
	if _, err := c.admin.Query("SELECT id FROM orders ORDER BY id"); err == nil || !strings.Contains(err.Error(), "mergeMaxRows") {
		t.Fatalf("over the budget: want an error naming mergeMaxRows, got %v", err)
	}
}

// sqlExecuteTimeout interrupts a statement stuck on a backend: the client
// gets error 1317 in time, and the proxy keeps serving.
func TestStatementTimeout(t *testing.T) {
	c := startCluster(t, `<property name="sqlExecuteTimeout">1</property>`)
	start := time.Now()
	_, err := c.admin.Exec("DO SLEEP(10)")
	if sqlCode(err) != 1317 || !strings.Contains(err.Error(), "sqlExecuteTimeout") {
		t.Fatalf("want error 1317 naming sqlExecuteTimeout, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %v", d)
	}
	if got := column(t, c.admin, "SELECT 1"); got[0] != "1" {
		t.Fatalf("after a timeout: %v", got)
	}
}

// A director in front of the proxy sends a PROXY header: the proxy applies
// its firewall to the client address in the header, and a trusted source
// that sends no header is refused.
func TestProxyProtocolFromDirector(t *testing.T) {
	testenv.RequireMariaDB(t)
	c := &cluster{conf: t.TempDir()}
	c.a = testenv.MariaDB(t, mariadb.Options{Databases: []string{"db1"}})
	c.b = testenv.MariaDB(t, mariadb.Options{Databases: []string{"db2"}})
	writeConf(t, c.conf, c.a, c.b, `<property name="proxyProtocolFrom">127.0.0.1</property>`)
	serverXML := filepath.Join(c.conf, "server.xml")
	text, _ := os.ReadFile(serverXML)
	// Only clients from 198.51.100.0/24 (the documentation range, used here
	// only as data inside the header) may log in as root.
	text = []byte(strings.Replace(string(text), "</mycat:server>",
		`<firewall><whitehost><host host="198.51.100.*" user="root"/></whitehost></firewall></mycat:server>`, 1))
	if err := os.WriteFile(serverXML, text, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, findings, err := mycatconf.Load(c.conf)
	if err != nil {
		t.Fatalf("%v %v", err, findings)
	}
	if c.p, err = proxy.New(cfg, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if err := c.p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.p.Close()

	header := "PROXY TCP4 198.51.100.7 127.0.0.1 40000 8066\r\n"
	mysql.RegisterDialContext("viadirector", func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_, err = conn.Write([]byte(header))
		}
		return conn, err
	})
	cfgDSN := mysql.NewConfig()
	cfgDSN.User, cfgDSN.Passwd, cfgDSN.Net, cfgDSN.Addr, cfgDSN.DBName = "root", testPassword, "viadirector", c.p.Addr(), "TESTDB"
	db, err := sql.Open("mysql", cfgDSN.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := column(t, db, "SELECT USER()"); !strings.HasSuffix(got[0], "@198.51.100.7") {
		t.Fatalf("the proxy must see the client address of the header: %v", got)
	}
	header = "PROXY TCP4 192.0.2.9 127.0.0.1 40000 8066\r\n"
	other, _ := sql.Open("mysql", cfgDSN.FormatDSN())
	defer other.Close()
	if err := other.Ping(); sqlCode(err) != 1045 {
		t.Fatalf("a client outside the whitehost must be refused: %v", err)
	}
	direct := c.open(t, "root", testPassword, "TESTDB", "timeout=2s")
	if err := direct.Ping(); err == nil {
		t.Fatal("a trusted source without a PROXY header must be refused")
	}
}

// KILL QUERY from another connection interrupts a running statement; the
// killed session keeps working.
func TestKillQuery(t *testing.T) {
	c := startCluster(t)
	victim, err := c.admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var id string
	if err := victim.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := victim.ExecContext(context.Background(), "DO SLEEP(20)")
		done <- err
	}()
	killer := c.open(t, "root", testPassword, "TESTDB", "")
	deadline := time.After(15 * time.Second)
	for killed := false; !killed; {
		// Repeat until the statement is interrupted: KILL QUERY before it
		// started (a loaded machine) finds nothing to kill.
		mustExec(t, killer, "KILL QUERY "+id)
		select {
		case err := <-done:
			if sqlCode(err) != 1317 {
				t.Fatalf("killed statement: want 1317, got %v", err)
			}
			killed = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("KILL QUERY did not interrupt the statement")
		}
	}
	var one string
	if err := victim.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil || one != "1" {
		t.Fatalf("the killed session must keep working: %q %v", one, err)
	}
}
