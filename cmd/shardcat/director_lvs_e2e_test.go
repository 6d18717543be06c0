package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/demo"
	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/testenv"
)

// maintenanceHandler is a sorry server speaking MySQL: every login is
// accepted, every query answered with an error naming it.
type maintenanceHandler struct{ mysql.BaseHandler }

func (maintenanceHandler) Authenticate(*mysql.Conn, *mysql.AuthRequest) error { return nil }
func (maintenanceHandler) ComQuery(*mysql.Conn, string) error {
	return mysql.NewSQLError(mysql.ERAccessDenied, "sorry server: under maintenance")
}

// startMariaDBs starts n servers at once (each takes seconds) and stops them
// when the test ends.
func startMariaDBs(t *testing.T, n int) []*mariadb.Server {
	t.Helper()
	testenv.RequireMariaDB(t)
	dbs := make([]*mariadb.Server, n)
	errs := make([]error, n)
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = testenv.ShortTempDir(t)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dbs[i], errs[i] = mariadb.Start(ctx, mariadb.Options{Dir: dirs[i]})
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if db != nil {
			t.Cleanup(func() { db.Stop() })
		}
		if errs[i] != nil {
			t.Fatalf("MariaDB %d: %v", i, errs[i])
		}
	}
	return dbs
}

// registerSource makes go-sql-driver's network name dial from the local
// address src (127.0.0.x), so the director sees distinct clients.
func registerSource(name, src string) {
	gomysql.RegisterDialContext(name, func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		return d.DialContext(ctx, "tcp", addr)
	})
}

