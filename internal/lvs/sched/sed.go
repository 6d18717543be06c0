package sched

// SED is shortest expected delay: wlc with overhead = active + 1.
type SED struct{}

func (SED) Name() string { return "sed" }

func (SED) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	i := wlcPick(dests, sedOverhead)
	return i, i >= 0
}

func sedOverhead(d *Dest) int64 { return int64(d.ActiveConns + 1) }
