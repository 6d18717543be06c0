package shard

import (
	"fmt"
	"strings"

	"github.com/shardcat/shardcat/internal/javaprops"
)

// mapLine is one "key=value" line of a Mycat map file, both sides trimmed.
type mapLine struct {
	number     int
	key, value string
}

// parseMapLines reads the map-file dialect shared by PartitionByFileMap,
// AutoPartitionByLong, PartitionByRangeMod and the pattern functions: lines
// are trimmed, "#" and "//" lines are comments, lines without '=' are
// skipped, and the split is at the first '='.
func parseMapLines(data []byte) []mapLine {
	var out []mapLine
	for i, line := range javaprops.SplitLines(string(data)) {
		line = javaTrim(line)
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			continue
		}
		out = append(out, mapLine{number: i + 1, key: javaTrim(line[:eq]), value: javaTrim(line[eq+1:])})
	}
	return out
}

// javaSplitDash is key.split("-"): trailing empty pieces are dropped.
func javaSplitDash(s string) []string {
	parts := strings.Split(s, "-")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// longRange is one "start-end=node" line (node is a group size for
// PartitionByRangeMod).
type longRange struct {
	start, end int64
	node       int32
}

// parseRangeMap reads "start-end=node" lines. parseBound is
// mycatParseLong (K/M units) or javaParseLong, as the Java class uses.
// Unlike FileMap, Mycat aborts loading on any bad line, and so do we.
func parseRangeMap(name string, data []byte, parseBound func(string) (int64, error)) ([]longRange, error) {
	var ranges []longRange
	for _, l := range parseMapLines(data) {
		pairs := javaSplitDash(l.key)
		if len(pairs) < 2 {
			return nil, fmt.Errorf("%s:%d: %q: want start-end=node", name, l.number, l.key)
		}
		start, err := parseBound(javaTrim(pairs[0]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: range start %q: %v", name, l.number, pairs[0], err)
		}
		end, err := parseBound(javaTrim(pairs[1]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: range end %q: %v", name, l.number, pairs[1], err)
		}
		node, err := javaParseInt(l.value)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: node %q: %v", name, l.number, l.value, err)
		}
		ranges = append(ranges, longRange{start: start, end: end, node: node})
	}
	return ranges, nil
}

// mycatParseLong is NumberParseUtil.parseLong: after upper-casing, "M" means
// x10,000 (Chinese 万) and "K" x1,000; digits after the unit are added, so
// "200M1" is 2,000,001. The multiplication wraps like Java long arithmetic.
func mycatParseLong(val string) (int64, error) {
	val = strings.ToUpper(val)
	unit := int64(10000)
	idx := strings.Index(val, "M")
	if idx < 0 {
		idx = strings.Index(val, "K")
		unit = 1000
	}
	if idx <= 0 {
		return javaParseLong(val)
	}
	base, err := javaParseLong(val[:idx])
	if err != nil {
		return 0, err
	}
	v := base * unit
	if remain := val[idx+1:]; remain != "" {
		add, err := javaParseInt(remain)
		if err != nil {
			return 0, err
		}
		v += int64(add)
	}
	return v, nil
}

// distinctNodes counts the distinct node values, Mycat's getPartitionNum for
// range maps.
func distinctNodes(ranges []longRange) int {
	seen := map[int32]bool{}
	for _, r := range ranges {
		seen[r.node] = true
	}
	return len(seen)
}
