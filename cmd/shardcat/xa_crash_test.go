package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
	"github.com/shardcat/shardcat/internal/testenv"
)

// The XA crash test with a real process: `shardcat proxy` dies (exit, as
// under kill -9) between writing the commit decision and committing the
// branches; the next proxy's start-up recovery commits both branches.
func TestXACrashOfProxyProcess(t *testing.T) {
	testenv.RequireMariaDB(t)
	a := testenv.MariaDB(t, mariadb.Options{Databases: []string{"db1"}})
	b := testenv.MariaDB(t, mariadb.Options{Databases: []string{"db2"}})
	dir := t.TempDir()
	port, err := mariadb.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	mport, _ := mariadb.FreePort()
	files := map[string]string{
		"server.xml": fmt.Sprintf(`<?xml version="1.0"?>
<mycat:server xmlns:mycat="http://io.mycat/">
  <system>
    <property name="serverPort">%d</property>
    <property name="managerPort">%d</property>
    <property name="bindIp">127.0.0.1</property>
  </system>
  <user name="root"><property name="password">pw</property><property name="schemas">TESTDB</property></user>
</mycat:server>`, port, mport),
		"schema.xml": fmt.Sprintf(`<?xml version="1.0"?>
<mycat:schema xmlns:mycat="http://io.mycat/">
  <schema name="TESTDB" checkSQLschema="true" sqlMaxLimit="100">
    <table name="accounts" dataNode="dn1,dn2" rule="mod-long"/>
  </schema>
  <dataNode name="dn1" dataHost="hA" database="db1"/>
  <dataNode name="dn2" dataHost="hB" database="db2"/>
  <dataHost name="hA" maxCon="10" minCon="1" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
    <heartbeat>select user()</heartbeat><writeHost host="a" url="%s" user="%s" password="%s"/>
  </dataHost>
  <dataHost name="hB" maxCon="10" minCon="1" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
    <heartbeat>select user()</heartbeat><writeHost host="b" url="%s" user="%s" password="%s"/>
  </dataHost>
</mycat:schema>`, a.Addr(), a.User(), a.Password(), b.Addr(), b.User(), b.Password()),
		"rule.xml": `<?xml version="1.0"?>
<mycat:rule xmlns:mycat="http://io.mycat/">
  <tableRule name="mod-long"><rule><columns>id</columns><algorithm>mod-long</algorithm></rule></tableRule>
  <function name="mod-long" class="io.mycat.route.function.PartitionByMod"><property name="count">2</property></function>
</mycat:rule>`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		srv *mariadb.Server
		db  string
	}{{a, "db1"}, {b, "db2"}} {
		if err := s.srv.Exec(context.Background(), "CREATE TABLE "+s.db+".accounts (id INT PRIMARY KEY, balance INT)"); err != nil {
			t.Fatal(err)
		}
	}

	bin := filepath.Join(t.TempDir(), "shardcat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "proxy", "--conf", dir)
	cmd.Env = append(os.Environ(), "SHARDCAT_FAILPOINT_XA_EXIT=decided")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy did not listen:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "root", "pw", "tcp", addr, "TESTDB"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SET XA = ON", "BEGIN", "INSERT INTO accounts (id, balance) VALUES (1, 100)", "INSERT INTO accounts (id, balance) VALUES (2, 200)"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err == nil {
		t.Fatal("the proxy process must die during COMMIT")
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy process did not exit at the failpoint")
	}
	// Both branches are prepared and in doubt on the shards.
	for _, s := range []*mariadb.Server{a, b} {
		root, err := s.OpenRoot("")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := root.Query("XA RECOVER")
		n := 0
		for err == nil && rows.Next() {
			n++
		}
		root.Close()
		if err != nil || n != 1 {
			t.Fatalf("%s: %d prepared branches (%v), want 1", s.Addr(), n, err)
		}
	}
	// The next proxy recovers at start: the decision says COMMIT.
	loaded, _, err := mycatconf.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	next, err := proxy.New(loaded, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	for i, s := range []*mariadb.Server{b, a} { // id 1 on dn2 (b), id 2 on dn1 (a)
		root, _ := s.OpenRoot("")
		var balance int
		err := root.QueryRow(fmt.Sprintf("SELECT balance FROM db%d.accounts WHERE id = %d", 2-i, i+1)).Scan(&balance)
		root.Close()
		if err != nil || balance != (i+1)*100 {
			t.Fatalf("account %d after recovery: %d, %v", i+1, balance, err)
		}
	}
}
