package proxy_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
	"github.com/shardcat/shardcat/internal/testenv"
)

// seqFunctionSQL creates MYCAT_SEQUENCE and a mycat_seq_nextval with the
// contract of Mycat's dbseq.sql: it advances current_value by increment
// and returns "first,increment" of the allocated block.
var seqFunctionSQL = []string{
	"CREATE TABLE MYCAT_SEQUENCE (name VARCHAR(64) NOT NULL PRIMARY KEY, current_value BIGINT NOT NULL, increment INT NOT NULL DEFAULT 1)",
	"INSERT INTO MYCAT_SEQUENCE VALUES ('GLOBAL', 100, 3), ('ITEMS', 0, 2)",
	`CREATE FUNCTION mycat_seq_nextval(seq_name VARCHAR(64)) RETURNS VARCHAR(64) CHARSET latin1
	BEGIN
		DECLARE val BIGINT DEFAULT -1;
		DECLARE inc INT DEFAULT 0;
		SELECT current_value + increment, increment INTO val, inc FROM MYCAT_SEQUENCE WHERE name = seq_name FOR UPDATE;
		IF val != -1 THEN UPDATE MYCAT_SEQUENCE SET current_value = val WHERE name = seq_name; END IF;
		RETURN CONCAT(CAST(val - inc + 1 AS CHAR), ',', CAST(inc AS CHAR));
	END`,
}

