package mysql

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzReadPacket feeds arbitrary bytes to the packet reader: it must return
// packets or an error, never panic or loop, and respect the size limit.
func FuzzReadPacket(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0x0e}, uint16(100))
	f.Add([]byte{0xff, 0xff, 0xff, 0, 1, 2}, uint16(10))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1}, uint16(0))
	f.Add([]byte{3, 0, 0, 7, 1, 2, 3}, uint16(5))
	f.Fuzz(func(t *testing.T, wire []byte, limit uint16) {
		pc := &PacketConn{br: bufio.NewReader(bytes.NewReader(wire)), MaxPacketSize: int(limit)}
		for i := 0; i < 100; i++ {
			read := pc.ReadPacket
			if i%2 == 1 {
				read = pc.ReadPacketShared
			}
			p, err := read()
			if err != nil {
				var se *SequenceError
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrPacketTooLarge) && !errors.As(err, &se) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if limit > 0 && len(p) > int(limit) {
				t.Fatalf("packet of %d bytes passed limit %d", len(p), limit)
			}
		}
	})
}

func FuzzDecodeHandshakeResponse(f *testing.F) {
	r := &HandshakeResponse{Capabilities: ClientProtocol41 | ClientSecureConnection | ClientPluginAuth | ClientConnectWithDB |
		ClientConnectAttrs | ClientPluginAuthLenencClientData, MaxPacketSize: 1 << 24, Charset: 45, User: "u",
		AuthResponse: []byte("x"), Database: "d", AuthPlugin: "p", Attributes: map[string]string{"a": "b"}}
	f.Add(AppendHandshakeResponse(nil, r))
	f.Add(AppendSSLRequest(nil, ClientProtocol41, 1, 45))
	f.Add([]byte{0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := DecodeHandshakeResponse(payload)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip.
		again, err := DecodeHandshakeResponse(AppendHandshakeResponse(nil, r))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if again.User != r.User || !bytes.Equal(again.AuthResponse, r.AuthResponse) {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}

func FuzzDecodeStmtExecute(f *testing.F) {
	seed, _ := AppendStmtExecute(nil, 1, []any{nil, int64(1), "s", 1.5, float32(2), []byte{1}, Decimal("1.5")})
	f.Add(seed[1:], uint8(7), false)
	f.Add([]byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x0f, 0, 3, 'f', 'o', 'o'}, uint8(1), true)
	f.Add([]byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x0c, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, uint8(1), false)
	f.Add([]byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x0b, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint8(1), false)
	f.Fuzz(func(t *testing.T, data []byte, params uint8, withLongData bool) {
		var long map[int][]byte
		if withLongData {
			long = map[int][]byte{0: []byte("ld")}
		}
		req, err := DecodeStmtExecute(data, int(params), nil, long)
		if err != nil {
			return
		}
		if len(req.Params) != int(params) && params != 0 {
			t.Fatalf("%d params decoded, want %d", len(req.Params), params)
		}
		for _, p := range req.Params {
			if _, err := Literal(p); err != nil {
				// NaN/Inf floats and malformed decimals have no literal; anything else must.
				switch p.(type) {
				case float32, float64, Decimal:
				default:
					t.Fatalf("no literal for %#v: %v", p, err)
				}
			}
		}
	})
}

func FuzzDecodeColumnDef(f *testing.F) {
	f.Add(AppendColumnDef(nil, &ColumnDef{Schema: "s", Table: "t", Name: "n", Charset: 45, Length: 10, Type: TypeLong, Flags: 3}))
	f.Add(AppendColumnDef(nil, &ColumnDef{Name: "n", DefaultValue: []byte("d")}))
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := DecodeColumnDef(payload)
		if err != nil {
			return
		}
		again, err := DecodeColumnDef(AppendColumnDef(nil, c))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if c.Catalog == "" {
			c.Catalog = "def" // the encoder fills the constant catalog
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed %+v into %+v", c, again)
		}
	})
}

func FuzzDecodeOKErr(f *testing.F) {
	f.Add(AppendOK(nil, okHeader, &OKPacket{AffectedRows: 1, Info: "x"}, 0), false)
	f.Add(AppendOK(nil, eofHeader, &OKPacket{Status: ServerSessionStateChanged, SessionState: []byte{1}}, ClientSessionTrack), true)
	f.Add(AppendErr(nil, NewSQLError(ERParse, "x")), false)
	f.Add(AppendEOF(nil, 1, 2), false)
	f.Fuzz(func(t *testing.T, payload []byte, track bool) {
		caps := uint32(0)
		if track {
			caps = ClientSessionTrack
		}
		if ok, err := DecodeOK(payload, caps); err == nil {
			again, err := DecodeOK(AppendOK(nil, okHeader, ok, caps), caps)
			if err != nil || again.AffectedRows != ok.AffectedRows || again.Status != ok.Status {
				t.Fatalf("OK round trip: %+v -> %+v, %v", ok, again, err)
			}
		}
		if e, err := DecodeErr(payload); err == nil {
			again, err := DecodeErr(AppendErr(nil, e))
			if err != nil || again.Code != e.Code {
				t.Fatalf("ERR round trip: %+v -> %+v, %v", e, again, err)
			}
		}
		DecodeEOF(payload)
	})
}

