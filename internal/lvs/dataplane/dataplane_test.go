package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/script"
)

// backend is a TCP server on 127.0.0.1 that greets each connection with its
// name, then reads to EOF and answers "got:<data>".
type backend struct {
	t    *testing.T
	name string
	addr netip.AddrPort
	mu   sync.Mutex
	ln   net.Listener
	cs   map[net.Conn]struct{}
	wg   sync.WaitGroup
}

func newBackend(t *testing.T, name string) *backend {
	b := &backend{t: t, name: name, cs: map[net.Conn]struct{}{}}
	b.listen("127.0.0.1:0")
	b.addr = b.ln.Addr().(*net.TCPAddr).AddrPort()
	t.Cleanup(b.stop)
	return b
}

func (b *backend) listen(addr string) {
	var ln net.Listener
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("backend %s: %v", b.name, err)
	}
	b.mu.Lock()
	b.ln = ln
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.cs[c] = struct{}{}
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer func() {
					b.mu.Lock()
					delete(b.cs, c)
					b.mu.Unlock()
					c.Close()
				}()
				if _, err := io.WriteString(c, b.name+"\n"); err != nil {
					return
				}
				data, err := io.ReadAll(c)
				if err != nil {
					return
				}
				io.WriteString(c, "got:"+string(data)+"\n")
			}()
		}
	}()
}

// stop closes the listener and every connection.
func (b *backend) stop() {
	b.mu.Lock()
	if b.ln != nil {
		b.ln.Close()
		b.ln = nil
	}
	for c := range b.cs {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *backend) restart() { b.listen(b.addr.String()) }

// stopListening closes the listener only: established connections go on.
func (b *backend) stopListening() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ln.Close()
}

// hold opens a connection through s, reads the greeting and returns the
// backend name with the open connection.
func hold(t *testing.T, s *Service) (string, *net.TCPConn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return strings.TrimSuffix(line, "\n"), c.(*net.TCPConn), r
}

func startService(t *testing.T, cfg ServiceConfig, opts Options) *Service {
	t.Helper()
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.MustParseAddrPort("127.0.0.1:0")
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := Start(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rsOf(weights map[*backend]int, order ...*backend) []RealServerConfig {
	var out []RealServerConfig
	for _, b := range order {
		w, ok := weights[b]
		if !ok {
			w = 1
		}
		out = append(out, RealServerConfig{Addr: b.addr, Weight: w})
	}
	return out
}

// greet connects to s from local address from (127.0.0.x; "" = any) and
// returns the backend name that answered.
func greet(t *testing.T, s *Service, from string) string {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading greeting: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

func sequence(t *testing.T, s *Service, n int, from string) string {
	t.Helper()
	var names []string
	for range n {
		names = append(names, greet(t, s, from))
	}
	return strings.Join(names, "-")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idle reports that no connection is being relayed; the ended ones may
// still count as InActConn (TIME_WAIT, CLOSE), as in IPVS.
func idle(s *Service) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) == 0 && s.live.Load() == 0
}

func three(t *testing.T) (a, b, c *backend) {
	return newBackend(t, "a"), newBackend(t, "b"), newBackend(t, "c")
}

func TestRoundRobin(t *testing.T) {
	a, b, c := three(t)
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a, b, c)}, Options{})
	if got := sequence(t, s, 6, ""); got != "a-b-c-a-b-c" {
		t.Fatalf("rr sequence %s", got)
	}
	waitFor(t, "connections to end", func() bool { return idle(s) })
	ss := s.Snapshot()
	if ss.Conns != 6 {
		t.Errorf("service Conns %d, want 6", ss.Conns)
	}
	for _, rs := range ss.RealServers {
		if rs.Conns != 2 || rs.OutBytes < 2 {
			t.Errorf("%s: %+v", rs.Addr, rs)
		}
	}
}

func TestWeightedRoundRobin(t *testing.T) {
	a, b, c := three(t)
	// The kernel's wrr with weights 3:1 (gcd 1, max 3): a at cw 3, 2 and
	// 1, b at cw 1; c has weight 0 (quiesced) and never gets a connection.
	s := startService(t, ServiceConfig{Scheduler: "wrr",
		RealServers: rsOf(map[*backend]int{a: 3, b: 1, c: 0}, a, b, c)}, Options{})
	if got := sequence(t, s, 8, ""); got != "a-a-a-b-a-a-a-b" {
		t.Fatalf("wrr sequence %s", got)
	}
}

