package shard

import "fmt"

// PartitionByMonth places a date by calendar month (dateFormat, default
// yyyy-MM-dd, parsed leniently in Env.Location):
//   - no sBeginDate and no sEndDate: the month of year, 0..11;
//   - sBeginDate only: months since sBeginDate's month, negatives clamp to 0;
//   - both: n = months from begin to end + 1, and the index cycles mod n
//     (dates before the begin wrap backwards).
type PartitionByMonth struct {
	format     *javaDateFormat
	hasBegin   bool
	beginYear  int64 // Calendar.YEAR (year of era)
	beginMonth int64
	partitions int64 // n, or -1 without sEndDate, or 12 in month-of-year mode
}

var _ Function = (*PartitionByMonth)(nil)

func newPartitionByMonth(p *props, env Env) (Function, error) {
	pattern := p.str("dateFormat", "yyyy-MM-dd")
	format, err := compileDateFormat(pattern, env.location(), env.now())
	if err != nil {
		return nil, configError(p.class, "dateFormat", "%v", err)
	}
	f := &PartitionByMonth{format: format, partitions: -1}
	begin := p.str("sBeginDate", "")
	end := p.str("sEndDate", "")
	if begin == "" {
		if end != "" {
			return nil, configError(p.class, "sBeginDate", "missing; sEndDate needs a begin date")
		}
		f.partitions = 12
		return f, nil
	}
	f.hasBegin = true
	f.beginYear, f.beginMonth, err = f.yearMonth(begin)
	if err != nil {
		return nil, configError(p.class, "sBeginDate", "%q: %v", begin, err)
	}
	if end != "" {
		endYear, endMonth, err := f.yearMonth(end)
		if err != nil {
			return nil, configError(p.class, "sEndDate", "%q: %v", end, err)
		}
		f.partitions = (endYear-f.beginYear)*12 + endMonth - f.beginMonth + 1
		if f.partitions <= 0 {
			return nil, configError(p.class, "sEndDate", "%q is before sBeginDate %q", end, begin)
		}
	}
	return f, nil
}

// yearMonth is Calendar.get(YEAR), Calendar.get(MONTH) of the parsed date.
func (f *PartitionByMonth) yearMonth(value string) (int64, int64, error) {
	millis, err := f.format.parseMillis(value)
	if err != nil {
		return 0, 0, err
	}
	w := millisToWall(millis, f.format.loc)
	return calendarYear(w.year), w.month, nil
}

// monthIndex is the raw month count Mycat computes before wrapping.
func (f *PartitionByMonth) monthIndex(value string) (int64, error) {
	y, m, err := f.yearMonth(value)
	if err != nil {
		return 0, noPartition("PartitionByMonth", value, "%v", err)
	}
	if !f.hasBegin {
		return m, nil
	}
	return (y-f.beginYear)*12 + m - f.beginMonth, nil
}

// wrap maps a raw month count to a partition.
func (f *PartitionByMonth) wrap(t int64) int64 {
	switch {
	case !f.hasBegin:
		return floorMod(t, 12)
	case f.partitions < 0:
		return max(t, 0)
	}
	n := f.partitions
	if t < 0 {
		t = n - (-t)%n
	}
	if t >= n {
		t %= n
	}
	return t
}

func (f *PartitionByMonth) Calculate(value string) (int, error) {
	t, err := f.monthIndex(value)
	if err != nil {
		return 0, err
	}
	return int(int32(f.wrap(t))), nil
}

// CalculateRange lists each month from begin to end through the same
// mapping, first occurrence order, duplicates dropped. A reversed or
// unparsable range is Mycat's empty answer: all nodes.
func (f *PartitionByMonth) CalculateRange(begin, end string) ([]int, bool, error) {
	b, err := f.monthIndex(begin)
	if err != nil {
		return nil, true, nil
	}
	e, err := f.monthIndex(end)
	if err != nil {
		return nil, true, nil
	}
	if !f.hasBegin {
		// Month-of-year mode: count months on an absolute scale.
		by, _, _ := f.yearMonth(begin)
		ey, _, _ := f.yearMonth(end)
		b += by * 12
		e += ey * 12
	}
	if e < b {
		return nil, true, nil
	}
	span := e - b + 1
	if f.partitions > 0 && span > f.partitions {
		span = f.partitions // every partition is hit; the order repeats after n
	}
	if span > maxRangeNodes {
		return nil, false, fmt.Errorf("PartitionByMonth: range %q..%q spans too many months", begin, end)
	}
	seen := map[int64]bool{}
	var nodes []int
	for t := b; t < b+span; t++ {
		p := f.wrap(t)
		if !seen[p] {
			seen[p] = true
			nodes = append(nodes, int(int32(p)))
		}
	}
	return nodes, false, nil
}

func (f *PartitionByMonth) PartitionNum() int { return int(f.partitions) }