// TestLVSDirectorE2E runs `shardcat director` in front of three MariaDB
// servers on 127.0.0.1 and checks rr and wrr distribution, persistence,
// MYSQL_CHECK taking a killed server out and back, quorum loss sending
// clients to the sorry server, and shardcat ipvsadm --stats / --rate / -c.
func TestLVSDirectorE2E(t *testing.T) {
	dbs := startMariaDBs(t, 3)
	names := map[int]string{}
	for i, db := range dbs {
		names[db.Port()] = string(rune('a' + i))
	}
	sorryLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sorrySrv := &mysql.Server{Handler: maintenanceHandler{}}
	go sorrySrv.Serve(sorryLn)
	defer sorrySrv.Close()
	sorry := sorryLn.Addr().(*net.TCPAddr).AddrPort()

	ports := map[string]int{}
	for _, vs := range []string{"rr", "wrr", "persist", "checked", "quorum"} {
		ports[vs] = testenv.FreeLoopbackPort(t)
	}
	rs := func(i, weight int, check bool) string {
		s := fmt.Sprintf("    real_server 127.0.0.1 %d {\n        weight %d\n", dbs[i].Port(), weight)
		if check {
			s += fmt.Sprintf(`        MYSQL_CHECK {
            user %s
            password %s
            connect_timeout 2
            retry 0
            delay_loop 0.2
        }
`, dbs[i].User(), dbs[i].Password())
		}
		return s + "    }\n"
	}
	vs := func(name, extra string, weights [3]int, check bool) string {
		s := fmt.Sprintf("virtual_server 127.0.0.1 %d {\n    protocol TCP\n    lb_kind NAT\n%s", ports[name], extra)
		for i, w := range weights {
			s += rs(i, w, check)
		}
		return s + "}\n"
	}
	conf := vs("rr", "    lb_algo rr\n", [3]int{1, 1, 1}, false) +
		vs("wrr", "    lb_algo wrr\n", [3]int{3, 2, 1}, false) +
		vs("persist", "    lb_algo rr\n    persistence_timeout 60\n", [3]int{1, 1, 1}, false) +
		vs("checked", "    lb_algo rr\n", [3]int{1, 1, 1}, true) +
		vs("quorum", fmt.Sprintf("    lb_algo rr\n    quorum 3\n    sorry_server %s %d\n", sorry.Addr(), sorry.Port()), [3]int{1, 1, 1}, true)
	sock, errOut := startDirector(t, conf)

	registerSource("lvs-e2e-src2", "127.0.0.2")
	registerSource("lvs-e2e-src3", "127.0.0.3")
	// which opens one connection to the virtual server and says which
	// backend served it: a, b, c, or sorry.
	which := func(vsName, network string) string {
		t.Helper()
		if network == "" {
			network = "tcp"
		}
		dsn := fmt.Sprintf("%s:%s@%s(127.0.0.1:%d)/?timeout=5s&readTimeout=10s", dbs[0].User(), dbs[0].Password(), network, ports[vsName])
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var port int
		if err := db.QueryRow("SELECT @@port").Scan(&port); err != nil {
			if strings.Contains(err.Error(), "under maintenance") {
				return "sorry"
			}
			t.Fatalf("%s: %v", vsName, err)
		}
		return names[port]
	}
	seq := func(vsName, network string, n int) string {
		t.Helper()
		var s []string
		for range n {
			s = append(s, which(vsName, network))
		}
		return strings.Join(s, "-")
	}

	if got := seq("rr", "", 6); got != "a-b-c-a-b-c" {
		t.Errorf("rr: %s", got)
	}
	// The kernel's wrr with weights 3, 2, 1.
	if got := seq("wrr", "", 6); got != "a-a-b-a-b-c" {
		t.Errorf("wrr 3:2:1: %s", got)
	}
	if got := seq("persist", "lvs-e2e-src2", 3); got != "a-a-a" {
		t.Errorf("persistence for 127.0.0.2: %s", got)
	}
	if got := seq("persist", "lvs-e2e-src3", 3); got != "b-b-b" {
		t.Errorf("persistence for 127.0.0.3: %s", got)
	}
	if got := which("persist", "lvs-e2e-src2"); got != "a" {
		t.Errorf("127.0.0.2 after another client: %s", got)
	}

	// Kill c: MYSQL_CHECK takes it out of "checked"; "quorum" (quorum 3)
	// loses its quorum and sends everyone to the sorry server.
	inTable := func(vsName string, port int) bool {
		tab, err := ipvsadm.Fetch(context.Background(), sock)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tab.Services {
			if s.Addr.Port() != uint16(ports[vsName]) {
				continue
			}
			for _, d := range s.Dests {
				if d.Addr.Port() == uint16(port) {
					return true
				}
			}
		}
		return false
	}
	if err := dbs[2].Kill(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "c out of the table", 30*time.Second, func() bool { return !inTable("checked", dbs[2].Port()) })
	if got := seq("checked", "", 4); strings.Contains(got, "c") {
		t.Errorf("killed c still scheduled: %s", got)
	}
	testenv.WaitFor(t, "the sorry server in the table", 30*time.Second, func() bool { return inTable("quorum", int(sorry.Port())) })
	if got := seq("quorum", "", 3); got != "sorry-sorry-sorry" {
		t.Errorf("quorum lost: %s", got)
	}
	if inTable("quorum", dbs[0].Port()) {
		t.Error("live real servers left in the table while the sorry server serves")
	}

	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	if err := dbs[2].Start(rctx); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "c back in the table", 30*time.Second, func() bool { return inTable("checked", dbs[2].Port()) })
	if got := seq("checked", "", 3); !strings.Contains(got, "c") {
		t.Errorf("c not scheduled after its restart: %s", got)
	}
	testenv.WaitFor(t, "the quorum back", 30*time.Second, func() bool { return !inTable("quorum", int(sorry.Port())) })
	if got := seq("quorum", "", 3); strings.Contains(got, "sorry") {
		t.Errorf("quorum back: %s", got)
	}
	logs := errOut.String()
	for _, want := range []string{"lost quorum", "gained quorum", "is DOWN (MYSQL_CHECK", "is UP (MYSQL_CHECK"} {
		if !strings.Contains(logs, want) {
			t.Errorf("director log has no %q", want)
		}
	}

	// ipvsadm --stats: two connections per rr real server, with packets.
	code, got, stderr := runShardcat(t, "ipvsadm", "-L", "-n", "--stats", "--socket", sock)
	if code != 0 {
		t.Fatalf("ipvsadm --stats: %d %s", code, stderr)
	}
	// The rr service's block: its line and the real server lines after it.
	block := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP  127\.0\.0\.1:%d .*\n(  -> .*\n)*`, ports["rr"])).FindString(got)
	for _, db := range dbs {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^  -> 127\.0\.0\.1:%d +2 +[1-9]\d* +[1-9]\d* +[1-9]\d* +[1-9]\d*$`, db.Port()))
		if !re.MatchString(block) {
			t.Errorf("--stats line for %s in the rr service:\n%s", names[db.Port()], got)
		}
	}
	// --rate moves once the estimator has ticked (every 2 s) after traffic.
	var rates string
	testenv.WaitFor(t, "non-zero rates", 15*time.Second, func() bool {
		seq("rr", "", 3)
		_, rates, _ = runShardcat(t, "ipvsadm", "-Ln", "--rate", "--socket", sock)
		line := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP  127\.0\.0\.1:%d +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$`, ports["rr"])).FindStringSubmatch(rates)
		return line != nil && line[1] != "0" && line[2] != "0" && line[3] != "0" && line[4] != "0" && line[5] != "0"
	})
	// -c lists the persistence templates of 127.0.0.2 and .3.
	code, got, _ = runShardcat(t, "ipvsadm", "-lcn", "--socket", sock)
	for _, src := range []string{"127.0.0.2:0", "127.0.0.3:0"} {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP \d\d:\d\d  NONE        %s +127\.0\.0\.1:%d `, regexp.QuoteMeta(src), ports["persist"]))
		if code != 0 || !re.MatchString(got) {
			t.Errorf("ipvsadm -lcn: no template for %s:\n%s", src, got)
		}
	}
}

