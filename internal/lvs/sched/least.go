package sched

// LC is least-connection: the minimum overhead among destinations that are
// not overloaded and have a non-zero weight; weight is otherwise ignored.
type LC struct{}

func (LC) Name() string { return "lc" }

func (LC) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	best, boh := -1, int32(0)
	for i, d := range dests {
		if d.Overloaded || d.Weight == 0 {
			continue
		}
		if oh := d.Overhead(); best < 0 || oh < boh {
			best, boh = i, oh
		}
	}
	return best, best >= 0
}

// WLC is weighted least-connection, the ipvsadm default.
type WLC struct{}

func (WLC) Name() string { return "wlc" }

func (WLC) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	i := wlcPick(dests, func(d *Dest) int64 { return int64(d.Overhead()) })
	return i, i >= 0
}

// SED is shortest expected delay: wlc with overhead = active + 1.
type SED struct{}

func (SED) Name() string { return "sed" }

func (SED) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	i := wlcPick(dests, sedOverhead)
	return i, i >= 0
}

func sedOverhead(d *Dest) int64 { return int64(d.ActiveConns + 1) }

// wlcPick is the loop shared by wlc, sed, lblc and lblcr: the first
// non-overloaded destination with weight > 0 starts, and a later
// non-overloaded one replaces it only when strictly less loaded.
func wlcPick(dests []*Dest, overhead func(*Dest) int64) int {
	best := -1
	var boh int64
	for i, d := range dests {
		if d.Overloaded {
			continue
		}
		if best < 0 {
			if d.Weight > 0 {
				best, boh = i, overhead(d)
			}
			continue
		}
		if oh := overhead(d); lessLoaded(boh, dests[best].Weight, oh, d.Weight) {
			best, boh = i, oh
		}
	}
	return best
}

// NQ is never-queue: the first idle destination (no active connections),
// otherwise the sed minimum.
type NQ struct{}

func (NQ) Name() string { return "nq" }

func (NQ) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	best := -1
	var boh int64
	for i, d := range dests {
		if d.Overloaded || d.Weight == 0 {
			continue
		}
		oh := sedOverhead(d)
		if d.ActiveConns == 0 {
			return i, true
		}
		if best < 0 || lessLoaded(boh, dests[best].Weight, oh, d.Weight) {
			best, boh = i, oh
		}
	}
	return best, best >= 0
}

// FO is weighted failover: the first destination with the highest weight.
type FO struct{}

func (FO) Name() string { return "fo" }

func (FO) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	best, hw := -1, int32(0)
	for i, d := range dests {
		if !d.Overloaded && d.Weight > hw {
			best, hw = i, d.Weight
		}
	}
	return best, best >= 0
}

// OVF is weighted overflow: the weight is an active-connection capacity;
// among destinations with active <= weight, the first highest weight wins.
type OVF struct{}

func (OVF) Name() string { return "ovf" }

func (OVF) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	best := -1
	for i, d := range dests {
		if d.Overloaded || d.ActiveConns > d.Weight || d.Weight == 0 {
			continue
		}
		if best < 0 || d.Weight > dests[best].Weight {
			best = i
		}
	}
	return best, best >= 0
}
