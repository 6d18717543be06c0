package shard

import "fmt"

// maxRangeNodes bounds a range answer; a wider one is a configuration or
// query error, not something to allocate.
const maxRangeNodes = 1 << 20

// sequenceRange is AbstractPartitionAlgorithm.calculateSequenceRange:
// every index from place(begin) to place(end). A null placement or a
// reversed range gives Mycat's empty array, i.e. all nodes.
func sequenceRange(function string, place func(string) (int, error), begin, end string) ([]int, bool, error) {
	b, err := place(begin)
	if err != nil {
		if isNullPartition(err) {
			return nil, true, nil
		}
		return nil, false, err
	}
	e, err := place(end)
	if err != nil {
		if isNullPartition(err) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return indexSpan(function, begin, b, e, true)
}

// indexSpan lists b..e. reversedMeansAll picks Mycat's answer for e < b:
// the empty array (all nodes) or null (no node).
func indexSpan(function, begin string, b, e int, reversedMeansAll bool) ([]int, bool, error) {
	if e < b {
		return nil, reversedMeansAll, nil
	}
	if b < 0 {
		return nil, false, noPartition(function, begin, "negative partition index %d", b)
	}
	if e-b >= maxRangeNodes {
		return nil, false, fmt.Errorf("%s: range %d..%d spans too many partitions", function, b, e)
	}
	nodes := make([]int, 0, e-b+1)
	for i := b; i <= e; i++ {
		nodes = append(nodes, i)
	}
	return nodes, false, nil
}
