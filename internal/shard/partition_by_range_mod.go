package shard

import "math/big"

// PartitionByRangeMod is Mycat's rang-mod: mapFile lines
// "start-end=groupSize" (K/M units). A value in line k goes to
// (sum of earlier group sizes) + |v| mod groupSize; first match wins.
type PartitionByRangeMod struct {
	ranges      []longRange // node holds the group size
	defaultNode int32
}

var _ Function = (*PartitionByRangeMod)(nil)

func newPartitionByRangeMod(p *props, env Env) (Function, error) {
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
	for _, r := range ranges {
		if r.node <= 0 {
			return nil, configError(p.class, "mapFile", "%s: group size %d for %d-%d: want a positive size", name, r.node, r.start, r.end)
		}
	}
	return &PartitionByRangeMod{ranges: ranges, defaultNode: defaultNode}, nil
}

// find returns the first range holding value and the index of its group's
// first partition.
func (f *PartitionByRangeMod) find(value string) (longRange, int, bool, error) {
	v, err := javaParseLong(value)
	if err != nil {
		return longRange{}, 0, false, noPartition("PartitionByRangeMod", value, "not a long: %v", err)
	}
	first := 0
	for _, r := range f.ranges {
		if v >= r.start && v <= r.end {
			return r, first, true, nil
		}
		first += int(r.node)
	}
	return longRange{}, 0, false, nil
}

func (f *PartitionByRangeMod) noRange(value string) (int, error) {
	if f.defaultNode >= 0 {
		return int(f.defaultNode), nil
	}
	return 0, nullPartition("PartitionByRangeMod", value, "outside every range and no defaultNode")
}

func (f *PartitionByRangeMod) Calculate(value string) (int, error) {
	r, first, ok, err := f.find(value)
	if err != nil {
		return 0, err
	}
	if !ok {
		idx, err := f.noRange(value)
		if err != nil {
			return 0, err
		}
		return checkIndex("PartitionByRangeMod", value, idx)
	}
	n, _ := javaBigInteger(value) // parsed as a long above
	n.Abs(n)
	return first + int(n.Mod(n, big.NewInt(int64(r.node))).Int64()), nil
}

// CalculateRange spans from the first partition of begin's group to the
// last partition of end's group. A reversed range is Mycat's null: no node.
func (f *PartitionByRangeMod) CalculateRange(begin, end string) ([]int, bool, error) {
	edge := func(value string, last bool) (int, error) {
		r, first, ok, err := f.find(value)
		if err != nil {
			return 0, err
		}
		if !ok {
			return f.noRange(value)
		}
		if last {
			return first + int(r.node) - 1, nil
		}
		return first, nil
	}
	b, err := edge(begin, false)
	if err != nil {
		if isNullPartition(err) {
			return nil, true, nil
		}
		return nil, false, err
	}
	e, err := edge(end, true)
	if err != nil {
		if isNullPartition(err) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return indexSpan("PartitionByRangeMod", begin, b, e, false)
}

func (f *PartitionByRangeMod) PartitionNum() int {
	n := 0
	for _, r := range f.ranges {
		n += int(r.node)
	}
	return n
}
