package vrrp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	kaSrc = netip.MustParseAddr("10.213.0.1")
	kaDst = netip.MustParseAddr("10.213.0.2")
	kaVIP = netip.MustParseAddr("10.213.0.100")
)

// Captured from keepalived 2.2.7 (test-peers.md): unicast 10.213.0.1 ->
// 10.213.0.2, VRID 51, priority 100, VIP 10.213.0.100.
const (
	kaV2Pass = "21 33 64 01 01 01 0c 2f 0a d5 00 64 31 31 31 31 00 00 00 00"
	kaV3     = "31 33 64 01 00 0a 49 5f 0a d5 00 64"
)

func TestKeepalivedVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want Advert
	}{
		{"v2 PASS 1111", kaV2Pass, Advert{Version: 2, Type: 1, VRID: 51, Priority: 100,
			Interval: time.Second, AuthType: AuthPass, AuthData: PassData("1111"),
			Addrs: []netip.Addr{kaVIP}}},
		{"v3 10cs pseudo-header", kaV3, Advert{Version: 3, Type: 1, VRID: 51, Priority: 100,
			Interval: 100 * time.Millisecond, Addrs: []netip.Addr{kaVIP}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.hex)
			got, err := Decode(b, kaSrc, kaDst)
			if err != nil {
				t.Fatal(err)
			}
			if !advertEqual(got, tc.want) {
				t.Fatalf("Decode = %+v, want %+v", got, tc.want)
			}
			enc, err := Encode(tc.want, kaSrc, kaDst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, b) {
				t.Fatalf("Encode = % x\nwant     % x", enc, b)
			}
			// Ethernet padding is ignored.
			if _, err := Decode(append(b, 0, 0, 0, 0), kaSrc, kaDst); err != nil {
				t.Fatalf("padded: %v", err)
			}
		})
	}
}

func advertEqual(a, b Advert) bool {
	if len(a.Addrs) != len(b.Addrs) {
		return false
	}
	for i := range a.Addrs {
		if a.Addrs[i] != b.Addrs[i] {
			return false
		}
	}
	a.Addrs, b.Addrs = nil, nil
	return a.Version == b.Version && a.Type == b.Type && a.VRID == b.VRID &&
		a.Priority == b.Priority && a.Interval == b.Interval && a.AuthType == b.AuthType &&
		a.AuthData == b.AuthData && a.ChecksumAsV2 == b.ChecksumAsV2 && a.Reserved == b.Reserved &&
		a.OldUnicastChecksum == b.OldUnicastChecksum
}

// keepalived's v3_checksum_as_v2 (and Cisco/Juniper) omit the IPv4
// pseudo-header; the decoder accepts both and reports which one it saw.
func TestV3IPv4ChecksumAsV2(t *testing.T) {
	a := Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100 * time.Millisecond,
		Addrs: []netip.Addr{kaVIP}, ChecksumAsV2: true}
	b, err := Encode(a, kaSrc, kaDst)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b, unhex(t, kaV3)) {
		t.Fatal("as-v2 checksum equals the pseudo-header one")
	}
	got, err := Decode(b, kaSrc, kaDst)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ChecksumAsV2 {
		t.Fatal("ChecksumAsV2 not reported")
	}
	got, err = Decode(unhex(t, kaV3), kaSrc, kaDst)
	if err != nil || got.ChecksumAsV2 {
		t.Fatalf("pseudo-header vector: %v as-v2=%v", err, got.ChecksumAsV2)
	}
	// The pseudo-header binds the addresses: another destination fails both.
	if _, err := Decode(unhex(t, kaV3), kaSrc, MulticastIPv4); ReasonOf(err) != DropChecksum {
		t.Fatalf("wrong dst: %v", err)
	}
}

