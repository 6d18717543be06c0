// Package vrrp is a pure VRRP core: the advertisement codec (VRRPv2, RFC 3768;
// VRRPv3, RFC 5798/9568, IPv4 and IPv6) and the router state machine. It opens
// no sockets, reads no clock and starts no goroutines: a driver passes packets
// and the current monotonic time in, and gets actions and the next deadline out.
//
// Driver contract (see Example): create a Machine with New; call Start,
// Receive/ReceivePacket, SetPriority, SetFault, Shutdown and Tick with the
// current time; perform each returned Output's Actions in order (send the
// advert, add/remove VIPs, send gratuitous ARP/NA, run notify hooks on state
// changes); call Tick at Output.Deadline (zero: no timer). Receive errors are
// *DropError values; ReasonOf gives the DropReason for per-reason counters.
//
// Not implemented: keepalived's rogue-owner back-off (two owners are resolved
// by the RFC tie-break), AH authentication, vrrp_strict extra checks
// (link-local first IPv6 address, owner-only accept), garp_master_refresh and
// multicast/unicast destination consistency (left to the driver).
package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Protocol constants.
const (
	IPProto     = 112 // IP protocol number of VRRP
	TTL         = 255 // required IPv4 TTL / IPv6 hop limit on multicast adverts
	TypeAdvert  = 1   // the only VRRP packet type
	headerLen   = 8
	authDataLen = 8 // VRRPv2 authentication data, always present
)

// Multicast destinations.
var (
	MulticastIPv4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	MulticastIPv6 = netip.MustParseAddr("ff02::12")
)

// AuthType is the VRRPv2 authentication type.
type AuthType uint8

// VRRPv2 authentication types. RFC 3768 deprecates both; keepalived still
// implements them. AH is not supported by this package.
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

// Advert is one VRRP advertisement.
type Advert struct {
	Version  uint8 // 2 or 3
	Type     uint8 // TypeAdvert
	VRID     uint8
	Priority uint8
	// Interval is the advertisement interval: whole seconds on the wire for
	// v2, centiseconds (1..4095) for v3.
	Interval time.Duration
	AuthType AuthType // v2 only
	AuthData [8]byte  // v2 only: the password, zero padded, for AuthPass
	Addrs    []netip.Addr
	// ChecksumAsV2 means a v3 IPv4 checksum without the pseudo-header
	// (keepalived's v3_checksum_as_v2, Cisco and Juniper). On decode it
	// reports which variant matched.
	ChecksumAsV2 bool
	// OldUnicastChecksum means a v3 IPv4 unicast advert whose pseudo-header
	// used the multicast group 224.0.0.18 as destination (keepalived 1.3.6
	// and earlier; keepalived's old_unicast_checksum). Reported on decode.
	OldUnicastChecksum bool
	// Reserved holds the 4 reserved bits of a v3 header (ignored on receive).
	Reserved uint8
}

// DropReason classifies why a received packet was discarded, so a driver can
// count drops by reason.
type DropReason int

// Drop reasons, as in keepalived's receive checks.
const (
	DropNone       DropReason = iota
	DropTooShort              // shorter than the fixed header
	DropLength                // length does not match the address count
	DropVersion               // not version 2 or 3, or v2 over IPv6
	DropType                  // type is not ADVERTISEMENT
	DropChecksum              // bad checksum
	DropAddrCount             // zero addresses, or count/length mismatch with the VIP list
	DropFamily                // source/destination addresses not of one family
	DropInterval              // bad interval (0 in v3), or v2 interval mismatch
	DropAuthType              // v2 auth type differs from the configured one
	DropAuthPass              // v2 password mismatch
	DropTTL                   // TTL/hop limit is not 255 on a multicast advert
	DropVRID                  // advert for another virtual router
	DropAddrList              // VIP list differs from the configured one
	DropOwnAdvert             // our own advert looped back
	DropNotRunning            // instance is stopped or in FAULT
	NumDropReasons            // number of reasons, for per-reason counter arrays
)