// startDirector runs `shardcat director` on the keepalived.conf text until
// the test ends and returns its control socket and stderr.
func startDirector(t *testing.T, conf string) (sock string, errOut *testenv.Buffer) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock = filepath.Join(dir, "director.sock")
	ctx, cancel := context.WithCancel(context.Background())
	errOut = &testenv.Buffer{}
	var out testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"director", "-f", path, "--socket", sock}, stdio{in: strings.NewReader(""), out: &out, err: errOut})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("director did not stop")
		}
		if t.Failed() {
			t.Logf("director stderr:\n%s", errOut.String())
		}
	})
	testenv.WaitFor(t, "the control socket", 30*time.Second, func() bool {
		_, err := ipvsadm.Fetch(context.Background(), sock)
		return err == nil
	})
	return sock, errOut
}

// TestLVSProxyProtocolToShardcatProxy puts the director in front of a
// shardcat proxy that trusts it for PROXY headers (proxyProtocolFrom) and
// lets root in from 127.0.0.2 only: through a real_server with
// proxy_protocol v1 or v2 the proxy sees the client's own address.
func TestLVSProxyProtocolToShardcatProxy(t *testing.T) {
	cluster, pa, _ := startDemoProxy(t, func(xml string) string {
		edited := strings.Replace(xml, "</system>",
			"\t<property name=\"proxyProtocolFrom\">127.0.0.1</property>\n\t</system>", 1)
		return strings.Replace(edited, "</mycat:server>",
			`<firewall><whitehost><host host="127.0.0.2" user="root"/></whitehost></firewall></mycat:server>`, 1)
	})

	ports := map[string]int{"v1": testenv.FreeLoopbackPort(t), "v2": testenv.FreeLoopbackPort(t)}
	var conf strings.Builder
	for _, v := range []string{"v1", "v2"} {
		fmt.Fprintf(&conf, `virtual_server 127.0.0.1 %d {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server %s %d {
        proxy_protocol %s
        TCP_CHECK {
            connect_timeout 2
            delay_loop 0.5
        }
    }
}
`, ports[v], pa.Addr(), pa.Port(), v)
	}
	startDirector(t, conf.String())
	registerSource("lvs-pp-src2", "127.0.0.2")
	registerSource("lvs-pp-src3", "127.0.0.3")
	open := func(v, network string) *sql.DB {
		cfg := gomysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.DBName = cluster.User, cluster.Password, network, demo.Schema
		cfg.Addr = fmt.Sprintf("127.0.0.1:%d", ports[v])
		cfg.Timeout = 5 * time.Second
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	for _, v := range []string{"v1", "v2"} {
		var user string
		if err := open(v, "lvs-pp-src2").QueryRow("SELECT USER()").Scan(&user); err != nil {
			t.Fatalf("%s from 127.0.0.2: %v", v, err)
		}
		if !strings.HasSuffix(user, "@127.0.0.2") {
			t.Errorf("%s: USER() = %q, want root@127.0.0.2 from the PROXY header", v, user)
		}
		// The firewall applies to the address in the header.
		err := open(v, "lvs-pp-src3").Ping()
		var me *gomysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1045 {
			t.Errorf("%s from 127.0.0.3 (outside the whitehost): %v, want error 1045", v, err)
		}
	}
}

// startDemoProxy starts the demo's two MariaDB shards and a shardcat proxy
// in front of them, with server.xml passed through edit first. It returns
// the cluster, the proxy's address and its manager port.
func startDemoProxy(t *testing.T, edit func(serverXML string) string) (*demo.Cluster, netip.AddrPort, int) {
	t.Helper()
	testenv.RequireMariaDB(t)
	cluster, err := demo.Start(context.Background(), testenv.ShortTempDir(t), demo.Options{Port: -1, ManagerPort: -1, Engine: "mariadb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop() })
	serverXML := filepath.Join(cluster.ConfDir, "server.xml")
	text, err := os.ReadFile(serverXML)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edited := edit(string(text))
		if edited == string(text) {
			t.Fatalf("server.xml not edited:\n%s", text)
		}
		if err := os.WriteFile(serverXML, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		text = []byte(edited)
	}
	m := regexp.MustCompile(`<property name="managerPort">(\d+)</property>`).FindSubmatch(text)
	if m == nil {
		t.Fatalf("no managerPort in server.xml:\n%s", text)
	}
	managerPort, _ := strconv.Atoi(string(m[1]))
	ctx, cancel := context.WithCancel(context.Background())
	proxyDone := make(chan error, 1)
	addrc := make(chan string, 1)
	var proxyErr testenv.Buffer
	go func() {
		proxyDone <- serveProxy(ctx, cluster.ConfDir, stdio{in: strings.NewReader(""), out: &proxyErr, err: &proxyErr},
			func(addr string) { addrc <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		<-proxyDone
		if t.Failed() {
			t.Logf("proxy log:\n%s", proxyErr.String())
		}
	})
	select {
	case addr := <-addrc:
		return cluster, netip.MustParseAddrPort(addr), managerPort
	case err := <-proxyDone:
		t.Fatalf("proxy: %v\n%s", err, proxyErr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("proxy not ready")
	}
	return nil, netip.AddrPort{}, 0
}

// TestLVSMySQLCheckDrainsOfflineProxy: a proxy put offline on its manager
// port (Mycat's `offline`) fails the director's MYSQL_CHECK at the next
// check and leaves the table; `online` brings it back.
func TestLVSMySQLCheckDrainsOfflineProxy(t *testing.T) {
	cluster, pa, managerPort := startDemoProxy(t, nil)
	port := testenv.FreeLoopbackPort(t)
	sock, _ := startDirector(t, fmt.Sprintf(`virtual_server 127.0.0.1 %d {
    lb_algo rr
    protocol TCP
    real_server %s %d {
        MYSQL_CHECK {
            user %s
            password %s
            connect_timeout 2
            retry 0
            delay_loop 0.5
        }
    }
}
`, port, pa.Addr(), pa.Port(), cluster.User, cluster.Password))
	dests := func() int {
		tbl, err := ipvsadm.Fetch(context.Background(), sock)
		if err != nil || len(tbl.Services) != 1 {
			t.Fatalf("ipvsadm table: %v %+v", err, tbl)
		}
		return len(tbl.Services[0].Dests)
	}
	testenv.WaitFor(t, "the proxy in the table", 20*time.Second, func() bool { return dests() == 1 })
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = cluster.User, cluster.Password, "tcp", fmt.Sprintf("127.0.0.1:%d", managerPort)
	manager, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer manager.Close()
	if _, err := manager.Exec("offline"); err != nil {
		t.Fatalf("manager offline: %v", err)
	}
	off := time.Now()
	// One check: the next probe within delay_loop (0.5 s) fails; the
	// bound is generous for a loaded machine.
	testenv.WaitFor(t, "the offline proxy to leave the table", 5*time.Second, func() bool { return dests() == 0 })
	t.Logf("offline proxy left the table %v after `offline` (delay_loop 0.5 s)", time.Since(off).Round(10*time.Millisecond))
	if _, err := manager.Exec("online"); err != nil {
		t.Fatalf("manager online: %v", err)
	}
	testenv.WaitFor(t, "the proxy back in the table after `online`", 5*time.Second, func() bool { return dests() == 1 })
}
