package shard

import (
	"fmt"
	"math/big"
	"math/rand"
	"sort"
	"strconv"
	"testing"
)

func TestPartitionByMod(t *testing.T) {
	fn := mustNew(t, "io.mycat.route.function.PartitionByMod", map[string]string{"count": "3"}, nil)
	checkPlacements(t, fn, []placement{
		{"-4", 1}, {"-1", 1}, {"5", 2}, {"0", 0}, {"+7", 1},
		{"123456789012345678901234567890", 0}, // BigInteger: any length
		// Not an integer: Math.abs(hashCode) % count (Mycat >= 1.6.7.6).
		{"1.0", int(javaAbs32(javaStringHashCode("1.0")) % 3)},
		{"abc", 96354 % 3},
		{`"6"`, int(javaAbs32(javaStringHashCode(`"6"`)) % 3)},
	})
	// hashCode == Integer.MIN_VALUE: Math.abs stays negative.
	checkUnplaceable(t, fn, "polygenelubricants")
	if fn.PartitionNum() != 3 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
	if _, all, err := fn.CalculateRange("1", "5"); !all || err != nil {
		t.Errorf("CalculateRange: all=%v err=%v, want all", all, err)
	}
}

func TestPartitionByLong(t *testing.T) {
	props := map[string]string{"partitionCount": "4", "partitionLength": "256"}
	legacy := map[string]string{"partitionCount": "4", "partitionLength": "256", "legacyHash": "true"}
	cases := []struct {
		key          string
		legacy, fold int
	}{
		{"-1", 3, 0},
		{"0", 0, 0},
		{"256", 1, 1},
		{"1099511627776", 0, 1},
		{"9223372036854775807", 3, 0},
		{"4294967295", 3, 3}, // below 2^32 the fold is a no-op
	}
	modern := mustNew(t, "PartitionByLong", props, nil)
	old := mustNew(t, "PartitionByLong", legacy, nil)
	for _, c := range cases {
		checkPlacements(t, modern, []placement{{c.key, c.fold}})
		checkPlacements(t, old, []placement{{c.key, c.legacy}})
	}
	checkUnplaceable(t, modern, "1.5", "abc", "", "9223372036854775808", " 1")
	if modern.PartitionNum() != 4 {
		t.Errorf("PartitionNum = %d", modern.PartitionNum())
	}
	// Mycat's PartitionUtilTest: count [2,1], length [256,512].
	mixed := mustNew(t, "PartitionByLong", map[string]string{"partitionCount": "2,1", "partitionLength": "256,512"}, nil)
	checkPlacements(t, mixed, []placement{{"12345", 0}, {"255", 0}, {"256", 1}, {"511", 1}, {"512", 2}, {"1023", 2}, {"1024", 0}})
	nodes, all, err := mixed.CalculateRange("200", "600")
	if err != nil || all || fmt.Sprint(nodes) != "[0 1 2]" {
		t.Errorf("CalculateRange(200,600) = %v %v %v", nodes, all, err)
	}
	if _, all, _ := mixed.CalculateRange("600", "200"); !all {
		t.Errorf("reversed range should be all nodes")
	}
}

func TestPartitionByLongConfigErrors(t *testing.T) {
	bad := []map[string]string{
		{"partitionCount": "4", "partitionLength": "255"},
		{"partitionCount": "4,1", "partitionLength": "256"},
		{"partitionCount": "2", "partitionLength": "1024"},
		{"partitionCount": "x", "partitionLength": "256"},
		{"partitionLength": "256"},
		{"partitionCount": "4", "partitionLength": "256", "legacyHash": "yes"},
		{"partitionCount": "4", "partitionLength": "256", "partitionCont": "4"},
	}
	for _, props := range bad {
		if _, err := New("PartitionByLong", props, Env{}); err == nil {
			t.Errorf("New(PartitionByLong, %v) accepted", props)
		}
	}
}

func TestMurmurHashChars(t *testing.T) {
	// Known MurmurHash3_x86_32 values over the UTF-16LE bytes.
	cases := []struct {
		seed int32
		in   string
		want uint32
	}{
		{0, "", 0},
		{1, "", 0x514E28B7},
	}
	for _, c := range cases {
		if got := murmurHashChars(c.seed, c.in); uint32(got) != c.want {
			t.Errorf("murmur(%d,%q) = %#x, want %#x", c.seed, c.in, uint32(got), c.want)
		}
	}
	// Incremental hashing must equal hashing the whole string.
	h := newMurmur3(7)
	name := "SHARD-3"
	h.writeChars(utf16Units(name))
	for n := range 50 {
		part := "-NODE-" + strconv.Itoa(n)
		name += part
		h.writeChars(utf16Units(part))
		if got, want := h.sum(), murmurHashChars(7, name); got != want {
			t.Fatalf("incremental hash of %q = %d, want %d", name, got, want)
		}
	}
}

