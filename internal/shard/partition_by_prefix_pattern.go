package shard

// PartitionByPrefixPattern sums the first prefixLength UTF-16 chars of the
// value, takes it mod patternValue and looks the result up in mapFile's
// "start-end=node" lines (K/M units allowed).
type PartitionByPrefixPattern struct {
	patternValue int32
	prefixLength int32
	ranges       []longRange
}

var _ Function = (*PartitionByPrefixPattern)(nil)

func newPartitionByPrefixPattern(p *props, env Env) (Function, error) {
	patternValue, err := p.int32("patternValue", 1024)
	if err != nil {
		return nil, err
	}
	if patternValue == 0 {
		return nil, configError(p.class, "patternValue", "must not be 0")
	}
	prefixLength, err := p.int32("prefixLength", 0)
	if err != nil {
		return nil, err
	}
	name, data, err := p.readFile(env, "mapFile")
	if err != nil {
		return nil, err
	}
	ranges, err := parseRangeMap(name, data, mycatParseLong)
	if err != nil {
		return nil, configError(p.class, "mapFile", "%v", err)
	}
	return &PartitionByPrefixPattern{patternValue: patternValue, prefixLength: prefixLength, ranges: ranges}, nil
}

func (f *PartitionByPrefixPattern) Calculate(value string) (int, error) {
	units := utf16Units(value)
	n := int(f.prefixLength)
	if len(units) < n {
		n = len(units)
	}
	var sum int32
	for i := 0; i < n; i++ {
		sum += int32(units[i])
	}
	hash := int64(sum % f.patternValue)
	for _, r := range f.ranges {
		if hash >= r.start && hash <= r.end {
			return checkIndex("PartitionByPrefixPattern", value, int(r.node))
		}
	}
	return 0, nullPartition("PartitionByPrefixPattern", value, "prefix sum mod %d = %d is in no range", f.patternValue, hash)
}

// CalculateRange: a prefix sum cannot narrow a range.
func (f *PartitionByPrefixPattern) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByPrefixPattern) PartitionNum() int { return distinctNodes(f.ranges) }
