//go:build linux

package driver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/testenv"
	"github.com/shardcat/shardcat/internal/vrrp"
)

func TestParseIPv4(t *testing.T) {
	// keepalived's v2 PASS advert (test-peers.md) behind a 20-byte header
	// with TTL 255, plus 2 bytes of Ethernet padding.
	payload := []byte{0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x0c, 0x2f, 0x0a, 0xd5, 0x00, 0x64,
		0x31, 0x31, 0x31, 0x31, 0, 0, 0, 0}
	hdr := []byte{0x45, 0xc0, 0, 40, 0, 0, 0, 0, 255, 112, 0, 0, 10, 213, 0, 1, 10, 213, 0, 2}
	p, ok := parseIPv4(append(append(hdr, payload...), 0, 0))
	if !ok || p.ttl != 255 || p.src != netip.MustParseAddr("10.213.0.1") || p.dst != netip.MustParseAddr("10.213.0.2") || !bytes.Equal(p.payload, payload) {
		t.Fatalf("parseIPv4 = %+v, %v", p, ok)
	}
	if _, err := vrrp.Decode(p.payload, p.src, p.dst); err != nil {
		t.Fatal(err)
	}
	if _, ok := parseIPv4(hdr[:19]); ok {
		t.Error("short header accepted")
	}
}

func TestGratuitousARP(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	f := GratuitousARP(mac, netip.MustParseAddr("10.213.0.100"))
	want := "ffffffffffff020000000001080600010800060400010200000000010ad50064ffffffffffff0ad50064"
	if got := fmt.Sprintf("%x", f); got != want {
		t.Errorf("frame %s, want %s", got, want)
	}
}

func TestMachineConfig(t *testing.T) {
	cfg, _, err := keepalivedconf.Parse("t.conf", []byte(testenv.VRRPUnicastConf("MASTER", "veth0", 150, "10.213.0.2", "10.213.0.1", "10.213.0.100")), keepalivedconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := MachineConfig(cfg.Instances[0], netip.MustParseAddr("10.213.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if mc.VRID != 51 || mc.Priority != 150 || mc.Version != 2 || !mc.StateMaster || !mc.Unicast ||
		mc.Auth != vrrp.AuthPass || mc.Pass != "1111" || len(mc.VIPs) != 1 || mc.VIPs[0] != netip.MustParseAddr("10.213.0.100") ||
		mc.AdvertInterval != time.Second {
		t.Errorf("MachineConfig = %+v", mc)
	}
}

// helperEnv names the config file the re-executed test binary runs with
// the driver (inside a network namespace, via ip netns exec).
const helperEnv = "SHARDCAT_VRRP_DRIVER_HELPER"

func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		return
	}
	cfg, _, err := keepalivedconf.Load(path, keepalivedconf.Options{})
	if cfg == nil || len(cfg.Instances) != 1 {
		fmt.Fprintln(os.Stderr, "helper: load:", err)
		os.Exit(3)
	}
	d, err := New(cfg.Instances[0], Options{Logf: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+f+"\n", a...)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := d.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startHelper runs the driver (this test binary) in ns with conf.
func startHelper(t *testing.T, ns, conf string) (*exec.Cmd, *testenv.Buffer, <-chan struct{}) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sc.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out testenv.Buffer
	cmd := exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return cmd, &out, done
}

// fastUnicastConf is a VRRPv3 unicast instance at advert 0.1 s (master
// down 0.36 s), so the interop tests take a second or two (the director's
// matrix covers v2 at 1 s).
func fastUnicastConf(state, ifname string, prio int, src, peer, vip string) string {
	return testenv.VRRPConf{State: state, Interface: ifname, Priority: prio, Version: 3, Advert: "0.1",
		SrcIP: src, Peers: []string{peer}, VIP: vip + "/24"}.String()
}

// TestInteropKeepalivedBackup: the driver (MASTER, 150) takes the VIP and
// keepalived (BACKUP, 100) stays backup; after kill -9 of the driver,
// keepalived takes the VIP by the master-down timer.
func TestInteropKeepalivedBackup(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "d", "10.213.0")
	kaLog := testenv.StartKeepalived(t, ns1, fastUnicastConf("BACKUP", if1, 100, "10.213.0.1", "10.213.0.2", "10.213.0.100"))
	cmd, scLog, _ := startHelper(t, ns2, fastUnicastConf("MASTER", if2, 150, "10.213.0.2", "10.213.0.1", "10.213.0.100"))

	testenv.WaitFor(t, "the driver to take the VIP", 15*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.0.100") }, scLog, kaLog)
	started := time.Now()
	// keepalived's master-down timer (0.36 s) has long expired by then if
	// it did not hear the driver's adverts.
	for time.Since(started) < 1500*time.Millisecond {
		if testenv.HasAddress(t, ns1, "10.213.0.100") {
			t.Fatalf("keepalived took the VIP while the driver is master\nshardcat:\n%s\nkeepalived:\n%s", scLog, kaLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !testenv.HasAddress(t, ns2, "10.213.0.100") {
		t.Fatalf("driver lost the VIP\n%s", scLog)
	}

	cmd.Process.Kill()
	killed := time.Now()
	testenv.WaitFor(t, "keepalived to take the VIP after kill -9", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.0.100") }, scLog, kaLog)
	t.Logf("keepalived took over %v after kill -9; driver log:\n%s", time.Since(killed).Round(10*time.Millisecond), scLog)
}

// TestInteropKeepalivedMaster: keepalived (MASTER, 150) holds the VIP, the
// driver (BACKUP, 100) stays backup; on SIGTERM keepalived sends priority 0
// and the driver takes over quickly; on SIGTERM the driver releases it.
func TestInteropKeepalivedMaster(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "d", "10.213.0")
	kaLog := testenv.StartKeepalived(t, ns1, fastUnicastConf("MASTER", if1, 150, "10.213.0.1", "10.213.0.2", "10.213.0.100"))
	testenv.WaitFor(t, "keepalived to take the VIP", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.0.100") }, kaLog)
	cmd, scLog, done := startHelper(t, ns2, fastUnicastConf("BACKUP", if2, 100, "10.213.0.2", "10.213.0.1", "10.213.0.100"))
	started := time.Now()
	for time.Since(started) < 1500*time.Millisecond {
		if testenv.HasAddress(t, ns2, "10.213.0.100") {
			t.Fatalf("driver took the VIP from a higher-priority master\nshardcat:\n%s\nkeepalived:\n%s", scLog, kaLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(scLog.String(), "entering BACKUP") {
		t.Fatalf("driver not in BACKUP:\n%s", scLog)
	}
	// Stop keepalived gracefully (priority 0): the driver takes over.
	pids := strings.Fields(testenv.Run(t, "ip", "netns", "pids", ns1))
	for _, p := range pids {
		var pid int
		fmt.Sscan(p, &pid)
		syscall.Kill(pid, syscall.SIGTERM)
	}
	testenv.WaitFor(t, "the driver to take the VIP after keepalived's SIGTERM", 15*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.0.100") }, scLog, kaLog)
	// SIGTERM to the driver: priority 0 and the VIP removed.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("driver did not exit on SIGTERM\n%s", scLog)
	}
	if testenv.HasAddress(t, ns2, "10.213.0.100") {
		t.Fatalf("driver left the VIP after SIGTERM\n%s", scLog)
	}
	if !strings.Contains(scLog.String(), "send-advert") && !strings.Contains(scLog.String(), "stopped") {
		t.Errorf("no shutdown in the log:\n%s", scLog)
	}
}
