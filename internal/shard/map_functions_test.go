package shard

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

func TestAutoPartitionByLong(t *testing.T) {
	// Mycat's AutoPartitionByLongTest map.
	files := memFS{"autopartition-long.txt": "# range start-end ,data node index\n// K=1000,M=10000.\n0-200M=0\n200M1-400M=1\r\n400M1-600M=2\nnot a range line\n"}
	fn := mustNew(t, "AutoPartitionByLong", map[string]string{"mapFile": "autopartition-long.txt"}, files)
	checkPlacements(t, fn, []placement{{"0", 0}, {"2000000", 0}, {"2000001", 1}, {"4000000", 1}, {"4000001", 2}, {"6000000", 2}})
	checkUnplaceable(t, fn, "6000001", "-1", "abc", "1.0")
	if fn.PartitionNum() != 3 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	nodes, all, err := fn.CalculateRange("100", "4000001")
	if err != nil || all || fmt.Sprint(nodes) != "[0 1 2]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	// Out of every range and no default: Mycat's null -> all nodes.
	if _, all, err := fn.CalculateRange("100", "9000000"); !all || err != nil {
		t.Errorf("open range: all=%v err=%v", all, err)
	}
	if _, _, err := fn.CalculateRange("x", "9"); err == nil {
		t.Errorf("bad range bound accepted")
	}

	// The shipped map, with a default node; overlapping bound goes to the first line.
	files = memFS{"autopartition-long.txt": "0-500M=0\n500M-1000M=1\n1000M-1500M=2\n"}
	fn = mustNew(t, "io.mycat.route.function.AutoPartitionByLong", map[string]string{"mapFile": "autopartition-long.txt", "defaultNode": "0"}, files)
	checkPlacements(t, fn, []placement{{"5000000", 0}, {"5000001", 1}, {"10000000", 1}, {"15000000", 2}, {"15000001", 0}, {"-3", 0}})
}

func TestRangeMapErrors(t *testing.T) {
	for _, text := range []string{"0-=1\n", "-5-10=1\n", "0-10=x\n", "a-10=1\n", "5=1\n"} {
		files := memFS{"m.txt": text}
		if _, err := New("AutoPartitionByLong", map[string]string{"mapFile": "m.txt"}, files.env("r")); err == nil {
			t.Errorf("map %q accepted", text)
		}
	}
	if _, err := New("AutoPartitionByLong", map[string]string{"mapFile": "none.txt"}, memFS{}.env("r")); err == nil || !strings.Contains(err.Error(), "none.txt") {
		t.Errorf("missing map file: %v", err)
	}
	if _, err := New("AutoPartitionByLong", map[string]string{}, memFS{}.env("r")); err == nil || !strings.Contains(err.Error(), "mapFile") {
		t.Errorf("missing mapFile property: %v", err)
	}
}

func TestPartitionByFileMap(t *testing.T) {
	files := memFS{"partition-hash-int.txt": "10000=0\n10010=1\n 10020 = 2 \nbad=3\n10030=x\n#10040=1\n"}
	fn := mustNew(t, "PartitionByFileMap", map[string]string{"mapFile": "partition-hash-int.txt"}, files)
	checkPlacements(t, fn, []placement{{"10000", 0}, {"10010", 1}, {"10020", 2}, {"+10010", 1}})
	checkUnplaceable(t, fn, "10040", "bad", "1.5", "99999999999")
	if fn.PartitionNum() != 3 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	fn = mustNew(t, "PartitionByFileMap", map[string]string{"mapFile": "partition-hash-int.txt", "defaultNode": "4"}, files)
	checkPlacements(t, fn, []placement{{"10040", 4}})
	checkUnplaceable(t, fn, "abc") // still must be an int with type=0
	if fn.PartitionNum() != 4 {
		t.Errorf("PartitionNum with default = %d", fn.PartitionNum())
	}

	files = memFS{"enum.txt": "beijing=0\nshanghai=1\nDEFAULT_NODE=2\n"}
	fn = mustNew(t, "PartitionByFileMap", map[string]string{"mapFile": "enum.txt", "type": "1"}, files)
	checkPlacements(t, fn, []placement{{"beijing", 0}, {"shanghai", 1}, {"guangzhou", 2}})
	fn = mustNew(t, "PartitionByFileMap", map[string]string{"mapFile": "enum.txt", "type": "1", "defaultNode": "0"}, files)
	checkPlacements(t, fn, []placement{{"guangzhou", 0}})
}

