package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/director"
	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
	"github.com/shardcat/shardcat/internal/testenv"
)

func runShardcat(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

const seedDir = "../../internal/keepalivedconf/testdata"

func TestDirectorCheckClean(t *testing.T) {
	code, out, errOut := runShardcat(t, "director", "-f", filepath.Join(seedDir, "seed-master-clean.conf"), "--check")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"vrrp_instance VI_1 {", "state MASTER", "virtual_server 192.168.100.100 8066 {",
		"real_server 192.168.100.5 8066 {", "lvs_method DR"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	// The one warning is the data plane's: DR is forwarded as NAT.
	if !strings.Contains(errOut, "seed-master-clean.conf:29: warning: virtual_server 192.168.100.100:8066: lvs_method DR is forwarded as NAT") ||
		!strings.Contains(errOut, "0 error(s), 1 warning(s); 1 vrrp_instance, 1 virtual_server") {
		t.Errorf("summary missing from stderr:\n%s", errOut)
	}
}

func TestDirectorCheckSeedAsPublished(t *testing.T) {
	path := filepath.Join(seedDir, "seed-master.conf")
	code, out, errOut := runShardcat(t, "director", "-f", path, "--check")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the seed has a bad virtual_ipaddress); stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		path + ":14: warning: unknown keyword \"MASTER\"",
		path + ":27: error: virtual_ipaddress",
		path + ":48: warning: unknown keyword \"real_server\" at top level",
		"1 error(s), 34 warning(s)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The dump shows what would run: BACKUP, and one real server.
	if !strings.Contains(out, "state BACKUP") || strings.Count(out, "real_server ") != 1 {
		t.Errorf("dump does not show the misread config:\n%s", out)
	}
}

// Running VRRP is tested in network namespaces (director_vrrp_test.go);
// here only a failure that sends nothing: an interface that does not exist.
func TestDirectorVRRPOnMissingInterfaceFails(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "k.conf")
	text := "vrrp_instance VI_1 {\n state MASTER\n interface sc-nosuchif0\n virtual_router_id 51\n priority 100\n advert_int 1\n virtual_ipaddress {\n 10.213.9.100/24\n }\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runShardcat(t, "director", "-f", conf, "--socket", "")
	if code == 0 || !strings.Contains(errOut, "sc-nosuchif0") {
		t.Errorf("exit %d, stderr %q; want a failure naming the missing interface", code, errOut)
	}
}

func TestDirectorUsageErrors(t *testing.T) {
	if code, _, _ := runShardcat(t, "director", "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code, _, errOut := runShardcat(t, "director", "--check", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, stderr %q", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "nope.conf")
	if code, _, errOut := runShardcat(t, "director", "-f", missing, "--check"); code != 1 || !strings.Contains(errOut, "nope.conf") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestDirectorConfigID(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "k.conf")
	text := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n @lb1 state MASTER\n @^lb1 priority 50\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runShardcat(t, "director", "-f", conf, "-i", "lb1", "--check")
	if !strings.Contains(out, "state MASTER") || !strings.Contains(out, "priority 100") {
		t.Errorf("-i lb1 not applied:\n%s", out)
	}
	_, out, _ = runShardcat(t, "director", "-f", conf, "-i", "lb2", "--check")
	if !strings.Contains(out, "state BACKUP") || !strings.Contains(out, "priority 50") {
		t.Errorf("-i lb2 not applied:\n%s", out)
	}
}

// waitOutput polls buf until it contains want.
func waitOutput(t *testing.T, what string, buf, errBuf *testenv.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%q)\nstdout:\n%s\nstderr:\n%s", what, want, buf.String(), errBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialRead(t *testing.T, port int) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("through the director on %d: %v", port, err)
	}
	return strings.TrimSpace(line)
}

