package dataplane

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/script"
	"github.com/shardcat/shardcat/internal/testenv"
)

func TestCheckStateRise(t *testing.T) {
	cfg := CheckConfig{Rise: 3, Retry: 0, DelayBeforeRetry: time.Second, DelayLoop: time.Minute}
	st := checkState{up: false}
	steps := []struct{ ok, changed, up bool }{
		{true, false, false}, {true, false, false}, {false, false, false}, // a failure resets the count
		{true, false, false}, {true, false, false}, {true, true, true},
		{false, true, false}, {true, false, false},
	}
	for i, s := range steps {
		changed, _ := st.record(s.ok, cfg)
		if changed != s.changed || st.up != s.up {
			t.Fatalf("step %d: changed %v up %v, want %v %v", i, changed, st.up, s.changed, s.up)
		}
	}
}

func addrOf(t *testing.T, url string) netip.AddrPort {
	t.Helper()
	i := strings.LastIndex(url, "/")
	ap, err := netip.ParseAddrPort(url[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func TestHTTPCheck(t *testing.T) {
	body := "hello checker\n"
	sum := md5.Sum([]byte(body))
	digest := hex.EncodeToString(sum[:])
	var status atomic.Int32
	status.Store(200)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.WriteHeader(int(status.Load()))
			fmt.Fprint(w, body)
		case "/vhost":
			if r.Host != "db.example" {
				http.Error(w, "wrong host "+r.Host, http.StatusNotFound)
				return
			}
			fmt.Fprint(w, body)
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	tsrv := httptest.NewTLSServer(h)
	defer tsrv.Close()
	addr, taddr := addrOf(t, srv.URL), addrOf(t, tsrv.URL)
	ctx := context.Background()
	cases := []struct {
		name string
		cfg  CheckConfig
		want bool
	}{
		{"2xx", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/health"}}}}, true},
		{"404 not 2xx", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/nope"}}}}, false},
		{"status_code 404", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/nope", StatusCodes: [][2]int{{404, 404}}}}}}, true},
		{"digest ok", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/health", Digest: digest}}}}, true},
		{"digest bad", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/health", Digest: strings.Repeat("0", 32)}}}}, false},
		{"all urls", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/health"}, {Path: "/nope"}}}}, false},
		{"virtualhost", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{VirtualHost: "db.example", URLs: []HTTPURL{{Path: "/vhost"}}}}, true},
		{"url virtualhost", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/vhost", VirtualHost: "db.example"}}}}, true},
		{"no virtualhost", CheckConfig{Addr: addr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/vhost"}}}}, false},
		{"SSL_GET", CheckConfig{Addr: taddr, HTTP: &HTTPCheckConfig{TLS: true, URLs: []HTTPURL{{Path: "/health", Digest: digest}}}}, true},
		{"SSL_GET to plain HTTP", CheckConfig{Addr: addr, ConnectTimeout: 2 * time.Second, HTTP: &HTTPCheckConfig{TLS: true, URLs: []HTTPURL{{Path: "/health"}}}}, false},
	}
	for _, c := range cases {
		if got := probe(ctx, c.cfg).ok; got != c.want {
			t.Errorf("%s: ok %v, want %v", c.name, got, c.want)
		}
	}

	// In a service: a 500 takes the real server out, a 200 brings it back.
	be := newBackend(t, "a")
	s := startService(t, ServiceConfig{RealServers: []RealServerConfig{{Addr: be.addr, Weight: 1, Checks: []CheckConfig{{
		Addr: addr, ConnectTimeout: 2 * time.Second, DelayBeforeRetry: 10 * time.Millisecond, DelayLoop: 20 * time.Millisecond,
		HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/health"}}},
	}}}}}, Options{})
	up := func() bool { return s.Snapshot().RealServers[0].Up }
	status.Store(500)
	waitFor(t, "HTTP_GET to go down on 500", func() bool { return !up() })
	status.Store(204)
	waitFor(t, "HTTP_GET to come back on 204", up)
}

func TestMiscCheck(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	misc := func(line string, dynamic bool, timeout time.Duration) CheckConfig {
		argv, err := script.SplitCommand(line)
		if err != nil {
			t.Fatal(err)
		}
		return CheckConfig{DelayLoop: time.Second, Misc: &MiscCheckConfig{Cmd: script.Command{Argv: argv}, Dynamic: dynamic, Timeout: timeout}}
	}
	exit := func(code int) string {
		return testenv.WriteScript(t, dir, fmt.Sprintf("exit%d.sh", code), fmt.Sprintf("exit %d", code))
	}
	cases := []struct {
		name   string
		cfg    CheckConfig
		ok     bool
		weight int
	}{
		{"exit 0", misc(exit(0), false, 0), true, -1},
		{"exit 1", misc(exit(1), false, 0), false, -1},
		{"exit 7 static", misc(exit(7), false, 0), false, -1},
		{"exit 7 dynamic", misc(exit(7), true, 0), true, 5},
		{"exit 2 dynamic", misc(exit(2), true, 0), true, 0},
		{"exit 1 dynamic", misc(exit(1), true, 0), false, -1},
		{"exit 0 dynamic", misc(exit(0), true, 0), true, -1},
		{"script with args", misc(testenv.WriteScript(t, dir, "s.sh", `test "$1" = "a;b"`)+` "a;b"`, false, 0), true, -1},
		// As keepalived: no shell, so shell syntax is a missing program.
		{"no shell", misc("exit 0", false, 0), false, -1},
		{"missing", misc(filepath.Join(dir, "nope"), false, 0), false, -1},
	}
	for _, c := range cases {
		if got := probe(ctx, c.cfg); got.ok != c.ok || got.weight != c.weight {
			t.Errorf("%s: %+v, want ok %v weight %d", c.name, got, c.ok, c.weight)
		}
	}
	start := time.Now()
	if got := probe(ctx, misc("/bin/sleep 30", false, 200*time.Millisecond)); got.ok {
		t.Errorf("timed-out script counted as up")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("misc_timeout not enforced: %v", d)
	}

	// In a service: the script's exit code follows a file.
	codeFile := filepath.Join(dir, "code")
	setCode := func(c int) {
		if err := os.WriteFile(codeFile, []byte(fmt.Sprint(c)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setCode(0)
	check := testenv.WriteScript(t, dir, "check.sh", `exit "$(cat "$1")"`)
	be := newBackend(t, "a")
	s := startService(t, ServiceConfig{RealServers: []RealServerConfig{{Addr: be.addr, Weight: 3, Checks: []CheckConfig{{
		DelayBeforeRetry: 10 * time.Millisecond, DelayLoop: 20 * time.Millisecond,
		Misc: &MiscCheckConfig{Cmd: script.Command{Argv: []string{check, codeFile}}, Dynamic: true, Timeout: 5 * time.Second},
	}}}}}, Options{})
	rs := func() RealServerSnapshot { return s.Snapshot().RealServers[0] }
	setCode(12)
	waitFor(t, "misc_dynamic weight 10", func() bool { r := rs(); return r.Up && r.Weight == 10 })
	setCode(1)
	waitFor(t, "MISC_CHECK to go down", func() bool { return !rs().Up })
	setCode(0)
	waitFor(t, "MISC_CHECK back up with the configured weight", func() bool { r := rs(); return r.Up && r.Weight == 3 })
}

// offlineHandler is a tiny MySQL server that refuses pings while offline,
// as a proxy put offline does.
type offlineHandler struct {
	mysql.BaseHandler
	offline atomic.Bool
	closed  atomic.Int32
}

func (h *offlineHandler) Authenticate(c *mysql.Conn, req *mysql.AuthRequest) error {
	if req.User != "chk" || !req.CheckPassword("pw") {
		return mysql.NewSQLError(mysql.ERAccessDenied, "Access denied for user '%s'", req.User)
	}
	return nil
}

func (h *offlineHandler) ComQuery(c *mysql.Conn, query string) error {
	return mysql.NewSQLError(mysql.ERAccessDenied, "no queries here")
}

func (h *offlineHandler) ComPing(c *mysql.Conn) error {
	if h.offline.Load() {
		return errors.New("proxy is offline")
	}
	return nil
}

func (h *offlineHandler) ConnectionClosed(c *mysql.Conn) { h.closed.Add(1) }

func TestMySQLCheckPingError(t *testing.T) {
	h := &offlineHandler{}
	srv := &mysql.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := netip.MustParseAddrPort(ln.Addr().String())
	cfg := CheckConfig{Addr: addr, ConnectTimeout: 5 * time.Second, MySQL: &MySQLCheckConfig{User: "chk", Password: "pw"}}
	ctx := context.Background()
	if err := probeMySQL(ctx, cfg); err != nil {
		t.Fatalf("online: %v", err)
	}
	h.offline.Store(true)
	if err := probeMySQL(ctx, cfg); err == nil {
		t.Fatal("a ping answered with an error counted as up")
	}
	h.offline.Store(false)
	bad := cfg
	bad.MySQL = &MySQLCheckConfig{User: "chk", Password: "nope"}
	if err := probeMySQL(ctx, bad); err == nil {
		t.Fatal("wrong password counted as up")
	}
	q := cfg
	q.MySQL = &MySQLCheckConfig{User: "chk", Password: "pw", Query: "SELECT 1"}
	if err := probeMySQL(ctx, q); err == nil {
		t.Fatal("a query answered with an error counted as up")
	}
	waitFor(t, "the server to see the check connections end", func() bool { return h.closed.Load() == 3 })
}

func TestMySQLCheckMariaDB(t *testing.T) {
	db := testenv.MariaDB(t, mariadb.Options{Databases: []string{"chk"}})
	addr := netip.MustParseAddrPort(db.Addr())
	ctx := context.Background()
	cfg := CheckConfig{Addr: addr, ConnectTimeout: 5 * time.Second,
		MySQL: &MySQLCheckConfig{User: db.User(), Password: db.Password(), Database: "chk"}}

	root, err := db.OpenRoot("")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	root.SetMaxOpenConns(1)
	aborted := func() (n int) {
		var name string
		if err := root.QueryRow("SHOW GLOBAL STATUS LIKE 'Aborted_clients'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := aborted()
	for i := 0; i < 5; i++ {
		if err := probeMySQL(ctx, cfg); err != nil {
			t.Fatalf("ping check: %v", err)
		}
	}
	q := cfg
	q.MySQL = &MySQLCheckConfig{User: db.User(), Password: db.Password(), Query: "SELECT 1, @@version"}
	if err := probeMySQL(ctx, q); err != nil {
		t.Fatalf("query check: %v", err)
	}
	bq := cfg
	bq.MySQL = &MySQLCheckConfig{User: db.User(), Password: db.Password(), Query: "SELECT * FROM no_such_table"}
	if err := probeMySQL(ctx, bq); err == nil {
		t.Fatal("failing query counted as up")
	}
	if after := aborted(); after != before {
		t.Errorf("Aborted_clients %d -> %d: checks did not end with COM_QUIT", before, after)
	}
	bad := cfg
	bad.MySQL = &MySQLCheckConfig{User: db.User(), Password: "wrong", Database: "chk"}
	if err := probeMySQL(ctx, bad); err == nil {
		t.Fatal("wrong password counted as up")
	}
	nodb := cfg
	nodb.MySQL = &MySQLCheckConfig{User: db.User(), Password: db.Password(), Database: "no_such_db"}
	if err := probeMySQL(ctx, nodb); err == nil {
		t.Fatal("missing database counted as up")
	}

	// In a service: killed = down, restarted = up.
	be := newBackend(t, "a")
	chk := cfg
	chk.Retry, chk.DelayBeforeRetry, chk.DelayLoop = 1, 20*time.Millisecond, 50*time.Millisecond
	wrong := chk
	wrong.MySQL = bad.MySQL
	s := startService(t, ServiceConfig{RealServers: []RealServerConfig{
		{Addr: be.addr, Weight: 1, Checks: []CheckConfig{chk}},
		{Addr: be.addr, Weight: 1, Checks: []CheckConfig{chk, wrong}}, // all checkers must be up
	}}, Options{})
	up := func(i int) bool { return s.Snapshot().RealServers[i].Up }
	waitFor(t, "the wrong password to take real server 1 down", func() bool { return !up(1) })
	if !up(0) {
		t.Fatal("real server 0 down while MariaDB is up")
	}
	if err := db.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "MYSQL_CHECK to go down when MariaDB is killed", func() bool { return !up(0) })
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := db.Start(sctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "MYSQL_CHECK to come back after the restart", func() bool { return up(0) })
	if up(1) {
		t.Error("real server 1 up although one of its checkers fails")
	}
}

func TestFromKeepalivedCheckers(t *testing.T) {
	src := `virtual_server 10.0.0.100 3306 {
    delay_loop 7
    lb_algo rr
    protocol TCP
    real_server 10.0.0.5 3306 {
        weight 2
        HTTP_GET {
            connect_port 8080
            virtualhost db.example
            url {
                path /health
                digest 0123456789abcdef0123456789abcdef
                status_code 200
            }
            url {
                path /ready
            }
            rise 3
        }
        MISC_CHECK {
            misc_path "/usr/local/bin/chk --fast"
            misc_timeout 4
            misc_dynamic
        }
        MYSQL_CHECK {
            bindto 10.0.0.9
            bind_port 4000
            user chk
            password secret
            database app
            query "SELECT 1"
        }
    }
    real_server 10.0.0.6 3306 {
        SSL_GET {
            url {
                path /
            }
        }
    }
}
`
	cfg, _, err := keepalivedconf.Parse("k.conf", []byte(src), keepalivedconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc, warnings, err := FromKeepalived(cfg.VirtualServers[0], nil, script.Security{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		if strings.Contains(w, "not implemented") {
			t.Errorf("warning: %s", w)
		}
	}
	ck := sc.RealServers[0].Checks
	if len(ck) != 3 {
		t.Fatalf("checks %+v", ck)
	}
	h := ck[0]
	if h.HTTP == nil || h.HTTP.TLS || h.Addr.String() != "10.0.0.5:8080" || h.Rise != 3 || h.HTTP.VirtualHost != "db.example" ||
		len(h.HTTP.URLs) != 2 || h.HTTP.URLs[0].Path != "/health" || h.HTTP.URLs[0].Digest != "0123456789abcdef0123456789abcdef" ||
		len(h.HTTP.URLs[0].StatusCodes) != 1 || h.HTTP.URLs[0].StatusCodes[0] != [2]int{200, 200} || h.HTTP.URLs[1].Path != "/ready" {
		t.Errorf("HTTP_GET %+v %+v", h, h.HTTP)
	}
	if m := ck[1]; m.Misc == nil || m.Misc.Cmd.String() != "/usr/local/bin/chk --fast" || m.Misc.Timeout != 4*time.Second || !m.Misc.Dynamic || m.DelayLoop != 7*time.Second {
		t.Errorf("MISC_CHECK %+v %+v", m, m.Misc)
	}
	if m := ck[2]; m.MySQL == nil || *m.MySQL != (MySQLCheckConfig{User: "chk", Password: "secret", Database: "app", Query: "SELECT 1"}) || m.Addr.String() != "10.0.0.5:3306" ||
		m.BindTo.String() != "10.0.0.9" || m.BindPort != 4000 {
		t.Errorf("MYSQL_CHECK %+v %+v", m, m.MySQL)
	}
	if s := sc.RealServers[1].Checks; len(s) != 1 || s[0].HTTP == nil || !s[0].HTTP.TLS || s[0].kind() != "SSL_GET" {
		t.Errorf("SSL_GET %+v", s)
	}
}

// sourceRecorder is a listener that reports the source address of each
// connection it accepts.
type sourceRecorder struct {
	net.Listener
	sources chan string
}

func (l sourceRecorder) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		select {
		case l.sources <- c.RemoteAddr().(*net.TCPAddr).IP.String():
		default:
		}
	}
	return c, err
}

// TestCheckBindTo: bindto sets the source address of TCP_CHECK, HTTP_GET
// and MYSQL_CHECK probes.
func TestCheckBindTo(t *testing.T) {
	listen := func() (sourceRecorder, netip.AddrPort) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return sourceRecorder{ln, make(chan string, 16)}, netip.MustParseAddrPort(ln.Addr().String())
	}
	bind := netip.MustParseAddr("127.0.0.2")
	ctx := context.Background()

	tcpLn, tcpAddr := listen()
	go func() {
		for {
			c, err := tcpLn.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	httpLn, httpAddr := listen()
	go http.Serve(httpLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	myLn, myAddr := listen()
	srv := &mysql.Server{Handler: &offlineHandler{}}
	go srv.Serve(myLn)
	defer srv.Close()

	for _, tc := range []struct {
		name string
		ln   sourceRecorder
		cfg  CheckConfig
	}{
		{"TCP_CHECK", tcpLn, CheckConfig{Addr: tcpAddr}},
		{"HTTP_GET", httpLn, CheckConfig{Addr: httpAddr, HTTP: &HTTPCheckConfig{URLs: []HTTPURL{{Path: "/"}}}}},
		{"MYSQL_CHECK", myLn, CheckConfig{Addr: myAddr, MySQL: &MySQLCheckConfig{User: "chk", Password: "pw"}}},
	} {
		tc.cfg.ConnectTimeout = 5 * time.Second
		tc.cfg.BindTo = bind
		if res := probe(ctx, tc.cfg); !res.ok {
			t.Errorf("%s: probe failed", tc.name)
			continue
		}
		select {
		case src := <-tc.ln.sources:
			if src != bind.String() {
				t.Errorf("%s: probe came from %s, want %s", tc.name, src, bind)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: no connection seen", tc.name)
		}
	}
}
