package dataplane

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/shardcat/shardcat/internal/proxyproto"
)

// FuzzProxyHeader checks that every header the director can send decodes,
// with internal/proxyproto, to the addresses it was built from.
func FuzzProxyHeader(f *testing.F) {
	f.Add(uint8(1), []byte{192, 0, 2, 1}, uint16(40000), []byte{10, 0, 0, 100}, uint16(3306))
	f.Add(uint8(2), []byte{192, 0, 2, 1}, uint16(1), []byte{10, 0, 0, 100}, uint16(65535))
	f.Add(uint8(2), bytes.Repeat([]byte{0x20}, 16), uint16(0), []byte{127, 0, 0, 1}, uint16(80))
	f.Add(uint8(1), bytes.Repeat([]byte{0xfe}, 16), uint16(9), bytes.Repeat([]byte{1}, 16), uint16(8066))
	f.Fuzz(func(t *testing.T, v uint8, src []byte, sport uint16, dst []byte, dport uint16) {
		sa, ok1 := netip.AddrFromSlice(src)
		da, ok2 := netip.AddrFromSlice(dst)
		if !ok1 || !ok2 {
			return
		}
		version := int(v%2) + 1
		s, d := netip.AddrPortFrom(sa, sport), netip.AddrPortFrom(da, dport)
		hdr, err := proxyHeader(version, s, d)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(bytes.NewReader(append(hdr, 'x')))
		h, err := proxyproto.Read(r)
		if err != nil {
			t.Fatalf("v%d %s -> %s: %v (%q)", version, s, d, err, hdr)
		}
		if sa.Unmap().Is4() != da.Unmap().Is4() {
			if h.Source != nil || h.Destination != nil {
				t.Fatalf("v%d mixed families: decoded %v -> %v, want unknown", version, h.Source, h.Destination)
			}
			return
		}
		gs, gd := h.Source.(*net.TCPAddr).AddrPort(), h.Destination.(*net.TCPAddr).AddrPort()
		if gs.Addr().Unmap() != sa.Unmap() || gs.Port() != sport || gd.Addr().Unmap() != da.Unmap() || gd.Port() != dport {
			t.Fatalf("v%d: decoded %s -> %s, want %s -> %s", version, gs, gd, s, d)
		}
		if b, err := r.ReadByte(); err != nil || b != 'x' {
			t.Fatalf("v%d: the byte after the header: %q %v", version, b, err)
		}
	})
}
