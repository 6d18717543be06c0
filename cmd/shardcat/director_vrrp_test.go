//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// vrrpConf is a v2 unicast PASS instance as in test-peers.md.
func vrrpConf(state, ifname string, prio int, src, peer string) string {
	return fmt.Sprintf(`global_defs {
    router_id %s
    vrrp_version 2
    enable_script_security
    script_user root
    vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
    state %s
    interface %s
    virtual_router_id 51
    priority %d
    advert_int 1
    unicast_src_ip %s
    unicast_peer {
        %s
    }
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.213.1.100/24 dev %s
    }
}
`, ifname, state, ifname, prio, src, peer, ifname)
}

func vrrpWait(t *testing.T, what string, timeout time.Duration, cond func() bool, logs ...*lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			for _, l := range logs {
				t.Logf("log:\n%s", l)
			}
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// vrrpProc starts argv in ns (via ip netns exec) in its own process group,
// killed (group-wide, for keepalived's VRRP child) at the end of the test.
func vrrpProc(t *testing.T, ns string, argv ...string) (*exec.Cmd, *lockedBuffer, <-chan struct{}) {
	t.Helper()
	var out lockedBuffer
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	return cmd, &out, done
}

func vrrpKeepalived(t *testing.T, ns, conf string) *lockedBuffer {
	t.Helper()
	bin := "/usr/sbin/keepalived"
	if p, err := exec.LookPath("keepalived"); err == nil {
		bin = p
	} else if _, err := os.Stat(bin); err != nil {
		if testenv.InCI() {
			t.Fatal("keepalived not installed (CI=true)")
		}
		t.Skip("keepalived not installed (apt-get install keepalived)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ka.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := vrrpProc(t, ns, bin, "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "ka.vrrp.pid"), "-i", ns)
	return out
}

// vrrpShardcat builds shardcat and runs `shardcat director -f conf` in ns.
func vrrpShardcat(t *testing.T, ns, conf string) (*exec.Cmd, *lockedBuffer, <-chan struct{}) {
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
	return vrrpProc(t, ns, bin, "director", "-f", path, "--socket", "")
}

// TestDirectorVRRPWithKeepalivedBackup: shardcat (MASTER, 150) takes the VIP
// while keepalived (BACKUP, 100) stays backup; SIGTERM makes shardcat send
// priority 0 and remove the VIP, and keepalived takes over.
func TestDirectorVRRPWithKeepalivedBackup(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "v", "10.213.1")
	ka := vrrpKeepalived(t, ns1, vrrpConf("BACKUP", if1, 100, "10.213.1.1", "10.213.1.2"))
	cmd, sc, done := vrrpShardcat(t, ns2, vrrpConf("MASTER", if2, 150, "10.213.1.2", "10.213.1.1"))
	started := time.Now()
	vrrpWait(t, "shardcat to take the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.1.100") }, sc, ka)
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
	vrrpWait(t, "keepalived to take the VIP after shardcat's SIGTERM", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.1.100") }, sc, ka)
	t.Logf("keepalived took over %v after SIGTERM; shardcat log:\n%s", time.Since(stopped).Round(10*time.Millisecond), sc)
}

// TestDirectorVRRPKill9: after kill -9 of shardcat (master), keepalived takes
// the VIP by its master-down timer.
func TestDirectorVRRPKill9(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "v", "10.213.1")
	ka := vrrpKeepalived(t, ns1, vrrpConf("BACKUP", if1, 100, "10.213.1.1", "10.213.1.2"))
	cmd, sc, _ := vrrpShardcat(t, ns2, vrrpConf("MASTER", if2, 150, "10.213.1.2", "10.213.1.1"))
	vrrpWait(t, "shardcat to take the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.1.100") }, sc, ka)
	if testenv.HasAddress(t, ns1, "10.213.1.100") {
		t.Fatalf("both hold the VIP\nkeepalived:\n%s", ka)
	}
	cmd.Process.Kill()
	killed := time.Now()
	vrrpWait(t, "keepalived to take the VIP after kill -9", 15*time.Second, func() bool { return testenv.HasAddress(t, ns1, "10.213.1.100") }, sc, ka)
	t.Logf("keepalived took over %v after kill -9", time.Since(killed).Round(10*time.Millisecond))
}
