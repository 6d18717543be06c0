package sched

import "net/netip"

// RR is round-robin. Its cursor is the last chosen destination; when that
// destination leaves the list the cursor moves to its nearest surviving
// predecessor (as deleting the cursor does in the kernel), or to the head.
type RR struct {
	cursor netip.AddrPort
	set    bool             // false: cursor at the list head
	prev   []netip.AddrPort // keys of the previous snapshot, to find predecessors
}

func (*RR) Name() string { return "rr" }

func (r *RR) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	start := r.cursorIndex(dests) // -1 = head
	r.remember(dests)
	n := len(dests)
	for k := 1; k <= n; k++ {
		i := (start + k) % n
		if start < 0 {
			i = k - 1
		}
		if d := dests[i]; !d.Overloaded && d.Weight > 0 {
			r.cursor, r.set = d.Key(), true
			return i, true
		}
	}
	return -1, false
}

func (r *RR) cursorIndex(dests []*Dest) int {
	if !r.set {
		return -1
	}
	if i := indexOf(dests, r.cursor); i >= 0 {
		return i
	}
	// The cursor was deleted: walk back through the old list.
	for j := len(r.prev) - 1; j >= 0; j-- {
		if r.prev[j] != r.cursor {
			continue
		}
		for j--; j >= 0; j-- {
			if i := indexOf(dests, r.prev[j]); i >= 0 {
				return i
			}
		}
		break
	}
	r.set = false
	return -1
}

func (r *RR) remember(dests []*Dest) {
	r.prev = r.prev[:0]
	for _, d := range dests {
		r.prev = append(r.prev, d.Key())
	}
}
