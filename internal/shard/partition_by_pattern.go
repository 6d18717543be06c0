package shard

// PartitionByPattern: a value of ASCII digits only is taken mod
// patternValue and looked up in mapFile's "start-end=node" lines (plain
// longs, no K/M units); anything else (including negative numbers) goes
// to defaultNode. The empty string counts as digits and fails to parse,
// as in Mycat.
type PartitionByPattern struct {
	patternValue int32
	defaultNode  int32
	ranges       []longRange
}

var _ Function = (*PartitionByPattern)(nil)

func newPartitionByPattern(p *props, env Env) (Function, error) {
	patternValue, err := p.int32("patternValue", 1024)
	if err != nil {
		return nil, err
	}
	if patternValue == 0 {
		return nil, configError(p.class, "patternValue", "must not be 0")
	}
	defaultNode, err := p.int32("defaultNode", 0)
	if err != nil {
		return nil, err
	}
	name, data, err := p.readFile(env, "mapFile")
	if err != nil {
		return nil, err
	}
	ranges, err := parseRangeMap(name, data, javaParseLong)
	if err != nil {
		return nil, configError(p.class, "mapFile", "%v", err)
	}
	return &PartitionByPattern{patternValue: patternValue, defaultNode: defaultNode, ranges: ranges}, nil
}

func isASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (f *PartitionByPattern) Calculate(value string) (int, error) {
	if !isASCIIDigits(value) {
		return checkIndex("PartitionByPattern", value, int(f.defaultNode))
	}
	v, err := javaParseLong(value)
	if err != nil {
		return 0, noPartition("PartitionByPattern", value, "not a long: %v", err)
	}
	hash := v % int64(f.patternValue)
	for _, r := range f.ranges {
		if hash >= r.start && hash <= r.end {
			return checkIndex("PartitionByPattern", value, int(r.node))
		}
	}
	return 0, nullPartition("PartitionByPattern", value, "%d mod %d is in no range", v, f.patternValue)
}

// CalculateRange: Mycat's PartitionByPattern cannot narrow a range.
func (f *PartitionByPattern) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByPattern) PartitionNum() int { return distinctNodes(f.ranges) }
