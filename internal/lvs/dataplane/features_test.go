package dataplane

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/proxyproto"
	"github.com/shardcat/shardcat/internal/script"
	"github.com/shardcat/shardcat/internal/testenv"
)

func TestQuorumState(t *testing.T) {
	// quorum 4, hysteresis 1: lost below 3 (or at 0), gained from 5.
	q := quorumState{}
	steps := []struct{ sum, want int }{
		{6, 0}, {3, 0}, {2, -1}, {4, 0}, {3, 0}, {5, +1}, {5, 0}, {0, -1}, {0, 0}, {7, +1},
	}
	for i, s := range steps {
		if got := q.update(s.sum, 4, 1); got != s.want {
			t.Fatalf("step %d (sum %d): %d, want %d", i, s.sum, got, s.want)
		}
	}
	// hysteresis >= quorum: only an empty service loses it.
	q = quorumState{}
	if q.update(1, 2, 2) != 0 || q.update(0, 2, 2) != -1 || q.update(3, 2, 2) != 0 || q.update(4, 2, 2) != +1 {
		t.Fatal("hysteresis >= quorum")
	}
	// quorum 0 means 1.
	q = quorumState{}
	if q.update(0, 0, 0) != -1 || q.update(1, 0, 0) != +1 {
		t.Fatal("quorum 0")
	}
	// The initial state needs quorum+hysteresis (set_quorum_states).
	for _, tc := range []struct {
		sum  int
		down bool
	}{{5, false}, {4, true}, {3, true}, {0, true}} {
		q.start(tc.sum, 4, 1)
		if q.down != tc.down {
			t.Errorf("start with sum %d: down %v", tc.sum, q.down)
		}
	}
}

func TestStartWithQuorumDown(t *testing.T) {
	a := newBackend(t, "a")
	sorry := newBackend(t, "sorry")
	log := filepath.Join(t.TempDir(), "events")
	ck := fastCheck(a)
	ck[0].Alpha = true
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ck[0].Addr = dead.Addr().(*net.TCPAddr).AddrPort()
	dead.Close() // the check fails: a stays down
	s := startService(t, ServiceConfig{Scheduler: "rr", SorryServer: sorry.addr,
		QuorumDown: logEvent(t, "quorum_down", log),
		RealServers: []RealServerConfig{{Addr: a.addr, Weight: 1, Checks: ck,
			NotifyDown: logEvent(t, "down_a", log)}}}, Options{})
	if s.QuorumUp() {
		t.Fatal("alpha real server down, yet quorum up")
	}
	if got := greet(t, s, ""); got != "sorry" {
		t.Fatalf("starting with quorum down: %s", got)
	}
	// quorum_down at start, and notify_down once after the first failed
	// check of the alpha checker (not again at the following failures).
	// The two scripts run concurrently: their order is not fixed.
	events := func() string {
		lines := strings.Split(readLines(log), "\n")
		slices.Sort(lines)
		return strings.Join(lines, ",")
	}
	waitFor(t, "quorum_down and down_a", func() bool { return events() == "down_a,quorum_down" })
	time.Sleep(300 * time.Millisecond) // a few more failed checks
	if got := events(); got != "down_a,quorum_down" {
		t.Errorf("events %q", got)
	}

	// sorry_server_inhibit: in the table from the start, with weight 0.
	s = startService(t, ServiceConfig{Scheduler: "rr", SorryServer: sorry.addr, SorryServerInhibit: true,
		RealServers: rsOf(nil, a)}, Options{})
	if in, w := inTable(s, sorry.addr); !in || w != 0 {
		t.Errorf("inhibited sorry server at start: in table %v weight %d", in, w)
	}
	if got := sequence(t, s, 2, ""); got != "a-a" {
		t.Errorf("with the quorum: %s", got)
	}
}