func FuzzDecodeGreeting(f *testing.F) {
	s, _ := NewScramble()
	f.Add(AppendGreeting(nil, &Greeting{ServerVersion: "10.11", ConnectionID: 1, AuthData: s,
		Capabilities: ClientProtocol41 | ClientSecureConnection | ClientPluginAuth, Charset: 45, AuthPlugin: AuthNativePassword}))
	f.Add(AppendErr(nil, NewSQLError(ERConCount, "Too many connections")))
	f.Add([]byte{10, '5', 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		g, err := DecodeGreeting(payload)
		if err != nil || g == nil {
			return
		}
		AppendGreeting(nil, g) // must not panic on anything decoded
	})
}

func FuzzDecodeRows(f *testing.F) {
	cols := []*ColumnDef{{Type: TypeLongLong}, {Type: TypeDateTime}, {Type: TypeTime}, {Type: TypeDouble}, {Type: TypeVarString}, {Type: TypeFloat}}
	row := Row{[]byte("1"), []byte("2020-01-02 03:04:05.5"), []byte("-1:02:03"), []byte("1.5"), nil, []byte("2")}
	bin, _ := AppendBinaryRow(nil, cols, row)
	f.Add(bin)
	f.Add(AppendTextRow(nil, row))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if r, err := DecodeBinaryRow(payload, cols); err == nil {
			// Text produced from binary must convert back to the same binary
			// (after one normalisation pass).
			b1, err := AppendBinaryRow(nil, cols, r)
			if err != nil {
				t.Fatalf("binary->text->binary: %v (row %q)", err, r)
			}
			r2, err := DecodeBinaryRow(b1, cols)
			if err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("unstable conversion %q -> %q (%v)", r, r2, err)
			}
		}
		DecodeTextRow(payload, len(cols))
	})
}

func FuzzInterpolateQuery(f *testing.F) {
	f.Add("SELECT ?, '?', `?` -- ?\n /* ? */ ?", uint8(2))
	f.Add(`'\'?`, uint8(0))
	f.Fuzz(func(t *testing.T, query string, n uint8) {
		params := make([]any, n)
		for i := range params {
			params[i] = int64(i)
		}
		InterpolateQuery(query, params, false)
		InterpolateQuery(query, params, true)
	})
}

// FuzzServerCommand sends one arbitrary command packet to a live Server
// after login: the server must answer, wait for more, or close, and never
// panic. (A hang would show as the fuzz worker timing out.)
func FuzzServerCommand(f *testing.F) {
	rec := &recordingHandler{}
	addr, _, _ := startServer(f, func(s *Server) { s.Logger = slog.New(rec) })
	stmt, _ := AppendStmtExecute(nil, 1, []any{int64(1), "x"})
	for _, seed := range [][]byte{
		{ComQuery, 's', 'e', 'l', 'e', 'c', 't', ' ', '1'}, {ComPing}, {ComInitDB, 't', 'e', 's', 't'},
		stmt, {ComStmtPrepare, '?', '?'}, {ComStmtReset, 1, 0, 0, 0}, {ComChangeUser, 'a', 0, 0, 0},
		{ComFieldList, 't', 0}, {ComSetOption, 0, 0}, {ComStmtSendLongData, 1, 0, 0, 0, 0, 0, 'x'},
	} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, prepareFirst bool) {
		if len(payload) == 0 {
			return
		}
		cc, err := Dial(context.Background(), addr, "app", "secret", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		cc.SetDeadline(time.Now().Add(5 * time.Second))
		if prepareFirst {
			if _, err := cc.Prepare("SELECT ?, ?"); err != nil {
				t.Fatal(err)
			}
		}
		if err := cc.WriteCommandPayload(payload); err != nil {
			t.Fatal(err)
		}
		switch payload[0] {
		case ComQuit:
			return
		case ComStmtSendLongData, ComStmtClose:
			// No response by design.
		default:
			// Read the whole response: packets until the server waits or closes.
			cc.pc.Conn().SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			for {
				if _, err := cc.pc.ReadPacket(); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						break // response complete: the server waits for us
					}
					return // the server closed the connection: allowed
				}
			}
		}
		rec.mu.Lock()
		for _, m := range rec.msgs {
			if strings.Contains(m, "panic") {
				t.Fatalf("server panicked: %s", m)
			}
		}
		rec.mu.Unlock()
	})
}

// FuzzCompressedRead feeds arbitrary bytes to the compressed-protocol
// reader under a PacketConn: packets or a clean error, never a panic.
func FuzzCompressedRead(f *testing.F) {
	var stored, deflated bytes.Buffer
	(&compressedConn{Conn: &writeOnlyConn{w: &stored}}).Write([]byte{1, 0, 0, 0, ComPing})
	(&compressedConn{Conn: &writeOnlyConn{w: &deflated}}).Write(append([]byte{0xe8, 3, 0, 0}, bytes.Repeat([]byte{'a'}, 1000)...))
	f.Add(stored.Bytes())
	f.Add(deflated.Bytes())
	f.Add([]byte{5, 0, 0, 0, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, wire []byte) {
		cc := &compressedConn{raw: bufio.NewReader(bytes.NewReader(wire)), maxSize: MaxPayloadChunk}
		pc := &PacketConn{br: bufio.NewReader(cc), compressed: cc}
		for i := 0; i < 20; i++ {
			if _, err := pc.ReadPacket(); err != nil {
				return
			}
		}
	})
}