func TestPartitionByMurmurHash(t *testing.T) {
	// Vectors from Gaea's shard_mycat_test.go ("calculated from mycat rule function").
	fn := mustNew(t, "PartitionByMurmurHash", map[string]string{"seed": "0", "count": "2", "virtualBucketTimes": "160"}, nil)
	checkPlacements(t, fn, []placement{
		{"", 0}, {"hello, world", 0}, {"你好, 中国", 0}, {"?!)_FFSD", 1},
		{"-47", 0}, {"-46", 1}, {"-45", 1}, {"-44", 0}, {"-43", 1},
	})
	fn = mustNew(t, "PartitionByMurmurHash", map[string]string{"seed": "1", "count": "4"}, nil)
	checkPlacements(t, fn, []placement{
		{"", 2}, {"hello, world", 1}, {"你好, 中国", 0}, {"-47", 2}, {"-46", 3}, {"-43", 1}, {"-40", 1},
	})
}

// naiveMurmurRing builds the ring the slow, obvious way: every cumulative
// name hashed from scratch.
func naiveMurmurRing(seed, count, times int32, weights map[int32]int32) map[int32]int32 {
	ring := map[int32]int32{}
	for i := int32(0); i < count; i++ {
		w := weights[i]
		if w == 0 {
			w = 1
		}
		name := "SHARD-" + strconv.Itoa(int(i))
		for n := int32(0); n < times*w; n++ {
			name += "-NODE-" + strconv.Itoa(int(n))
			ring[murmurHashChars(seed, name)] = i
		}
	}
	return ring
}

// naiveMurmurLookup scans the whole ring for the successor of the hash.
func naiveMurmurLookup(ring map[int32]int32, seed int32, value string) int {
	h := murmurHashChars(seed, value)
	best, bestKey, found := 0, int32(0), false
	minKey, minNode := int32(0), int32(0)
	first := true
	for k, node := range ring {
		if first || k < minKey {
			minKey, minNode, first = k, node, false
		}
		if k >= h && (!found || k < bestKey) {
			bestKey, best, found = k, int(node), true
		}
	}
	if !found {
		return int(minNode)
	}
	return best
}

