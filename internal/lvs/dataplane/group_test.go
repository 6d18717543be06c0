package dataplane

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/script"
	"github.com/shardcat/shardcat/internal/testenv"
)

// TestScenarioVirtualServerGroup: a virtual_server_group of three loopback
// addresses runs as three services, as IPVS keeps one per address: each
// has its own round-robin position, all share the real servers' health
// (checked once for the group), and notify_down runs once.
func TestScenarioVirtualServerGroup(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	port := testenv.FreeLoopbackPort(t)
	src := `virtual_server_group G {
    127.0.0.1-3 ` + itoa(port) + `
}
virtual_server group G {
    lb_algo rr
    protocol TCP
    real_server ` + a.addr.Addr().String() + ` ` + itoa(int(a.addr.Port())) + ` {
        weight 1
    }
    real_server ` + b.addr.Addr().String() + ` ` + itoa(int(b.addr.Port())) + ` {
        weight 1
    }
}
`
	cfg, findings, err := keepalivedconf.Parse("k.conf", []byte(src), keepalivedconf.Options{})
	if err != nil || keepalivedconf.HasErrors(findings) {
		t.Fatal(err, findings)
	}
	sc, warnings, err := FromKeepalived(cfg.VirtualServers[0], cfg.VirtualServerGroups[0], script.Security{})
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	if len(sc.Members) != 3 || sc.Members[2] != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), uint16(port)) || sc.Key() != "group G" {
		t.Fatalf("members %v key %q", sc.Members, sc.Key())
	}
	// Given fast checkers and a notify_down that logs, as the test's own.
	log := filepath.Join(t.TempDir(), "events")
	sc.RealServers[0].Checks = fastCheck(a)
	sc.RealServers[1].Checks = fastCheck(b)
	sc.RealServers[1].NotifyDown = logEvent(t, "down_b", log)

	svcs, err := StartGroup(sc, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, s := range svcs {
			s.Close()
		}
	}()
	if len(svcs) != 3 {
		t.Fatalf("%d services", len(svcs))
	}
	// Then each member schedules on its own: a, b on the first, a again
	// on the second.
	if got := sequence(t, svcs[0], 2, ""); got != "a-b" {
		t.Errorf("first member: %s", got)
	}
	if got := sequence(t, svcs[1], 3, ""); got != "a-b-a" {
		t.Errorf("second member: %s", got)
	}
	if got := svcs[2].Addr().String(); got != "127.0.0.3:"+itoa(port) {
		t.Errorf("third member listens on %s", got)
	}
	// When b dies, every member takes it out, and notify_down runs once.
	b.stop()
	for i, s := range svcs {
		waitFor(t, "b down on member "+itoa(i), func() bool { return !s.Snapshot().RealServers[1].Up })
	}
	if got := sequence(t, svcs[2], 2, ""); got != "a-a" {
		t.Errorf("third member with b down: %s", got)
	}
	waitFor(t, "notify_down", func() bool { return readLines(log) != "" })
	time.Sleep(200 * time.Millisecond)
	if got := readLines(log); got != "down_b" {
		t.Errorf("notify_down ran %q, want once", got)
	}
	// And when it comes back, every member has it again.
	b.restart()
	for i, s := range svcs {
		waitFor(t, "b up on member "+itoa(i), func() bool { return s.Snapshot().RealServers[1].Up })
	}
}

func TestVirtualServerGroupRefusals(t *testing.T) {
	for _, tc := range []struct{ group, want string }{
		{"fwmark 7", "fwmark 7: fwmark entries are not supported"},
		{"127.0.0.1 0", "port 0 (every port) is not supported"},
	} {
		src := "virtual_server_group G {\n    " + tc.group + "\n}\nvirtual_server group G {\n    lb_algo rr\n    protocol TCP\n    real_server 127.0.0.1 3306 {\n        weight 1\n    }\n}\n"
		cfg, findings, err := keepalivedconf.Parse("k.conf", []byte(src), keepalivedconf.Options{})
		if err != nil || keepalivedconf.HasErrors(findings) {
			t.Fatal(err, findings)
		}
		if _, _, err := FromKeepalived(cfg.VirtualServers[0], cfg.VirtualServerGroups[0], script.Security{}); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "k.conf:") {
			t.Errorf("%s: %v, want an error at k.conf:line with %q", tc.group, err, tc.want)
		}
	}
	cfg, _, _ := keepalivedconf.Parse("k.conf", []byte("virtual_server fwmark 3 {\n    lb_algo rr\n    real_server 127.0.0.1 3306 {\n        weight 1\n    }\n}\n"), keepalivedconf.Options{})
	if _, _, err := FromKeepalived(cfg.VirtualServers[0], nil, script.Security{}); err == nil || !strings.Contains(err.Error(), "fwmark services are not supported") {
		t.Errorf("fwmark service: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