var dropNames = [...]string{
	DropNone: "none", DropTooShort: "too-short", DropLength: "length",
	DropVersion: "version", DropType: "type", DropChecksum: "checksum",
	DropAddrCount: "addr-count", DropFamily: "family", DropInterval: "interval",
	DropAuthType: "auth-type", DropAuthPass: "auth-pass", DropTTL: "ttl",
	DropVRID: "vrid", DropAddrList: "addr-list", DropOwnAdvert: "own-advert",
	DropNotRunning: "not-running",
}

func (r DropReason) String() string {
	if r >= 0 && r < NumDropReasons {
		return dropNames[r]
	}
	return fmt.Sprintf("drop(%d)", int(r))
}

// DropError is the error returned for a discarded packet.
type DropError struct {
	Reason DropReason
	Detail string
}

func (e *DropError) Error() string {
	if e.Detail == "" {
		return "vrrp: drop: " + e.Reason.String()
	}
	return "vrrp: drop: " + e.Reason.String() + ": " + e.Detail
}

// Is makes errors.Is(err, &DropError{Reason: r}) match on the reason.
func (e *DropError) Is(target error) bool {
	t, ok := target.(*DropError)
	return ok && t.Reason == e.Reason
}

func drop(r DropReason, format string, args ...any) error {
	return &DropError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the drop reason carried by err, DropNone for nil, or -1
// for an error that is not a *DropError.
func ReasonOf(err error) DropReason {
	if err == nil {
		return DropNone
	}
	if e, ok := err.(*DropError); ok {
		return e.Reason
	}
	return -1
}

// PassData returns the 8-byte authentication data for a PASS password
// (truncated to 8 bytes, zero padded), as keepalived sends it.
func PassData(pass string) [8]byte {
	var d [8]byte
	copy(d[:], pass)
	return d
}

// Decode parses and validates one VRRP message (the IP payload). src and dst
// are the IP source and destination; they select the address family and are
// needed for the v3 pseudo-header checksum. Trailing bytes beyond the length
// implied by the address count (Ethernet padding) are ignored.
//
// Decode performs the checks that need no configuration: length, version,
// type, checksum, address count against length. Instance checks (VRID, TTL,
// auth, interval, VIP list) are done by Machine.Receive.
func Decode(b []byte, src, dst netip.Addr) (Advert, error) {
	var a Advert
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return a, drop(DropFamily, "src %v dst %v", src, dst)
	}
	src, dst = src.Unmap(), dst.Unmap()
	v6 := src.Is6()
	if len(b) < headerLen {
		return a, drop(DropTooShort, "%d bytes", len(b))
	}
	a.Version = b[0] >> 4
	a.Type = b[0] & 0x0f
	a.VRID = b[1]
	a.Priority = b[2]
	n := int(b[3])
	switch a.Version {
	case 2:
		if v6 {
			return a, drop(DropVersion, "VRRPv2 over IPv6")
		}
	case 3:
	default:
		return a, drop(DropVersion, "version %d", a.Version)
	}
	if a.Type != TypeAdvert {
		return a, drop(DropType, "type %d", a.Type)
	}
	alen := 4
	if v6 {
		alen = 16
	}
	want := headerLen + n*alen
	if a.Version == 2 {
		want += authDataLen
	}
	if n == 0 {
		return a, drop(DropAddrCount, "no addresses")
	}
	if len(b) < want {
		return a, drop(DropLength, "%d bytes, want %d for %d addresses", len(b), want, n)
	}
	msg := b[:want]
	if a.Version == 2 {
		a.AuthType = AuthType(b[4])
		a.Interval = time.Duration(b[5]) * time.Second
		if checksum(msg, 0) != 0 {
			return a, drop(DropChecksum, "v2")
		}
		copy(a.AuthData[:], msg[want-authDataLen:])
	} else {
		a.Reserved = b[4] >> 4
		a.Interval = time.Duration(binary.BigEndian.Uint16(b[4:6])&0x0fff) * 10 * time.Millisecond
		switch {
		case checksum(msg, pseudoSum(src, dst, len(msg))) == 0:
		case v6:
			return a, drop(DropChecksum, "v3")
		case checksum(msg, 0) == 0:
			a.ChecksumAsV2 = true
		case dst != MulticastIPv4 && checksum(msg, pseudoSum(src, MulticastIPv4, len(msg))) == 0:
			a.OldUnicastChecksum = true
		default:
			return a, drop(DropChecksum, "v3")
		}
		if a.Interval == 0 {
			return a, drop(DropInterval, "v3 interval 0")
		}
	}
	a.Addrs = make([]netip.Addr, n)
	for i := range n {
		p := msg[headerLen+i*alen:]
		if v6 {
			a.Addrs[i] = netip.AddrFrom16([16]byte(p[:16]))
		} else {
			a.Addrs[i] = netip.AddrFrom4([4]byte(p[:4]))
		}
	}
	return a, nil
}