// fakeClock is a settable persistence clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func TestPersistence(t *testing.T) {
	a, b, c := three(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := startService(t, ServiceConfig{Scheduler: "rr", PersistenceTimeout: time.Minute,
		RealServers: rsOf(nil, a, b, c)}, Options{Now: clock.Now})
	if got := sequence(t, s, 4, "127.0.0.1"); got != "a-a-a-a" {
		t.Fatalf("127.0.0.1 not pinned: %s", got)
	}
	if got := sequence(t, s, 2, "127.0.0.2"); got != "b-b" {
		t.Fatalf("127.0.0.2 (/32 granularity): %s, want b-b", got)
	}
	waitFor(t, "connections to end", func() bool { return idle(s) })
	clock.Advance(59 * time.Second) // re-armed on the last use: still pinned
	if got := greet(t, s, "127.0.0.1"); got != "a" {
		t.Fatalf("after 59s: %s, want a", got)
	}
	waitFor(t, "connections to end", func() bool { return idle(s) })
	// The template outlives the TIME_WAIT (or CLOSE) entries it controls
	// by its timeout; then it expires and rr goes on (its next is c).
	clock.Advance(120*time.Second + 61*time.Second)
	if got := greet(t, s, "127.0.0.1"); got != "c" {
		t.Fatalf("after expiry: %s, want c", got)
	}

	// persistence_granularity 255.255.255.0 pins the whole /24.
	m := startService(t, ServiceConfig{Scheduler: "rr", PersistenceTimeout: time.Minute,
		PersistenceMask: netip.MustParseAddr("255.255.255.0"),
		RealServers:     rsOf(nil, a, b, c)}, Options{})
	var got []string
	for _, from := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1"} {
		got = append(got, greet(t, m, from))
	}
	if strings.Join(got, "-") != "a-a-a-a" {
		t.Fatalf("/24 granularity: %v", got)
	}
}

func TestHalfCloseAndCounters(t *testing.T) {
	a := newBackend(t, "a")
	s := startService(t, ServiceConfig{Scheduler: "wlc", RealServers: rsOf(nil, a)}, Options{})
	c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an active connection", func() bool { return s.Snapshot().ActiveConn == 1 })
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = "a\ngot:hello\n"
	if string(all) != want {
		t.Fatalf("answer %q, want %q", all, want)
	}
	waitFor(t, "the connection to end", func() bool { return idle(s) })
	rs := s.Snapshot().RealServers[0]
	if rs.Conns != 1 || rs.InBytes != 5 || rs.OutBytes != uint64(len(want)) {
		t.Errorf("counters %+v", rs.Stats)
	}
}

func TestHealthCheck(t *testing.T) {
	a, b, c := three(t)
	check := func(be *backend) []CheckConfig {
		return []CheckConfig{{Addr: be.addr, ConnectTimeout: 2 * time.Second, Retry: 1,
			DelayBeforeRetry: 20 * time.Millisecond, DelayLoop: 50 * time.Millisecond}}
	}
	cfg := ServiceConfig{Scheduler: "rr"}
	for _, be := range []*backend{a, b, c} {
		cfg.RealServers = append(cfg.RealServers, RealServerConfig{Addr: be.addr, Weight: 1, Checks: check(be)})
	}
	s := startService(t, cfg, Options{})
	up := func(i int) bool { return s.Snapshot().RealServers[i].Up }

	b.stop()
	waitFor(t, "b to go down", func() bool { return !up(1) })
	if got := sequence(t, s, 4, ""); strings.Contains(got, "b") {
		t.Fatalf("down b still scheduled: %s", got)
	}
	b.restart()
	waitFor(t, "b to come back", func() bool { return up(1) })
	if got := sequence(t, s, 3, ""); !strings.Contains(got, "b") {
		t.Fatalf("b not scheduled after coming back: %s", got)
	}
}

