package shard

// PartitionDirectBySubString reads the partition number from the value
// itself: Integer.parseInt of the UTF-16 chars [startIndex,
// startIndex+size). A number >= partitionCount (when partitionCount > 0)
// goes to defaultPartition.
type PartitionDirectBySubString struct {
	startIndex, size, partitionCount, defaultPartition int32
}

var _ Function = (*PartitionDirectBySubString)(nil)

func newPartitionDirectBySubString(p *props, _ Env) (Function, error) {
	f := &PartitionDirectBySubString{}
	var err error
	if f.startIndex, err = p.int32("startIndex", 0); err != nil {
		return nil, err
	}
	if f.size, err = p.int32("size", 0); err != nil {
		return nil, err
	}
	if f.partitionCount, err = p.int32("partitionCount", 0); err != nil {
		return nil, err
	}
	if f.defaultPartition, err = p.int32("defaultPartition", 0); err != nil {
		return nil, err
	}
	if f.startIndex < 0 || f.size < 0 {
		return nil, configError(p.class, "", "startIndex %d and size %d must not be negative", f.startIndex, f.size)
	}
	return f, nil
}

func (f *PartitionDirectBySubString) Calculate(value string) (int, error) {
	units := utf16Units(value)
	start, end := int64(f.startIndex), int64(f.startIndex)+int64(f.size)
	if end > int64(len(units)) {
		return 0, noPartition("PartitionDirectBySubString", value, "shorter than startIndex+size = %d chars", end)
	}
	sub := string(utf16Decode(units[start:end]))
	n, err := javaParseInt(sub)
	if err != nil {
		return 0, noPartition("PartitionDirectBySubString", value, "substring %q is not an int", sub)
	}
	if f.partitionCount > 0 && n >= f.partitionCount {
		n = f.defaultPartition
	}
	return checkIndex("PartitionDirectBySubString", value, int(n))
}

// CalculateRange: a substring cannot narrow a range.
func (f *PartitionDirectBySubString) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionDirectBySubString) PartitionNum() int {
	if f.partitionCount <= 0 {
		return -1
	}
	return int(f.partitionCount)
}
