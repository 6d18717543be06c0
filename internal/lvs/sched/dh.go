package sched

const hashTabBits = 8 // dh and sh: 256 buckets

// DH is destination hashing: 256 buckets filled with the destinations in list
// order, one bucket each, round-robin (weights ignored), looked up by
// hash_32(fold(daddr), 8). An unavailable bucket owner means no destination.
type DH struct{}

func (DH) Name() string { return "dh" }

// DHBucket is the bucket index for a destination address.
func DHBucket(conn ConnInfo) int { return int(hash32(fold(conn.Dst.Addr()), hashTabBits)) }

func (DH) Schedule(dests []*Dest, conn ConnInfo) (int, bool) {
	if len(dests) == 0 {
		return -1, false
	}
	i := DHBucket(conn) % len(dests)
	if d := dests[i]; d.Weight <= 0 || d.Overloaded {
		return -1, false
	}
	return i, true
}
