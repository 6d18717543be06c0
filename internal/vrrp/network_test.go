package vrrp

import (
	"fmt"
	"net/netip"
	"sort"
	"testing"
	"time"
)

// A fake multicast segment of machines exchanging encoded adverts in
// simulated time, in the manner of etcd raft's network_test: nodes can crash
// (fall silent), be shut down, and links can be cut.

type simNode struct {
	m        *Machine
	addr     netip.Addr
	up       bool // false: crashed or not started, sends and receives nothing
	deadline time.Time
	vips     bool // VIPs currently added
}

type delivery struct {
	at   time.Time
	seq  int
	to   int
	from netip.Addr
	b    []byte
}

type transition struct {
	at       time.Duration
	node     int
	from, to State
}

type sim struct {
	t       *testing.T
	now     time.Time
	delay   time.Duration
	nodes   []*simNode
	queue   []delivery
	seq     int
	cut     map[[2]int]bool
	log     []transition
	lastRx  map[int]time.Time // per node: last accepted advert
	maxBoth time.Duration     // longest time with two masters
	dualAt  time.Time
}

func newSim(t *testing.T, cfgs ...Config) *sim {
	s := &sim{t: t, now: t0, delay: time.Millisecond, cut: map[[2]int]bool{}, lastRx: map[int]time.Time{}}
	for _, c := range cfgs {
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		s.nodes = append(s.nodes, &simNode{m: m, addr: c.Address})
	}
	return s
}

func node(prio uint8, addr netip.Addr, f func(*Config)) Config {
	c := baseConfig()
	c.Priority, c.Address, c.StateMaster = prio, addr, true
	if f != nil {
		f(&c)
	}
	return c
}

func (s *sim) apply(i int, out Output) {
	n := s.nodes[i]
	n.deadline = out.Deadline
	for _, a := range out.Actions {
		switch a.Kind {
		case ActSendAdvert:
			b, err := Encode(a.Advert, n.addr, groupOf(n.addr))
			if err != nil {
				s.t.Fatal(err)
			}
			for j := range s.nodes {
				if j != i && !s.cut[[2]int{i, j}] {
					s.seq++
					s.queue = append(s.queue, delivery{s.now.Add(s.delay), s.seq, j, n.addr, b})
				}
			}
		case ActStateChange:
			s.log = append(s.log, transition{s.now.Sub(t0), i, a.From, a.To})
		case ActAddVIPs:
			n.vips = true
		case ActRemoveVIPs:
			n.vips = false
		}
	}
	s.checkDual()
}

func (s *sim) checkDual() {
	if len(s.masters()) > 1 {
		if s.dualAt.IsZero() {
			s.dualAt = s.now
		}
		s.maxBoth = max(s.maxBoth, s.now.Sub(s.dualAt))
	} else {
		s.dualAt = time.Time{}
	}
}

func (s *sim) start(i int) {
	s.nodes[i].up = true
	s.apply(i, s.nodes[i].m.Start(s.now))
}

func (s *sim) shutdown(i int) {
	s.apply(i, s.nodes[i].m.Shutdown(s.now))
	s.nodes[i].up = false
}

// crash silences node i without a priority-0 advert (kill -9).
func (s *sim) crash(i int) { s.nodes[i].up = false }

// partition cuts (or heals) both directions between a and b.
func (s *sim) partition(a, b int, cut bool) {
	s.cut[[2]int{a, b}], s.cut[[2]int{b, a}] = cut, cut
}

// runUntil processes deliveries and timers in time order up to end.
func (s *sim) runUntil(end time.Duration) {
	stop := t0.Add(end)
	for {
		next, kind, idx := stop, -1, -1
		for i, n := range s.nodes {
			if n.up && !n.deadline.IsZero() && n.deadline.Before(next) {
				next, kind, idx = n.deadline, 0, i
			}
		}
		sort.Slice(s.queue, func(a, b int) bool {
			if !s.queue[a].at.Equal(s.queue[b].at) {
				return s.queue[a].at.Before(s.queue[b].at)
			}
			return s.queue[a].seq < s.queue[b].seq
		})
		if len(s.queue) > 0 && !s.queue[0].at.After(next) {
			next, kind = s.queue[0].at, 1
		}
		if kind < 0 {
			s.now = stop
			s.checkDual()
			return
		}
		s.now = next
		s.checkDual()
		if kind == 0 {
			s.apply(idx, s.nodes[idx].m.Tick(s.now))
			continue
		}
		d := s.queue[0]
		s.queue = s.queue[1:]
		n := s.nodes[d.to]
		if !n.up {
			continue
		}
		out, err := n.m.ReceivePacket(d.from, groupOf(d.from), d.b, TTL, s.now)
		if err != nil && ReasonOf(err) != DropNotRunning {
			s.t.Fatalf("node %d: %v", d.to, err)
		}
		if err == nil {
			s.lastRx[d.to] = s.now
		}
		s.apply(d.to, out)
	}
}