// logEvent is a script command that appends word to the file log.
func logEvent(t *testing.T, word, log string) *script.Command {
	sh := filepath.Join(filepath.Dir(log), "log-event.sh")
	if _, err := os.Stat(sh); err != nil {
		sh = testenv.WriteScript(t, filepath.Dir(log), "log-event.sh", `echo "$1" >> "$2"`)
	}
	return &script.Command{Argv: []string{sh, word, log}}
}

// readLines returns the lines of the file at path ("" when missing).
func readLines(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func inTable(s *Service, addr netip.AddrPort) (in bool, weight int) {
	for _, rs := range s.Snapshot().RealServers {
		if rs.Addr == addr {
			return rs.InTable, rs.TableWeight
		}
	}
	return false, -1
}

func TestQuorumSorryServerAndNotify(t *testing.T) {
	a, b, c := three(t)
	sorry := newBackend(t, "sorry")
	log := filepath.Join(t.TempDir(), "events")
	echo := func(word string) *script.Command { return logEvent(t, word, log) }
	cfg := ServiceConfig{Scheduler: "rr", Quorum: 2, QuorumUp: echo("quorum_up"), QuorumDown: echo("quorum_down"),
		SorryServer: sorry.addr}
	for _, be := range []*backend{a, b, c} {
		cfg.RealServers = append(cfg.RealServers, RealServerConfig{Addr: be.addr, Weight: 1, Checks: fastCheck(be),
			NotifyUp: echo("up_" + be.name), NotifyDown: echo("down_" + be.name)})
	}
	s := startService(t, cfg, Options{})
	if in, _ := inTable(s, sorry.addr); in || !s.QuorumUp() {
		t.Fatal("sorry server in the table while the quorum is there")
	}
	a.stop()
	waitFor(t, "down_a", func() bool { return readLines(log) == "down_a" })
	if !s.QuorumUp() || strings.Contains(sequence(t, s, 4, ""), "sorry") {
		t.Fatal("weight 2 >= quorum 2: the quorum must hold and real servers serve")
	}
	name, held, r := hold(t, s) // a connection to a real server, kept across the quorum loss
	b.stopListening()
	c.stopListening()
	waitFor(t, "quorum_down", func() bool { return strings.Contains(readLines(log), "quorum_down") })
	if s.QuorumUp() {
		t.Fatal("quorum still up")
	}
	if got := sequence(t, s, 3, ""); got != "sorry-sorry-sorry" {
		t.Fatalf("quorum lost: %s, want the sorry server", got)
	}
	if in, w := inTable(s, sorry.addr); !in || w != 1 {
		t.Fatalf("sorry server in table %v weight %d", in, w)
	}
	for _, be := range []*backend{b, c} {
		if in, _ := inTable(s, be.addr); in {
			t.Errorf("%s still in the table while the sorry server serves", be.name)
		}
	}
	// The held connection to b or c is not cut.
	held.Write([]byte("x"))
	held.CloseWrite()
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "got:x\n" {
		t.Fatalf("connection to %s across the quorum loss: %q %v", name, rest, err)
	}

	b.stop()
	b.restart()
	waitFor(t, "up_b", func() bool { return strings.Contains(readLines(log), "up_b") })
	if s.QuorumUp() {
		t.Fatal("weight 1 < quorum 2: quorum regained")
	}
	a.restart()
	waitFor(t, "quorum_up", func() bool { return strings.Contains(readLines(log), "quorum_up") })
	if got := sequence(t, s, 2, ""); strings.Contains(got, "sorry") {
		t.Fatalf("quorum back: %s", got)
	}
	if in, _ := inTable(s, sorry.addr); in {
		t.Error("sorry server still in the table (no sorry_server_inhibit)")
	}
	lines := readLines(log)
	for _, want := range []string{"down_a", "down_b", "down_c", "up_b", "up_a", "quorum_down", "quorum_up"} {
		if !strings.Contains(lines, want) {
			t.Errorf("events %q: no %s", lines, want)
		}
	}
}

func TestSorryServerWhenAllDownAndInhibit(t *testing.T) {
	a := newBackend(t, "a")
	sorry := newBackend(t, "sorry")
	s := startService(t, ServiceConfig{Scheduler: "wlc", SorryServer: sorry.addr, SorryServerInhibit: true,
		RealServers: []RealServerConfig{{Addr: a.addr, Weight: 1, Checks: fastCheck(a)}}}, Options{})
	if got := greet(t, s, ""); got != "a" {
		t.Fatalf("with a up: %s", got)
	}
	a.stop()
	waitFor(t, "the quorum loss", func() bool { return !s.QuorumUp() })
	if got := greet(t, s, ""); got != "sorry" {
		t.Fatalf("every real server down: %s, want sorry", got)
	}
	a.restart()
	waitFor(t, "the quorum", func() bool { return s.QuorumUp() })
	if got := sequence(t, s, 3, ""); got != "a-a-a" {
		t.Fatalf("after recovery: %s", got)
	}
	if in, w := inTable(s, sorry.addr); !in || w != 0 {
		t.Errorf("sorry_server_inhibit: in table %v weight %d, want weight 0", in, w)
	}
}

func TestInhibitOnFailureKeepsWeightZero(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, Checks: fastCheck(a), InhibitOnFailure: true},
		{Addr: b.addr, Weight: 1, Checks: fastCheck(b)},
	}}, Options{})
	name, c, r := hold(t, s)
	if name != "a" {
		t.Fatalf("first connection: %s", name)
	}
	a.stopListening()
	waitFor(t, "a to go down", func() bool { in, w := inTable(s, a.addr); return in && w == 0 && !s.Snapshot().RealServers[0].Up })
	if got := sequence(t, s, 3, ""); got != "b-b-b" {
		t.Fatalf("inhibited a scheduled: %s", got)
	}
	c.Write([]byte("kept"))
	c.CloseWrite()
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "got:kept\n" {
		t.Fatalf("existing connection to the inhibited a: %q %v", rest, err)
	}
}

