package ipvsadm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// cannedDirector answers every request on a unix socket with answer.
func cannedDirector(t *testing.T, answer string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "canned.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Serve(t, l, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, answer)
	})
	return path
}

// EachConn hands over the entries as they come, and a listing that is not
// whole or not a listing is an error, never a short listing.
func TestEachConnAnswers(t *testing.T) {
	const entry = `["TCP",118,"TIME_WAIT","10.0.0.1:5000","10.0.0.100:8066","10.0.0.2:8066"]`
	tests := []struct {
		name, answer string
		entries      int
		begun        bool
		err          string
	}{
		{"two entries", `{"data":[` + entry + "\n," + entry + "\n]}\n", 2, true, ""},
		{"none", `{"data":[]}` + "\n", 0, true, ""},
		{"an error", `{"error":"unknown op \"conns\""}` + "\n", 0, false, `unknown op "conns"`},
		{"cut short", `{"data":[` + entry + ",", 1, true, "reading the director's answer"},
		{"no closing brace", `{"data":[` + entry + "]", 1, true, "reading the director's answer"},
		{"a bad entry", `{"data":[["TCP","x"]]}`, 0, true, "reading the director's answer"},
		{"no listing", `{"table":{}}`, 0, false, "empty answer"},
		{"not JSON", "HTTP/1.0 400\r\n", 0, false, "no director answering"},
		{"silence", "", 0, false, "no director answering"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := cannedDirector(t, tc.answer)
			var got []Conn
			begun := false
			err := EachConn(context.Background(), path, func() error {
				if len(got) > 0 {
					t.Error("begin called after an entry")
				}
				begun = true
				return nil
			}, func(c Conn) error {
				got = append(got, c)
				return nil
			})
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
			if len(got) != tc.entries || begun != tc.begun {
				t.Errorf("%d entries, begun %v; want %d, %v", len(got), begun, tc.entries, tc.begun)
			}
			if len(got) > 0 && (got[0].State != "TIME_WAIT" || got[0].Expire != 118) {
				t.Errorf("entry %+v", got[0])
			}
		})
	}
	err := EachConn(context.Background(), filepath.Join(t.TempDir(), "none.sock"), nil, func(Conn) error { return nil })
	if !errors.Is(err, ErrNoDirector) {
		t.Errorf("no socket: %v, want ErrNoDirector", err)
	}
}

// FuzzDecodeConns: whatever the socket sends, decoding ends with an error
// or a whole listing, and a whole listing survives a round trip through
// the director's encoding.
func FuzzDecodeConns(f *testing.F) {
	const entry = `["TCP",118,"TIME_WAIT","10.0.0.1:5000","10.0.0.100:8066","10.0.0.2:8066"]`
	for _, seed := range []string{
		`{"data":[` + entry + "\n," + entry + "\n]}\n", `{"data":[]}`, `{"error":"x"}`, `{"data":[` + entry + ",",
		`{"table":{},"data":[` + entry + `]}`, `{"data":[["TCP","x"]]}`, "", "[", `{"data":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []Conn
		err := decodeConns(bytes.NewReader(b), "fuzz", nil, func(c Conn) error {
			got = append(got, c)
			return nil
		})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		buf.WriteString(`{"data":[`)
		for i, c := range got {
			if i > 0 {
				buf.WriteByte(',')
			}
			enc, err := json.Marshal(c)
			if err != nil {
				t.Fatalf("re-encoding %+v: %v", c, err)
			}
			buf.Write(enc)
		}
		buf.WriteString("]}")
		var again []Conn
		if err := decodeConns(&buf, "again", nil, func(c Conn) error {
			again = append(again, c)
			return nil
		}); err != nil || !slices.Equal(got, again) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", b, again, err, got)
		}
	})
}
