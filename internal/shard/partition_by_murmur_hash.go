package shard

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/shardcat/shardcat/internal/javaprops"
)

// PartitionByMurmurHash is Mycat's consistent-hash ring. For node i the
// ring keys are the hashes of the cumulative names "SHARD-i-NODE-0",
// "SHARD-i-NODE-0-NODE-1", ... (Mycat 1.6 appends to one StringBuilder;
// Mycat2 does not, and places rows differently). Keys are ordered as signed
// ints, a later node overwrites an earlier one on collision, and a value
// goes to the first key >= its hash, wrapping to the smallest key.
// weightMapFile (a properties file "node=weight") multiplies a node's
// virtual buckets; weights <= 0 count as 1.
type PartitionByMurmurHash struct {
	seed  int32
	count int32
	keys  []int32 // ascending
	nodes []int32 // nodes[i] owns keys[i]
}

var _ Function = (*PartitionByMurmurHash)(nil)

// maxMurmurBuckets bounds the ring's memory (Mycat would run out of heap).
const maxMurmurBuckets = 1 << 22

func newPartitionByMurmurHash(p *props, env Env) (Function, error) {
	seed, err := p.int32("seed", 0)
	if err != nil {
		return nil, err
	}
	count, err := p.positiveInt32("count", 0, true)
	if err != nil {
		return nil, err
	}
	times, err := p.int32("virtualBucketTimes", 160)
	if err != nil {
		return nil, err
	}
	weights := map[int32]int32{}
	if v, ok := p.lookup("weightMapFile"); ok && v != "" {
		name, data, err := p.readFile(env, "weightMapFile")
		if err != nil {
			return nil, err
		}
		if weights, err = parseMurmurWeights(string(data)); err != nil {
			return nil, configError(p.class, "weightMapFile", "%s: %v", name, err)
		}
	}
	total := int64(0)
	for i := int32(0); i < count; i++ {
		w, ok := weights[i]
		if !ok {
			w = 1
		}
		if n := times * w; n > 0 { // int arithmetic, as in Java
			total += int64(n)
		}
	}
	if total > maxMurmurBuckets {
		return nil, configError(p.class, "virtualBucketTimes", "%d virtual buckets in all; at most %d are supported", total, maxMurmurBuckets)
	}
	f := buildMurmurRing(seed, count, times, weights)
	if len(f.keys) == 0 {
		return nil, configError(p.class, "virtualBucketTimes", "%d leaves the hash ring empty", times)
	}
	return f, nil
}

// parseMurmurWeights reads "node=weight" pairs with Properties rules;
// both sides must be Java ints.
func parseMurmurWeights(text string) (map[int32]int32, error) {
	entries, err := javaprops.Parse(text)
	if err != nil {
		return nil, err
	}
	weights := map[int32]int32{}
	for _, e := range entries {
		w, err := javaParseInt(e.Value)
		if err != nil {
			return nil, fmt.Errorf("weight %q for node %q is not an int", e.Value, e.Key)
		}
		node, err := javaParseInt(e.Key)
		if err != nil {
			return nil, fmt.Errorf("node %q is not an int", e.Key)
		}
		if w <= 0 {
			w = 1
		}
		weights[node] = w
	}
	return weights, nil
}

func buildMurmurRing(seed, count, times int32, weights map[int32]int32) *PartitionByMurmurHash {
	ring := map[int32]int32{}
	for i := int32(0); i < count; i++ {
		w, ok := weights[i]
		if !ok {
			w = 1
		}
		// The name only grows, so the hash state is extended, not redone.
		h := newMurmur3(seed)
		h.writeChars(utf16Units("SHARD-" + strconv.Itoa(int(i))))
		for n := int32(0); n < times*w; n++ {
			h.writeChars(utf16Units("-NODE-" + strconv.Itoa(int(n))))
			ring[h.sum()] = i
		}
	}
	f := &PartitionByMurmurHash{seed: seed, count: count}
	for k := range ring {
		f.keys = append(f.keys, k)
	}
	sort.Slice(f.keys, func(a, b int) bool { return f.keys[a] < f.keys[b] })
	f.nodes = make([]int32, len(f.keys))
	for i, k := range f.keys {
		f.nodes[i] = ring[k]
	}
	return f
}

func (f *PartitionByMurmurHash) Calculate(value string) (int, error) {
	h := murmurHashChars(f.seed, value)
	i := sort.Search(len(f.keys), func(i int) bool { return f.keys[i] >= h })
	if i == len(f.keys) {
		i = 0
	}
	return int(f.nodes[i]), nil
}

// CalculateRange: a hash cannot narrow a range.
func (f *PartitionByMurmurHash) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByMurmurHash) PartitionNum() int { return int(f.count) }