func TestProxyHeaderDecodes(t *testing.T) {
	for _, tc := range []struct {
		v        int
		src, dst string
	}{
		{1, "192.0.2.1:40000", "10.0.0.100:3306"},
		{2, "192.0.2.1:40000", "10.0.0.100:3306"},
		{1, "[2001:db8::1]:5", "[2001:db8::100]:8066"},
		{2, "[2001:db8::1]:5", "[2001:db8::100]:8066"},
	} {
		src, dst := netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst)
		hdr, err := proxyHeader(tc.v, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(io.MultiReader(strings.NewReader(string(hdr)), strings.NewReader("after")))
		h, err := proxyproto.Read(r)
		if err != nil {
			t.Fatalf("v%d %s: %v (%q)", tc.v, tc.src, err, hdr)
		}
		gs := h.Source.(*net.TCPAddr).AddrPort()
		gd := h.Destination.(*net.TCPAddr).AddrPort()
		if gs.Addr().Unmap() != src.Addr() || gs.Port() != src.Port() || gd.Addr().Unmap() != dst.Addr() || gd.Port() != dst.Port() {
			t.Errorf("v%d: decoded %s -> %s, want %s -> %s", tc.v, gs, gd, src, dst)
		}
		if rest, _ := io.ReadAll(r); string(rest) != "after" {
			t.Errorf("v%d: bytes after the header %q", tc.v, rest)
		}
	}
	if _, err := proxyHeader(3, netip.AddrPort{}, netip.AddrPort{}); err == nil {
		t.Error("version 3 accepted")
	}
	if _, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"),
		RealServers: []RealServerConfig{{Addr: netip.MustParseAddrPort("127.0.0.1:1"), ProxyProtocol: 3}}}, Options{}); err == nil {
		t.Error("Start accepted proxy_protocol 3")
	}
}

