package shard

import (
	"errors"
	"testing"
	"time"
)

// fuzzFunctions builds one function of every class for the Calculate fuzzer.
func fuzzFunctions(t testing.TB) []Function {
	files := memFS{
		"range.txt": "0-200M=0\n200M1-400M=1\n400M1-600M=2\n",
		"mod.txt":   "0-200M=5\n200M1-400M=1\n400M1-600M=4\n",
		"enum.txt":  "10000=0\n10010=1\n",
		"pat.txt":   "0-63=0\n64-127=1\n128-255=2\n",
		"w.txt":     "0=2\n",
	}
	specs := []struct {
		class string
		props map[string]string
	}{
		{"PartitionByMod", map[string]string{"count": "3"}},
		{"PartitionByLong", map[string]string{"partitionCount": "2,1", "partitionLength": "256,512"}},
		{"PartitionByLong", map[string]string{"partitionCount": "4", "partitionLength": "256", "legacyHash": "true"}},
		{"PartitionByFileMap", map[string]string{"mapFile": "enum.txt", "defaultNode": "0"}},
		{"PartitionByFileMap", map[string]string{"mapFile": "enum.txt", "type": "1"}},
		{"AutoPartitionByLong", map[string]string{"mapFile": "range.txt"}},
		{"PartitionByMurmurHash", map[string]string{"count": "3", "virtualBucketTimes": "10", "weightMapFile": "w.txt"}},
		{"PartitionByJumpConsistentHash", map[string]string{"totalBuckets": "5"}},
		{"PartitionByMonth", map[string]string{"sBeginDate": "2015-01-01", "sEndDate": "2015-12-01"}},
		{"PartitionByMonth", map[string]string{}},
		{"PartitionByDate", map[string]string{"dateFormat": "yyyy-MM-dd HH:mm:ss", "sBeginDate": "2014-01-01 00:00:00", "sEndDate": "2014-03-01 00:00:00", "sPartionDay": "7"}},
		{"PartitionByDate", map[string]string{"dateFormat": "yyyyMMdd", "sNaturalDay": "1"}},
		{"PartitionByString", map[string]string{"partitionCount": "4", "partitionLength": "256", "hashSlice": "-4:"}},
		{"PartitionByHashMod", map[string]string{"count": "6"}},
		{"PartitionByRangeMod", map[string]string{"mapFile": "mod.txt"}},
		{"PartitionByPattern", map[string]string{"mapFile": "pat.txt", "patternValue": "256"}},
		{"PartitionByPrefixPattern", map[string]string{"mapFile": "pat.txt", "patternValue": "256", "prefixLength": "3"}},
		{"PartitionDirectBySubString", map[string]string{"startIndex": "1", "size": "2", "partitionCount": "8"}},
		{"PartitionByCRC32PreSlot", map[string]string{"count": "4"}},
		{"LatestMonthPartion", map[string]string{"splitOneDay": "12"}},
		{"PartitionByMonthAndHistory", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2015-01-01"}},
		{"PartitionByHotDate", map[string]string{"dateFormat": "yyyy-MM-dd", "sLastDay": "10", "sPartionDay": "30"}},
		{"PartitionByRangeDateHash", map[string]string{"dateFormat": "yyyy-MM-dd", "sBeginDate": "2014-01-01", "sPartionDay": "3", "groupPartionSize": "4"}},
	}
	var fns []Function
	for _, s := range specs {
		env := files.env("fuzz")
		env.Location = time.UTC
		fn, err := New(s.class, s.props, env)
		if err != nil {
			t.Fatalf("New(%s): %v", s.class, err)
		}
		fns = append(fns, fn)
	}
	return fns
}

func FuzzCalculate(f *testing.F) {
	for _, seed := range []string{"", "0", "-1", "+5", "12345", "9223372036854775808", "2014-01-01", "2014-02-30 12:00:00", "20140101", "abc", "你好", "\xff\xfe", "polygenelubricants", "2014050115", "'x'", "1.0", "١٢٣"} {
		f.Add(seed, "2015-06-01")
	}
	fns := fuzzFunctions(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, fn := range fns {
			idx, err := fn.Calculate(a)
			if err == nil && idx < 0 {
				t.Fatalf("%T.Calculate(%q) = %d", fn, a, idx)
			}
			if err == nil && fn.PartitionNum() > 0 && idx >= fn.PartitionNum() {
				// Mycat's own functions can exceed their count (e.g.
				// natural-day mode); only hashing ones must not.
				switch fn.(type) {
				case *PartitionByMod, *PartitionByLong, *PartitionByMurmurHash, *PartitionByJumpConsistentHash, *PartitionByString, *PartitionByCRC32PreSlot:
					t.Fatalf("%T.Calculate(%q) = %d >= %d partitions", fn, a, idx, fn.PartitionNum())
				}
			}
			nodes, all, err := fn.CalculateRange(a, b)
			if err == nil && all && len(nodes) > 0 {
				t.Fatalf("%T.CalculateRange: all with nodes %v", fn, nodes)
			}
			for _, n := range nodes {
				if n < 0 {
					t.Fatalf("%T.CalculateRange(%q,%q) has %d", fn, a, b, n)
				}
			}
			if err != nil && errors.Is(err, ErrNoPartition) && all {
				t.Fatalf("error and all at once")
			}
		}
	})
}

func FuzzMapFiles(f *testing.F) {
	for _, seed := range []string{
		"0-200M=0\n200M1-400M=1\n", "# c\n// c\n10000=0\n10010=1\r\n", "a=b=c\n", "-5-10=1\n", "0-1-2=3\n", "=\n", "1k-2K5=7",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm := parseFileMap(data, true)
		fm.countPartitions()
		parseFileMap(data, false)
		for _, parse := range []func(string) (int64, error){mycatParseLong, javaParseLong} {
			ranges, err := parseRangeMap("fuzz.txt", data, parse)
			if err == nil {
				distinctNodes(ranges)
			}
		}
	})
}

func FuzzProperties(f *testing.F) {
	for _, seed := range []string{
		"#WARNING\n0=0-51199\n1=51200-102399\n", "a\\\n b=c\\u0041", "0 : 1 , 2 - 3", "\\", "k=\\u12", "x=1-", "0=5-3\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		parseMurmurWeights(text)
		if slots, err := parseCRC32SlotFile(text); err == nil && len(slots) != crc32Slots {
			t.Fatalf("slot table has %d entries", len(slots))
		}
	})
}

func FuzzDateParse(f *testing.F) {
	for _, seed := range []string{"2014-01-01", "2014-02-30", " 14-1-1 24:00", "-5--5--5", "99999999999-1-1", "1582-10-10"} {
		f.Add("yyyy-MM-dd HH:mm", seed)
		f.Add("yyyyMMdd", seed)
		f.Add("yy-M-d'T'H", seed)
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		df, err := compileDateFormat(pattern, time.UTC, testNow)
		if err != nil {
			return
		}
		if ms, err := df.parseMillis(value); err == nil {
			df.format(ms)
		}
	})
}