func TestPartitionByMurmurHashMatchesNaiveRing(t *testing.T) {
	files := memFS{"weights.properties": "# node=weight\n0=2\n2 : 3\n3=-5\n"}
	fn := mustNew(t, "PartitionByMurmurHash", map[string]string{"seed": "42", "count": "4", "virtualBucketTimes": "20", "weightMapFile": "weights.properties"}, files)
	ring := naiveMurmurRing(42, 4, 20, map[int32]int32{0: 2, 2: 3, 3: 1})
	rng := rand.New(rand.NewSource(1))
	for range 300 {
		v := strconv.FormatInt(rng.Int63n(1e12)-5e11, 10)
		got, err := fn.Calculate(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveMurmurLookup(ring, 42, v); got != want {
			t.Fatalf("Calculate(%q) = %d, naive ring says %d", v, got, want)
		}
	}
}

func TestPartitionByMurmurHashConfigErrors(t *testing.T) {
	files := memFS{"bad.properties": "0=heavy\n"}
	for _, props := range []map[string]string{
		{"count": "0"},
		{"seed": "1"},
		{"count": "2", "virtualBucketTimes": "0"},
		{"count": "2", "weightMapFile": "missing.properties"},
		{"count": "2", "weightMapFile": "bad.properties"},
		{"count": "2", "virtualBucketTimes": "100000000"},
	} {
		if _, err := New("PartitionByMurmurHash", props, files.env("r")); err == nil {
			t.Errorf("New(PartitionByMurmurHash, %v) accepted", props)
		}
	}
}

func TestPartitionByJumpConsistentHash(t *testing.T) {
	fn := mustNew(t, "PartitionByJumpConsistentHash", map[string]string{"totalBuckets": "3"}, nil)
	want := []int{1, 2, 1, 0, 0, 2, 1, 1, 1, 0, 2, 1, 1, 2, 1, 0, 0, 2, 1, 0, 0, 0, 2, 1}
	for i, w := range want {
		checkPlacements(t, fn, []placement{{strconv.Itoa(i + 1), w}})
	}
	if fn.PartitionNum() != 3 {
		t.Errorf("PartitionNum = %d", fn.PartitionNum())
	}
}

// Jump hash's defining property: growing the bucket count only moves keys
// to the new bucket.
func TestJumpConsistentHashMonotone(t *testing.T) {
	for key := int64(-500); key < 500; key++ {
		prev := jumpConsistentHash(key, 1)
		if prev != 0 {
			t.Fatalf("one bucket gave %d", prev)
		}
		for n := int32(2); n <= 40; n++ {
			got := jumpConsistentHash(key, n)
			if got != prev && got != n-1 {
				t.Fatalf("key %d moved from %d to %d when growing to %d buckets", key, prev, got, n)
			}
			prev = got
		}
	}
}

func TestPartitionByHashMod(t *testing.T) {
	for _, count := range []int32{3, 4, 7, 64} {
		fn := mustNew(t, "PartitionByHashMod", map[string]string{"count": strconv.Itoa(int(count))}, nil)
		for _, v := range []string{"0", "1", "abc", "'abc'", " x ", "polygenelubricants", "你好"} {
			got, err := fn.Calculate(v)
			if err != nil {
				t.Fatal(err)
			}
			h := int64(wangJenkinsHash(javaStringHashCode(javaTrim(replaceQuotes(v)))))
			if h < 0 {
				h = -h
			}
			if want := int(h % int64(count)); got != want {
				t.Errorf("count %d: Calculate(%q) = %d, want %d", count, v, got, want)
			}
		}
	}
	// Quotes become spaces and are trimmed: 'abc' and abc agree.
	fn := mustNew(t, "PartitionByHashMod", map[string]string{"count": "5"}, nil)
	a, _ := fn.Calculate("'abc'")
	b, _ := fn.Calculate("abc")
	if a != b {
		t.Errorf("'abc' -> %d, abc -> %d", a, b)
	}
}

func TestWangJenkinsHash(t *testing.T) {
	// Reference values computed with the Java int arithmetic by hand-checked
	// steps: key 0 -> (~0)+0 = -1, ...
	cases := map[int32]int32{}
	simple := func(key int32) int32 {
		k := int64(key)
		wrap := func(v int64) int64 { return int64(int32(v)) }
		k = wrap(wrap(^k) + wrap(k<<21))
		k = wrap(k ^ (k >> 24))
		k = wrap(wrap(k+wrap(k<<3)) + wrap(k<<8))
		k = wrap(k ^ (k >> 14))
		k = wrap(wrap(k+wrap(k<<2)) + wrap(k<<4))
		k = wrap(k ^ (k >> 28))
		k = wrap(k + wrap(k<<31))
		return int32(k)
	}
	for _, key := range []int32{0, 1, -1, 49, 2147483647, -2147483648, 99162322} {
		cases[key] = simple(key)
	}
	for key, want := range cases {
		if got := wangJenkinsHash(key); got != want {
			t.Errorf("hash(%d) = %d, want %d", key, got, want)
		}
	}
}

func TestPartitionByString(t *testing.T) {
	// Mycat's PartitionByStringTest: length 512, count 2, last four chars.
	fn := mustNew(t, "PartitionByString", map[string]string{"partitionLength": "512", "partitionCount": "2", "hashSlice": "-4:0"}, nil)
	checkPlacements(t, fn, []placement{{"aaaabbb0000", 0}, {"aaaabbb2359", 0}})
	// Derived by hand: hash("0000") = 48*(31^3+31^2+31+1) = 1477632 = 1443*1024 -> slot 0;
	// hash("zz") = 122*32 = 3904, 3904&1023 = 832 -> partition 1.
	fn = mustNew(t, "PartitionByString", map[string]string{"partitionLength": "512", "partitionCount": "2", "hashSlice": "0:4"}, nil)
	checkPlacements(t, fn, []placement{{"0000", 0}, {"0000xyz", 0}, {"zz", 1}})
	// Compare with the definition for several slices.
	for _, slice := range []string{"0:8", "2", "-2", "1:", ":-1", ":", "3:1", "-20:20"} {
		fn := mustNew(t, "PartitionByString", map[string]string{"partitionLength": "256", "partitionCount": "4", "hashSlice": slice}, nil)
		start, end, _ := parseHashSlice(slice)
		for _, v := range []string{"", "a", "hello world", "你好世界abc", "0123456789"} {
			u := utf16Units(v)
			s, e := int(start), int(end)
			if s < 0 {
				s += len(u)
			}
			if e <= 0 {
				e += len(u)
			}
			var h int64
			for i := max(s, 0); i < min(e, len(u)); i++ {
				h = 31*h + int64(u[i])
			}
			want := int(h&1023) / 256
			checkPlacements(t, fn, []placement{{v, want}})
		}
	}
}

func TestRingKeysSorted(t *testing.T) {
	f := buildMurmurRing(0, 3, 10, nil)
	if !sort.SliceIsSorted(f.keys, func(a, b int) bool { return f.keys[a] < f.keys[b] }) {
		t.Fatal("ring keys not sorted as signed ints")
	}
}

// The long fast path of PartitionByMod must agree with BigInteger.
func TestPartitionByModFastPath(t *testing.T) {
	fn := mustNew(t, "PartitionByMod", map[string]string{"count": "7"}, nil)
	for _, v := range []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "-9223372036854775809", "18446744073709551617", "+12"} {
		got, err := fn.Calculate(v)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := javaBigInteger(v)
		n.Abs(n)
		if want := int(n.Mod(n, big.NewInt(7)).Int64()); got != want {
			t.Errorf("Calculate(%q) = %d, want %d", v, got, want)
		}
	}
}

// Mycat's PartitionByModTest.
func TestPartitionByModMycatVectors(t *testing.T) {
	fn := mustNew(t, "PartitionByMod", map[string]string{"count": "256"}, nil)
	checkPlacements(t, fn, []placement{{"0", 0}, {"257", 1}, {"200", 200}, {"201", 201}})
}