func groupOf(a netip.Addr) netip.Addr {
	if a.Is4() {
		return MulticastIPv4
	}
	return MulticastIPv6
}

func (s *sim) masters() []int {
	var ms []int
	for i, n := range s.nodes {
		if n.up && n.m.State() == Master {
			ms = append(ms, i)
		}
	}
	return ms
}

func (s *sim) wantMaster(i int) {
	s.t.Helper()
	ms := s.masters()
	if len(ms) != 1 || ms[0] != i {
		s.t.Fatalf("at %v masters %v, want [%d]; log %v", s.now.Sub(t0), ms, i, s.log)
	}
	for j, n := range s.nodes {
		if n.up && n.vips != (j == i) {
			s.t.Fatalf("node %d holds VIPs=%v", j, n.vips)
		}
	}
}

// lastBecameMaster returns when node i last became master.
func (s *sim) lastBecameMaster(i int) time.Duration {
	for k := len(s.log) - 1; k >= 0; k-- {
		if l := s.log[k]; l.node == i && l.to == Master {
			return l.at
		}
	}
	s.t.Fatalf("node %d never became master", i)
	return 0
}

func (tr transition) String() string {
	return fmt.Sprintf("%v:n%d:%v->%v", tr.at, tr.node, tr.from, tr.to)
}

// Three routers started together with "state MASTER": one master emerges,
// the highest priority, after its own Master_Down_Interval.
func TestNetworkHighestPriorityWins(t *testing.T) {
	s := newSim(t, node(100, addrA, nil), node(150, addrB, nil), node(200, addrC, nil))
	for i := range s.nodes {
		s.start(i)
	}
	s.runUntil(30 * sec)
	s.wantMaster(2)
	if got := s.lastBecameMaster(2); got != mdi2(200) {
		t.Fatalf("became master at %v, want %v", got, mdi2(200))
	}
	if len(s.log) != 4 || s.maxBoth != 0 {
		t.Fatalf("transitions %v, dual-master %v", s.log, s.maxBoth)
	}
}

// Staggered start: the lower router takes over first, then the higher one
// preempts it; the dual-master window is one link delay.
func TestNetworkLateHigherPriorityPreempts(t *testing.T) {
	s := newSim(t, node(100, addrA, nil), node(200, addrB, nil))
	s.start(0)
	s.runUntil(10 * sec)
	s.wantMaster(0)
	s.start(1)
	s.runUntil(30 * sec)
	s.wantMaster(1)
	if got := s.lastBecameMaster(1); got != 10*sec+mdi2(200) {
		t.Fatalf("preempted at %v, want %v", got, 10*sec+mdi2(200))
	}
	if s.maxBoth > s.delay {
		t.Fatalf("dual master for %v", s.maxBoth)
	}
}

// nopreempt keeps a lower-priority master.
func TestNetworkNoPreemptKeepsLowerMaster(t *testing.T) {
	s := newSim(t, node(100, addrA, nil), node(200, addrB, func(c *Config) { c.NoPreempt = true; c.StateMaster = false }))
	s.start(0)
	s.runUntil(10 * sec)
	s.start(1)
	s.runUntil(60 * sec)
	s.wantMaster(0)
}

// Equal priorities: the higher primary address wins.
func TestNetworkEqualPriorityHigherAddressWins(t *testing.T) {
	s := newSim(t, node(100, addrA, nil), node(100, addrB, nil), node(100, addrC, nil))
	for i := range s.nodes {
		s.start(i)
	}
	s.runUntil(30 * sec)
	s.wantMaster(2)
}

