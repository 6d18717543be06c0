package shard

import "strings"

// PartitionByString hashes a slice of the value's UTF-16 chars
// (h = 31*h + c as a long, Mycat's StringUtil.hash) into the same 1024-slot
// table as PartitionByLong, without PartitionByLong's fold.
type PartitionByString struct {
	table      *segmentTable
	sliceStart int32
	sliceEnd   int32 // 0 means the length, -n means length-n
}

var _ Function = (*PartitionByString)(nil)

func newPartitionByString(p *props, _ Env) (Function, error) {
	table, err := newSegmentTable(p)
	if err != nil {
		return nil, err
	}
	f := &PartitionByString{table: table, sliceStart: 0, sliceEnd: 8}
	if v, ok := p.lookup("hashLength"); ok && v != "" {
		if f.sliceStart, f.sliceEnd, err = parseHashSlice(v); err != nil {
			return nil, configError(p.class, "hashLength", "%q: %v", v, err)
		}
	}
	if v, ok := p.lookup("hashSlice"); ok && v != "" {
		if f.sliceStart, f.sliceEnd, err = parseHashSlice(v); err != nil {
			return nil, configError(p.class, "hashSlice", "%q: %v", v, err)
		}
	}
	return f, nil
}

// parseHashSlice is PartitionByString.sequenceSlicing: "2" -> (0,2),
// "-2" -> (-2,0), "1:2" -> (1,2), "1:" -> (1,0), ":-1" -> (0,-1).
func parseHashSlice(s string) (int32, int32, error) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		n, err := javaParseInt(javaTrim(s))
		if err != nil {
			return 0, 0, err
		}
		if n >= 0 {
			return 0, n, nil
		}
		return n, 0, nil
	}
	parse := func(part string) (int32, error) {
		part = javaTrim(part)
		if part == "" {
			return 0, nil
		}
		return javaParseInt(part)
	}
	start, err := parse(s[:colon])
	if err != nil {
		return 0, 0, err
	}
	end, err := parse(s[colon+1:])
	if err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

// mycatStringHash is StringUtil.hash(s, start, end) over UTF-16 units.
func mycatStringHash(units []uint16, start, end int) int64 {
	if start < 0 {
		start = 0
	}
	if end > len(units) {
		end = len(units)
	}
	var h int64
	for i := start; i < end; i++ {
		h = (h << 5) - h + int64(units[i])
	}
	return h
}

func (f *PartitionByString) Calculate(value string) (int, error) {
	units := utf16Units(value)
	start := int(f.sliceStart)
	if start < 0 {
		start += len(units)
	}
	end := int(f.sliceEnd)
	if end <= 0 {
		end += len(units)
	}
	return f.table.partition(mycatStringHash(units, start, end)), nil
}

// CalculateRange: a string hash cannot narrow a range.
func (f *PartitionByString) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByString) PartitionNum() int { return f.table.partitions }
