//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// buildShardcat builds the shardcat binary once for a test and its subtests.
func buildShardcat(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shardcat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startShardcat runs `shardcat director -f conf` in ns.
func startShardcat(t *testing.T, bin, ns, conf string) *testenv.Proc {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("sc-%d.conf", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return testenv.StartProc(t, ns, bin, "director", "-f", path, "--socket", "")
}

// vrrpNode is one VRRP router of a scenario: keepalived ("ka") or the
// shardcat director ("sc") in its own namespace.
type vrrpNode struct {
	impl string
	ns   *testenv.Netns
	node testenv.Node
	conf testenv.VRRPConf
	bin  string
	proc *testenv.Proc
	logs []*testenv.Buffer // every incarnation's output
}

func (n *vrrpNode) start(t *testing.T) {
	t.Helper()
	if n.impl == "ka" {
		n.proc = testenv.StartKeepalivedProc(t, n.node.NS, n.conf.String())
	} else {
		n.proc = startShardcat(t, n.bin, n.node.NS, n.conf.String())
	}
	n.logs = append(n.logs, n.proc.Out)
}

// vrrpCase is one interop scenario: A (priority 150) takes the VIP, B
// (priority 100) joins as backup and must not take it, A stops (kill -9 or
// SIGTERM) and B takes the VIP; optionally A comes back and preempts B, or
// does not with nopreempt.
type vrrpCase struct {
	name      string
	a, b      string // "ka" or "sc"
	version   int
	advert    time.Duration
	unicast   bool
	auth      bool
	ipv6      bool
	stop      string // "kill" or "term"
	returnA   bool
	nopreempt bool
}

func (c vrrpCase) advertString() string {
	if c.advert%time.Second == 0 {
		return fmt.Sprint(int(c.advert / time.Second))
	}
	return fmt.Sprint(c.advert.Seconds())
}

// masterDown is Master_Down_Interval of the priority-100 backup.
func (c vrrpCase) masterDown() time.Duration {
	skew := time.Duration(256-100) * time.Second / 256
	if c.version == 3 {
		skew = time.Duration(256-100) * c.advert / 256
	}
	return 3*c.advert + skew
}

var vrrpCases = []vrrpCase{
	{name: "v2-unicast-pass/sc-master/ka-backup/kill", a: "sc", b: "ka", version: 2, advert: time.Second, unicast: true, auth: true, stop: "kill"},
	{name: "v2-multicast-pass/ka-master/sc-backup/term", a: "ka", b: "sc", version: 2, advert: time.Second, auth: true, stop: "term"},
	{name: "v3-multicast/sc-master/ka-backup/kill", a: "sc", b: "ka", version: 3, advert: 100 * time.Millisecond, stop: "kill"},
	{name: "v3-unicast/ka-master/sc-backup/kill", a: "ka", b: "sc", version: 3, advert: 100 * time.Millisecond, unicast: true, stop: "kill"},
	{name: "v3-multicast/ka-master/sc-backup/term", a: "ka", b: "sc", version: 3, advert: 100 * time.Millisecond, stop: "term"},
	{name: "v3-unicast/sc-master/ka-backup/term", a: "sc", b: "ka", version: 3, advert: 100 * time.Millisecond, unicast: true, stop: "term"},
	{name: "v3-multicast/preempt/sc-returns-over-ka", a: "sc", b: "ka", version: 3, advert: 100 * time.Millisecond, stop: "term", returnA: true},
	{name: "v3-unicast/preempt/ka-returns-over-sc", a: "ka", b: "sc", version: 3, advert: 100 * time.Millisecond, unicast: true, stop: "kill", returnA: true},
	{name: "v3-multicast/nopreempt/sc-returns", a: "sc", b: "ka", version: 3, advert: 100 * time.Millisecond, stop: "kill", returnA: true, nopreempt: true},
	{name: "v3-multicast/nopreempt/ka-returns", a: "ka", b: "sc", version: 3, advert: 100 * time.Millisecond, stop: "term", returnA: true, nopreempt: true},
	{name: "v2-unicast-pass/sc-sc/term", a: "sc", b: "sc", version: 2, advert: time.Second, unicast: true, auth: true, stop: "term"},
	{name: "v3-multicast/sc-sc/kill/preempt", a: "sc", b: "sc", version: 3, advert: 100 * time.Millisecond, stop: "kill", returnA: true},
	{name: "v3-unicast/sc-sc/term/nopreempt", a: "sc", b: "sc", version: 3, advert: 100 * time.Millisecond, unicast: true, stop: "term", returnA: true, nopreempt: true},
	{name: "v3-ipv6-multicast/ka-master/sc-backup/kill", a: "ka", b: "sc", version: 3, advert: 100 * time.Millisecond, ipv6: true, stop: "kill"},
	{name: "v3-ipv6-multicast/sc-master/ka-backup/term", a: "sc", b: "ka", version: 3, advert: 100 * time.Millisecond, ipv6: true, stop: "term", returnA: true},
}

// TestDirectorVRRPInterop runs the interop matrix between shardcat's
// director and Debian's keepalived (and shardcat against itself), each
// scenario on its own veth pair in two fresh network namespaces.
func TestDirectorVRRPInterop(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.KeepalivedBin(t)
	bin := buildShardcat(t)
	for i, c := range vrrpCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runVRRPCase(t, bin, fmt.Sprintf("m%d", i), i, c)
		})
	}
}

