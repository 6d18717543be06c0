package ipvsadm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/testenv"
)

func TestFormatConnsGolden(t *testing.T) {
	ap := netip.MustParseAddrPort
	conns := []Conn{
		{Protocol: "TCP", Expire: 231, State: "ESTABLISHED", Source: ap("192.168.56.1:56954"), Virtual: ap("192.168.56.200:80"), Dest: ap("192.168.56.102:80")},
		{Protocol: "TCP", Expire: 118, State: "FIN_WAIT", Source: ap("192.168.56.1:57322"), Virtual: ap("192.168.56.200:80"), Dest: ap("192.168.56.102:80")},
		{Protocol: "TCP", Expire: 359, State: "NONE", Source: ap("10.0.0.1:0"), Virtual: ap("10.0.0.100:3306"), Dest: ap("10.0.0.5:3306")},
		{Protocol: "TCP", Expire: 927, State: "SYN_RECV", Source: ap("[2001:db8::1]:40000"), Virtual: ap("[2001:db8::100]:80"), Dest: ap("[2001:db8::5]:80")},
	}
	// The first two lines are an ipvsadm -lnc capture.
	want := golden(`
IPVS connection entries|
pro expire state       source             virtual            destination|
TCP 03:51  ESTABLISHED 192.168.56.1:56954 192.168.56.200:80  192.168.56.102:80|
TCP 01:58  FIN_WAIT    192.168.56.1:57322 192.168.56.200:80  192.168.56.102:80|
TCP 05:59  NONE        10.0.0.1:0         10.0.0.100:3306    10.0.0.5:3306|
TCP 15:27  SYN_RECV    [2001:db8::1]:40000 [2001:db8::100]:80 [2001:db8::5]:80|
`)
	var b strings.Builder
	if err := FormatConns(&b, conns); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestControlSocketConns lists the connections of a real service through
// the control socket.
func TestControlSocketConns(t *testing.T) {
	rs := testenv.ServeLoopback(t, func(c net.Conn) {
		fmt.Fprintf(c, "hi\n")
		bufio.NewReader(c).ReadString('\n')
	})
	svc, err := dataplane.Start(dataplane.ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		PersistenceTimeout: time.Minute, RealServers: []dataplane.RealServerConfig{{Addr: rs, Weight: 1}}}, dataplane.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := NewServer([]Source{svc, newFake()}, nil) // the fake keeps no connections
	path := filepath.Join(t.TempDir(), "d.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, l)

	c, err := net.DialTimeout("tcp", svc.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "hi\n" {
		t.Fatalf("greeting %q %v", line, err)
	}
	conns, err := FetchConns(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 2 {
		t.Fatalf("entries %+v", conns)
	}
	e, tpl := conns[0], conns[1]
	if e.State != "ESTABLISHED" || e.Source.String() != c.LocalAddr().String() || e.Virtual != svc.Addr() || e.Dest != rs ||
		e.Expire < 800 || e.Expire > 900 {
		t.Errorf("connection %+v", e)
	}
	if tpl.State != "NONE" || tpl.Source.String() != "127.0.0.1:0" || tpl.Dest != rs || tpl.Expire != 60 {
		t.Errorf("template %+v", tpl)
	}
	var b strings.Builder
	FormatConns(&b, conns)
	wantLine := fmt.Sprintf("TCP 01:00  NONE        %-18s %-18s %s\n", "127.0.0.1:0", svc.Addr(), rs)
	if !strings.Contains(b.String(), wantLine) {
		t.Errorf("listing:\n%s\nwant the line %q", b.String(), wantLine)
	}
}

// A connection entry travels as a compact array and comes back whole.
func TestConnJSONRoundTrip(t *testing.T) {
	ap := netip.MustParseAddrPort
	in := []Conn{
		{Protocol: "TCP", Expire: 118, State: "TIME_WAIT", Source: ap("192.168.56.1:57322"), Virtual: ap("192.168.56.200:80"), Dest: ap("192.168.56.102:80")},
		{Protocol: "TCP", Expire: 0, State: "NONE", Source: ap("[2001:db8::1]:0"), Virtual: ap("[2001:db8::100]:80"), Dest: ap("[2001:db8::5]:80")},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `["TCP",118,"TIME_WAIT","192.168.56.1:57322","192.168.56.200:80","192.168.56.102:80"]`; !strings.Contains(string(b), want) {
		t.Errorf("encoded %s, want it to hold %s", b, want)
	}
	var out []Conn
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, out) {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`[["TCP","x"]]`), &out); err == nil {
		t.Error("a malformed entry decoded without an error")
	}
}