// Master silence (kill -9): the backup takes over exactly Master_Down_Interval
// after the last advert it heard, i.e. 2.61-3.61 s after the crash at v2/1 s.
func TestNetworkFailoverAfterSilence(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        func(*Config)
		crashAt  time.Duration
		min, max time.Duration
	}{
		{"v2 1s", nil, 10*sec + 300*time.Millisecond, 2610 * time.Millisecond, 3610 * time.Millisecond},
		{"v3 100ms", func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, sec/10 },
			10*sec + 30*time.Millisecond, 260 * time.Millisecond, 361 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, node(200, addrA, tc.f), node(100, addrB, tc.f))
			s.start(0)
			s.start(1)
			s.runUntil(10 * sec)
			s.wantMaster(0)
			s.runUntil(tc.crashAt)
			s.crash(0)
			last := s.lastRx[1]
			s.runUntil(tc.crashAt + 10*sec)
			s.wantMaster(1)
			took := s.lastBecameMaster(1)
			if want := last.Sub(t0) + s.nodes[1].m.MasterDownInterval(); took != want {
				t.Fatalf("took over at %v, want last advert + MDI = %v", took, want)
			}
			if d := took - tc.crashAt; d < tc.min || d > tc.max {
				t.Fatalf("failover %v outside %v..%v", d, tc.min, tc.max)
			}
		})
	}
}

// Graceful shutdown: priority 0 makes the backup take over after Skew_Time
// (keepalived measured 0.625 s at v2/prio 100, 0.065 s at v3/100 ms).
func TestNetworkGracefulShutdownFailsOverAfterSkew(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(*Config)
		want time.Duration
	}{
		{"v2 1s", nil, skew2(100)},
		{"v3 100ms", func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, sec/10 }, skew2(100) / 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, node(200, addrA, tc.f), node(100, addrB, tc.f), node(50, addrC, tc.f))
			for i := range s.nodes {
				s.start(i)
			}
			s.runUntil(10 * sec)
			s.wantMaster(0)
			at := 10*sec + 250*time.Millisecond
			s.runUntil(at)
			s.shutdown(0)
			s.runUntil(at + 10*sec)
			s.wantMaster(1)
			if got := s.lastBecameMaster(1) - at; got != s.delay+tc.want {
				t.Fatalf("failover took %v, want delay+skew %v", got, s.delay+tc.want)
			}
			// The original master comes back and preempts again.
			s.start(0)
			s.runUntil(at + 30*sec)
			s.wantMaster(0)
		})
	}
}

// A partition makes both sides master; healing leaves one.
func TestNetworkPartitionHeals(t *testing.T) {
	s := newSim(t, node(200, addrA, nil), node(100, addrB, nil))
	s.start(0)
	s.start(1)
	s.runUntil(10 * sec)
	s.partition(0, 1, true)
	s.runUntil(20 * sec)
	if len(s.masters()) != 2 {
		t.Fatalf("masters %v during partition", s.masters())
	}
	s.partition(0, 1, false)
	s.runUntil(25 * sec)
	s.wantMaster(0)
}

// Tracking lowers the master's priority below the backup's: the backup
// preempts once the master's lower adverts stop resetting its timer.
func TestNetworkPriorityDropHandsOver(t *testing.T) {
	s := newSim(t, node(200, addrA, nil), node(150, addrB, nil))
	s.start(0)
	s.start(1)
	s.runUntil(10 * sec)
	s.wantMaster(0)
	s.apply(0, s.nodes[0].m.SetPriority(120, s.now))
	s.runUntil(20 * sec)
	s.wantMaster(1)
}

// VRRPv3 over IPv6 (link-local sources, ff02::12): election and failover.
func TestNetworkIPv6(t *testing.T) {
	v6 := func(c *Config) {
		c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, sec/10
		c.VIPs = []netip.Addr{netip.MustParseAddr("fe80::100"), netip.MustParseAddr("2001:db8::100")}
	}
	s := newSim(t, node(100, netip.MustParseAddr("fe80::1"), v6), node(100, netip.MustParseAddr("fe80::2"), v6))
	s.start(0)
	s.start(1)
	s.runUntil(5 * sec)
	s.wantMaster(1) // equal priority: higher address
	s.crash(1)
	last := s.lastRx[0]
	s.runUntil(10 * sec)
	s.wantMaster(0)
	if got, want := s.lastBecameMaster(0), last.Sub(t0)+s.nodes[0].m.MasterDownInterval(); got != want {
		t.Fatalf("took over at %v, want %v", got, want)
	}
}
