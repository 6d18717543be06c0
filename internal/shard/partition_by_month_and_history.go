package shard

import "fmt"

// PartitionByMonthAndHistory is the pre-"scene" PartitionByMonth kept under
// another name in Mycat 1.6: months since sBeginDate, cycling mod n when
// sEndDate is set. Unlike PartitionByMonth, dates before the begin without
// sEndDate give negative indexes (unplaceable), dateFormat and sBeginDate
// are required, and PartitionNum is -1.
//
// Its range answer reproduces Mycat's arithmetic exactly: without sEndDate
// the wrap divides by n = -1, so every month maps to partition 0 and a
// range yields [0].
type PartitionByMonthAndHistory struct {
	month *PartitionByMonth
	n     int64
}

var _ Function = (*PartitionByMonthAndHistory)(nil)

func newPartitionByMonthAndHistory(p *props, env Env) (Function, error) {
	if _, err := p.required("dateFormat", "a SimpleDateFormat pattern such as yyyy-MM-dd"); err != nil {
		return nil, err
	}
	if _, err := p.required("sBeginDate", "a date in dateFormat"); err != nil {
		return nil, err
	}
	fn, err := newPartitionByMonth(p, env)
	if err != nil {
		return nil, err
	}
	m := fn.(*PartitionByMonth)
	return &PartitionByMonthAndHistory{month: m, n: m.partitions}, nil
}

// javaRecalculate is reCalculatePartition with Java int semantics for any n.
func (f *PartitionByMonthAndHistory) javaRecalculate(t int64) int64 {
	n := f.n
	if t < 0 {
		t = n - (-t)%n
	}
	if t >= n {
		t %= n
	}
	return t
}

func (f *PartitionByMonthAndHistory) Calculate(value string) (int, error) {
	t, err := f.month.monthIndex(value)
	if err != nil {
		return 0, err
	}
	if f.n > 0 {
		t = f.javaRecalculate(t)
	}
	return checkIndex("PartitionByMonthAndHistory", value, int(int32(t)))
}

func (f *PartitionByMonthAndHistory) CalculateRange(begin, end string) ([]int, bool, error) {
	b, err := f.month.monthIndex(begin)
	if err != nil {
		return nil, true, nil
	}
	e, err := f.month.monthIndex(end)
	if err != nil {
		return nil, true, nil
	}
	if e < b {
		return nil, true, nil
	}
	span := e - b + 1
	if f.n > 0 && span > f.n {
		span = f.n
	}
	if f.n < 0 {
		span = 1 // every month maps to 0
	}
	if span > maxRangeNodes {
		return nil, false, fmt.Errorf("PartitionByMonthAndHistory: range %q..%q spans too many months", begin, end)
	}
	seen := map[int64]bool{}
	var nodes []int
	for t := b; t < b+span; t++ {
		p := f.javaRecalculate(t)
		if p < 0 {
			return nil, false, noPartition("PartitionByMonthAndHistory", begin, "negative partition index %d", p)
		}
		if !seen[p] {
			seen[p] = true
			nodes = append(nodes, int(int32(p)))
		}
	}
	return nodes, false, nil
}

func (f *PartitionByMonthAndHistory) PartitionNum() int { return -1 }
