package shard

// PartitionByJumpConsistentHash is Lamping-Veach jump hash applied to the
// value's Java String.hashCode() (sign-extended), not to its number.
type PartitionByJumpConsistentHash struct {
	totalBuckets int32
}

var _ Function = (*PartitionByJumpConsistentHash)(nil)

func newPartitionByJumpConsistentHash(p *props, _ Env) (Function, error) {
	buckets, err := p.positiveInt32("totalBuckets", 0, true)
	if err != nil {
		return nil, err
	}
	return &PartitionByJumpConsistentHash{totalBuckets: buckets}, nil
}

func jumpConsistentHash(key int64, buckets int32) int32 {
	const multiplier = 2862933555777941757
	b, j := int64(-1), int64(0)
	for j < int64(buckets) {
		b = j
		key = key*multiplier + 1
		j = javaDoubleToLong(float64(b+1) * (float64(int64(1)<<31) / float64(int64(uint64(key)>>33)+1)))
	}
	return int32(b)
}

func (f *PartitionByJumpConsistentHash) Calculate(value string) (int, error) {
	return int(jumpConsistentHash(int64(javaStringHashCode(value)), f.totalBuckets)), nil
}

// CalculateRange: a hash cannot narrow a range.
func (f *PartitionByJumpConsistentHash) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByJumpConsistentHash) PartitionNum() int { return int(f.totalBuckets) }
