package dataplane

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// proxyV2Signature starts every PROXY protocol v2 header.
var proxyV2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyHeader is the PROXY protocol header (HAProxy's proxy-protocol.txt)
// the director sends a real server before the client's bytes: version 1 is
// the text line "PROXY TCP4|TCP6 src dst sport dport\r\n", version 2 the
// binary PROXY command over TCP. src is the client, dst the address it
// connected to (the VIP). Both ends of a TCP connection have one family;
// should they differ, the header says the addresses are unknown (v1
// UNKNOWN, v2 AF_UNSPEC) rather than inventing mapped ones.
func proxyHeader(version int, src, dst netip.AddrPort) ([]byte, error) {
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	v4 := sa.Is4() && da.Is4()
	mixed := sa.Is4() != da.Is4()
	switch {
	case mixed && version == 1:
		return []byte("PROXY UNKNOWN\r\n"), nil
	case mixed && version == 2:
		b := append([]byte{}, proxyV2Signature...)
		return append(b, 0x21, 0x00, 0, 0), nil // PROXY, AF_UNSPEC, no addresses
	}
	switch version {
	case 1:
		fam := "TCP6"
		if v4 {
			fam = "TCP4"
		}
		return fmt.Appendf(nil, "PROXY %s %s %s %d %d\r\n", fam, sa, da, src.Port(), dst.Port()), nil
	case 2:
		b := append([]byte{}, proxyV2Signature...)
		b = append(b, 0x21) // version 2, PROXY command
		if v4 {
			b = append(b, 0x11, 0, 12) // TCP over IPv4, 12 address bytes
		} else {
			b = append(b, 0x21, 0, 36) // TCP over IPv6, 36 address bytes
		}
		b = append(b, sa.AsSlice()...)
		b = append(b, da.AsSlice()...)
		b = binary.BigEndian.AppendUint16(b, src.Port())
		b = binary.BigEndian.AppendUint16(b, dst.Port())
		return b, nil
	}
	return nil, fmt.Errorf("PROXY protocol version %d: expected 1 or 2", version)
}
