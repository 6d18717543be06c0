package shard

import "time"

// PartitionByHotDate keeps the last sLastDay days ("hot" data) on
// partition 0 and splits older dates into periods of sPartionDay days
// counted back from that boundary: partition 1 is the newest cold period.
//
// It is the one Mycat function whose placement moves with the current
// time: Mycat reads the clock on every call, and so does this type, through
// Env.Now (time.Now when nil). Rows do not stay where they were written.
type PartitionByHotDate struct {
	format   *javaDateFormat
	lastDays int64
	period   int64
	now      func() time.Time
}

var _ Function = (*PartitionByHotDate)(nil)

func newPartitionByHotDate(p *props, env Env) (Function, error) {
	pattern, err := p.required("dateFormat", "a SimpleDateFormat pattern such as yyyy-MM-dd")
	if err != nil {
		return nil, err
	}
	format, err := compileDateFormat(pattern, env.location(), env.now())
	if err != nil {
		return nil, configError(p.class, "dateFormat", "%v", err)
	}
	lastDays, err := p.requiredInt32("sLastDay", "the number of hot days")
	if err != nil {
		return nil, err
	}
	days, err := p.positiveInt32("sPartionDay", 0, true)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return &PartitionByHotDate{format: format, lastDays: int64(lastDays), period: int64(days) * millisPerDay, now: now}, nil
}

func (f *PartitionByHotDate) placeAt(target, now int64) int {
	diffDays := (now-target)/millisPerDay + 1
	if diffDays-f.lastDays <= 0 || diffDays < 0 {
		return 0
	}
	boundary := now - f.lastDays*millisPerDay
	return int(int32((boundary-target)/f.period) + 1)
}

func (f *PartitionByHotDate) Calculate(value string) (int, error) {
	t, err := f.format.parseMillis(value)
	if err != nil {
		return 0, noPartition("PartitionByHotDate", value, "%v", err)
	}
	return checkIndex("PartitionByHotDate", value, f.placeAt(t, f.now().UnixMilli()))
}

// CalculateRange follows Mycat: a range starting in the hot days is [0];
// otherwise the cold periods from the range's end (capped at the hot
// boundary, which then adds partition 0) back to its start.
func (f *PartitionByHotDate) CalculateRange(begin, end string) ([]int, bool, error) {
	start, err := f.format.parseMillis(begin)
	if err != nil {
		return nil, false, noPartition("PartitionByHotDate", begin, "%v", err)
	}
	stop, err := f.format.parseMillis(end)
	if err != nil {
		return nil, false, noPartition("PartitionByHotDate", end, "%v", err)
	}
	now := f.now().UnixMilli()
	if diffDays := (now-start)/millisPerDay + 1; diffDays-f.lastDays <= 0 || diffDays < 0 {
		return []int{0}, false, nil
	}
	last := f.placeAt(start, now)
	boundary := now - f.lastDays*millisPerDay
	hot := false
	if stop > boundary {
		stop, hot = boundary, true
	}
	// Mycat formats the capped end and parses it again.
	stopAgain, err := f.format.parseMillis(f.format.format(stop))
	if err != nil {
		return nil, false, err
	}
	first := f.placeAt(stopAgain, now)
	nodes, all, err := indexSpan("PartitionByHotDate", begin, first, last, false)
	if err != nil || all || len(nodes) == 0 {
		return nodes, all, err
	}
	if hot {
		nodes = append([]int{0}, nodes...)
	}
	return nodes, false, nil
}

// PartitionNum is -1, as in Mycat.
func (f *PartitionByHotDate) PartitionNum() int { return -1 }
