package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
	"github.com/shardcat/shardcat/internal/testenv"
)

func TestParseIpvsadmArgs(t *testing.T) {
	tests := []struct {
		args  []string
		mode  ipvsadm.Mode
		ex    bool
		conns bool
		tmo   bool
		sock  string
		err   bool
	}{
		{args: []string{"-lcn"}, conns: true, sock: defaultControlSocket},
		{args: []string{"-L", "--connection", "-n"}, conns: true, sock: defaultControlSocket},
		{args: []string{"-Lc", "--stats"}, err: true},
		{args: []string{"-Ln"}, sock: defaultControlSocket},
		{args: []string{"-l", "-n", "--stats"}, mode: ipvsadm.ModeStats, sock: defaultControlSocket},
		{args: []string{"-l", "-stats"}, mode: ipvsadm.ModeStats, sock: defaultControlSocket},
		{args: []string{"--list", "--rate", "--exact", "--socket", "/tmp/x.sock"}, mode: ipvsadm.ModeRate, ex: true, sock: "/tmp/x.sock"},
		{args: []string{"-L", "--thresholds", "--socket=/s"}, mode: ipvsadm.ModeThresholds, sock: "/s"},
		{args: []string{"-nL", "--persistent-conn"}, mode: ipvsadm.ModePersistentConn, sock: defaultControlSocket},
		{args: []string{"-L", "--timeout"}, tmo: true, sock: defaultControlSocket},
		{args: []string{"-L", "--timeout", "--stats"}, err: true},
		{args: []string{"-Lc", "--timeout"}, err: true},
		{args: []string{"-n"}, err: true},
		{args: []string{"-A"}, err: true},
		{args: []string{"-L", "--stats", "--rate"}, err: true},
		{args: []string{"-L", "--socket"}, err: true},
		{args: []string{"-L", "x"}, err: true},
	}
	for _, tc := range tests {
		a, err := parseIpvsadmArgs(tc.args)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.args, err)
			continue
		}
		if err == nil && (a.opts.Mode != tc.mode || a.opts.Exact != tc.ex || a.socket != tc.sock || a.conns != tc.conns || a.timeout != tc.tmo) {
			t.Errorf("%q: got %+v", tc.args, a)
		}
	}
}

func TestIpvsadmWithoutDirector(t *testing.T) {
	for _, list := range []string{"-Ln", "-lcn", "--timeout"} {
		args := []string{"ipvsadm", list, "--socket", filepath.Join(t.TempDir(), "none.sock")}
		if list == "--timeout" {
			args = append(args, "-L")
		}
		code, out, errOut := runShardcat(t, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "no director answering") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", list, code, out, errOut)
		}
	}
}

func TestIpvsadmListsRunningDirector(t *testing.T) {
	vport, rport := testenv.FreeLoopbackPort(t), greeter(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	text := fmt.Sprintf(`global_defs {
    lvs_timeouts tcp 7200 udp 60
}
virtual_server 127.0.0.1 %d {
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    real_server 127.0.0.1 %d {
        weight 3
    }
}
`, vport, rport)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "director.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"director", "-f", conf, "--socket", sock}, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := ipvsadm.Fetch(context.Background(), sock); err == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("director exited %d early; stderr:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("control socket never answered; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", vport), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || line != "a\n" {
		t.Fatalf("through the director: %q %v; stderr:\n%s", line, err, errOut.String())
	}

	code, got, stderr := runShardcat(t, "ipvsadm", "-Ln", "--socket", sock)
	if code != 0 {
		t.Fatalf("ipvsadm -Ln exit %d: %s", code, stderr)
	}
	wantService := fmt.Sprintf("\nTCP  127.0.0.1:%d rr persistent 50\n", vport)
	wantDest := fmt.Sprintf("\n  -> %-28s Masq    3      ", fmt.Sprintf("127.0.0.1:%d", rport))
	if !strings.HasPrefix(got, "IP Virtual Server version 1.2.1 (size=4096)\n") ||
		!strings.Contains(got, wantService) || !strings.Contains(got, wantDest) {
		t.Errorf("ipvsadm -Ln:\n%s", got)
	}

	code, got, stderr = runShardcat(t, "ipvsadm", "-L", "-n", "--stats", "--socket", sock)
	// One connection; its handshake, FIN and ACKs are packets both ways.
	stats := regexp.MustCompile(fmt.Sprintf(`(?m)^  -> 127\.0\.0\.1:%d +1 +[1-9]\d* +[1-9]\d* +0 +\d+$`, rport))
	if code != 0 || !stats.MatchString(got) {
		t.Errorf("ipvsadm --stats exit %d:\n%s%s", code, got, stderr)
	}

	code, got, stderr = runShardcat(t, "ipvsadm", "-lcn", "--socket", sock)
	tpl := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP 00:(4\d|50)  NONE        127\.0\.0\.1:0 +127\.0\.0\.1:%d +127\.0\.0\.1:%d$`, vport, rport))
	if code != 0 || !strings.HasPrefix(got, "IPVS connection entries\npro expire state       source             virtual            destination\n") ||
		!tpl.MatchString(got) {
		t.Errorf("ipvsadm -lcn exit %d:\n%s%s", code, got, stderr)
	}

	// tcpfin not set: the kernel's 120 s.
	code, got, stderr = runShardcat(t, "ipvsadm", "-L", "--timeout", "--socket", sock)
	if want := "Timeout (tcp tcpfin udp): 7200 120 60\n"; code != 0 || got != want {
		t.Errorf("ipvsadm -L --timeout exit %d: %q, want %q%s", code, got, want, stderr)
	}

	stopDirector(t, cancel, done, &errOut)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}
