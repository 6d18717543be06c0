package sched

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Dest is one real server as the scheduler sees it at one instant.
type Dest struct {
	Addr   netip.Addr
	Port   uint16
	Weight int32 // 0 = quiesced: no new connections

	ActiveConns int32 // ESTABLISHED TCP connections
	InactConns  int32 // every other connection (including all UDP)

	// Overloaded is IP_VS_DEST_F_OVERLOAD: the destination is skipped.
	// Maintain it with OverloadAfterBind / OverloadAfterUnbind.
	Overloaded bool

	UpperThreshold uint32 // 0 = no upper connection threshold
	LowerThreshold uint32 // 0 = clear at 75% of UpperThreshold
}

// Key identifies a destination inside a service.
func (d *Dest) Key() netip.AddrPort { return netip.AddrPortFrom(d.Addr, d.Port) }

// Overhead is the kernel's connection overhead: (active << 8) + inactive,
// computed in 32-bit int arithmetic like ip_vs_dest_conn_overhead.
func (d *Dest) Overhead() int32 { return d.ActiveConns<<8 + d.InactConns }

func (d *Dest) totalConns() int64 { return int64(d.ActiveConns) + int64(d.InactConns) }

// OverloadAfterBind returns the overload flag after a connection was bound
// to d (d's counters already include it): set when total >= upper threshold.
func (d *Dest) OverloadAfterBind() bool {
	if d.UpperThreshold != 0 && d.totalConns() >= int64(d.UpperThreshold) {
		return true
	}
	return d.Overloaded
}

// OverloadAfterUnbind returns the overload flag after a connection left d
// (d's counters already exclude it). With a lower threshold the flag clears
// below it; otherwise with an upper threshold it clears below 75% of it;
// with no thresholds it clears at once.
func (d *Dest) OverloadAfterUnbind() bool {
	total := d.totalConns()
	switch {
	case d.LowerThreshold != 0:
		if total < int64(d.LowerThreshold) {
			return false
		}
	case d.UpperThreshold != 0:
		if total*4 < int64(d.UpperThreshold)*3 {
			return false
		}
	default:
		return false
	}
	return d.Overloaded
}

// ConnInfo describes the first packet of a connection being scheduled.
type ConnInfo struct {
	Src netip.AddrPort // client address and port (sh, mh)
	Dst netip.AddrPort // packet destination (dh, lblc, lblcr)
	// Now is a monotonic timestamp standing in for jiffies (lblc, lblcr).
	Now time.Duration
}

// Scheduler picks a destination for a new connection. dests is in list
// order; ok is false when no destination is available.
type Scheduler interface {
	Name() string
	Schedule(dests []*Dest, conn ConnInfo) (index int, ok bool)
}

// hash32 is the kernel's hash_32: multiply by GOLDEN_RATIO_32, keep the top bits.
func hash32(v uint32, bits uint) uint32 { return (v * 0x61C88647) >> (32 - bits) }

// fold is ntohl(addr) for IPv4 and the XOR of the four 32-bit words for IPv6.
func fold(a netip.Addr) uint32 {
	if a.Is4() {
		b := a.As4()
		return binary.BigEndian.Uint32(b[:])
	}
	b := a.As16()
	return binary.BigEndian.Uint32(b[0:]) ^ binary.BigEndian.Uint32(b[4:]) ^
		binary.BigEndian.Uint32(b[8:]) ^ binary.BigEndian.Uint32(b[12:])
}

// lessLoaded reports whether a candidate with overhead coh and weight cw is
// strictly less loaded than the current best (boh, bw): boh*cw > coh*bw.
func lessLoaded(boh int64, bw int32, coh int64, cw int32) bool {
	return boh*int64(cw) > coh*int64(bw)
}

// indexOf finds the destination with key k, or -1.
func indexOf(dests []*Dest, k netip.AddrPort) int {
	for i, d := range dests {
		if d.Addr == k.Addr() && d.Port == k.Port() {
			return i
		}
	}
	return -1
}

func gcd(a, b int32) int32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
