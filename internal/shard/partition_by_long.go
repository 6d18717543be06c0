package shard

// PartitionByLong is Mycat's "fixed hash" (func1): Long.parseLong(v) picks
// one of 1024 slots through the partitionCount/partitionLength table.
//
// Since Mycat 1.6.7.4 the key is folded first, key ^= key >>> 32, which
// moves negative keys and keys >= 2^32. Set the extra property
// legacyHash="true" to place rows like Mycat before 1.6.7.4 (slot =
// key & 1023 with no fold), e.g. for data written by an older Mycat.
type PartitionByLong struct {
	table  *segmentTable
	legacy bool
}

var _ Function = (*PartitionByLong)(nil)

func newPartitionByLong(p *props, _ Env) (Function, error) {
	table, err := newSegmentTable(p)
	if err != nil {
		return nil, err
	}
	legacy := false
	switch v := p.str("legacyHash", "false"); v {
	case "true":
		legacy = true
	case "false":
	default:
		return nil, configError(p.class, "legacyHash", "%q: want true or false", v)
	}
	return &PartitionByLong{table: table, legacy: legacy}, nil
}

func (f *PartitionByLong) Calculate(value string) (int, error) {
	key, err := javaParseLong(value)
	if err != nil {
		return 0, noPartition("PartitionByLong", value, "not a long: %v", err)
	}
	if !f.legacy {
		key ^= int64(uint64(key) >> 32)
	}
	return f.table.partition(key), nil
}

func (f *PartitionByLong) CalculateRange(begin, end string) ([]int, bool, error) {
	return sequenceRange("PartitionByLong", f.Calculate, begin, end)
}

func (f *PartitionByLong) PartitionNum() int { return f.table.partitions }
