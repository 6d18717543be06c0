package shard

import "strings"

// segmentTable is Mycat's PartitionUtil: 1024 slots split into partitions
// of the given lengths, count[i] partitions of length[i] slots each.
type segmentTable struct {
	segment    [1024]int
	partitions int
}

func parseIntList(p *props, name string) ([]int32, error) {
	raw, err := p.required(name, "a comma-separated list of integers")
	if err != nil {
		return nil, err
	}
	var out []int32
	for _, piece := range strings.Split(raw, ",") {
		piece = javaTrim(piece)
		n, err := javaParseInt(piece)
		if err != nil {
			return nil, configError(p.class, name, "%q is not a 32-bit integer", piece)
		}
		out = append(out, n)
	}
	return out, nil
}

func newSegmentTable(p *props) (*segmentTable, error) {
	count, err := parseIntList(p, "partitionCount")
	if err != nil {
		return nil, err
	}
	length, err := parseIntList(p, "partitionLength")
	if err != nil {
		return nil, err
	}
	if len(count) != len(length) {
		return nil, configError(p.class, "partitionLength", "has %d entries but partitionCount has %d; they must match", len(length), len(count))
	}
	t := &segmentTable{}
	slot := int64(0)
	for i := range count {
		if count[i] < 0 || length[i] < 0 {
			return nil, configError(p.class, "", "partitionCount and partitionLength must not be negative")
		}
		for range count[i] {
			if slot+int64(length[i]) > 1024 {
				return nil, configError(p.class, "", "sum of partitionCount[i]*partitionLength[i] exceeds 1024")
			}
			for j := slot; j < slot+int64(length[i]); j++ {
				t.segment[j] = t.partitions
			}
			slot += int64(length[i])
			t.partitions++
		}
	}
	if slot != 1024 {
		return nil, configError(p.class, "", "sum of partitionCount[i]*partitionLength[i] is %d; it must be 1024", slot)
	}
	return t, nil
}

func (t *segmentTable) partition(hash int64) int { return t.segment[hash&1023] }