// proxyBackend reads a PROXY header from each connection and answers with
// the client and destination addresses it carried, then the next line.
func proxyBackend(t *testing.T) netip.AddrPort {
	return testenv.ServeLoopback(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		h, err := proxyproto.Read(r)
		if err != nil {
			fmt.Fprintf(c, "error %v\n", err)
			return
		}
		line, _ := r.ReadString('\n')
		fmt.Fprintf(c, "%s %s %s", h.Source, h.Destination, line)
	})
}

func TestProxyProtocolToRealServer(t *testing.T) {
	be := proxyBackend(t)
	for _, v := range []int{1, 2} {
		s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{{Addr: be, Weight: 1, ProxyProtocol: v}}}, Options{})
		c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(c, "hello\n")
		got, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		want := fmt.Sprintf("%s %s hello\n", c.LocalAddr(), s.Addr())
		if err != nil || got != want {
			t.Errorf("v%d: real server saw %q (%v), want %q", v, got, err, want)
		}
	}
}

func TestPacketCounters(t *testing.T) {
	a := newBackend(t, "a")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a)}, Options{})
	_, c, r := hold(t, s)
	waitFor(t, "an established connection", func() bool { return s.Snapshot().ActiveConn == 1 })
	for range 5 {
		c.Write([]byte("0123456789"))
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "live packets counted", func() bool {
		ss := s.Snapshot()
		return ss.InPkts >= 6 && ss.OutPkts >= 2 // the handshake's ACK and the data; SYN-ACK and the greeting
	})
	live := s.Snapshot()
	c.CloseWrite()
	io.ReadAll(r)
	waitFor(t, "the connection to end", func() bool { return idle(s) })
	done := s.Snapshot()
	if done.InPkts < live.InPkts || done.OutPkts < live.OutPkts || done.RealServers[0].InPkts != done.InPkts {
		t.Errorf("counters went back after close: live %+v, closed %+v", live.Stats, done.Stats)
	}
}

func TestIdleTimeout(t *testing.T) {
	a := newBackend(t, "a")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a), IdleTimeout: 300 * time.Millisecond}, Options{})
	// An idle connection is closed, between one and two timeouts after its last byte.
	_, c, r := hold(t, s)
	start := time.Now()
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("idle connection: got a byte")
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 10*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
	c.Close()

	// A connection sending a byte every 100 ms for 3 s lives on (a 1 s
	// timeout leaves room for a loaded machine).
	s = startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a), IdleTimeout: time.Second}, Options{})
	_, c, r = hold(t, s)
	for range 30 {
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatalf("active connection cut: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.CloseWrite()
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "got:"+strings.Repeat("x", 30)+"\n" {
		t.Fatalf("active connection: %q %v", rest, err)
	}
}

// TestHalfClosedTimeouts: after the client's FIN a connection is
// CLOSE_WAIT with that state's timeout, after the real server's FIN_WAIT
// with tcpfin, as in the kernel's NAT state table; a connection that
// stays half-closed past it is closed and leaves the table.
func TestHalfClosedTimeouts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for name, relay := range relayKinds {
		for _, first := range []string{"client", "real server"} {
			t.Run(name+"/"+first+" first", func(t *testing.T) {
				// A real server that, after its FIN or the client's, neither
				// reads nor closes.
				be := testenv.ServeLoopback(t, func(c net.Conn) {
					if first == "real server" {
						c.(*net.TCPConn).CloseWrite()
					} else {
						io.Copy(io.Discard, c)
					}
					time.Sleep(30 * time.Second)
				})
				cfg := ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{{Addr: be, Weight: 1}}, IdleTimeout: time.Hour}
				want := "CLOSE_WAIT"
				if first == "client" {
					cfg.CloseWaitTimeout, cfg.FinTimeout = timeout, time.Hour
				} else {
					cfg.CloseWaitTimeout, cfg.FinTimeout, want = time.Hour, timeout, "FIN_WAIT"
				}
				s := startService(t, cfg, Options{relay: relay})
				c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				if first == "client" {
					waitFor(t, "an established connection", func() bool { return s.Snapshot().ActiveConn == 1 })
					c.(*net.TCPConn).CloseWrite()
				} else if _, err := c.Read(make([]byte, 1)); err != io.EOF {
					t.Fatalf("the real server's FIN: %v", err)
				}
				waitFor(t, want, func() bool {
					cs := s.Connections()
					return len(cs) == 1 && cs[0].State == want && cs[0].Expire <= timeout && s.Snapshot().InActConn == 1
				})
				waitFor(t, "the connection to leave the table", func() bool { return idle(s) })
				if first == "client" {
					if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatalf("half-closed connection not closed after its timeout: %v", err)
					}
				}
			})
		}
	}
}

