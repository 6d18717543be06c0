package shard

// PartitionByRangeDateHash groups dates into periods of sPartionDay days
// from sBeginDate (milliseconds in Env.Location, like PartitionByDate), and
// spreads each period over groupPartionSize partitions with Guava's
// Hashing.consistentHash(millis, groupPartionSize):
// index = period*groupPartionSize + consistentHash.
type PartitionByRangeDateHash struct {
	format    *javaDateFormat
	begin     int64
	period    int64
	groupSize int32
}

var _ Function = (*PartitionByRangeDateHash)(nil)

func newPartitionByRangeDateHash(p *props, env Env) (Function, error) {
	pattern, err := p.required("dateFormat", "a SimpleDateFormat pattern such as yyyy-MM-dd HH:mm:ss")
	if err != nil {
		return nil, err
	}
	format, err := compileDateFormat(pattern, env.location(), env.now())
	if err != nil {
		return nil, configError(p.class, "dateFormat", "%v", err)
	}
	begin, err := p.required("sBeginDate", "a date in dateFormat")
	if err != nil {
		return nil, err
	}
	f := &PartitionByRangeDateHash{format: format}
	if f.begin, err = format.parseMillis(begin); err != nil {
		return nil, configError(p.class, "sBeginDate", "%q: %v", begin, err)
	}
	if f.groupSize, err = p.positiveInt32("groupPartionSize", 0, true); err != nil {
		return nil, err
	}
	days, err := p.positiveInt32("sPartionDay", 0, true)
	if err != nil {
		return nil, err
	}
	f.period = int64(days) * millisPerDay
	return f, nil
}

// guavaConsistentHash is Hashing.consistentHash(long, int): a linear
// congruential generator drives jumps until one lands outside the buckets.
func guavaConsistentHash(input int64, buckets int32) int32 {
	state := input
	candidate := int32(0)
	for {
		state = 2862933555777941757*state + 1
		nextDouble := float64(int32(uint64(state)>>33)+1) / (1 << 31)
		next := javaDoubleToInt(float64(candidate+1) / nextDouble)
		if next < 0 || next >= buckets {
			return candidate
		}
		candidate = next
	}
}

func (f *PartitionByRangeDateHash) periodOf(value string) (int32, int64, error) {
	t, err := f.format.parseMillis(value)
	if err != nil {
		return 0, 0, noPartition("PartitionByRangeDateHash", value, "%v", err)
	}
	return int32((t - f.begin) / f.period), t, nil
}

func (f *PartitionByRangeDateHash) Calculate(value string) (int, error) {
	period, t, err := f.periodOf(value)
	if err != nil {
		return 0, err
	}
	return checkIndex("PartitionByRangeDateHash", value, int(period*f.groupSize+guavaConsistentHash(t, f.groupSize)))
}

// CalculateRange covers every partition of every period from begin's to
// end's. A reversed range is Mycat's null: no node.
func (f *PartitionByRangeDateHash) CalculateRange(begin, end string) ([]int, bool, error) {
	b, _, err := f.periodOf(begin)
	if err != nil {
		return nil, false, err
	}
	e, _, err := f.periodOf(end)
	if err != nil {
		return nil, false, err
	}
	return indexSpan("PartitionByRangeDateHash", begin, int(b*f.groupSize), int((e+1)*f.groupSize-1), false)
}

// PartitionNum is -1, as in Mycat.
func (f *PartitionByRangeDateHash) PartitionNum() int { return -1 }
