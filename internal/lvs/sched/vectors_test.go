package sched

import (
	"net/netip"
	"strings"
	"testing"
)

func mk(weights ...int32) []*Dest {
	ds := make([]*Dest, len(weights))
	for i, w := range weights {
		ds[i] = &Dest{Addr: netip.AddrFrom4([4]byte{10, 1, 0, byte(i + 1)}), Port: 80, Weight: w}
	}
	return ds
}

func seq(t *testing.T, s Scheduler, ds []*Dest, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		i, ok := s.Schedule(ds, ConnInfo{})
		if !ok {
			b.WriteByte('-')
			continue
		}
		b.WriteByte(byte('A' + i))
	}
	return b.String()
}

// Appendix B WRR vectors: one full cycle, then the cycle again.
func TestWRRVectors(t *testing.T) {
	for _, tc := range []struct {
		w    []int32
		want string
	}{
		{[]int32{1, 1, 1}, "ABC"},
		{[]int32{4, 3, 2}, "AABABCABC"},
		{[]int32{4, 2}, "AAB"},
		{[]int32{5, 1, 1}, "AAAAABC"},
		{[]int32{3, 0, 2}, "AACAC"},
		{[]int32{100, 50, 25}, "AAABABC"},
	} {
		got := seq(t, &WRR{}, mk(tc.w...), 3*len(tc.want))
		if want := strings.Repeat(tc.want, 3); got != want {
			t.Errorf("wrr %v = %s, want %s", tc.w, got, want)
		}
	}
}

func TestWRRNoneAvailable(t *testing.T) {
	if got := seq(t, &WRR{}, mk(0, 0), 3); got != "---" {
		t.Errorf("all weight 0: %s", got)
	}
	ds := mk(2, 1)
	ds[0].Overloaded, ds[1].Overloaded = true, true
	if got := seq(t, &WRR{}, ds, 3); got != "---" {
		t.Errorf("all overloaded: %s", got)
	}
	ds[1].Overloaded = false
	if got := seq(t, &WRR{}, ds, 4); got != "BBBB" {
		t.Errorf("A overloaded: %s", got)
	}
}

// A weight change mid-cycle restarts from the head with cw clamped.
func TestWRRWeightChange(t *testing.T) {
	w := &WRR{}
	ds := mk(4, 3, 2)
	if got := seq(t, w, ds, 4); got != "AABA" {
		t.Fatalf("prefix %s", got)
	}
	ds[2].Weight = 4 // di 1, mw 4; cw 2 kept; cl = head
	if got := seq(t, w, ds, 6); got != "ABCABC" {
		t.Errorf("after change %s", got)
	}
}

func TestHash32Vectors(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		bucket, leg uint32
		dest        int
	}{
		{"10.0.0.1", 39, 177, 2},
		{"10.0.0.2", 137, 98, 1},
		{"192.168.1.77", 144, 61, 0},
	} {
		a := netip.MustParseAddr(tc.addr)
		if got := hash32(fold(a), 8); got != tc.bucket {
			t.Errorf("hash_32(%s) = %d, want %d", tc.addr, got, tc.bucket)
		}
		if got := (fold(a) * 2654435761) & 255; got != tc.leg {
			t.Errorf("legacy(%s) = %d, want %d", tc.addr, got, tc.leg)
		}
		conn := ConnInfo{Src: netip.AddrPortFrom(a, 4321)}
		if i, ok := (SH{}).Schedule(mk(1, 2, 1), conn); !ok || i != tc.dest {
			t.Errorf("sh [1,2,1] %s -> %d %v, want %d", tc.addr, i, ok, tc.dest)
		}
	}
}

func TestSHTableFill(t *testing.T) {
	tab := SHTable(mk(1, 2, 1))
	want := []int{0, 1, 1, 2, 0, 1, 1, 2}
	for i, w := range want {
		if tab[i] != w {
			t.Fatalf("bucket %d = %d, want %d (%v)", i, tab[i], w, tab[:8])
		}
	}
	tab = SHTable(mk(3, 0, 1))
	want = []int{0, 0, 0, 1, 2, 0, 0, 0, 1, 2}
	for i, w := range want {
		if tab[i] != w {
			t.Fatalf("weight 0 takes one bucket: %v", tab[:10])
		}
	}
}

func TestSiphashVectors(t *testing.T) {
	// Reference SipHash-2-4 vectors: key 00..0f, message 00..len-1.
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got := sipHash(2, 4, k0, k1, nil); got != 0x726fdb47dd0e0e31 {
		t.Errorf("empty: %#x", got)
	}
	if got := sipHash(2, 4, k0, k1, msg); got != 0xa129ca6149be45e5 {
		t.Errorf("15 bytes: %#x", got)
	}
}

// TestHsiphashVectors checks the mh scheduler's hash, the kernel's hsiphash
// on 64-bit kernels (SipHash-1-3 truncated to 32 bits), against the
// kernel's own self-test vectors (lib/siphash_kunit.c, BITS_PER_LONG 64):
// key 00..0f, message 00..len-1.
func TestHsiphashVectors(t *testing.T) {
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	want := []uint32{
		0x050fc4dc, 0x7d57ca93, 0x4dc7d44d, 0xe7ddf7fb, 0x88d38328, 0x49533b67, 0xc59f22a7, 0x9bb11140,
		0x8d299a8e, 0x6c063de4, 0x92ff097f, 0xf94dc352, 0x57b4d9a2, 0x1229ffa7, 0xc0f95d34, 0x2a519956,
		0x7d908b66, 0x63dbd80c, 0xb473e63e, 0x8d297d1c, 0xa6cce040, 0x2b45f844, 0xa320872e, 0xdae6c123,
		0x67349c8c, 0x705b0979, 0xca9913a5, 0x4ade3b35, 0xef6cd00d, 0x4ab1e1f4, 0x43c5e663, 0x8c21d1bc,
		0x16a7b60d, 0x7a8ff9bf, 0x1f2a753e, 0xbf186b91, 0xada26206, 0xa3c33057, 0xae3a36a1, 0x7b108392,
		0x99e41531, 0x3f1ad944, 0xc8138825, 0xc28949a6, 0xfaf8876b, 0x9f042196, 0x68b1d623, 0x8b5114fd,
		0xdf074c46, 0x12cc86b3, 0x0a52098f, 0x9d292f9a, 0xa2f41f12, 0x43a71ed0, 0x73f0bce6, 0x70a7e980,
		0x243c6d75, 0xfdb71513, 0xa67d8a08, 0xb7e8f148, 0xf7a644ee, 0x0f1837f2, 0x4b6694e0, 0xb7bbb3a8,
	}
	msg := make([]byte, len(want))
	for i := range msg {
		msg[i] = byte(i)
	}
	for n, w := range want {
		if got := uint32(sipHash(1, 3, k0, k1, msg[:n])); got != w {
			t.Errorf("hsiphash of %d bytes = %#08x, want %#08x", n, got, w)
		}
	}
	// hsiphash_1u32, as ip_vs_mh.c calls it: the 4-byte vector.
	if got := hsiphash32(0x03020100, k0, k1); got != want[4] {
		t.Errorf("hsiphash_1u32 = %#08x, want %#08x", got, want[4])
	}
}