func TestCheckState(t *testing.T) {
	cfg := CheckConfig{Retry: 2, DelayBeforeRetry: time.Second, DelayLoop: time.Minute}
	st := checkState{up: true}
	steps := []struct {
		ok      bool
		changed bool
		up      bool
		next    time.Duration
	}{
		{false, false, true, time.Second},
		{false, false, true, time.Second},
		{false, true, false, time.Minute}, // 1+retry failures: DOWN
		{false, false, false, time.Second},
		{true, true, true, time.Minute}, // one success: UP
		{false, false, true, time.Second},
		{true, false, true, time.Minute}, // a success resets the count
		{false, false, true, time.Second},
		{false, false, true, time.Second},
	}
	for i, s := range steps {
		changed, next := st.record(s.ok, cfg)
		if changed != s.changed || st.up != s.up || next != s.next {
			t.Fatalf("step %d: changed %v up %v next %v; want %v %v %v", i, changed, st.up, next, s.changed, s.up, s.next)
		}
	}
}

func TestCloseEndsConnections(t *testing.T) {
	a := newBackend(t, "a")
	s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		RealServers: rsOf(nil, a)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "a\n" {
		t.Fatalf("greeting %q %v", line, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection still open after Close")
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("still listening after Close")
	}
}

func TestMaskAddr(t *testing.T) {
	for _, tc := range []struct{ a, m, want string }{
		{"10.1.2.3", "255.255.255.0", "10.1.2.0"},
		{"10.1.2.3", "", "10.1.2.3"},
		{"2001:db8::1", "ffff:ffff::", "2001:db8::"},
	} {
		var m netip.Addr
		if tc.m != "" {
			m = netip.MustParseAddr(tc.m)
		}
		if got := maskAddr(netip.MustParseAddr(tc.a), m); got.String() != tc.want {
			t.Errorf("mask(%s, %s) = %s, want %s", tc.a, tc.m, got, tc.want)
		}
	}
}

func fastCheck(be *backend) []CheckConfig {
	return []CheckConfig{{Addr: be.addr, ConnectTimeout: 2 * time.Second, Retry: 1,
		DelayBeforeRetry: 20 * time.Millisecond, DelayLoop: 50 * time.Millisecond}}
}

func TestDownKeepsExistingConnections(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, Checks: fastCheck(a)},
		{Addr: b.addr, Weight: 1, Checks: fastCheck(b)},
	}}, Options{})
	name, c, r := hold(t, s)
	if name != "a" {
		t.Fatalf("first connection went to %s", name)
	}
	a.stopListening()
	waitFor(t, "a to go down", func() bool { return !s.Snapshot().RealServers[0].Up })
	if got := sequence(t, s, 3, ""); got != "b-b-b" {
		t.Fatalf("with a down: %s", got)
	}
	if _, err := c.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	rest, err := io.ReadAll(r)
	if err != nil || string(rest) != "got:still here\n" {
		t.Fatalf("existing connection after DOWN: %q %v", rest, err)
	}
}

func TestPersistenceLeavesDownServer(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	s := startService(t, ServiceConfig{Scheduler: "rr", PersistenceTimeout: time.Hour, RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, Checks: fastCheck(a)},
		{Addr: b.addr, Weight: 1, Checks: fastCheck(b)},
	}}, Options{})
	if got := sequence(t, s, 2, ""); got != "a-a" {
		t.Fatalf("not pinned: %s", got)
	}
	a.stop()
	waitFor(t, "a to go down", func() bool { return !s.Snapshot().RealServers[0].Up })
	if got := sequence(t, s, 2, ""); got != "b-b" {
		t.Fatalf("template kept a down server: %s", got)
	}
	a.restart()
	waitFor(t, "a to come back", func() bool { return s.Snapshot().RealServers[0].Up })
	if got := sequence(t, s, 2, ""); got != "b-b" {
		t.Fatalf("new template not kept: %s", got)
	}
}

func TestUpperThreshold(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, UThreshold: 1},
		{Addr: b.addr, Weight: 1},
	}}, Options{Now: clock.Now})
	name, c, _ := hold(t, s)
	if name != "a" || !s.Snapshot().RealServers[0].Overloaded {
		t.Fatalf("first connection to %s, snapshot %+v", name, s.Snapshot().RealServers[0])
	}
	if got := sequence(t, s, 2, ""); got != "b-b" {
		t.Fatalf("overloaded a scheduled: %s", got)
	}
	closeCleanly(t, c)
	waitFor(t, "connections to end", func() bool { return idle(s) })
	// As in the kernel, the threshold counts inactive connections too: a
	// stays overloaded while the ended connection's TIME_WAIT entry lasts.
	if !s.Snapshot().RealServers[0].Overloaded {
		t.Fatal("a left overload while its connection is in TIME_WAIT")
	}
	clock.Advance(120 * time.Second)
	if s.Snapshot().RealServers[0].Overloaded {
		t.Fatal("a still overloaded after the TIME_WAIT")
	}
	if got := sequence(t, s, 2, ""); got != "a-b" {
		t.Fatalf("after the held connection ended: %s", got)
	}
}