// TestDirectorSIGHUPReloadsServices: a SIGHUP adds a virtual server and
// keeps the unchanged one (its listener is not closed); a file with errors
// keeps the running configuration.
func TestDirectorSIGHUPReloadsServices(t *testing.T) {
	p1, p2 := testenv.FreeLoopbackPort(t), testenv.FreeLoopbackPort(t)
	r1, r2 := greeter(t, "one"), greeter(t, "two")
	vs := func(vport, rport int) string {
		return fmt.Sprintf("virtual_server 127.0.0.1 %d {\n lb_algo rr\n protocol TCP\n real_server 127.0.0.1 %d {\n weight 1\n }\n}\n", vport, rport)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "k.conf")
	if err := os.WriteFile(conf, []byte(vs(p1, r1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "d.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"director", "-f", conf, "--socket", sock}, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	}()
	waitOutput(t, "the first service", &out, &errOut, fmt.Sprintf("virtual_server 127.0.0.1:%d", p1))
	if got := dialRead(t, p1); got != "one" {
		t.Fatalf("first service answered %q", got)
	}
	// A connection held open across the reload must survive it.
	held, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p1))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	if err := os.WriteFile(conf, []byte(vs(p1, r1)+vs(p2, r2)), 0o644); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitOutput(t, "the added service", &out, &errOut, fmt.Sprintf("virtual_server 127.0.0.1:%d", p2))
	if got := dialRead(t, p2); got != "two" {
		t.Errorf("added service answered %q", got)
	}
	if strings.Contains(out.String(), fmt.Sprintf("virtual_server 127.0.0.1:%d stopped", p1)) {
		t.Errorf("the unchanged service was restarted:\n%s", out.String())
	}
	held.SetDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(held).ReadString('\n'); err != nil || line != "one\n" {
		t.Errorf("connection held across the reload: %q %v", line, err)
	}
	var st []any
	if err := ipvsadm.Call(context.Background(), sock, "vrrp", &st); err != nil || len(st) != 0 {
		t.Errorf("vrrp op without instances: %v %v", st, err)
	}

	if err := os.WriteFile(conf, []byte("virtual_server 127.0.0.1 {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitOutput(t, "the refusal of a bad file", &errOut, &out, "keeping the running configuration")
	if got := dialRead(t, p2); got != "two" {
		t.Errorf("after a bad reload the service answered %q", got)
	}
	stopDirector(t, cancel, done, &errOut)
}

func TestDirectorStatusTable(t *testing.T) {
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	st := []director.InstanceStatus{{Name: "VI_1", Interface: "eth0", VRID: 51, State: "BACKUP", BasePriority: 150,
		Priority: 50, Master: "10.0.0.1", AdvertsSent: 12, AdvertsReceived: 30, Drops: map[string]uint64{"ttl": 2, "auth-pass": 1},
		LastTransition: now.Add(-90 * time.Second), LastFrom: "MASTER", LastReason: "higher priority advert from 10.0.0.1 (priority 100 > 50)"}}
	var b bytes.Buffer
	writeStatusTable(&b, st, now)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "INSTANCE  INTERFACE  VRID  STATE   PRIO  BASE  MASTER") {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, want := range []string{"VI_1", "eth0", "51", "BACKUP", " 50 ", "150", "10.0.0.1", "auth-pass=1,ttl=2",
		"MASTER->BACKUP 1m30s ago", "higher priority advert from 10.0.0.1"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row lacks %q: %s", want, lines[1])
		}
	}
	// Without a director the status command fails with the socket named.
	sock := filepath.Join(t.TempDir(), "none.sock")
	code, _, errOut := runShardcat(t, "director", "status", "--socket", sock)
	if code != 1 || !strings.Contains(errOut, sock) {
		t.Errorf("status without a director: exit %d, %q", code, errOut)
	}
}

// TestDirectorCheckDataPlaneRefusal: --check reports what the data plane
// refuses (a fwmark service) as an error at its line, not first at start.
func TestDirectorCheckDataPlaneRefusal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fw.conf")
	if err := os.WriteFile(path, []byte("virtual_server fwmark 3 {\n    lb_algo rr\n    lb_kind NAT\n    real_server 127.0.0.1 3306 {\n        weight 1\n    }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runShardcat(t, "director", "-f", path, "--check")
	if code != 1 || !strings.Contains(errOut, path+":1: error: virtual_server fwmark 3: fwmark services are not supported") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}
