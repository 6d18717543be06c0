package sched

import "math/rand/v2"

// TWOS is power-of-two-choices: two weighted random draws, keep the less
// loaded. Rand supplies the kernel's get_random_u32; nil uses math/rand/v2.
type TWOS struct {
	Rand func() uint32
}

func (*TWOS) Name() string { return "twos" }

func (t *TWOS) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	var total int64
	for _, d := range dests {
		if !d.Overloaded && d.Weight > 0 {
			total += int64(d.Weight)
		}
	}
	if total == 0 {
		return -1, false
	}
	total++ // draws are inclusive of the sum
	rnd := t.Rand
	if rnd == nil {
		rnd = rand.Uint32
	}
	r1 := int64(rnd()) % total
	r2 := int64(rnd()) % total
	c1, c2 := -1, -1
	for i, d := range dests {
		if d.Overloaded || d.Weight <= 0 {
			continue
		}
		r1 -= int64(d.Weight)
		r2 -= int64(d.Weight)
		if r1 <= 0 && c1 < 0 {
			c1 = i
		}
		if r2 <= 0 && c2 < 0 {
			c2 = i
		}
		if c1 >= 0 && c2 >= 0 {
			break
		}
	}
	a, b := dests[c1], dests[c2]
	if int64(b.Weight)*int64(a.Overhead()) > int64(a.Weight)*int64(b.Overhead()) {
		return c2, true
	}
	return c1, true
}
