package sched

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
