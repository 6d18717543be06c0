package mysql

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestCompressedConnRoundTrip(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := NewPacketConn(a), NewPacketConn(b)
	w.enableCompression()
	r.enableCompression()
	payloads := [][]byte{{ComPing}, bytes.Repeat([]byte("compressible "), 1000), make([]byte, MaxPayloadChunk+10)}
	for _, want := range payloads {
		w.ResetSequence()
		r.ResetSequence()
		werr := make(chan error, 1)
		go func() { werr <- w.WritePacketFlush(want) }()
		got, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("%d bytes: %v", len(want), err)
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: payload differs", len(want))
		}
	}
}

func TestCompressedWireFormat(t *testing.T) {
	// A short packet is stored: header 05 00 00 | seq 00 | 00 00 00, then
	// the ordinary packet 01 00 00 00 0e.
	var buf bytes.Buffer
	cc := &compressedConn{Conn: &writeOnlyConn{w: &buf}}
	cc.Write([]byte{1, 0, 0, 0, ComPing})
	if got := buf.Bytes(); !bytes.Equal(got, []byte{5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, ComPing}) {
		t.Errorf("stored packet = % x", got)
	}
	// A long repetitive one is deflated and says its plain length.
	buf.Reset()
	cc.Write(bytes.Repeat([]byte{'a'}, 1000))
	got := buf.Bytes()
	if plain := int(got[4]) | int(got[5])<<8 | int(got[6])<<16; plain != 1000 || len(got) > 100 || got[3] != 1 {
		t.Errorf("deflated packet header = % x (len %d)", got[:7], len(got))
	}
}

type writeOnlyConn struct {
	net.Conn
	w *bytes.Buffer
}

func (c *writeOnlyConn) Write(b []byte) (int, error) { return c.w.Write(b) }

func TestServerCompression(t *testing.T) {
	addr, _, _ := startServer(t, func(s *Server) { s.Compression = true })
	db := openDB(t, "app:secret@tcp("+addr+")/test?compress=true&maxAllowedPacket=67108864")
	var n int
	var v []byte
	for _, size := range []int{10, 100000, 17 << 20} {
		arg := strings.Repeat("c", size)
		if err := db.QueryRow("echo "+arg).Scan(&n, &v); err != nil || n != size || string(v) != arg {
			t.Fatalf("compressed echo %d: n=%d, %v", size, n, err)
		}
	}
	var p string
	if err := db.QueryRow("SELECT ?", "prep").Scan(&p); err != nil || p != "string 'prep'" {
		t.Errorf("compressed prepared: %q, %v", p, err)
	}
	cc, err := Dial(t.Context(), addr, "app", "secret", "", &DialOptions{Compression: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if cc.Capabilities()&ClientCompress == 0 {
		t.Fatal("compression not negotiated")
	}
	r, err := cc.Execute("echo " + strings.Repeat("z", 5000))
	if err != nil || string(r.Rows[0][0]) != "5000" {
		t.Fatalf("our client, compressed: %v", err)
	}
	if err := cc.Ping(); err != nil {
		t.Fatal(err)
	}
}

// TestTLSInfoWithCompression: the TLS facts survive the compression layer
// stacked on top of TLS.
func TestTLSInfoWithCompression(t *testing.T) {
	serverTLS, clientTLS := testTLSConfigs(t)
	addr, _, _ := startServer(t, func(s *Server) {
		s.TLSConfig = serverTLS
		s.Compression = true
	})
	cc, err := Dial(t.Context(), addr, "app", "secret", "", &DialOptions{TLSConfig: clientTLS, Compression: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	r, err := cc.Execute("tls info")
	if err != nil {
		t.Fatal(err)
	}
	seen := rowsText(r.Rows)
	if !strings.HasPrefix(seen, "TLSv1.3,TLS_") {
		t.Errorf("TLS info through compression = %q", seen)
	}
}
