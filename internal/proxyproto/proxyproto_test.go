package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

func v2(cmd, fam byte, body []byte) []byte {
	b := append([]byte{}, v2Signature...)
	b = append(b, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(len(body)))
	return append(b, body...)
}

func TestRead(t *testing.T) {
	v4body := []byte{10, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90, 0x1f, 0x82, 0xaa} // + a TLV byte, skipped
	cases := []struct {
		in       []byte
		src, dst string
		err      bool
	}{
		{[]byte("PROXY TCP4 192.168.0.1 192.168.0.11 56324 8066\r\nrest"), "192.168.0.1:56324", "192.168.0.11:8066", false},
		{[]byte("PROXY TCP6 ::1 ::2 1 2\r\nrest"), "[::1]:1", "[::2]:2", false},
		{[]byte("PROXY UNKNOWN\r\nrest"), "", "", false},
		{v2(1, 0x11, v4body), "10.0.0.1:8080", "10.0.0.2:8066", false},
		{v2(0, 0x00, nil), "", "", false},
		{[]byte("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"), "", "", true},
		{[]byte("PROXY TCP4 ::1 ::2 1 2\r\n"), "", "", true},
		{[]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "", "", true},
		{v2(2, 0x11, v4body), "", "", true},
		{v2(1, 0x11, v4body[:5]), "", "", true},
		{[]byte("GET / HTTP/1.0\r\n\r\n"), "", "", true},
	}
	for _, c := range cases {
		h, err := Read(bufio.NewReader(bytes.NewReader(c.in)))
		if c.err {
			if err == nil {
				t.Errorf("%q: want an error", c.in)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		str := func(a net.Addr) string {
			if a == nil {
				return ""
			}
			return a.String()
		}
		if str(h.Source) != c.src || str(h.Destination) != c.dst {
			t.Errorf("%q: got %s -> %s", c.in, str(h.Source), str(h.Destination))
		}
	}
}

func TestWrapKeepsTheRest(t *testing.T) {
	a, b := net.Pipe()
	go func() {
		a.Write([]byte("PROXY TCP4 203.0.113.7 127.0.0.1 4000 8066\r\nhello"))
		a.Close()
	}()
	c, err := Wrap(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.RemoteAddr().String() != "203.0.113.7:4000" {
		t.Fatalf("remote %s", c.RemoteAddr())
	}
	rest, _ := io.ReadAll(c)
	if string(rest) != "hello" {
		t.Fatalf("rest %q", rest)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))
	f.Add(v2(1, 0x21, make([]byte, 36)))
	f.Add([]byte(strings.Repeat("PROXY ", 30)))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		if h, err := Read(r); err == nil && h == nil {
			t.Fatal("nil header without error")
		}
	})
}
