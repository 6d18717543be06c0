package shard

// PartitionByFileMap is Mycat's enumeration map (the shipped "hash-int"):
// mapFile lines "key=node". With type=0 (the default) keys and values are
// compared as Java ints, otherwise as raw strings. Lines that do not parse
// are silently skipped, as Mycat does. A missing key goes to defaultNode
// when it is >= 0; in string mode a "DEFAULT_NODE=n" line in the file also
// acts as the default (the property wins).
type PartitionByFileMap struct {
	intKeys  bool
	byInt    map[int32]int32
	byString map[string]int32
	// defaultNode is valid when hasDefault.
	defaultNode int32
	hasDefault  bool
	partitions  int
}

var _ Function = (*PartitionByFileMap)(nil)

const fileMapDefaultKey = "DEFAULT_NODE"

func newPartitionByFileMap(p *props, env Env) (Function, error) {
	kind, err := p.int32("type", 0)
	if err != nil {
		return nil, err
	}
	defaultNode, err := p.int32("defaultNode", -1)
	if err != nil {
		return nil, err
	}
	_, data, err := p.readFile(env, "mapFile")
	if err != nil {
		return nil, err
	}
	f := parseFileMap(data, kind == 0)
	if defaultNode >= 0 {
		f.defaultNode, f.hasDefault = defaultNode, true
		if !f.intKeys {
			f.byString[fileMapDefaultKey] = defaultNode
		}
	}
	f.partitions = f.countPartitions()
	return f, nil
}

func parseFileMap(data []byte, intKeys bool) *PartitionByFileMap {
	f := &PartitionByFileMap{intKeys: intKeys, byInt: map[int32]int32{}, byString: map[string]int32{}}
	for _, l := range parseMapLines(data) {
		node, err := javaParseInt(l.value)
		if err != nil {
			continue
		}
		if intKeys {
			key, err := javaParseInt(l.key)
			if err != nil {
				continue
			}
			f.byInt[key] = node
		} else {
			f.byString[l.key] = node
		}
	}
	if !intKeys {
		if node, ok := f.byString[fileMapDefaultKey]; ok {
			f.defaultNode, f.hasDefault = node, true
		}
	}
	return f
}

// countPartitions is getPartitionNum: distinct node values, default included.
func (f *PartitionByFileMap) countPartitions() int {
	seen := map[int32]bool{}
	for _, n := range f.byInt {
		seen[n] = true
	}
	for _, n := range f.byString {
		seen[n] = true
	}
	if f.hasDefault {
		seen[f.defaultNode] = true
	}
	return len(seen)
}

func (f *PartitionByFileMap) Calculate(value string) (int, error) {
	var node int32
	var ok bool
	if f.intKeys {
		key, err := javaParseInt(value)
		if err != nil {
			return 0, noPartition("PartitionByFileMap", value, "not an int (type=0 compares ints): %v", err)
		}
		node, ok = f.byInt[key]
	} else {
		node, ok = f.byString[value]
	}
	if !ok {
		if !f.hasDefault {
			return 0, nullPartition("PartitionByFileMap", value, "not in the map and no defaultNode")
		}
		node = f.defaultNode
	}
	return checkIndex("PartitionByFileMap", value, int(node))
}

// CalculateRange: an enumeration cannot narrow a range.
func (f *PartitionByFileMap) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByFileMap) PartitionNum() int { return f.partitions }
