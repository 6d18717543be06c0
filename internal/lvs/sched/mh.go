package sched

import (
	"math/bits"
	"net/netip"
)

// MHPrimes are the table sizes the kernel offers, for CONFIG_IP_VS_MH_TAB_INDEX 8..17.
var MHPrimes = [...]int{251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071}

const (
	mhKey1 = 2654435761
	mhKey2 = 2654446892
)

// MH is Maglev hashing. The lookup table is rebuilt when the list of
// destinations or their last non-zero weights change; setting a weight to 0
// keeps the table (consistent draining).
type MH struct {
	// TabIndex is CONFIG_IP_VS_MH_TAB_INDEX (8..17); 0 means 12 (M = 4093).
	TabIndex int
	Port     bool // mh-port (flag-2): hash the source port too
	Fallback bool // mh-fallback (flag-1): re-probe when the owner is unavailable

	lastWeight map[netip.AddrPort]int32
	keys       []netip.AddrPort // list order the table was built for
	weights    []int32          // last weights the table was built for
	table      []int32          // index into keys, -1 = empty
}

func (*MH) Name() string { return "mh" }

func (m *MH) size() (size, tabBits int) {
	idx := m.TabIndex
	if idx == 0 {
		idx = 12
	}
	return MHPrimes[idx-8], idx / 2
}

func mhHash(a netip.Addr, port uint16, offset uint32, k uint64) uint32 {
	return hsiphash32(offset+uint32(port)+fold(a), k, k)
}

// update tracks last_weight and rebuilds the table when needed.
func (m *MH) update(dests []*Dest) {
	if m.lastWeight == nil {
		m.lastWeight = make(map[netip.AddrPort]int32)
	}
	changed := len(dests) != len(m.keys) || m.table == nil
	for i, d := range dests {
		k := d.Key()
		lw, seen := m.lastWeight[k]
		if !seen || d.Weight != 0 {
			lw = d.Weight
			m.lastWeight[k] = lw
		}
		if !changed && (m.keys[i] != k || m.weights[i] != lw) {
			changed = true
		}
	}
	if !changed {
		return
	}
	// Forget the last weights of dests that left the service.
	live := make(map[netip.AddrPort]bool, len(dests))
	for _, d := range dests {
		live[d.Key()] = true
	}
	for k := range m.lastWeight {
		if !live[k] {
			delete(m.lastWeight, k)
		}
	}
	size, _ := m.size()
	if len(dests) > size {
		return // the kernel refuses (-EINVAL) and keeps the old table
	}
	m.keys = m.keys[:0]
	m.weights = m.weights[:0]
	for _, d := range dests {
		m.keys = append(m.keys, d.Key())
		m.weights = append(m.weights, m.lastWeight[d.Key()])
	}
	m.build()
}

func (m *MH) build() {
	size, tabBits := m.size()
	if m.table == nil {
		m.table = make([]int32, size)
	}
	for i := range m.table {
		m.table[i] = -1
	}
	var g, maxw int32
	for _, w := range m.weights {
		if w > 0 {
			if g > 0 {
				g = gcd(w, g)
			} else {
				g = w
			}
		}
		maxw = max(maxw, w)
	}
	if g < 1 {
		return
	}
	shift := max(bits.Len32(uint32(maxw/g))-tabBits, 0)
	n := len(m.keys)
	perm := make([]int, n)
	skip := make([]int, n)
	turns := make([]int32, n)
	for i, k := range m.keys {
		perm[i] = int(mhHash(k.Addr(), k.Port(), 0, mhKey1) % uint32(size))
		skip[i] = int(mhHash(k.Addr(), k.Port(), 0, mhKey2)%uint32(size-1)) + 1
		lw := m.weights[i]
		turns[i] = (lw / g) >> shift
		if turns[i] == 0 && lw != 0 {
			turns[i] = 1
		}
	}
	taken := make([]bool, size)
	filled, count := 0, int32(0)
	for filled < size {
		for i := 0; i < n; {
			if turns[i] < 1 {
				i++
				continue
			}
			c := perm[i]
			for taken[c] {
				perm[i] += skip[i]
				if perm[i] >= size {
					perm[i] -= size
				}
				c = perm[i]
			}
			taken[c] = true
			m.table[c] = int32(i)
			if filled++; filled == size {
				return
			}
			if count++; count >= turns[i] {
				count = 0
				i++
			}
		}
	}
}

// Table returns the lookup table as indexes into the last snapshot (-1 = empty).
func (m *MH) Table(dests []*Dest) []int32 {
	m.update(dests)
	return append([]int32(nil), m.table...)
}

func (m *MH) Schedule(dests []*Dest, conn ConnInfo) (int, bool) {
	m.update(dests)
	size, _ := m.size()
	var port uint16
	if m.Port {
		port = conn.Src.Port()
	}
	addr := conn.Src.Addr()
	lookup := func(offset uint32) (idx int, empty bool) {
		t := m.table[mhHash(addr, port, offset, mhKey1)%uint32(size)]
		if t < 0 {
			return -1, true
		}
		i := indexOf(dests, m.keys[t])
		if i < 0 || !available(dests[i]) {
			return -1, false
		}
		return i, false
	}
	i, empty := lookup(0)
	if i >= 0 || empty || !m.Fallback {
		return i, i >= 0
	}
	ihash := mhHash(addr, port, 0, mhKey1) % uint32(size)
	for off := uint32(0); off < uint32(size); off++ {
		i, empty := lookup((off + ihash) % uint32(size))
		if i >= 0 {
			return i, true
		}
		if empty {
			break
		}
	}
	return -1, false
}
