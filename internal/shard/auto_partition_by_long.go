package shard

// AutoPartitionByLong is Mycat's rang-long: mapFile lines "start-end=node"
// with K (x1000) and M (x10,000) units, both ends inclusive, first match in
// file order wins; values outside every range go to defaultNode (>= 0) or
// cannot be placed.
type AutoPartitionByLong struct {
	ranges      []longRange
	defaultNode int32
}

var _ Function = (*AutoPartitionByLong)(nil)

func newAutoPartitionByLong(p *props, env Env) (Function, error) {
	defaultNode, err := p.int32("defaultNode", -1)
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
	return &AutoPartitionByLong{ranges: ranges, defaultNode: defaultNode}, nil
}

func (f *AutoPartitionByLong) place(value string) (int, error) {
	v, err := javaParseLong(value)
	if err != nil {
		return 0, noPartition("AutoPartitionByLong", value, "not a long: %v", err)
	}
	for _, r := range f.ranges {
		if v >= r.start && v <= r.end {
			return int(r.node), nil
		}
	}
	if f.defaultNode >= 0 {
		return int(f.defaultNode), nil
	}
	return 0, nullPartition("AutoPartitionByLong", value, "outside every range and no defaultNode")
}

func (f *AutoPartitionByLong) Calculate(value string) (int, error) {
	idx, err := f.place(value)
	if err != nil {
		return 0, err
	}
	return checkIndex("AutoPartitionByLong", value, idx)
}

func (f *AutoPartitionByLong) CalculateRange(begin, end string) ([]int, bool, error) {
	return sequenceRange("AutoPartitionByLong", f.place, begin, end)
}

func (f *AutoPartitionByLong) PartitionNum() int { return distinctNodes(f.ranges) }
