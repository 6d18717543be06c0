package shard

import "math/big"

// PartitionByHashMod: single quotes become spaces, the value is trimmed,
// then Wang/Jenkins(String.hashCode()) in absolute value is reduced by
// count, with a mask when count is a power of two.
type PartitionByHashMod struct {
	count      int32
	powerOfTwo bool
}

var _ Function = (*PartitionByHashMod)(nil)

func newPartitionByHashMod(p *props, _ Env) (Function, error) {
	count, err := p.positiveInt32("count", 0, true)
	if err != nil {
		return nil, err
	}
	return &PartitionByHashMod{count: count, powerOfTwo: count&(count-1) == 0}, nil
}

// wangJenkinsHash is PartitionByHashMod.hash with Java int arithmetic.
func wangJenkinsHash(key int32) int32 {
	key = (^key) + (key << 21)
	key ^= key >> 24
	key = (key + (key << 3)) + (key << 8)
	key ^= key >> 14
	key = (key + (key << 2)) + (key << 4)
	key ^= key >> 28
	key += key << 31
	return key
}

func (f *PartitionByHashMod) Calculate(value string) (int, error) {
	cleaned := javaTrim(replaceQuotes(value))
	h := wangJenkinsHash(javaStringHashCode(cleaned))
	abs := new(big.Int).Abs(big.NewInt(int64(h)))
	if f.powerOfTwo {
		// BigInteger.intValue() keeps the low 32 bits.
		return int(int32(abs.Int64()) & (f.count - 1)), nil
	}
	return int(abs.Mod(abs, big.NewInt(int64(f.count))).Int64()), nil
}

func replaceQuotes(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\'' {
			b[i] = ' '
		}
	}
	return string(b)
}

// CalculateRange: a hash cannot narrow a range.
func (f *PartitionByHashMod) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

// PartitionNum is count (Mycat's RuleFunctionSuitTableTest expects 3 for count=3).
func (f *PartitionByHashMod) PartitionNum() int { return int(f.count) }
