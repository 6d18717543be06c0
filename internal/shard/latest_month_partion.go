package shard

// LatestMonthPartion (Mycat's spelling) places a yyyyMMddHH-style value by
// its last four chars: day = chars [len-4, len-2), hour = last two;
// index = (day-1)*splitOneDay + hour/(24/splitOneDay).
//
// splitOneDay is required: Mycat only derives the hour span in the
// property setter, so without it every value fails to place.
type LatestMonthPartion struct {
	splitOneDay int32
	hourSpan    int32
}

var _ Function = (*LatestMonthPartion)(nil)

func newLatestMonthPartion(p *props, _ Env) (Function, error) {
	split, err := p.requiredInt32("splitOneDay", "the number of partitions per day, 1..24")
	if err != nil {
		return nil, err
	}
	if split <= 0 || split > 24 {
		return nil, configError(p.class, "splitOneDay", "%d: want 1..24", split)
	}
	return &LatestMonthPartion{splitOneDay: split, hourSpan: 24 / split}, nil
}

func (f *LatestMonthPartion) Calculate(value string) (int, error) {
	units := utf16Units(value)
	n := len(units)
	if n < 4 {
		return 0, noPartition("LatestMonthPartion", value, "shorter than 4 chars (…ddHH)")
	}
	day, err := javaParseInt(string(utf16Decode(units[n-4 : n-2])))
	if err != nil {
		return 0, noPartition("LatestMonthPartion", value, "day is not a number")
	}
	hour, err := javaParseInt(string(utf16Decode(units[n-2:])))
	if err != nil {
		return 0, noPartition("LatestMonthPartion", value, "hour is not a number")
	}
	return checkIndex("LatestMonthPartion", value, int((day-1)*f.splitOneDay+hour/f.hourSpan))
}

func (f *LatestMonthPartion) CalculateRange(begin, end string) ([]int, bool, error) {
	return sequenceRange("LatestMonthPartion", f.Calculate, begin, end)
}

// PartitionNum is -1, as in Mycat.
func (f *LatestMonthPartion) PartitionNum() int { return -1 }
