package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer collects a child process's output; safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond until it holds or timeout passes; on timeout it logs
// the given outputs and fails the test.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool, logs ...*Buffer) {
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

// StartInNetns starts argv inside namespace ns (ip netns exec) in its own
// process group, with extra environment variables; the whole group is
// stopped (SIGTERM, then SIGKILL) at the end of the test.
func StartInNetns(t testing.TB, ns string, env []string, argv ...string) (*exec.Cmd, *Buffer, <-chan struct{}) {
	t.Helper()
	var out Buffer
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
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

// StartKeepalived runs Debian's keepalived (VRRP only) in ns with conf and
// its own pid files, as test-peers.md shows. Missing keepalived skips the
// test, or fails it under CI=true.
func StartKeepalived(t testing.TB, ns, conf string) *Buffer {
	t.Helper()
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		bin = "/usr/sbin/keepalived"
		if _, err := os.Stat(bin); err != nil {
			skipOrFail(t, "keepalived not installed (apt-get install keepalived)")
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ka.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := StartInNetns(t, ns, nil, bin, "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "ka.vrrp.pid"), "-i", ns)
	return out
}

// VRRPUnicastConf is a keepalived.conf with one VRRPv2 unicast instance
// (VRID 51, advert 1 s, PASS "1111") holding vip/24 on ifname, as in
// test-peers.md.
func VRRPUnicastConf(state, ifname string, prio int, src, peer, vip string) string {
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
        %s/24 dev %s
    }
}
`, ifname, state, ifname, prio, src, peer, vip, ifname)
}
