package sched

// SH is source hashing. The 256-bucket table gives each destination, in list
// order, Weight consecutive buckets (at least one), wrapping around the list.
type SH struct {
	// Port adds the client source port to the hash (sh-port, flag-2).
	Port bool
	// Fallback re-probes the table when the owner is unavailable
	// (sh-fallback, flag-1).
	Fallback bool
}

func (SH) Name() string { return "sh" }

// SHTable returns the 256-entry bucket table as indexes into dests
// (all -1 when dests is empty).
func SHTable(dests []*Dest) [1 << hashTabBits]int {
	var t [1 << hashTabBits]int
	p, count := 0, int32(0)
	for b := range t {
		if len(dests) == 0 {
			t[b] = -1
			continue
		}
		t[b] = p
		count++
		if count >= dests[p].Weight {
			p, count = (p+1)%len(dests), 0
		}
	}
	return t
}

func (s SH) key(conn ConnInfo) uint32 {
	v := fold(conn.Src.Addr())
	if s.Port {
		v += uint32(conn.Src.Port())
	}
	return hash32(v, hashTabBits)
}

func (s SH) Schedule(dests []*Dest, conn ConnInfo) (int, bool) {
	if len(dests) == 0 {
		return -1, false
	}
	t := SHTable(dests)
	const mask = 1<<hashTabBits - 1
	ihash := s.key(conn) & mask
	i := t[ihash]
	if available(dests[i]) {
		return i, true
	}
	if !s.Fallback {
		return -1, false
	}
	for off := uint32(0); off <= mask; off++ {
		roff := (off + ihash) & mask
		if i := t[(roff+ihash)&mask]; available(dests[i]) {
			return i, true
		}
	}
	return -1, false
}

// available is the sh/mh/dh test: weight > 0 and not overloaded.
func available(d *Dest) bool { return d.Weight > 0 && !d.Overloaded }
