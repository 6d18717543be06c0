package mycatconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shardcat/shardcat/internal/shard"
)

// standInFunction is a minimal partition function for loader tests: only
// PartitionNum matters to the loader.
type standInFunction struct{ partitions int }

func (f standInFunction) Calculate(string) (int, error) { return 0, nil }
func (f standInFunction) CalculateRange(string, string) ([]int, bool, error) {
	return nil, true, nil
}
func (f standInFunction) PartitionNum() int { return f.partitions }

// standInClasses are the Mycat 1.6 classes the stand-in accepts.
var standInClasses = map[string]bool{
	"PartitionByLong": true, "PartitionByFileMap": true, "AutoPartitionByLong": true,
	"PartitionByMod": true, "PartitionByMurmurHash": true, "PartitionByCRC32PreSlot": true,
	"PartitionByMonth": true, "PartitionByDate": true, "LatestMonthPartion": true,
	"PartitionByRangeMod": true, "PartitionByJumpConsistentHash": true,
	"PartitionByHashMod": true, "PartitionByString": true, "PartitionByPattern": true,
}

// standInFactory stands in for shard.New: it rejects unknown classes, reads
// every map file it is given, and reports the partition count of the
// count-style functions (-1 for the others).
func standInFactory(class string, props map[string]string, env shard.Env) (shard.Function, error) {
	short := class[strings.LastIndexByte(class, '.')+1:]
	if !standInClasses[short] {
		return nil, fmt.Errorf("unknown partition function class %q", class)
	}
	if env.Location == nil || env.ReadFile == nil || env.RuleName == "" {
		return nil, fmt.Errorf("incomplete Env %+v", env)
	}
	if mf, ok := props["mapFile"]; ok {
		if _, err := env.ReadFile(mf); err != nil {
			return nil, fmt.Errorf("mapFile: %v", err)
		}
	}
	n := -1
	for _, key := range []string{"count", "totalBuckets"} {
		if v, ok := props[key]; ok {
			c, err := strconv.Atoi(v)
			if err != nil || c <= 0 {
				return nil, fmt.Errorf("%s=%q is not a positive integer", key, v)
			}
			n = c
		}
	}
	if pc, ok := props["partitionCount"]; ok && short == "PartitionByLong" {
		n = 0
		for _, p := range strings.Split(pc, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("partitionCount=%q", pc)
			}
			n += c
		}
	}
	return standInFunction{n}, nil
}

// testFactory is the real registry once it exists, else the stand-in.
func testFactory() FunctionFactory {
	if defaultNewFunction != nil {
		return defaultNewFunction
	}
	return standInFactory
}

// copyDir copies a testdata conf dir into a fresh temp dir.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func errorFindings(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if !f.Warning {
			out = append(out, f.String())
		}
	}
	return out
}
