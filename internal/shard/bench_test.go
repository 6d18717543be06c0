package shard

import (
	"strconv"
	"testing"
)

// BenchmarkCalculate reports placements per second for the hash-based
// functions the proxy calls on every routed row.
func BenchmarkCalculate(b *testing.B) {
	specs := []struct {
		class string
		props map[string]string
	}{
		{"PartitionByMod", map[string]string{"count": "8"}},
		{"PartitionByLong", map[string]string{"partitionCount": "8", "partitionLength": "128"}},
		{"PartitionByMurmurHash", map[string]string{"count": "8"}},
		{"PartitionByJumpConsistentHash", map[string]string{"totalBuckets": "8"}},
		{"PartitionByCRC32PreSlot", map[string]string{"count": "8"}},
	}
	values := make([]string, 1024)
	for i := range values {
		values[i] = strconv.Itoa(1000000 + i*7919)
	}
	for _, s := range specs {
		fn, err := New(s.class, s.props, memFS{}.env("bench"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s.class, func(b *testing.B) {
			n := 0
			for b.Loop() {
				if _, err := fn.Calculate(values[n&1023]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "placements/s")
		})
	}
}
