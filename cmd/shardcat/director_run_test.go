package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// greeter answers every connection with its name on 127.0.0.1.
func greeter(t *testing.T, name string) int {
	t.Helper()
	return int(testenv.ServeLoopback(t, func(c net.Conn) { fmt.Fprintf(c, "%s\n", name) }).Port())
}

func TestDirectorRunsVirtualServers(t *testing.T) {
	vport := testenv.FreeLoopbackPort(t)
	var rs strings.Builder
	for _, name := range []string{"a", "b", "c"} {
		fmt.Fprintf(&rs, `    real_server 127.0.0.1 %d {
        weight 1
        TCP_CHECK {
            connect_timeout 2
        }
    }
`, greeter(t, name))
	}
	conf := filepath.Join(t.TempDir(), "keepalived.conf")
	text := fmt.Sprintf(`virtual_server 127.0.0.1 %d {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
%s}
`, vport, rs.String())
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"director", "-f", conf, "--socket", filepath.Join(t.TempDir(), "director.sock")}, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "listening on") {
		select {
		case code := <-done:
			t.Fatalf("director exited %d early; stderr:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no service line; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("virtual_server 127.0.0.1:%d (TCP, rr, NAT", vport)) {
		t.Errorf("service line: %q", out.String())
	}
	var got []string
	for range 6 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", vport), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatalf("reading through the director: %v; stderr:\n%s", err, errOut.String())
		}
		got = append(got, strings.TrimSpace(line))
	}
	if strings.Join(got, "-") != "a-b-c-a-b-c" {
		t.Errorf("rr through the director: %v", got)
	}
	stopDirector(t, cancel, done, &errOut)
	if !strings.Contains(out.String(), "stopped: 6 connection(s)") {
		t.Errorf("no final counters: %q", out.String())
	}
}

func TestDirectorRefusesUnsupportedServices(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "k.conf")
	// No protocol: keepalived's default is UDP, which the data plane lacks.
	text := fmt.Sprintf("virtual_server 127.0.0.1 %d {\n    lb_algo rr\n    real_server 127.0.0.1 1 {\n    }\n}\n", testenv.FreeLoopbackPort(t))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runShardcat(t, "director", "-f", conf, "--socket", "")
	if code != 1 || !strings.Contains(errOut, "protocol UDP is not supported yet") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// stopDirector cancels a director run in the background (its exit code
// arrives on done) and expects a clean exit within 30 s.
func stopDirector(t *testing.T, cancel context.CancelFunc, done <-chan int, errOut fmt.Stringer) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("director exit %d after cancel; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("director did not stop after the context ended")
	}
}
