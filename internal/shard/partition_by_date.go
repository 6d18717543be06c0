package shard

import "fmt"

// PartitionByDate places a date by whole periods of sPartionDay days since
// sBeginDate, in milliseconds of Env.Location (a DST day is 23 or 25
// hours, exactly as in the JVM): p = (t - begin) / (days*86400000),
// truncated toward zero. With sEndDate, nCount = (end-begin)/period + 1 and
// dates after the end wrap (p mod nCount). Dates before the begin give
// negative indexes, which cannot be placed.
//
// With sNaturalDay=1 the partition is the day of month minus one (0..30),
// unless sBeginDate and sEndDate are both set and less than 28 days apart,
// in which case the period mode above applies. Mycat only reads sEndDate
// when the begin date is after 1970-01-01 (begin millis > 0); so do we.
type PartitionByDate struct {
	format     *javaDateFormat
	natural    bool
	begin      int64
	end        int64
	period     int64
	partitions int32 // nCount; 0 when there is no end date
}

var _ Function = (*PartitionByDate)(nil)

// maxDateRangeDays bounds the day-by-day walk of a range (about 180 years).
const maxDateRangeDays = 1 << 16

func newPartitionByDate(p *props, env Env) (Function, error) {
	pattern, err := p.required("dateFormat", "a SimpleDateFormat pattern such as yyyy-MM-dd")
	if err != nil {
		return nil, err
	}
	format, err := compileDateFormat(pattern, env.location(), env.now())
	if err != nil {
		return nil, configError(p.class, "dateFormat", "%v", err)
	}
	f := &PartitionByDate{format: format, natural: p.str("sNaturalDay", "") == "1"}
	begin := p.str("sBeginDate", "")
	end := p.str("sEndDate", "")
	days := p.str("sPartionDay", "")
	periodDays := func(s string) (int64, error) {
		n, err := javaParseInt(s)
		if err != nil || n <= 0 {
			return 0, configError(p.class, "sPartionDay", "%q: want a positive number of days", s)
		}
		return int64(n) * millisPerDay, nil
	}
	if begin == "" {
		if !f.natural {
			return nil, configError(p.class, "sBeginDate", "missing; required unless sNaturalDay=1")
		}
		return f, nil
	}
	if f.natural {
		f.period = millisPerDay
	} else if f.period, err = periodDays(days); err != nil {
		return nil, err
	}
	if f.begin, err = format.parseMillis(begin); err != nil {
		return nil, configError(p.class, "sBeginDate", "%q: %v", begin, err)
	}
	if end != "" && f.begin > 0 {
		if f.end, err = format.parseMillis(end); err != nil {
			return nil, configError(p.class, "sEndDate", "%q: %v", end, err)
		}
		f.partitions = int32((f.end-f.begin)/f.period) + 1
		if f.natural && f.partitions < 28 {
			f.natural = false
			if f.period, err = periodDays(days); err != nil {
				return nil, err
			}
			f.partitions = int32((f.end-f.begin)/f.period) + 1
		}
	}
	return f, nil
}

func (f *PartitionByDate) placeMillis(t int64) int {
	if f.natural {
		return int(millisToWall(t, f.format.loc).day - 1)
	}
	p := int32((t - f.begin) / f.period)
	if t > f.end && f.partitions != 0 {
		p %= f.partitions
	}
	return int(p)
}

func (f *PartitionByDate) Calculate(value string) (int, error) {
	t, err := f.format.parseMillis(value)
	if err != nil {
		return 0, noPartition("PartitionByDate", value, "%v", err)
	}
	return checkIndex("PartitionByDate", value, f.placeMillis(t))
}

// CalculateRange walks day by day from begin to end (Calendar.add(DATE,
// 1)), formatting each day with dateFormat and placing the text, like
// Mycat. Unparsable bounds give Mycat's empty answer: all nodes.
func (f *PartitionByDate) CalculateRange(begin, end string) ([]int, bool, error) {
	b, err := f.format.parseMillis(begin)
	if err != nil {
		return nil, true, nil
	}
	e, err := f.format.parseMillis(end)
	if err != nil {
		return nil, true, nil
	}
	if (e-b)/millisPerDay > maxDateRangeDays {
		return nil, false, fmt.Errorf("PartitionByDate: range %q..%q spans more than %d days", begin, end, maxDateRangeDays)
	}
	seen := map[int]bool{}
	var nodes []int
	for b <= e {
		day := f.format.format(b)
		idx, err := f.Calculate(day)
		if err != nil {
			return nil, false, err
		}
		if !seen[idx] {
			seen[idx] = true
			nodes = append(nodes, idx)
		}
		b = addOneDay(b, f.format.loc)
	}
	if len(nodes) == 0 {
		return nil, true, nil // begin after end: Mycat's empty array
	}
	return nodes, false, nil
}

func (f *PartitionByDate) PartitionNum() int {
	if f.partitions > 0 {
		return int(f.partitions)
	}
	return -1
}
