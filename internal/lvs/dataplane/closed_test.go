package dataplane

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"
)

var relayKinds = map[string]relayKind{"loop": relayEventLoop, "goroutine": relayGoroutine}

// closeCleanly half-closes c, reads the backend's answer to EOF and closes:
// both sides sent their FIN, so IPVS would keep a TIME_WAIT entry.
func closeCleanly(t *testing.T, c *net.TCPConn) {
	t.Helper()
	c.CloseWrite()
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// resetConn closes c with a reset (SO_LINGER 0): IPVS would keep a CLOSE
// entry.
func resetConn(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// TestEndedConnectionsStayInTheTable: as in IPVS, a connection that ended
// with both FINs stays an inactive TIME_WAIT entry for 120 s, one that was
// reset a CLOSE entry for 10 s, and one closed for its idle timeout leaves.
func TestEndedConnectionsStayInTheTable(t *testing.T) {
	for name, relay := range relayKinds {
		t.Run(name, func(t *testing.T) {
			a := newBackend(t, "a")
			clock := &fakeClock{now: time.Unix(1e9, 0)}
			s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a), IdleTimeout: 300 * time.Millisecond},
				Options{Now: clock.Now, relay: relay})
			_, clean, _ := hold(t, s)
			_, reset, _ := hold(t, s)
			waitFor(t, "two established connections", func() bool { return s.Snapshot().ActiveConn == 2 })
			closeCleanly(t, clean)
			resetConn(reset)
			waitFor(t, "the connections to end", func() bool { return idle(s) })

			st := s.Snapshot().Stats
			if st.ActiveConn != 0 || st.InActConn != 2 || st.Conns != 2 {
				t.Fatalf("after the close: %+v, want 2 inactive", st)
			}
			want := map[string]netip.AddrPort{"TIME_WAIT": addrPort(clean.LocalAddr()), "CLOSE": addrPort(reset.LocalAddr())}
			cs := s.Connections()
			if len(cs) != 2 {
				t.Fatalf("entries %+v", cs)
			}
			for _, e := range cs {
				timeout := map[string]time.Duration{"TIME_WAIT": 120 * time.Second, "CLOSE": 10 * time.Second}[e.State]
				if e.Source != want[e.State] || e.Dest != a.addr || e.Virtual != s.Addr() || e.Expire != timeout {
					t.Errorf("entry %+v, want %s from %v expiring in %v", e, e.State, want[e.State], timeout)
				}
			}

			clock.Advance(10 * time.Second)
			if st := s.Snapshot().Stats; st.InActConn != 1 {
				t.Errorf("after 10 s: InActConn %d, want 1 (TIME_WAIT)", st.InActConn)
			}
			if cs := s.Connections(); len(cs) != 1 || cs[0].State != "TIME_WAIT" || cs[0].Expire != 110*time.Second {
				t.Errorf("after 10 s: %+v", cs)
			}
			clock.Advance(110 * time.Second)
			if st := s.Snapshot().Stats; st.InActConn != 0 {
				t.Errorf("after 120 s: InActConn %d, want 0", st.InActConn)
			}

			// Idle for its timeout: the entry expires, nothing stays.
			_, c, _ := hold(t, s)
			waitFor(t, "the idle connection to be closed", func() bool { return s.Snapshot().Conns == 3 && idle(s) })
			c.Close()
			if st := s.Snapshot().Stats; st.InActConn != 0 {
				t.Errorf("after an idle timeout: InActConn %d, want 0", st.InActConn)
			}
			if cs := s.Connections(); len(cs) != 0 {
				t.Errorf("after an idle timeout: %+v", cs)
			}
		})
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// TestLeastConnectionSeesTimeWait: with wlc and one short connection after
// another, the kernel spreads them, because each ended connection still
// counts as inactive on its real server for TIME_WAIT's two minutes. Were
// they forgotten at close, every connection would tie at zero and go to
// the first real server.
func TestLeastConnectionSeesTimeWait(t *testing.T) {
	a, b, c := three(t)
	s := startService(t, ServiceConfig{Scheduler: "wlc", RealServers: rsOf(map[*backend]int{a: 2}, a, b, c)}, Options{})
	got := map[string]int{}
	for range 8 {
		name, conn, _ := hold(t, s)
		closeCleanly(t, conn)
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		got[name]++
	}
	// wlc picks the least (active*256 + inactive) / weight, ties to the
	// first: a (weight 2) takes every other connection.
	if got["a"] != 4 || got["b"] != 2 || got["c"] != 2 {
		t.Errorf("wlc over sequential connections: %v, want a:4 b:2 c:2", got)
	}
	rs := s.Snapshot().RealServers
	for i, want := range []int{4, 2, 2} {
		if rs[i].InActConn != want || rs[i].ActiveConn != 0 {
			t.Errorf("%v: ActiveConn %d InActConn %d, want 0 and %d", rs[i].Addr, rs[i].ActiveConn, rs[i].InActConn, want)
		}
	}
}

// TestTemplateOutlivesItsTimeWait: a persistence template stays while it
// controls entries, TIME_WAIT included, and expires a persistence timeout
// after the last one is gone.
func TestTemplateOutlivesItsTimeWait(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := startService(t, ServiceConfig{Scheduler: "rr", PersistenceTimeout: 30 * time.Second, RealServers: rsOf(nil, a, b)},
		Options{Now: clock.Now})
	connect := func() string {
		name, c, _ := hold(t, s)
		closeCleanly(t, c)
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		return name
	}
	if got := connect(); got != "a" {
		t.Fatalf("first connection went to %s", got)
	}
	clock.Advance(100 * time.Second) // past the template's 30 s, within TIME_WAIT
	if got := connect(); got != "a" {
		t.Errorf("within TIME_WAIT: %s, want a (the template still controls an entry)", got)
	}
	clock.Advance(120*time.Second + 29*time.Second) // the second TIME_WAIT ended 29 s ago
	if got := connect(); got != "a" {
		t.Errorf("29 s after the last TIME_WAIT: %s, want a", got)
	}
	clock.Advance(120*time.Second + 30*time.Second)
	if got := connect(); got != "b" {
		t.Errorf("30 s after the last TIME_WAIT: %s, want b (the template expired; rr goes on)", got)
	}
}

// An ended connection's entry stays small: there can be a million.
func TestClosedConnSize(t *testing.T) {
	if n := unsafe.Sizeof(closedConn{}); n > 40 {
		t.Errorf("closedConn is %d bytes, want at most 40", n)
	}
	for _, src := range []string{"192.0.2.7:40001", "[2001:db8::7]:40002"} {
		ap := netip.MustParseAddrPort(src)
		e := closedConn{addr: ap.Addr().As16(), port: ap.Port(), v4: ap.Addr().Is4()}
		if e.src() != ap {
			t.Errorf("%v came back as %v", ap, e.src())
		}
	}
}

// The queue hands entries back in order across its compaction, and lets
// go of its memory once a burst has drained.
func TestClosedQueue(t *testing.T) {
	var c closedQueue
	next := int64(0)
	for round := range 3 {
		for range 5000 + round*1000 {
			c.push(closedConn{expires: next})
			next++
		}
		for c.len() > 10 {
			want := next - int64(c.len())
			if e := c.pop(); e.expires != want {
				t.Fatalf("round %d: popped %d, want %d", round, e.expires, want)
			}
		}
	}
	for c.len() > 0 {
		c.pop()
	}
	if c.q != nil {
		t.Errorf("drained queue keeps %d entries of capacity", cap(c.q))
	}
}

// A sorry server's ended connections are kept like a real server's: they
// count on it until their TIME_WAIT ends.
func TestSorryServerTimeWait(t *testing.T) {
	a, sorry := newBackend(t, "a"), newBackend(t, "sorry")
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := startService(t, ServiceConfig{Scheduler: "rr", SorryServer: sorry.addr, Quorum: 5,
		RealServers: rsOf(nil, a)}, Options{Now: clock.Now})
	name, c, _ := hold(t, s)
	if name != "sorry" {
		t.Fatalf("quorum down (5 > weight 1), yet %s answered", name)
	}
	closeCleanly(t, c)
	waitFor(t, "the connection to end", func() bool { return idle(s) })
	sorryInAct := func() int {
		for _, rs := range s.Snapshot().RealServers {
			if rs.Sorry {
				return rs.InActConn
			}
		}
		t.Fatal("no sorry server in the snapshot")
		return 0
	}
	if n := sorryInAct(); n != 1 {
		t.Fatalf("sorry server InActConn %d after the close, want 1", n)
	}
	if cs := s.Connections(); len(cs) != 1 || cs[0].Dest != sorry.addr || cs[0].State != "TIME_WAIT" {
		t.Errorf("entries %+v", cs)
	}
	clock.Advance(120 * time.Second)
	if n := sorryInAct(); n != 0 {
		t.Errorf("sorry server InActConn %d after TIME_WAIT, want 0", n)
	}
}
