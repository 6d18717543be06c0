package sched

import (
	"net/netip"
	"testing"
)

func benchSched(b *testing.B, s Scheduler, n int) {
	ds := make([]*Dest, n)
	for i := range ds {
		ds[i] = &Dest{Addr: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Port: 80,
			Weight: int32(1 + i%5), ActiveConns: int32(i * 7 % 50), InactConns: int32(i * 13 % 300)}
	}
	c := ConnInfo{Src: netip.MustParseAddrPort("198.51.100.1:40000"), Dst: netip.MustParseAddrPort("192.0.2.1:80")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Src = netip.AddrPortFrom(c.Src.Addr(), uint16(i))
		s.Schedule(ds, c)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "picks/s")
}

func BenchmarkSchedulers(b *testing.B) {
	for _, name := range Names {
		s, _ := New(name, Flags{Port: true})
		b.Run(name, func(b *testing.B) { benchSched(b, s, 32) })
	}
}
