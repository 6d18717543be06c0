//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// vrrpShardcat builds shardcat and runs `shardcat director -f conf` in ns.
func vrrpShardcat(t *testing.T, ns, conf string) (*exec.Cmd, *testenv.Buffer, <-chan struct{}) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "shardcat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "sc.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return testenv.StartInNetns(t, ns, nil, bin, "director", "-f", path, "--socket", "")
}

// TestDirectorVRRPWithKeepalivedBackup: shardcat (MASTER, 150) takes the VIP
// while keepalived (BACKUP, 100) stays backup; SIGTERM makes shardcat send
// priority 0 and remove the VIP, and keepalived takes over.
func TestDirectorVRRPWithKeepalivedBackup(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "v", "10.213.1")
	ka := testenv.StartKeepalived(t, ns1, testenv.VRRPUnicastConf("BACKUP", if1, 100, "10.213.1.1", "10.213.1.2", "10.213.1.100"))
	cmd, sc, done := vrrpShardcat(t, ns2, testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.1.2", "10.213.1.1", "10.213.1.100"))
	started := time.Now()
	testenv.WaitFor(t, "shardcat to take the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.1.100") }, sc, ka)
	for time.Since(started) < 6*time.Second { // past keepalived's 3.6 s master-down timer
		if testenv.HasAddress(t, ns1, "10.213.1.100") {
			t.Fatalf("keepalived took the VIP while shardcat is master\nshardcat:\n%s\nkeepalived:\n%s", sc, ka)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	stopped := time.Now()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("shardcat did not exit on SIGTERM\n%s", sc)
	}
	if testenv.HasAddress(t, ns2, "10.213.1.100") {
		t.Fatalf("shardcat left the VIP after SIGTERM\n%s", sc)
	}
	testenv.WaitFor(t, "keepalived to take the VIP after shardcat's SIGTERM", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.1.100") }, sc, ka)
	t.Logf("keepalived took over %v after SIGTERM; shardcat log:\n%s", time.Since(stopped).Round(10*time.Millisecond), sc)
}

// TestDirectorVRRPKill9: after kill -9 of shardcat (master), keepalived takes
// the VIP by its master-down timer.
func TestDirectorVRRPKill9(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "v", "10.213.1")
	ka := testenv.StartKeepalived(t, ns1, testenv.VRRPUnicastConf("BACKUP", if1, 100, "10.213.1.1", "10.213.1.2", "10.213.1.100"))
	cmd, sc, _ := vrrpShardcat(t, ns2, testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.1.2", "10.213.1.1", "10.213.1.100"))
	testenv.WaitFor(t, "shardcat to take the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.1.100") }, sc, ka)
	if testenv.HasAddress(t, ns1, "10.213.1.100") {
		t.Fatalf("both hold the VIP\nkeepalived:\n%s", ka)
	}
	cmd.Process.Kill()
	killed := time.Now()
	testenv.WaitFor(t, "keepalived to take the VIP after kill -9", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.1.100") }, sc, ka)
	t.Logf("keepalived took over %v after kill -9", time.Since(killed).Round(10*time.Millisecond))
}