func TestPartitionByRangeMod(t *testing.T) {
	// Group sizes derived from Mycat's PartitionByRangeModTest expectations.
	files := memFS{"partition-range-mod.txt": "0-200M=5\n200M1-400M=1\n400M1-600M=4\n600M1-800M=4\n"}
	fn := mustNew(t, "PartitionByRangeMod", map[string]string{"mapFile": "partition-range-mod.txt"}, files)
	checkPlacements(t, fn, []placement{
		{"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}, {"5", 0},
		{"2000000", 0}, {"2000001", 5}, {"4000000", 5}, {"4000001", 7},
	})
	checkUnplaceable(t, fn, "8000001", "x")
	if fn.PartitionNum() != 14 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	for _, c := range []struct {
		b, e string
		n    int
	}{{"2000000", "4000001", 10}, {"9", "2000", 5}, {"4000001", "6005001", 8}} {
		nodes, all, err := fn.CalculateRange(c.b, c.e)
		if err != nil || all || len(nodes) != c.n {
			t.Errorf("range %s..%s = %v %v %v, want %d nodes", c.b, c.e, nodes, all, err, c.n)
		}
	}
	// Reversed: Mycat returns null (no node), not all nodes.
	if nodes, all, err := fn.CalculateRange("4000001", "9"); err != nil || all || len(nodes) != 0 {
		t.Errorf("reversed range = %v %v %v", nodes, all, err)
	}
	if _, err := New("PartitionByRangeMod", map[string]string{"mapFile": "z.txt"}, memFS{"z.txt": "0-10=0\n"}.env("r")); err == nil {
		t.Errorf("zero group size accepted")
	}
}

func TestPartitionByPattern(t *testing.T) {
	files := memFS{"partition-pattern.txt": "1-32=0\n33-64=1\n65-96=2\n97-128=3\n0-0=7\n"}
	fn := mustNew(t, "PartitionByPattern", map[string]string{"mapFile": "partition-pattern.txt", "patternValue": "128", "defaultNode": "5"}, files)
	checkPlacements(t, fn, []placement{
		{"1", 0}, {"32", 0}, {"33", 1}, {"127", 3}, {"128", 7}, {"129", 0},
		{"abc", 5}, {"-1", 5}, {"1.5", 5}, {"１", 5}, // only ASCII digits count as numeric
	})
	checkUnplaceable(t, fn, "", "99999999999999999999")
	if fn.PartitionNum() != 5 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
}

func TestPartitionByPrefixPattern(t *testing.T) {
	files := memFS{"partition-prefix.txt": "# ASCII sums\n0-63=0\n64-127=1\n128-191=2\n192-255=3\n"}
	fn := mustNew(t, "PartitionByPrefixPattern", map[string]string{"mapFile": "partition-prefix.txt", "patternValue": "256", "prefixLength": "2"}, files)
	checkPlacements(t, fn, []placement{
		{"", 0},       // empty sum
		{"A", 1},      // 65
		{"AB", 2},     // 131
		{"ABCDEF", 2}, // only two chars
		{"zz", 3},     // 244
		{"你", (0x4F60 % 256) / 64},
	})
}

func TestPartitionDirectBySubString(t *testing.T) {
	fn := mustNew(t, "PartitionDirectBySubString", map[string]string{"startIndex": "9", "size": "2", "partitionCount": "8", "defaultPartition": "0"}, nil)
	checkPlacements(t, fn, []placement{{"000000000050000", 5}, {"000000000070000", 7}, {"000000000080000", 0}, {"000000000+30000", 3}})
	checkUnplaceable(t, fn, "0000", "000000000ab0000", "000000000-10000")
	if fn.PartitionNum() != 8 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
}

func TestLatestMonthPartion(t *testing.T) {
	fn := mustNew(t, "LatestMonthPartion", map[string]string{"splitOneDay": "24"}, nil)
	checkPlacements(t, fn, []placement{{"2014050100", 0}, {"2014050115", 15}, {"2014050223", 47}, {"2014053123", 743}, {"0101", 1}})
	checkUnplaceable(t, fn, "115", "20140500xx", "2014050023")
	fn = mustNew(t, "LatestMonthPartion", map[string]string{"splitOneDay": "6"}, nil)
	checkPlacements(t, fn, []placement{{"2014050103", 0}, {"2014050104", 1}, {"2014050223", 11}})
	nodes, all, err := fn.CalculateRange("2014050103", "2014050104")
	if err != nil || all || fmt.Sprint(nodes) != "[0 1]" {
		t.Errorf("range = %v %v %v", nodes, all, err)
	}
	for _, props := range []map[string]string{{}, {"splitOneDay": "0"}, {"splitOneDay": "25"}} {
		if _, err := New("LatestMonthPartion", props, Env{}); err == nil {
			t.Errorf("New(LatestMonthPartion, %v) accepted", props)
		}
	}
}

func TestPartitionByCRC32PreSlot(t *testing.T) {
	files := memFS{}
	fn := mustNew(t, "PartitionByCRC32PreSlot", map[string]string{"count": "3"}, files)
	written, ok := files["ruledata/rule1.properties"]
	if !ok {
		t.Fatal("slot file not written")
	}
	want := crc32SlotFileHeader + "0=0-34132\n1=34133-68265\n2=68266-102399\n"
	if written != want {
		t.Errorf("slot file =\n%s\nwant\n%s", written, want)
	}
	for _, v := range []string{"1", "abc", "你好", "2014-01-01"} {
		slot := int(crc32.ChecksumIEEE([]byte(v)) % 102400)
		checkPlacements(t, fn, []placement{{v, min(slot/34133, 2)}})
	}
	// An existing file wins over count; unlisted slots belong to node 0.
	files = memFS{"ruledata/rule1.properties": "#comment\n#Mon Jan 01 00:00:00 CST 2018\n1=0-51199\n2 = 51200-102398 , 102399\n"}
	fn = mustNew(t, "PartitionByCRC32PreSlot", map[string]string{"count": "3"}, files)
	for _, v := range []string{"1", "2", "3", "abc"} {
		slot := int(crc32.ChecksumIEEE([]byte(v)) % 102400)
		want := 1
		if slot >= 51200 {
			want = 2
		}
		checkPlacements(t, fn, []placement{{v, want}})
	}
	for _, bad := range []string{"0=0-1-2\n", "x=0-1\n", "0=0-102400\n", "0=a-5\n"} {
		files := memFS{"ruledata/rule1.properties": bad}
		if _, err := New("PartitionByCRC32PreSlot", map[string]string{"count": "1"}, files.env("rule1")); err == nil {
			t.Errorf("slot file %q accepted", bad)
		}
	}
	if _, err := New("PartitionByCRC32PreSlot", map[string]string{"count": "1"}, Env{}); err == nil {
		t.Errorf("missing rule name accepted")
	}
}

// Vectors from Mycat's PartitionByCRC32PreSlotTest (generated slot maps).
func TestPartitionByCRC32PreSlotMycatVectors(t *testing.T) {
	cases := []struct {
		nodes int
		want  []placement
	}{
		{1000, []placement{{"1000316", 521}, {"2", 637}}},
		{2, []placement{{"1", 0}, {"2", 1}, {"3", 0}, {"4", 1}, {"5", 0}, {"6", 0}, {"7", 0}, {"8", 0}, {"9", 0}, {"9999", 0}, {"123456789", 1}, {"35565", 1}}},
		{3, []placement{{"1", 1}, {"2", 1}, {"3", 0}, {"4", 2}, {"5", 0}, {"6", 1}, {"7", 1}, {"8", 0}, {"9", 0}, {"9999", 0}, {"123456789", 2}, {"35565", 2}}},
	}
	for _, c := range cases {
		env := memFS{}.env("test")
		env.DataNodes = c.nodes // no count property: sized from the table
		fn, err := New("PartitionByCRC32PreSlot", nil, env)
		if err != nil {
			t.Fatal(err)
		}
		checkPlacements(t, fn, c.want)
		if fn.PartitionNum() != c.nodes {
			t.Errorf("PartitionNum = %d", fn.PartitionNum())
		}
	}
}

// Mycat's PartitionByPrefixPatternTest; the map is its test resource's layout
// (two hosts of four ranges over sums mod 32).
func TestPartitionByPrefixPatternMycatVectors(t *testing.T) {
	files := memFS{"partition_prefix_pattern.txt": "# range start-end ,data node index\n# ASCII\n# 48-57=0-9\n1-4=0\n5-8=1\n9-12=2\n13-16=3\n17-20=4\n21-24=5\n25-28=6\n29-32=7\n0-0=7\n"}
	fn := mustNew(t, "PartitionByPrefixPattern", map[string]string{"mapFile": "partition_prefix_pattern.txt", "patternValue": "32", "prefixLength": "5"}, files)
	checkPlacements(t, fn, []placement{{"gf89f9a", 0}, {"8df99a", 4}, {"8dhdf99a", 3}})
}

// Mycat's TestLatestMonthPartion.
func TestLatestMonthPartionMycatVectors(t *testing.T) {
	fn := mustNew(t, "LatestMonthPartion", map[string]string{"splitOneDay": "24"}, nil)
	checkPlacements(t, fn, []placement{{"2015020100", 0}, {"2015020216", 40}, {"2015022823", 27*24 + 23}})
	nodes, all, err := fn.CalculateRange("2015020100", "2015022823")
	if err != nil || all || len(nodes) != 27*24+23+1 || nodes[0] != 0 || nodes[len(nodes)-1] != 27*24+23 {
		t.Errorf("range: %d nodes, all=%v err=%v", len(nodes), all, err)
	}
	nodes, _, _ = fn.CalculateRange("2015020100", "2015020123")
	if len(nodes) != 24 || nodes[23] != 23 {
		t.Errorf("one-day range = %v", nodes)
	}
}

// Vectors and partition counts from Mycat's RuleFunctionSuitTableTest,
// PartitionByPatternTest and PartitionByLongTest.
func TestMycatSuitTableVectors(t *testing.T) {
	dupl := memFS{"autopartition-long-dupl.txt": "0-1000=0\n1001-2000=1\n2001-3000=0\n3001-4000=1\n"}
	fn := mustNew(t, "AutoPartitionByLong", map[string]string{"mapFile": "autopartition-long-dupl.txt"}, dupl)
	checkPlacements(t, fn, []placement{{"500", 0}, {"1500", 1}, {"2000", 1}, {"3000", 0}, {"3001", 1}})
	if fn.PartitionNum() != 2 {
		t.Errorf("AutoPartitionByLong dupl PartitionNum = %d, want 2", fn.PartitionNum())
	}

	pattern := memFS{"partition-pattern.txt": "1-32=0\n33-64=1\n65-96=2\n97-128=3\n129-160=4\n161-192=5\n193-224=6\n225-256=7\n0-0=7\n"}
	fn = mustNew(t, "PartitionByPattern", map[string]string{"mapFile": "partition-pattern.txt", "patternValue": "256", "defaultNode": "2"}, pattern)
	checkPlacements(t, fn, []placement{{"0", 7}, {"45a", 2}})
	if fn.PartitionNum() != 8 {
		t.Errorf("PartitionByPattern PartitionNum = %d, want 8", fn.PartitionNum())
	}

	fn = mustNew(t, "PartitionByHashMod", map[string]string{"count": "3"}, nil)
	if fn.PartitionNum() != 3 {
		t.Errorf("PartitionByHashMod PartitionNum = %d, want 3", fn.PartitionNum())
	}

	fn = mustNew(t, "PartitionByLong", map[string]string{"partitionCount": "4", "partitionLength": "256"}, nil)
	checkPlacements(t, fn, []placement{{"0", 0}, {"256", 1}, {"512", 2}, {"768", 3}, {"1023", 3}})
	fn = mustNew(t, "PartitionByLong", map[string]string{"partitionCount": "256", "partitionLength": "4"}, nil)
	checkPlacements(t, fn, []placement{{"0", 0}, {"5", 1}, {"10", 2}, {"768", 192}, {"1023", 255}})
}
