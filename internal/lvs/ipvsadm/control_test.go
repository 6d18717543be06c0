package ipvsadm

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/lvs/estimator"
	"github.com/shardcat/shardcat/internal/lvs/sched"
)

type fakeSource struct {
	mu   sync.Mutex
	cfg  dataplane.ServiceConfig
	snap dataplane.ServiceSnapshot
}

func (f *fakeSource) Config() dataplane.ServiceConfig { return f.cfg }
func (f *fakeSource) Snapshot() dataplane.ServiceSnapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.RealServers = append([]dataplane.RealServerSnapshot(nil), f.snap.RealServers...)
	return s
}
func (f *fakeSource) add(conns, in, out uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snap.Conns += conns
	f.snap.InBytes += in
	f.snap.OutBytes += out
	f.snap.RealServers[0].Conns += conns
	f.snap.RealServers[0].InBytes += in
	f.snap.RealServers[0].OutBytes += out
}

func newFake() *fakeSource {
	ap := netip.MustParseAddrPort
	rs := []dataplane.RealServerConfig{
		{Addr: ap("10.0.0.2:80"), Weight: 2, UThreshold: 10},
		{Addr: ap("10.0.0.3:80"), Weight: 1},                         // down: absent
		{Addr: ap("10.0.0.4:80"), Weight: 5, InhibitOnFailure: true}, // down: weight 0
	}
	return &fakeSource{
		cfg: dataplane.ServiceConfig{Addr: ap("10.0.0.1:80"), Scheduler: "sh", Method: "DR",
			Flags:              sched.Flags{Port: true},
			PersistenceTimeout: 50 * time.Second, PersistenceMask: netip.MustParseAddr("255.255.255.255"),
			RealServers: rs},
		snap: dataplane.ServiceSnapshot{Addr: ap("10.0.0.1:80"), Scheduler: "sh", Persistent: 50 * time.Second,
			RealServers: []dataplane.RealServerSnapshot{
				{Addr: rs[0].Addr, Weight: 2, TableWeight: 2, InTable: true, Up: true},
				{Addr: rs[1].Addr, Weight: 1, Up: false},
				{Addr: rs[2].Addr, Weight: 5, InTable: true, Up: false},
			}},
	}
}

func TestFromDataplane(t *testing.T) {
	f := newFake()
	s := FromDataplane(f.cfg, f.Snapshot())
	if s.Persistent != 50 || s.Netmask.IsValid() || s.Protocol != "TCP" || strings.Join(s.SchedFlags, ",") != "sh-port" {
		t.Errorf("service %+v", s)
	}
	if len(s.Dests) != 2 || s.Dests[0].Weight != 2 || s.Dests[0].Forward != "Route" || s.Dests[0].UThreshold != 10 ||
		s.Dests[1].Addr.String() != "10.0.0.4:80" || s.Dests[1].Weight != 0 {
		t.Errorf("dests %+v", s.Dests)
	}
}

func TestControlSocketServesRates(t *testing.T) {
	f := newFake()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	srv := NewServer([]Source{f}, func() time.Time { clock.Lock(); defer clock.Unlock(); return now })
	step := func(conns, in, out uint64) {
		f.add(conns, in, out)
		clock.Lock()
		now = now.Add(estimator.Tick)
		clock.Unlock()
		srv.Tick()
	}
	step(10, 1000, 2000) // cps avg 1280 -> 1; inbps 4000 -> 125; outbps 8000 -> 250
	step(10, 1000, 2000) // cps 2240 -> 2; inbps 7000 -> 219; outbps 14000 -> (14000+15)>>5 = 437

	path := filepath.Join(t.TempDir(), "run", "director.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another director") {
		t.Errorf("second Listen on a live socket: %v", err)
	}
	tab, err := Fetch(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Services) != 1 {
		t.Fatalf("table %+v", tab)
	}
	s := tab.Services[0]
	want := estimator.Rates{CPS: 2, InBPS: 219, OutBPS: 437}
	if s.Rates != want || s.Dests[0].Rates != want || s.Stats.Conns != 20 || s.Dests[0].Stats.OutBytes != 4000 {
		t.Errorf("service %+v", s)
	}
	var b strings.Builder
	Format(&b, tab, FormatOptions{Mode: ModeRate})
	if !strings.Contains(b.String(), "TCP  10.0.0.1:80                         2        0        0      219      437\n") {
		t.Errorf("rate listing:\n%s", b.String())
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // leaves the file behind, as a killed director would
	l, err = Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l.Close()
	if _, err := Fetch(context.Background(), path); err == nil {
		t.Error("fetch from a closed socket succeeded")
	}
}