// Encode builds the wire form of a, computing the checksum. src and dst are
// needed for the v3 pseudo-header (and select the family).
func Encode(a Advert, src, dst netip.Addr) ([]byte, error) {
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("vrrp: encode: src %v and dst %v not of one family", src, dst)
	}
	src, dst = src.Unmap(), dst.Unmap()
	v6 := src.Is6()
	if a.Version != 2 && a.Version != 3 {
		return nil, fmt.Errorf("vrrp: encode: version %d", a.Version)
	}
	if a.Version == 2 && v6 {
		return nil, fmt.Errorf("vrrp: encode: VRRPv2 over IPv6")
	}
	if len(a.Addrs) == 0 || len(a.Addrs) > 255 {
		return nil, fmt.Errorf("vrrp: encode: %d addresses", len(a.Addrs))
	}
	typ := a.Type
	if typ == 0 {
		typ = TypeAdvert
	}
	alen := 4
	if v6 {
		alen = 16
	}
	n := headerLen + len(a.Addrs)*alen
	if a.Version == 2 {
		n += authDataLen
	}
	b := make([]byte, n)
	b[0] = a.Version<<4 | typ&0x0f
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = byte(len(a.Addrs))
	if a.Version == 2 {
		secs := (a.Interval + time.Second/2) / time.Second
		if secs < 1 || secs > 255 {
			return nil, fmt.Errorf("vrrp: encode: v2 interval %v out of 1..255s", a.Interval)
		}
		b[4] = byte(a.AuthType)
		b[5] = byte(secs)
		copy(b[n-authDataLen:], a.AuthData[:])
	} else {
		cs := a.Interval / (10 * time.Millisecond)
		if cs < 1 || cs > 4095 {
			return nil, fmt.Errorf("vrrp: encode: v3 interval %v out of 10ms..40.95s", a.Interval)
		}
		binary.BigEndian.PutUint16(b[4:6], uint16(a.Reserved&0x0f)<<12|uint16(cs))
	}
	for i, ad := range a.Addrs {
		ad = ad.Unmap()
		if ad.Is6() != v6 {
			return nil, fmt.Errorf("vrrp: encode: address %v not of the packet's family", ad)
		}
		s := ad.AsSlice()
		copy(b[headerLen+i*alen:], s)
	}
	var init uint32
	switch {
	case a.Version == 2:
	case v6:
		init = pseudoSum(src, dst, n)
	case a.ChecksumAsV2:
	case a.OldUnicastChecksum:
		init = pseudoSum(src, MulticastIPv4, n)
	default:
		init = pseudoSum(src, dst, n)
	}
	binary.BigEndian.PutUint16(b[6:8], checksum(b, init))
	return b, nil
}

// pseudoSum is the unfolded one's complement sum of the IPv4 or IPv6
// pseudo-header for a VRRP message of length n.
func pseudoSum(src, dst netip.Addr, n int) uint32 {
	var s uint32
	add := func(p []byte) {
		for i := 0; i+1 < len(p); i += 2 {
			s += uint32(p[i])<<8 | uint32(p[i+1])
		}
	}
	add(src.AsSlice())
	add(dst.AsSlice())
	s += IPProto
	if src.Is6() {
		s += uint32(n>>16) + uint32(n&0xffff)
	} else {
		s += uint32(n & 0xffff)
	}
	return s
}

// checksum returns the Internet checksum of b with an initial partial sum.
// Over a message carrying a correct checksum the result is 0.
func checksum(b []byte, init uint32) uint16 {
	s := init
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