func TestFromKeepalived(t *testing.T) {
	src := `virtual_server 10.0.0.100 3306 {
    delay_loop 7
    lb_algo wrr
    lb_kind DR
    protocol TCP
    persistence_timeout 120
    persistence_granularity 255.255.255.0
    real_server 10.0.0.5 3306 {
        weight 3
        uthreshold 100
        TCP_CHECK {
            connect_timeout 3
            connect_port 9200
            retry 2
        }
    }
    real_server 10.0.0.6 3306 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
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
	if sc.Addr.String() != "10.0.0.100:3306" || sc.Scheduler != "wrr" || sc.PersistenceTimeout != 2*time.Minute ||
		sc.PersistenceMask.String() != "255.255.255.0" || len(sc.RealServers) != 2 {
		t.Fatalf("service %+v", sc)
	}
	r0 := sc.RealServers[0]
	if r0.Weight != 3 || r0.UThreshold != 100 || len(r0.Checks) != 1 {
		t.Fatalf("real server %+v", r0)
	}
	ck := r0.Checks[0]
	if ck.Addr.String() != "10.0.0.5:9200" || ck.ConnectTimeout != 3*time.Second || ck.Retry != 2 || ck.DelayLoop != 7*time.Second {
		t.Errorf("check %+v", ck)
	}
	if c := sc.RealServers[1].Checks; len(c) != 1 || c[0].HTTP == nil {
		t.Errorf("HTTP_GET not mapped: %+v", sc.RealServers[1])
	}
	w := strings.Join(warnings, "\n")
	if !strings.Contains(w, "lvs_method DR is forwarded as NAT") || strings.Contains(w, "HTTP_GET is not implemented yet") {
		t.Errorf("warnings:\n%s", w)
	}

	udp, findings, _ := keepalivedconf.Parse("u.conf", []byte("virtual_server 10.0.0.1 53 {\n protocol UDP\n real_server 10.0.0.2 53 {\n }\n}\n"), keepalivedconf.Options{})
	if len(udp.VirtualServers) != 1 {
		t.Fatalf("UDP config not read: %v", findings)
	}
	if _, _, err := FromKeepalived(udp.VirtualServers[0], nil, script.Security{}); err == nil || !strings.Contains(err.Error(), "UDP") {
		t.Errorf("UDP service: %v", err)
	}
}

func TestLargeTransferCounters(t *testing.T) {
	a := newBackend(t, "a")
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: rsOf(nil, a)}, Options{})
	c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	payload := strings.Repeat("0123456789abcdef", 3*chunk/16+1001) // several splice chunks
	var all []byte
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		all, rerr = io.ReadAll(c)
	}()
	if _, err := io.WriteString(c, payload); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	<-done
	want := "a\ngot:" + payload + "\n"
	if rerr != nil || string(all) != want {
		t.Fatalf("got %d bytes (%v), want %d", len(all), rerr, len(want))
	}
	waitFor(t, "the connection to end", func() bool { return idle(s) })
	ss := s.Snapshot()
	if ss.InBytes != uint64(len(payload)) || ss.OutBytes != uint64(len(want)) {
		t.Errorf("InBytes %d OutBytes %d, want %d %d", ss.InBytes, ss.OutBytes, len(payload), len(want))
	}
}

func TestAlphaStartsDown(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	ck := fastCheck(a)
	ck[0].Alpha = true
	ck[0].DelayLoop = time.Hour // the first probe comes at once (no warmup), the next never
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{
		{Addr: a.addr, Weight: 1, Checks: ck},
		{Addr: b.addr, Weight: 1},
	}}, Options{})
	waitFor(t, "a to come up after its first check", func() bool { return s.Snapshot().RealServers[0].Up })
	if got := sequence(t, s, 2, ""); got != "a-b" {
		t.Fatalf("after alpha check: %s", got)
	}
}