func runVRRPCase(t *testing.T, bin, tag string, idx int, c vrrpCase) {
	subnet4 := fmt.Sprintf("10.213.%d", 20+idx)
	subnet6 := ""
	if c.ipv6 {
		subnet6 = fmt.Sprintf("fd00:213:%x::", 20+idx)
	}
	lan := testenv.NewLAN(t, tag, subnet4, subnet6, 2)
	vip := netip.MustParsePrefix(subnet4 + ".100/24")
	if c.ipv6 {
		vip = netip.MustParsePrefix(subnet6 + "100/64")
	}
	nodes := make([]*vrrpNode, 2)
	for i, impl := range []string{c.a, c.b} {
		conf := testenv.VRRPConf{State: "BACKUP", Interface: lan[i].If, Priority: 100, Version: c.version,
			Advert: c.advertString(), VIP: vip.String(), NoPreempt: c.nopreempt}
		if i == 0 {
			conf.Priority = 150
			if !c.nopreempt { // keepalived: nopreempt needs state BACKUP on every node
				conf.State = "MASTER"
			}
		}
		if c.unicast {
			me, peer := lan[i].IPv4, lan[1-i].IPv4
			if c.ipv6 {
				me, peer = lan[i].IPv6, lan[1-i].IPv6
			}
			conf.SrcIP, conf.Peers = me.String(), []string{peer.String()}
		}
		if c.auth {
			conf.AuthPass = "1111"
		}
		nodes[i] = &vrrpNode{impl: impl, ns: testenv.OpenNetns(t, lan[i].NS), node: lan[i], conf: conf, bin: bin}
	}
	a, b := nodes[0], nodes[1]
	addr := vip.Addr()
	logs := func() string {
		var s strings.Builder
		for _, n := range nodes {
			for i, l := range n.logs {
				fmt.Fprintf(&s, "--- %s (%s, prio %d) run %d:\n%s\n", n.impl, n.node.NS, n.conf.Priority, i+1, l)
			}
		}
		return s.String()
	}
	has := func(n *vrrpNode) bool { return n.ns.MustHave(t, addr) }
	wait := func(what string, timeout time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > timeout {
				t.Fatalf("timed out after %v waiting for %s\n%s", timeout, what, logs())
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}
	// hold checks that cond stays true for d.
	hold := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		for start := time.Now(); time.Since(start) < d; time.Sleep(20 * time.Millisecond) {
			if !cond() {
				t.Fatalf("%s after %v\n%s", what, time.Since(start).Round(time.Millisecond), logs())
			}
		}
	}
	// Startup: a state-MASTER non-owner starts in BACKUP and claims the
	// VIP after its master-down timer.
	startup := 2*c.masterDown() + 5*time.Second
	// A router that did not hear the master would take the VIP one
	// master-down interval after it started; a second covers its start.
	window := c.masterDown() + 2*c.advert + time.Second

	a.start(t)
	wait(a.impl+" (A) to take the VIP", startup, func() bool { return has(a) })
	b.start(t)
	hold("B took the VIP from the higher-priority master (or A lost it)", window, func() bool { return has(a) && !has(b) })

	var took time.Duration
	switch c.stop {
	case "kill":
		a.proc.Kill()
		took = wait("B to take the VIP after kill -9 of A", c.masterDown()+5*time.Second, func() bool { return has(b) })
		if !a.proc.Wait(5 * time.Second) {
			t.Fatalf("A did not die on SIGKILL")
		}
		// The dead daemon leaves its VIP behind; remove it as a host
		// restart would, so later checks see only live routers.
		testenv.Run(t, "ip", "-n", a.node.NS, "addr", "del", vip.String(), "dev", a.node.If)
		// Lower bound: B waits for its master-down timer (less the time
		// since A's last advert).
		if took < c.masterDown()-c.advert-50*time.Millisecond {
			t.Errorf("B took over %v after kill -9, before its master-down timer (%v) could expire\n%s", took, c.masterDown(), logs())
		}
	case "term":
		a.proc.Term()
		took = wait("B to take the VIP after SIGTERM of A", c.masterDown()+5*time.Second, func() bool { return has(b) })
		if !a.proc.Wait(10 * time.Second) {
			t.Fatalf("A did not exit on SIGTERM\n%s", logs())
		}
		if has(a) {
			t.Fatalf("A left the VIP behind after SIGTERM\n%s", logs())
		}
		// Priority 0 makes B wait only Skew_Time (0.61 s at v2), well
		// under the 2.6 s minimum of the master-down path. At v3 0.1 s
		// the two are too close to tell apart under load.
		if c.version == 2 && took > 2*time.Second {
			t.Errorf("B took over %v after SIGTERM: the priority-0 advert was not honoured\n%s", took, logs())
		}
	}
	t.Logf("%s: B (%s) took the VIP %v after %s of A (%s); master-down interval %v", c.name, b.impl, took.Round(time.Millisecond), c.stop, a.impl, c.masterDown())
	if !c.returnA {
		return
	}
	a.start(t)
	if c.nopreempt {
		// A comes back with a higher priority, hears B and stays backup.
		hold("A preempted B despite nopreempt", 2*window, func() bool { return has(b) && !has(a) })
		return
	}
	back := wait("A to preempt B after returning", startup, func() bool { return has(a) })
	wait("B to release the VIP after A preempted", 5*time.Second, func() bool { return !has(b) })
	t.Logf("A (%s) preempted B %v after restarting", a.impl, back.Round(time.Millisecond))
}
