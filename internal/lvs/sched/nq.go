package sched

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
