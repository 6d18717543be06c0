package shard

import "math/big"

// PartitionByMod is Mycat's mod-long: |BigInteger(v)| mod count. A value
// that is not an integer falls back to Math.abs(v.hashCode()) % count, as
// in Mycat 1.6.7.6 and later (#2619); Integer.MIN_VALUE's hash stays
// negative there and is an error.
type PartitionByMod struct {
	count int32
}

var _ Function = (*PartitionByMod)(nil)

func newPartitionByMod(p *props, _ Env) (Function, error) {
	count, err := p.positiveInt32("count", 0, true)
	if err != nil {
		return nil, err
	}
	return &PartitionByMod{count: count}, nil
}

func (f *PartitionByMod) Calculate(value string) (int, error) {
	if v, err := javaParseLong(value); err == nil {
		// Fast path, same result as BigInteger: |v| as unsigned fits MinInt64.
		abs := uint64(v)
		if v < 0 {
			abs = -abs
		}
		return int(abs % uint64(f.count)), nil
	}
	if n, err := javaBigInteger(value); err == nil {
		n.Abs(n)
		return int(n.Mod(n, big.NewInt(int64(f.count))).Int64()), nil
	}
	idx := javaAbs32(javaStringHashCode(value)) % f.count
	return checkIndex("PartitionByMod", value, int(idx))
}

// CalculateRange: Mycat's PartitionByMod cannot narrow a range.
func (f *PartitionByMod) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByMod) PartitionNum() int { return int(f.count) }
