package mariadb_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/testenv"
)

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var v string
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func openTCP(t *testing.T, srv *mariadb.Server, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", srv.DSN(database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Two servers are independent; one killed and restarted keeps its
// committed rows and port while the other keeps serving.
func TestTwoServersKillAndRestart(t *testing.T) {
	ctx := context.Background()
	a := testenv.MariaDB(t, mariadb.Options{Databases: []string{"shop"}})
	b := testenv.MariaDB(t, mariadb.Options{Databases: []string{"shop"}, User: "app", Password: "s3cret'x"})
	if a.Port() == b.Port() {
		t.Fatalf("both servers on port %d", a.Port())
	}
	for i, srv := range []*mariadb.Server{a, b} {
		err := srv.Exec(ctx,
			"USE shop", // Exec keeps one session: the next statements see it
			"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))",
			"INSERT INTO items VALUES ("+string(rune('1'+i))+", 'from-"+srv.Addr()+"')",
		)
		if err != nil {
			t.Fatal(err)
		}
	}
	dbA, dbB := openTCP(t, a, "shop"), openTCP(t, b, "shop")
	if got := queryString(t, dbA, "SELECT name FROM items"); got != "from-"+a.Addr() {
		t.Fatalf("server A has %q", got)
	}
	if got := queryString(t, dbB, "SELECT CONCAT(COUNT(*), ':', MAX(id)) FROM items"); got != "1:2" {
		t.Fatalf("server B has %q, want its own single row", got)
	}
	if got := queryString(t, dbB, "SELECT CURRENT_USER()"); got != "app@%" {
		t.Fatalf("TCP login is %q, want app@%% (anonymous users must be gone)", got)
	}
	// root without a password works on the socket only.
	rootTCP, err := sql.Open("mysql", "root@tcp("+a.Addr()+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer rootTCP.Close()
	if err := rootTCP.Ping(); err == nil {
		t.Fatal("root logs in over TCP without a password")
	}

	pid := a.PID()
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	if a.Running() {
		t.Fatal("A still running after Kill")
	}
	if conn, err := net.DialTimeout("tcp", a.Addr(), time.Second); err == nil {
		conn.Close()
		t.Fatal("A still accepts TCP after Kill")
	}
	if got := queryString(t, dbB, "SELECT COUNT(*) FROM items"); got != "1" {
		t.Fatalf("B affected by A's crash: %s rows", got)
	}

	port := a.Port()
	if err := a.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Port() != port || a.PID() == pid || a.PID() == 0 {
		t.Fatalf("after restart: port %d (was %d), pid %d (was %d)", a.Port(), port, a.PID(), pid)
	}
	dbA.SetMaxIdleConns(0) // drop connections to the dead process
	if got := queryString(t, dbA, "SELECT name FROM items WHERE id = 1"); got != "from-"+a.Addr() {
		t.Fatalf("after crash and restart A has %q", got)
	}
	// A clean stop and start, too.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Exec(ctx, "INSERT INTO shop.items VALUES (3, 'after stop')"); err != nil {
		t.Fatal(err)
	}
}

func TestTLSAndExtraArgs(t *testing.T) {
	srv := testenv.MariaDB(t, mariadb.Options{
		TLS:       true,
		ExtraArgs: []string{"--max-connections=50", "--local-infile=1", "--max-allowed-packet=64M"},
	})
	cert, key := srv.TLSFiles()
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		t.Fatalf("generated cert/key: %v", err)
	}
	cfg, err := mysql.ParseDSN(srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSConfig = "skip-verify"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name, cipher string
	if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatal(err)
	}
	if cipher == "" {
		t.Fatal("connection is not encrypted")
	}
	got := queryString(t, db, "SELECT CONCAT(@@max_connections, ',', @@local_infile, ',', @@max_allowed_packet)")
	if got != "50,ON,67108864" {
		t.Fatalf("server variables %q, want 50,ON,67108864", got)
	}
}

// A server that cannot start reports why, from its error log.
func TestStartFailureShowsErrorLog(t *testing.T) {
	testenv.RequireMariaDB(t)
	dir := testenv.ShortTempDir(t)
	_, err := mariadb.Start(context.Background(), mariadb.Options{
		Dir:          dir,
		ExtraArgs:    []string{"--no-such-option-for-this-test"},
		StartTimeout: 20 * time.Second,
	})
	if err == nil {
		t.Fatal("Start succeeded with an unknown option")
	}
	if !strings.Contains(err.Error(), "no-such-option-for-this-test") {
		t.Fatalf("error does not quote the log: %v", err)
	}
}

// A given port is used as is, and a port in use is an error, not a hang.
func TestFixedPort(t *testing.T) {
	port, err := mariadb.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.MariaDB(t, mariadb.Options{Port: port})
	if srv.Addr() != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) {
		t.Fatalf("Addr %s, want port %d", srv.Addr(), port)
	}
	_, err = mariadb.Start(context.Background(), mariadb.Options{Dir: testenv.ShortTempDir(t), Port: port})
	if err == nil {
		t.Fatal("second server started on a taken port")
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("error does not say why: %v", err)
	}
}

// A datadir left by a previous Start is reused, not re-initialised.
func TestReuseDir(t *testing.T) {
	dir := testenv.ShortTempDir(t)
	first := testenv.MariaDB(t, mariadb.Options{Dir: dir, Databases: []string{"keep"}})
	if err := first.Exec(context.Background(), "CREATE TABLE keep.t (x INT)", "INSERT INTO keep.t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	// The account's password follows the new Options, as the demo's
	// per-run backend password needs.
	second := testenv.MariaDB(t, mariadb.Options{Dir: dir, Password: "changed"})
	if got := queryString(t, openTCP(t, second, "keep"), "SELECT x FROM t"); got != "42" {
		t.Fatalf("reused datadir lost its row: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", ".shardcat-template-complete")); err == nil {
		t.Fatal("template marker copied into a server's datadir")
	}
}

// "root" can be the TCP client account, with its password; the socket
// login stays passwordless for Exec.
func TestRootAsClientAccount(t *testing.T) {
	srv := testenv.MariaDB(t, mariadb.Options{User: "root", Password: "rootpw"})
	if got := queryString(t, openTCP(t, srv, ""), "SELECT CURRENT_USER()"); got != "root@%" {
		t.Fatalf("TCP login is %q, want root@%%", got)
	}
	if err := srv.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatalf("socket login: %v", err)
	}
}