// keepalived <= 1.3.6 computed unicast v3 checksums with the multicast
// destination; the decoder recognises that too.
func TestV3OldUnicastChecksum(t *testing.T) {
	a := Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100 * time.Millisecond,
		Addrs: []netip.Addr{kaVIP}, OldUnicastChecksum: true}
	b, err := Encode(a, kaSrc, kaDst)
	if err != nil {
		t.Fatal(err)
	}
	mc, _ := Encode(Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100 * time.Millisecond,
		Addrs: []netip.Addr{kaVIP}}, kaSrc, MulticastIPv4)
	if !bytes.Equal(b, mc) {
		t.Fatalf("old unicast checksum % x differs from the multicast one % x", b, mc)
	}
	got, err := Decode(b, kaSrc, kaDst)
	if err != nil || !got.OldUnicastChecksum || got.ChecksumAsV2 {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestIPv6RoundTrip(t *testing.T) {
	src := netip.MustParseAddr("fe80::1")
	a := Advert{Version: 3, Type: 1, VRID: 7, Priority: 200, Interval: 40950 * time.Millisecond,
		Addrs: []netip.Addr{netip.MustParseAddr("fe80::100"), netip.MustParseAddr("2001:db8::100")}}
	b, err := Encode(a, src, MulticastIPv6)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 8+32 {
		t.Fatalf("len %d", len(b))
	}
	got, err := Decode(b, src, MulticastIPv6)
	if err != nil {
		t.Fatal(err)
	}
	if !advertEqual(got, a) {
		t.Fatalf("got %+v", got)
	}
	// IPv6 has no checksum-as-v2 variant.
	a.ChecksumAsV2 = true
	b2, _ := Encode(a, src, MulticastIPv6)
	if !bytes.Equal(b, b2) {
		t.Fatal("ChecksumAsV2 changed an IPv6 packet")
	}
	// Hand-built expected checksum from the pseudo-header definition.
	var ph []byte
	ph = append(ph, src.AsSlice()...)
	ph = append(ph, MulticastIPv6.AsSlice()...)
	ph = append(ph, 0, 0, 0, byte(len(b)), 0, 0, 0, IPProto)
	if checksum(append(ph, b...), 0) != 0 {
		t.Fatal("IPv6 checksum does not verify against an explicit pseudo-header")
	}
}

func TestDecodeDrops(t *testing.T) {
	v2 := unhex(t, kaV2Pass)
	v3 := unhex(t, kaV3)
	mod := func(b []byte, f func([]byte)) []byte {
		c := bytes.Clone(b)
		f(c)
		return c
	}
	src6 := netip.MustParseAddr("fe80::1")
	for _, tc := range []struct {
		name     string
		b        []byte
		src, dst netip.Addr
		want     DropReason
	}{
		{"empty", nil, kaSrc, kaDst, DropTooShort},
		{"7 bytes", v3[:7], kaSrc, kaDst, DropTooShort},
		{"truncated address", v3[:10], kaSrc, kaDst, DropLength},
		{"v2 missing auth data", v2[:12], kaSrc, kaDst, DropLength},
		{"count too large", mod(v3, func(b []byte) { b[3] = 2 }), kaSrc, kaDst, DropLength},
		{"count zero", mod(v3, func(b []byte) { b[3] = 0 }), kaSrc, kaDst, DropAddrCount},
		{"version 1", mod(v2, func(b []byte) { b[0] = 0x11 }), kaSrc, kaDst, DropVersion},
		{"version 4", mod(v3, func(b []byte) { b[0] = 0x41 }), kaSrc, kaDst, DropVersion},
		{"v2 over IPv6", v2, src6, MulticastIPv6, DropVersion},
		{"type 2", mod(v2, func(b []byte) { b[0] = 0x22 }), kaSrc, kaDst, DropType},
		{"v2 checksum", mod(v2, func(b []byte) { b[7]++ }), kaSrc, kaDst, DropChecksum},
		{"v2 password byte", mod(v2, func(b []byte) { b[12] = 'x' }), kaSrc, kaDst, DropChecksum},
		{"v3 checksum", mod(v3, func(b []byte) { b[7]++ }), kaSrc, kaDst, DropChecksum},
		{"v3 as IPv6", v3, src6, MulticastIPv6, DropLength},
		{"mixed family", v3, kaSrc, MulticastIPv6, DropFamily},
		{"invalid src", v3, netip.Addr{}, kaDst, DropFamily},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.b, tc.src, tc.dst)
			if got := ReasonOf(err); got != tc.want {
				t.Fatalf("reason %v (%v), want %v", got, err, tc.want)
			}
		})
	}
}

func TestV3IntervalZeroDropped(t *testing.T) {
	// Build a v3 packet with interval 0 and a valid checksum by hand.
	b := []byte{0x31, 51, 100, 1, 0, 0, 0, 0, 10, 213, 0, 100}
	c := checksum(b, pseudoSum(kaSrc, kaDst, len(b)))
	b[6], b[7] = byte(c>>8), byte(c)
	if _, err := Decode(b, kaSrc, kaDst); ReasonOf(err) != DropInterval {
		t.Fatalf("got %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := Advert{Version: 2, VRID: 1, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{kaVIP}}
	for _, tc := range []struct {
		name string
		f    func(*Advert)
	}{
		{"version", func(a *Advert) { a.Version = 4 }},
		{"no addrs", func(a *Advert) { a.Addrs = nil }},
		{"v2 interval 0", func(a *Advert) { a.Interval = 0 }},
		{"v2 interval 256s", func(a *Advert) { a.Interval = 256 * time.Second }},
		{"v3 interval 41s", func(a *Advert) { a.Version = 3; a.Interval = 41 * time.Second }},
		{"v3 interval 5ms", func(a *Advert) { a.Version = 3; a.Interval = 5 * time.Millisecond }},
		{"v6 addr in v4 packet", func(a *Advert) { a.Addrs = []netip.Addr{netip.MustParseAddr("::1")} }},
	} {
		a := ok
		tc.f(&a)
		if _, err := Encode(a, kaSrc, kaDst); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := Encode(ok, kaSrc, kaDst); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(unhex(f, kaV2Pass), false)
	f.Add(unhex(f, kaV3), false)
	src6 := netip.MustParseAddr("fe80::1")
	b6, _ := Encode(Advert{Version: 3, VRID: 7, Priority: 200, Interval: time.Second,
		Addrs: []netip.Addr{netip.MustParseAddr("fe80::100")}}, src6, MulticastIPv6)
	f.Add(b6, true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		src, dst := kaSrc, kaDst
		if v6 {
			src, dst = src6, MulticastIPv6
		}
		a, err := Decode(b, src, dst)
		if err != nil {
			if ReasonOf(err) <= DropNone {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Round trip: what decodes re-encodes to the same message bytes
		// (Ethernet padding excluded) and decodes to the same advert.
		enc, err := Encode(a, src, dst)
		if err != nil {
			if a.Version == 2 && a.Interval == 0 {
				return // v2 interval 0 decodes (checked per instance) but does not encode
			}
			t.Fatalf("re-encode %+v: %v", a, err)
		}
		if !bytes.Equal(enc, b[:len(enc)]) {
			t.Fatalf("re-encode\n got % x\nwant % x", enc, b[:len(enc)])
		}
		a2, err := Decode(enc, src, dst)
		if err != nil || !advertEqual(a, a2) {
			t.Fatalf("second decode %+v %v", a2, err)
		}
	})
}