func TestMaxConns(t *testing.T) {
	a := newBackend(t, "a")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a), MaxConns: 1}, Options{})
	_, c, _ := hold(t, s)
	// The refused connection is accepted and closed at once: the close
	// can even beat the client's dial (a reset), or come as EOF / reset on
	// the first read; it never carries data.
	if x, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second); err == nil {
		x.SetDeadline(time.Now().Add(20 * time.Second))
		if n, err := x.Read(make([]byte, 10)); err == nil {
			t.Fatalf("connection beyond max_conns got %d bytes", n)
		}
		x.Close()
	}
	waitFor(t, "the refusal to be counted", func() bool { return s.Snapshot().Refused == 1 })
	if ss := s.Snapshot(); ss.Refused != 1 || ss.Conns != 1 {
		t.Fatalf("Refused %d Conns %d, want 1 1", ss.Refused, ss.Conns)
	}
	c.Close()
	waitFor(t, "the held connection to end", func() bool { return idle(s) && s.live.Load() == 0 })
	if got := greet(t, s, ""); got != "a" {
		t.Fatalf("after the slot freed: %s", got)
	}
}

func TestConnectionsList(t *testing.T) {
	a := newBackend(t, "a")
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a), PersistenceTimeout: 360 * time.Second,
		IdleTimeout: 900 * time.Second}, Options{Now: clock.Now})
	_, c, _ := hold(t, s)
	waitFor(t, "an established connection", func() bool { return s.Snapshot().ActiveConn == 1 })
	cs := s.Connections()
	if len(cs) != 2 {
		t.Fatalf("entries %+v", cs)
	}
	est, tpl := cs[0], cs[1]
	if est.State != "ESTABLISHED" || est.Source.String() != c.LocalAddr().String() || est.Virtual != s.Addr() ||
		est.Dest != a.addr || est.Expire > 900*time.Second || est.Expire < 800*time.Second || est.Protocol != "TCP" {
		t.Errorf("connection %+v", est)
	}
	if tpl.State != "NONE" || tpl.Source.String() != "127.0.0.1:0" || tpl.Virtual != s.Addr() || tpl.Dest != a.addr ||
		tpl.Expire != 360*time.Second {
		t.Errorf("template %+v", tpl)
	}
	closeCleanly(t, c)
	waitFor(t, "the connection to end", func() bool { return idle(s) })
	clock.Advance(60 * time.Second)
	// The template controls the TIME_WAIT entry: it is listed with its full
	// timeout until that entry goes, and expires 360 s after.
	cs = s.Connections()
	if len(cs) != 2 || cs[0].State != "NONE" || cs[0].Expire != 360*time.Second ||
		cs[1].State != "TIME_WAIT" || cs[1].Expire != 60*time.Second {
		t.Fatalf("after 60 s: %+v", cs)
	}
	clock.Advance(60*time.Second + 300*time.Second)
	cs = s.Connections()
	if len(cs) != 1 || cs[0].Expire != 60*time.Second {
		t.Fatalf("template 300 s after the TIME_WAIT: %+v", cs)
	}
	clock.Advance(60 * time.Second)
	if cs = s.Connections(); len(cs) != 0 {
		t.Fatalf("expired template listed: %+v", cs)
	}
}

