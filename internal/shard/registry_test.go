package shard

import (
	"strings"
	"testing"
)

func TestNewUnknownClass(t *testing.T) {
	_, err := New("io.mycat.route.function.PartitionByVelocity", nil, Env{})
	if err == nil || !strings.Contains(err.Error(), "PartitionByVelocity") {
		t.Fatalf("err = %v, want one naming the class", err)
	}
}

func TestNewUnknownProperty(t *testing.T) {
	_, err := New("PartitionByMod", map[string]string{"count": "3", "cout": "4"}, Env{})
	if err == nil || !strings.Contains(err.Error(), "cout") {
		t.Fatalf("err = %v, want one naming the property", err)
	}
}

func TestNewBadProperty(t *testing.T) {
	cases := []struct {
		class string
		props map[string]string
		names string
	}{
		{"PartitionByMod", map[string]string{"count": "three"}, "count"},
		{"PartitionByMod", map[string]string{}, "count"},
		{"PartitionByMod", map[string]string{"count": "-3"}, "count"},
		{"PartitionByJumpConsistentHash", map[string]string{"totalBuckets": "0"}, "totalBuckets"},
		{"PartitionByHashMod", map[string]string{"count": "1.5"}, "count"},
		{"PartitionByString", map[string]string{"partitionCount": "2", "partitionLength": "512", "hashSlice": "a:b"}, "hashSlice"},
		{"PartitionByPattern", map[string]string{"patternValue": "0", "mapFile": "x"}, "patternValue"},
		{"PartitionDirectBySubString", map[string]string{"startIndex": "-1"}, "startIndex"},
	}
	for _, c := range cases {
		_, err := New(c.class, c.props, Env{})
		if err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("New(%s, %v) err = %v, want one naming %s", c.class, c.props, err, c.names)
		}
	}
}

func TestClasses(t *testing.T) {
	got := Classes()
	if len(got) != len(constructors) {
		t.Fatalf("Classes() = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Fatalf("Classes() not sorted: %v", got)
		}
	}
	// Both spellings of a class name work.
	for _, name := range []string{"PartitionByMod", "io.mycat.route.function.PartitionByMod"} {
		if _, err := New(name, map[string]string{"count": "2"}, Env{}); err != nil {
			t.Errorf("New(%s): %v", name, err)
		}
	}
}
