package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// VRRPConf describes a keepalived.conf with one vrrp_instance VI_1, for
// keepalived and shardcat alike.
type VRRPConf struct {
	State     string // MASTER or BACKUP
	Interface string
	VRID      int // 51 when 0
	Priority  int
	Version   int    // 2 or 3
	Advert    string // advert_int as written, e.g. "1" or "0.1"
	SrcIP     string // unicast_src_ip; "" = keepalived's default source
	Peers     []string
	AuthPass  string // PASS authentication (v2) when not empty
	VIP       string // with its prefix, e.g. 10.213.1.100/24
	NoPreempt bool
	Extra     string // more lines inside vrrp_instance
}

// String renders the configuration. The second gratuitous ARP batch is off
// (vrrp_garp_master_delay 0), as in test-peers.md.
func (c VRRPConf) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    vrrp_version %d\n    enable_script_security\n    script_user root\n    vrrp_garp_master_delay 0\n}\n",
		c.Interface, c.Version)
	vrid := c.VRID
	if vrid == 0 {
		vrid = 51
	}
	fmt.Fprintf(&b, "vrrp_instance VI_1 {\n    state %s\n    interface %s\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n",
		c.State, c.Interface, vrid, c.Priority, c.Advert)
	if c.NoPreempt {
		b.WriteString("    nopreempt\n")
	}
	if c.SrcIP != "" {
		fmt.Fprintf(&b, "    unicast_src_ip %s\n", c.SrcIP)
	}
	if len(c.Peers) > 0 {
		fmt.Fprintf(&b, "    unicast_peer {\n        %s\n    }\n", strings.Join(c.Peers, "\n        "))
	}
	if c.AuthPass != "" {
		fmt.Fprintf(&b, "    authentication {\n        auth_type PASS\n        auth_pass %s\n    }\n", c.AuthPass)
	}
	fmt.Fprintf(&b, "    virtual_ipaddress {\n        %s dev %s\n    }\n", c.VIP, c.Interface)
	b.WriteString(c.Extra)
	b.WriteString("}\n")
	return b.String()
}

// Proc is a process group started in a network namespace.
type Proc struct {
	Cmd  *exec.Cmd
	Out  *Buffer
	Done <-chan struct{}
}

// StartProc is StartInNetns returning a Proc.
func StartProc(t testing.TB, ns string, argv ...string) *Proc {
	t.Helper()
	cmd, out, done := StartInNetns(t, ns, nil, argv...)
	return &Proc{Cmd: cmd, Out: out, Done: done}
}

// Kill sends SIGKILL to the whole group (keepalived's parent and its VRRP
// child together, so the parent cannot restart the child).
func (p *Proc) Kill() { syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL) }

// Term sends SIGTERM to the group leader (a graceful stop).
func (p *Proc) Term() { p.Cmd.Process.Signal(syscall.SIGTERM) }

// Wait waits up to timeout for the process to exit.
func (p *Proc) Wait(timeout time.Duration) bool {
	select {
	case <-p.Done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// KeepalivedBin returns the keepalived binary, or skips the test (fails it
// under CI=true) when keepalived is not installed.
func KeepalivedBin(t testing.TB) string {
	t.Helper()
	if bin, err := exec.LookPath("keepalived"); err == nil {
		return bin
	}
	bin := "/usr/sbin/keepalived"
	if _, err := os.Stat(bin); err != nil {
		skipOrFail(t, "keepalived not installed (apt-get install keepalived)")
	}
	return bin
}

// StartKeepalivedProc runs keepalived (VRRP only, in the foreground) in ns
// with conf and its own pid files, like StartKeepalived, and returns the
// process so the test can kill -9 or stop it.
func StartKeepalivedProc(t testing.TB, ns, conf string) *Proc {
	t.Helper()
	bin := KeepalivedBin(t)
	dir, err := os.MkdirTemp("", "sc-ka-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "ka.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return StartProc(t, ns, bin, "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "ka.vrrp.pid"), "-i", ns)
}
