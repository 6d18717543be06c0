package sched

// WLC is weighted least-connection, the ipvsadm default.
type WLC struct{}

func (WLC) Name() string { return "wlc" }

func (WLC) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	i := wlcPick(dests, func(d *Dest) int64 { return int64(d.Overhead()) })
	return i, i >= 0
}

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