func TestSequencesAutoIncrementAndERLookup(t *testing.T) {
	testenv.RequireMariaDB(t)
	a := testenv.MariaDB(t, mariadb.Options{Databases: []string{"db1"}})
	b := testenv.MariaDB(t, mariadb.Options{Databases: []string{"db2"}})
	if err := a.Exec(context.Background(), append([]string{"USE db1"}, seqFunctionSQL...)...); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeConf(t, dir, a, b, `<property name="sequnceHandlerType">1</property>`)
	schema := schemaXML(a, b, `
    <table name="orders" dataNode="dn1,dn2" rule="mod-long"/>
    <table name="items" primaryKey="id" autoIncrement="true" dataNode="dn1,dn2" rule="mod-long"/>
    <table name="customers" dataNode="dn1,dn2" rule="mod-long">
      <childTable name="addresses" joinKey="customer_code" parentKey="code"/>
    </table>`)
	for name, text := range map[string]string{"schema.xml": schema, "sequence_db_conf.properties": "GLOBAL=dn1\nITEMS=dn1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, findings, err := mycatconf.Load(dir)
	if err != nil {
		t.Fatalf("%v %v", err, findings)
	}
	p, err := proxy.New(cfg, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &cluster{a: a, b: b, p: p}
	db := c.open(t, "root", testPassword, "TESTDB", "")
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, ddl := range []string{
		"CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(20))",
		"CREATE TABLE items (id BIGINT PRIMARY KEY, sku VARCHAR(20))",
		"CREATE TABLE customers (id INT PRIMARY KEY, code VARCHAR(10))",
		"CREATE TABLE addresses (id INT PRIMARY KEY, customer_code VARCHAR(10), city VARCHAR(20))",
	} {
		mustExec(t, conn, ddl)
	}

	t.Run("next value for MYCATSEQ_GLOBAL", func(t *testing.T) {
		r := mustExec(t, conn, "INSERT INTO orders (id, customer) VALUES (next value for MYCATSEQ_GLOBAL, 'first')")
		id, _ := r.LastInsertId()
		if id != 101 {
			t.Fatalf("first id %d, want 101 (current_value 100, increment 3)", id)
		}
		mustExec(t, conn, "INSERT INTO orders (id, customer) VALUES (next value for MYCATSEQ_GLOBAL, 'second'), (next value for MYCATSEQ_GLOBAL, 'third')")
		got := column(t, conn, "SELECT id FROM orders ORDER BY id")
		if strings.Join(got, ",") != "101,102,103" {
			t.Fatalf("ids %v", got)
		}
		if got := column(t, conn, "SELECT LAST_INSERT_ID()"); got[0] != "102" {
			t.Fatalf("LAST_INSERT_ID() = %v, want the first id of the last insert (102)", got)
		}
		// The block of 3 is used up: the next id needs a new block.
		mustExec(t, conn, "INSERT INTO orders (id, customer) VALUES (next value for MYCATSEQ_GLOBAL, 'fourth')")
		if got := shardColumn(t, a, "db1", "SELECT current_value FROM MYCAT_SEQUENCE WHERE name = 'GLOBAL'"); got[0] != "106" {
			t.Fatalf("MYCAT_SEQUENCE.current_value = %v after two blocks, want 106", got)
		}
	})

	t.Run("autoIncrement table gets distinct ids on the right nodes", func(t *testing.T) {
		mustExec(t, conn, "INSERT INTO items (sku) VALUES ('a'), ('b'), ('c'), ('d'), ('e')")
		ids := column(t, conn, "SELECT id FROM items ORDER BY id")
		if strings.Join(ids, ",") != "1,2,3,4,5" {
			t.Fatalf("item ids %v", ids)
		}
		if got := shardColumn(t, b, "db2", "SELECT id FROM items ORDER BY id"); strings.Join(got, ",") != "1,3,5" {
			t.Fatalf("odd ids must be on dn2: %v", got)
		}
	})

	t.Run("ER child found through its parent's row", func(t *testing.T) {
		mustExec(t, conn, "INSERT INTO customers (id, code) VALUES (1, 'c-one'), (2, 'c-two')")
		mustExec(t, conn, "INSERT INTO addresses (id, customer_code, city) VALUES (10, 'c-one', 'Oslo')")
		mustExec(t, conn, "INSERT INTO addresses (id, customer_code, city) VALUES (11, 'c-two', 'Rome')")
		if got := shardColumn(t, b, "db2", "SELECT city FROM addresses"); strings.Join(got, ",") != "Oslo" {
			t.Fatalf("c-one lives on dn2 (id 1): addresses there %v", got)
		}
		if got := shardColumn(t, a, "db1", "SELECT city FROM addresses"); strings.Join(got, ",") != "Rome" {
			t.Fatalf("c-two lives on dn1 (id 2): addresses there %v", got)
		}
		if _, err := conn.ExecContext(context.Background(), "INSERT INTO addresses (id, customer_code, city) VALUES (12, 'nobody', 'Nowhere')"); err == nil || !strings.Contains(err.Error(), "parent") {
			t.Fatalf("a child without a parent must be refused: %v", err)
		}
	})

	t.Run("two proxies sharing the database sequence never repeat an id", func(t *testing.T) {
		cfg2, _, err := mycatconf.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := proxy.New(cfg2, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		if err := p2.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer p2.Close()
		db2 := (&cluster{p: p2}).open(t, "root", testPassword, "TESTDB", "")
		var wg sync.WaitGroup
		for w, d := range []*sql.DB{db, db2, db, db2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 15; i++ {
					if _, err := d.Exec("INSERT INTO orders (id, customer) VALUES (next value for MYCATSEQ_GLOBAL, ?)", fmt.Sprintf("w%d", w)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		// A repeated id would have failed its INSERT on the primary key;
		// check the count too.
		if got := column(t, db, "SELECT COUNT(*) FROM orders WHERE customer LIKE 'w%'"); got[0] != "60" {
			t.Fatalf("%v rows, want 60 distinct ids", got)
		}
	})

	t.Run("unknown sequence is a clear error", func(t *testing.T) {
		if _, err := conn.ExecContext(context.Background(), "INSERT INTO orders (id, customer) VALUES (next value for MYCATSEQ_NOPE, 'x')"); err == nil || !strings.Contains(err.Error(), "NOPE") {
			t.Fatalf("got %v", err)
		}
	})
}
