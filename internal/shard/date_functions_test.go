package shard

import (
	"fmt"
	"testing"
	"time"
)

func TestPartitionByMonth(t *testing.T) {
	fn := mustNew(t, "PartitionByMonth", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01"}, nil)
	checkPlacements(t, fn, []placement{
		{"2014-01-01", 0}, {"2014-01-10", 0}, {"2014-01-31", 0}, {"2014-02-01", 1}, {"2014-02-28", 1},
		{"2014-03-1", 2}, {"2014-12-31", 11}, {"2015-01-31", 12}, {"2015-12-31", 23},
		{"2014-02-30", 2}, // lenient: March 2
		{"2013-06-01", 0}, // before the begin, no end: clamps to 0
	})
	checkUnplaceable(t, fn, "2014/01/01", "")
	if fn.PartitionNum() != -1 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}

	fn = mustNew(t, "PartitionByMonth", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2015-01-01", "sEndDate": "2015-12-01"}, nil)
	checkPlacements(t, fn, []placement{
		{"2013-01-02", 0}, {"2016-01-20", 0}, {"2013-06-01", 5}, {"2016-12-31", 11},
		{"2014-01-01", 0}, {"2014-02-01", 1}, {"2015-02-01", 1}, {"2017-01-01", 0}, {"2017-12-01", 11}, {"2018-12-01", 11},
	})
	if fn.PartitionNum() != 12 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	nodes, all, err := fn.CalculateRange("2015-11-15", "2016-02-01")
	if err != nil || all || fmt.Sprint(nodes) != "[10 11 0 1]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	nodes, _, _ = fn.CalculateRange("2000-01-01", "2100-01-01")
	if len(nodes) != 12 {
		t.Errorf("wide range = %v", nodes)
	}
	if _, all, _ := fn.CalculateRange("2016-02-01", "2015-11-15"); !all {
		t.Errorf("reversed range should be all nodes")
	}
	if _, all, _ := fn.CalculateRange("junk", "2015-11-15"); !all {
		t.Errorf("unparsable range should be all nodes")
	}

	// Scene 1: no dates, month of year.
	fn = mustNew(t, "PartitionByMonth", map[string]string{}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-01", 0}, {"2013-01-01", 0}, {"2018-05-01", 4}, {"2019-12-01", 11}})
	if fn.PartitionNum() != 12 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	nodes, _, _ = fn.CalculateRange("2019-11-01", "2020-02-01")
	if fmt.Sprint(nodes) != "[10 11 0 1]" {
		t.Errorf("scene 1 range = %v", nodes)
	}

	for _, props := range []map[string]string{
		{"sBeginDate": "2015-12-01", "sEndDate": "2015-01-01"},
		{"sEndDate": "2015-01-01"},
		{"sBeginDate": "bad"},
		{"dateFormat": "yyyy-MMM", "sBeginDate": "2015-01"},
	} {
		if _, err := New("PartitionByMonth", props, Env{Location: time.UTC}); err == nil {
			t.Errorf("New(PartitionByMonth, %v) accepted", props)
		}
	}
}

func TestPartitionByDate(t *testing.T) {
	fn := mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sPartionDay": "10"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-01", 0}, {"2014-01-10", 0}, {"2014-01-11", 1}, {"2014-05-01", 12}})
	checkUnplaceable(t, fn, "2013-12-01", "x")
	if fn.PartitionNum() != -1 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}

	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-31", "sPartionDay": "10"}, nil)
	checkPlacements(t, fn, []placement{
		{"2014-01-01", 0}, {"2014-01-10", 0}, {"2014-01-11", 1}, {"2014-02-01", 3}, {"2014-02-19", 0},
		{"2014-02-20", 1}, {"2014-03-01", 1}, {"2014-03-02", 2}, {"2014-03-11", 2}, {"2014-03-20", 3},
	})
	if fn.PartitionNum() != 4 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}

	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-31", "sPartionDay": "1"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-01", 0}, {"2014-01-10", 9}, {"2014-01-11", 10}, {"2014-02-01", 0}})

	// Natural day.
	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-20", 19}, {"2014-03-01", 0}, {"2018-03-31", 30}})
	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1", "sPartionDay": "1", "sBeginDate": "2014-01-02"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-20", 19}, {"2014-03-01", 0}, {"2018-03-31", 30}})
	// Under 28 days between begin and end: interval mode.
	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1", "sPartionDay": "1", "sBeginDate": "2014-01-02", "sEndDate": "2014-01-20"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-02", 0}, {"2014-01-03", 1}, {"2014-01-04", 2}, {"2014-01-08", 6}, {"2014-01-10", 8}, {"2014-01-14", 12}, {"2014-01-20", 18}})
	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1", "sPartionDay": "10", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-24"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-01", 0}, {"2014-01-10", 0}, {"2014-01-05", 0}, {"2014-01-20", 1}})
	fn = mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1", "sPartionDay": "10", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-29"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-01", 0}, {"2014-01-10", 9}, {"2014-01-05", 4}, {"2014-01-20", 19}, {"2018-01-31", 30}})

	for _, props := range []map[string]string{
		{"sBeginDate": "2014-01-01", "sPartionDay": "10"},
		{"dateFormat": "yyyy-MM-dd", "sPartionDay": "10"},
		{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sPartionDay": "0"},
		{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01"},
		{"dateFormat": "yyyy-MM-dd", "sNaturalDay": "1", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-05"},
	} {
		if _, err := New("PartitionByDate", props, Env{Location: time.UTC}); err == nil {
			t.Errorf("New(PartitionByDate, %v) accepted", props)
		}
	}
}

func TestPartitionByDateRange(t *testing.T) {
	fn := mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sEndDate": "2014-01-31", "sPartionDay": "10"}, nil)
	nodes, all, err := fn.CalculateRange("2014-01-05", "2014-02-25")
	if err != nil || all || fmt.Sprint(nodes) != "[0 1 2 3]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	nodes, _, _ = fn.CalculateRange("2014-02-19", "2014-02-21")
	if fmt.Sprint(nodes) != "[0 1]" {
		t.Errorf("wrapped range = %v", nodes)
	}
	if _, all, _ := fn.CalculateRange("2014-02-21", "2014-02-19"); !all {
		t.Errorf("reversed range should be all nodes")
	}
	// Less than one period before the begin truncates to 0; more is negative.
	if nodes, _, err := fn.CalculateRange("2013-12-25", "2014-01-02"); err != nil || fmt.Sprint(nodes) != "[0]" {
		t.Errorf("range just before the begin = %v %v", nodes, err)
	}
	if _, _, err := fn.CalculateRange("2013-12-01", "2014-01-02"); err == nil {
		t.Errorf("range before the begin date should fail")
	}
	// A coarse format: each day is formatted before placing, so "yyyy-MM"
	// days collapse to the month's first day: Jan 1 -> 0, Feb 1 (31 days)
	// -> 1, Mar 1 (59 days) -> 1.
	month := mustNew(t, "PartitionByDate", map[string]string{"dateFormat": "yyyy-MM", "sBeginDate": "2014-01", "sPartionDay": "31"}, nil)
	nodes, _, _ = month.CalculateRange("2014-01", "2014-03")
	if fmt.Sprint(nodes) != "[0 1]" {
		t.Errorf("coarse-format range = %v", nodes)
	}
}

// In the JVM zone a DST day is 23 hours long, so millisecond arithmetic
// differs from counting calendar days: Mycat's own quirk, kept.
func TestPartitionByDateDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	files := memFS{}
	env := files.env("r")
	env.Location = ny
	fn, err := New("PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-03-01", "sPartionDay": "1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	checkPlacements(t, fn, []placement{{"2014-03-09", 8}, {"2014-03-10", 8}, {"2014-03-11", 9}})
	nodes, _, err := fn.CalculateRange("2014-03-08", "2014-03-11")
	if err != nil || fmt.Sprint(nodes) != "[7 8 9]" {
		t.Errorf("DST range = %v %v", nodes, err)
	}
}

func TestPartitionByRangeDateHash(t *testing.T) {
	fn := mustNew(t, "PartitionByRangeDateHash", map[string]string{
		"dateFormat": "yyyy-MM-dd HH:mm:ss", "sBeginDate": "2014-01-01 00:00:00", "sPartionDay": "3", "groupPartionSize": "6",
	}, nil)
	for _, c := range []struct {
		value  string
		period int
	}{{"2014-01-01 00:00:00", 0}, {"2014-01-02 10:00:00", 0}, {"2014-01-04 00:00:00", 1}, {"2014-01-10 23:59:59", 3}} {
		got, err := fn.Calculate(c.value)
		if err != nil {
			t.Fatal(err)
		}
		if got/6 != c.period {
			t.Errorf("Calculate(%q) = %d, want group %d", c.value, got, c.period)
		}
	}
	nodes, all, err := fn.CalculateRange("2014-01-02 00:00:00", "2014-01-05 00:00:00")
	if err != nil || all || len(nodes) != 12 || nodes[0] != 0 {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
}

// Guava's consistentHash: buckets grow monotonically like jump hash.
func TestGuavaConsistentHash(t *testing.T) {
	if got := guavaConsistentHash(0, 1); got != 0 {
		t.Fatalf("one bucket gave %d", got)
	}
	for key := int64(-300); key < 300; key++ {
		prev := int32(0)
		for n := int32(2); n < 30; n++ {
			got := guavaConsistentHash(key*7919, n)
			if got != prev && got != n-1 {
				t.Fatalf("key %d: %d -> %d at %d buckets", key, prev, got, n)
			}
			prev = got
		}
	}
}

func TestPartitionByMonthAndHistory(t *testing.T) {
	fn := mustNew(t, "PartitionByMonthAndHistory", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01"}, nil)
	checkPlacements(t, fn, []placement{{"2014-01-31", 0}, {"2014-03-1", 2}, {"2015-12-31", 23}})
	checkUnplaceable(t, fn, "2013-12-31", "x")
	// Mycat's range arithmetic with n = -1 sends every month to 0.
	nodes, all, err := fn.CalculateRange("2014-01-01", "2014-06-01")
	if err != nil || all || fmt.Sprint(nodes) != "[0]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	if fn.PartitionNum() != -1 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	fn = mustNew(t, "PartitionByMonthAndHistory", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2015-01-01", "sEndDate": "2015-12-01"}, nil)
	checkPlacements(t, fn, []placement{{"2013-01-02", 0}, {"2016-01-20", 0}, {"2013-06-01", 5}, {"2016-12-31", 11}})
	nodes, _, _ = fn.CalculateRange("2015-11-15", "2016-02-01")
	if fmt.Sprint(nodes) != "[10 11 0 1]" {
		t.Errorf("range = %v", nodes)
	}
	if _, err := New("PartitionByMonthAndHistory", map[string]string{"sBeginDate": "2015-01-01"}, Env{}); err == nil {
		t.Errorf("missing dateFormat accepted")
	}
}

func TestPartitionByHotDate(t *testing.T) {
	// memFS env fixes Now at 2026-11-25 00:00 UTC.
	fn := mustNew(t, "PartitionByHotDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sLastDay": "10", "sPartionDay": "30"}, nil)
	checkPlacements(t, fn, []placement{
		{"2026-11-20", 0}, {"2026-11-16", 0}, {"2026-12-01", 0}, // hot, or in the future
		{"2026-11-15", 1}, {"2026-10-17", 1}, {"2026-10-16", 2}, {"2026-09-16", 3},
	})
	checkUnplaceable(t, fn, "x")
	nodes, all, err := fn.CalculateRange("2026-10-01", "2026-12-01")
	if err != nil || all || fmt.Sprint(nodes) != "[0 1 2]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	nodes, _, _ = fn.CalculateRange("2026-09-01", "2026-10-20")
	if fmt.Sprint(nodes) != "[1 2 3]" {
		t.Errorf("cold range = %v", nodes)
	}
	nodes, _, _ = fn.CalculateRange("2026-11-20", "2026-11-24")
	if fmt.Sprint(nodes) != "[0]" {
		t.Errorf("hot range = %v", nodes)
	}
}

// Mycat's PartitionByRangeDateHashTest, whose expectations hold in the
// authors' JVM zone, Asia/Shanghai (in UTC they would be 1, 0, 6, 10).
func TestPartitionByRangeDateHashMycatVectors(t *testing.T) {
	env := memFS{}.env("r")
	env.Location = mustLoad(t, "Asia/Shanghai")
	fn, err := New("PartitionByRangeDateHash", map[string]string{"dateFormat": "yyyy-MM-dd HH:mm:ss", "sBeginDate": "2014-01-01 00:00:00", "sPartionDay": "3", "groupPartionSize": "6"}, env)
	if err != nil {
		t.Fatal(err)
	}
	checkPlacements(t, fn, []placement{{"2014-01-01 00:00:00", 3}, {"2014-01-01 00:00:01", 1}, {"2014-01-04 00:00:00", 7}, {"2014-01-04 00:00:01", 11}})
	for _, c := range []struct {
		b, e string
		n    int
	}{
		{"2014-01-01 00:00:00", "2014-01-03 23:59:59", 6},
		{"2014-01-01 00:00:00", "2014-01-04 00:00:59", 12},
		{"2014-01-04 00:00:00", "2014-01-06 23:59:59", 6},
	} {
		nodes, all, err := fn.CalculateRange(c.b, c.e)
		if err != nil || all || len(nodes) != c.n {
			t.Errorf("range %s..%s = %v %v %v, want %d nodes", c.b, c.e, nodes, all, err, c.n)
		}
	}
}

// Mycat's PartitionByHotDateTest, with "now" fixed mid-afternoon.
func TestPartitionByHotDateMycatVectors(t *testing.T) {
	now := time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC)
	env := memFS{}.env("r")
	env.Now = func() time.Time { return now }
	fn, err := New("PartitionByHotDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sLastDay": "10", "sPartionDay": "1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	day := func(offset int) string { return now.AddDate(0, 0, offset).Format("2006-01-02") }
	checkPlacements(t, fn, []placement{{day(0), 0}, {day(-5), 0}, {day(-11), 2}, {day(-21), 12}})
	for _, c := range []struct {
		from int
		want string
	}{
		{-5, "[0]"},
		{-11, "[0 1 2]"},
		{-21, "[0 1 2 3 4 5 6 7 8 9 10 11 12]"},
	} {
		nodes, all, err := fn.CalculateRange(day(c.from), day(0))
		if err != nil || all || fmt.Sprint(nodes) != c.want {
			t.Errorf("range from %s = %v %v %v, want %s", day(c.from), nodes, all, err, c.want)
		}
	}
}
