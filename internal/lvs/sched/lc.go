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
