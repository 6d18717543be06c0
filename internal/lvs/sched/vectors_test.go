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
