package sched

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