func TestFromKeepalivedQuorumAndGlobals(t *testing.T) {
	src := `global_defs {
    lvs_timeouts tcp 600 tcpfin 30
}
virtual_server 10.0.0.100 3306 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 3
    hysteresis 1
    ha_suspend
    omega
    quorum_up "/bin/true up"
    quorum_down "/bin/true down"
    sorry_server 10.0.0.9 3306
    sorry_server_inhibit
    real_server 10.0.0.5 3306 {
        weight 3
        proxy_protocol v2
        notify_up "/bin/echo up"
        notify_down "/bin/echo down" nobody
    }
}
`
	cfg, findings, err := keepalivedconf.Parse("k.conf", []byte(src), keepalivedconf.Options{})
	if err != nil || keepalivedconf.HasErrors(findings) {
		t.Fatal(err, findings)
	}
	sc, warnings, err := FromKeepalived(cfg.VirtualServers[0], nil, script.Security{})
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	ApplyGlobal(&sc, cfg.Global)
	if sc.Quorum != 3 || sc.Hysteresis != 1 || sc.QuorumUp.String() != "/bin/true up" || sc.QuorumDown.String() != "/bin/true down" ||
		sc.SorryServer.String() != "10.0.0.9:3306" || !sc.SorryServerInhibit ||
		sc.IdleTimeout != 600*time.Second || sc.FinTimeout != 30*time.Second || !sc.HASuspend || !sc.Omega {
		t.Errorf("service %+v", sc)
	}
	rs := sc.RealServers[0]
	if rs.ProxyProtocol != 2 || rs.NotifyUp.String() != "/bin/echo up" || rs.NotifyDown.String() != "/bin/echo down" {
		t.Errorf("real server %+v", rs)
	}
	// notify_down's user: as root the script runs as nobody; otherwise as
	// ourselves (only root can switch users).
	if os.Geteuid() == 0 && (rs.NotifyDown.Cred == nil || rs.NotifyDown.Cred.Uid != 65534) {
		t.Errorf("notify_down as nobody: %+v", rs.NotifyDown.Cred)
	}

	// enable_script_security disables a script others can replace (its
	// directory is world-writable), with a warning naming it; the checker
	// of a disabled MISC_CHECK is left out.
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	unsafe := testenv.WriteScript(t, dir, "notify.sh", "true")
	src2 := fmt.Sprintf(`virtual_server 10.0.0.100 3306 {
    protocol TCP
    quorum_up %[1]s
    real_server 10.0.0.5 3306 {
        notify_up %[1]s
        MISC_CHECK {
            misc_path %[1]s
        }
    }
}
`, unsafe)
	cfg, findings, err = keepalivedconf.Parse("k.conf", []byte(src2), keepalivedconf.Options{})
	if err != nil || keepalivedconf.HasErrors(findings) {
		t.Fatal(err, findings)
	}
	sc, warnings, err = FromKeepalived(cfg.VirtualServers[0], nil, script.Security{Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if sc.QuorumUp != nil || sc.RealServers[0].NotifyUp != nil || len(sc.RealServers[0].Checks) != 0 || len(warnings) != 3 {
		t.Errorf("insecure scripts kept: %+v\nwarnings %q", sc, warnings)
	}
	for _, w := range warnings {
		if !strings.Contains(w, unsafe) || !strings.Contains(w, "disabled") {
			t.Errorf("warning %q", w)
		}
	}
	sc, warnings, err = FromKeepalived(cfg.VirtualServers[0], nil, script.Security{})
	if err != nil || len(warnings) != 0 || sc.QuorumUp == nil || len(sc.RealServers[0].Checks) != 1 {
		t.Errorf("without script security: %+v %q %v", sc, warnings, err)
	}
	var none ServiceConfig
	ApplyGlobal(&none, keepalivedconf.GlobalDefs{})
	if none.IdleTimeout != 0 || none.FinTimeout != 0 {
		t.Errorf("unset lvs_timeouts changed the config: %+v", none)
	}
}

func TestInhibitedServerAndPersistentClients(t *testing.T) {
	for _, expire := range []bool{false, true} {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		s := startService(t, ServiceConfig{Scheduler: "rr", PersistenceTimeout: time.Hour, ExpireQuiescentTemplate: expire,
			RealServers: []RealServerConfig{
				{Addr: a.addr, Weight: 1, Checks: fastCheck(a), InhibitOnFailure: true},
				{Addr: b.addr, Weight: 1},
			}}, Options{})
		if got := greet(t, s, "127.0.0.5"); got != "a" {
			t.Fatalf("first connection: %s", got)
		}
		a.stopListening() // the check fails; a stays with weight 0
		waitFor(t, "a to go down", func() bool { return !s.Snapshot().RealServers[0].Up })
		if expire {
			// The template is dropped: the client moves to b.
			if got := greet(t, s, "127.0.0.5"); got != "b" {
				t.Errorf("expire_quiescent_template: %s, want b", got)
			}
			continue
		}
		// The kernel's default: the template still holds (the dest is in
		// the table with weight 0), so the client is sent to a, whose
		// listener is gone: the connection is closed without a greeting.
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.5")}}
		c, err := d.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if n, err := c.Read(make([]byte, 10)); err == nil {
			t.Errorf("persistent client got %d bytes from a quiesced, failed a", n)
		}
		c.Close()
		if ss := s.Snapshot(); ss.RealServers[0].Conns != 2 {
			t.Errorf("a's Conns %d, want 2 (the template kept the client on a)", ss.RealServers[0].Conns)
		}
	}
}

// TestHASuspend: with ha_suspend the checkers pause while the virtual
// server's address is not on this host: a real server that dies meanwhile
// stays up, and is taken out once the address is back.
func TestHASuspend(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	var local atomic.Bool
	var logs logLines
	s := startService(t, ServiceConfig{Scheduler: "rr", HASuspend: true, RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, Checks: fastCheck(a)},
		{Addr: b.addr, Weight: 1, Checks: fastCheck(b)},
	}}, Options{Logf: logs.logf, vipLocal: func(netip.Addr) bool { return local.Load() }})
	waitFor(t, "the suspension", func() bool { return logs.has("checkers suspended (ha_suspend)") })
	b.stop()
	time.Sleep(400 * time.Millisecond) // eight delay_loops
	if !s.Snapshot().RealServers[1].Up {
		t.Fatal("a suspended checker took b out")
	}
	local.Store(true)
	waitFor(t, "b to go down once the address is local", func() bool { return !s.Snapshot().RealServers[1].Up })
	if !logs.has("checkers resumed (ha_suspend)") || !s.Snapshot().RealServers[0].Up {
		t.Errorf("resume not logged, or a down: %+v", s.Snapshot().RealServers)
	}
}

// TestOmega: with omega, removing the service runs notify_down for each
// live real server and quorum_down (the quorum was up); without it,
// nothing runs.
func TestOmega(t *testing.T) {
	for _, omega := range []bool{true, false} {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		log := filepath.Join(t.TempDir(), "events")
		s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr", Omega: omega,
			QuorumDown: logEvent(t, "quorum_down", log), RealServers: []RealServerConfig{
				{Addr: a.addr, Weight: 1, Checks: fastCheck(a), NotifyDown: logEvent(t, "down_a", log)},
				{Addr: b.addr, Weight: 1, Checks: fastCheck(b), NotifyDown: logEvent(t, "down_b", log)},
			}}, Options{Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		b.stop()
		waitFor(t, "down_b", func() bool { return readLines(log) == "down_b" })
		s.Close() // waits for omega's scripts
		want := "down_b"
		if omega {
			want = "down_a,down_b,quorum_down"
		}
		lines := strings.Split(readLines(log), "\n")
		slices.Sort(lines)
		if got := strings.Join(lines, ","); got != want {
			t.Errorf("omega %v: scripts %q, want %q", omega, got, want)
		}
	}
}
