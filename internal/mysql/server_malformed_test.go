package mysql

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingHandler is a slog.Handler that keeps error-level messages.
type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recordingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *recordingHandler) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	r.msgs = append(r.msgs, b.String())
	return nil
}
func (r *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recordingHandler) WithGroup(string) slog.Handler      { return r }

// TestServerMalformedCommands sends broken command packets: each must get
// an ERR (or a closed connection), never a panic or a hang.
func TestServerMalformedCommands(t *testing.T) {
	rec := &recordingHandler{}
	addr, _, _ := startServer(t, func(s *Server) { s.Logger = slog.New(rec) })
	cases := map[string][]byte{
		"stmt execute truncated":   {ComStmtExecute, 1},
		"stmt execute unknown id":  {ComStmtExecute, 9, 0, 0, 0, 0, 1, 0, 0, 0},
		"stmt reset truncated":     {ComStmtReset},
		"set option truncated":     {ComSetOption, 1},
		"set option unknown":       {ComSetOption, 9, 0},
		"change user garbage":      {ComChangeUser, 'x'},
		"unknown command":          {0x7f, 1, 2, 3},
		"field list no terminator": {ComFieldList, 'z'},
		"long data unknown stmt":   {ComStmtSendLongData, 1, 2},
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			cc, err := Dial(t.Context(), addr, "app", "secret", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			cc.SetDeadline(time.Now().Add(5 * time.Second))
			if err := cc.WriteCommandPayload(payload); err != nil {
				t.Fatal(err)
			}
			if payload[0] != ComStmtSendLongData {
				p, err := cc.pc.ReadPacket()
				switch {
				case err != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
				case err != nil:
					t.Fatalf("read: %v", err)
				case !IsErrPacket(p):
					t.Fatalf("answer %x is not an ERR", p)
				}
				if err != nil {
					return
				}
			}
			// The connection is still usable.
			if err := cc.Ping(); err != nil {
				t.Fatalf("ping after malformed command: %v", err)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, m := range rec.msgs {
		if strings.Contains(m, "panic") {
			t.Errorf("server logged: %s", m)
		}
	}
}

// TestServerMalformedHandshake sends garbage instead of a handshake
// response and expects an ERR then a close, quickly.
func TestServerMalformedHandshake(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	for _, garbage := range [][]byte{{}, {1, 2, 3}, bytes.Repeat([]byte{0xff}, 40), AppendSSLRequest(nil, ClientProtocol41, 0, 45)} {
		cc := &ClientConn{}
		nc, err := (&netDialer{}).dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		cc.pc = NewPacketConn(nc)
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := cc.pc.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		if err := cc.pc.WritePacketFlush(garbage); err != nil {
			t.Fatal(err)
		}
		p, err := cc.pc.ReadPacket()
		if err == nil && !IsErrPacket(p) {
			t.Errorf("garbage %x answered with %x", garbage, p)
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("garbage %x: %v", garbage, err)
		}
		nc.Close()
	}
}

type netDialer struct{}

func (netDialer) dial(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 5*time.Second)
}
