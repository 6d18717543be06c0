package shard

import (
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"unicode"

	"github.com/shardcat/shardcat/internal/javaprops"
)

// PartitionByCRC32PreSlot: slot = CRC32(UTF-8 bytes) % 102400, and each
// node owns slot ranges. The ranges live in ruledata/<RuleName>.properties
// (Properties format, "node=start-end[,start-end...]"); when the file does
// not exist it is generated, node i owning [i*102400/count,
// (i+1)*102400/count - 1] and the last node up to 102399, and written back
// through Env.WriteFile. Slots no range covers belong to node 0, as in
// Mycat's lookup array. The node count is the count property or, when it
// is absent, Env.DataNodes (later 1.6.7 releases take it from the table).
type PartitionByCRC32PreSlot struct {
	count int32
	slots []int32 // slot -> node
}

var _ Function = (*PartitionByCRC32PreSlot)(nil)

const crc32Slots = 102400

// crc32SlotFileHeader is the comment Mycat's Properties.store writes.
const crc32SlotFileHeader = "#WARNING   !!!Please do not modify or delete this file!!!\n"

func crc32SlotFileName(rule string) string { return "ruledata/" + rule + ".properties" }

func newPartitionByCRC32PreSlot(p *props, env Env) (Function, error) {
	count, err := p.int32("count", int32(env.DataNodes))
	if err != nil {
		return nil, err
	}
	if count <= 0 {
		return nil, configError(p.class, "count", "missing or not positive (and no table data node count); want the number of data nodes")
	}
	if env.RuleName == "" {
		return nil, configError(p.class, "", "needs the tableRule name (the slot file is named after it)")
	}
	name := crc32SlotFileName(env.RuleName)
	var text string
	data, err := readOptional(env, name)
	switch {
	case err != nil:
		return nil, configError(p.class, "", "reading %s: %v", name, err)
	case data != nil:
		text = javaprops.Latin1(data)
	default:
		text = generateCRC32SlotFile(count)
		if env.WriteFile != nil {
			if err := env.WriteFile(name, []byte(text)); err != nil {
				return nil, configError(p.class, "", "writing %s: %v", name, err)
			}
		}
	}
	slots, err := parseCRC32SlotFile(text)
	if err != nil {
		return nil, configError(p.class, "", "%s: %v", name, err)
	}
	return &PartitionByCRC32PreSlot{count: count, slots: slots}, nil
}

// readOptional returns nil data and no error when the file does not exist.
func readOptional(env Env, name string) ([]byte, error) {
	if env.ReadFile == nil {
		return nil, nil
	}
	data, err := env.ReadFile(name)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// generateCRC32SlotFile is genarateP + Properties.store, minus the date
// comment line (shardcat does not read the clock) and in key order.
func generateCRC32SlotFile(count int32) string {
	size := crc32Slots / count
	var b strings.Builder
	b.WriteString(crc32SlotFileHeader)
	for i := int32(0); i < count; i++ {
		end := (i+1)*size - 1
		if i == count-1 {
			end = crc32Slots - 1
		}
		fmt.Fprintf(&b, "%d=%d-%d\n", i, i*size, end)
	}
	return b.String()
}

// guavaTrim is Splitter.trimResults(): CharMatcher.whitespace().
func guavaTrim(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// guavaSplit is Splitter.on(sep).omitEmptyStrings().trimResults().
func guavaSplit(s, sep string) []string {
	var out []string
	for _, piece := range strings.Split(s, sep) {
		if piece = guavaTrim(piece); piece != "" {
			out = append(out, piece)
		}
	}
	return out
}

func parseCRC32SlotFile(text string) ([]int32, error) {
	entries, err := javaprops.Parse(text)
	if err != nil {
		return nil, err
	}
	// Hashtable semantics: a repeated key keeps its last value.
	byKey := map[string]string{}
	for _, e := range entries {
		byKey[e.Key] = e.Value
	}
	type nodeRanges struct {
		node   int32
		ranges [][2]int32
	}
	var all []nodeRanges
	for key, value := range byKey {
		node, err := javaParseInt(key)
		if err != nil {
			return nil, fmt.Errorf("node %q is not an int", key)
		}
		nr := nodeRanges{node: node}
		for _, r := range guavaSplit(value, ",") {
			bounds := guavaSplit(r, "-")
			if len(bounds) < 1 || len(bounds) > 2 {
				return nil, fmt.Errorf("load crc32slot datafile error: dn=%s, value=%s", key, r)
			}
			start, err := javaParseInt(bounds[0])
			if err != nil {
				return nil, fmt.Errorf("dn=%s: slot %q is not an int", key, bounds[0])
			}
			end := start
			if len(bounds) == 2 {
				if end, err = javaParseInt(bounds[1]); err != nil {
					return nil, fmt.Errorf("dn=%s: slot %q is not an int", key, bounds[1])
				}
			}
			nr.ranges = append(nr.ranges, [2]int32{start, end})
		}
		all = append(all, nr)
	}
	// TreeMap order: later (larger) nodes overwrite shared slots.
	sort.Slice(all, func(a, b int) bool { return all[a].node < all[b].node })
	slots := make([]int32, crc32Slots)
	for _, nr := range all {
		for _, r := range nr.ranges {
			if r[0] > r[1] {
				continue
			}
			if r[0] < 0 || r[1] >= crc32Slots {
				return nil, fmt.Errorf("dn=%d: slot range %d-%d outside 0-%d", nr.node, r[0], r[1], crc32Slots-1)
			}
			for s := r[0]; s <= r[1]; s++ {
				slots[s] = nr.node
			}
		}
	}
	return slots, nil
}

func (f *PartitionByCRC32PreSlot) Calculate(value string) (int, error) {
	slot := crc32.ChecksumIEEE(javaUTF8(value)) % crc32Slots
	return checkIndex("PartitionByCRC32PreSlot", value, int(f.slots[slot]))
}

// CalculateRange: a hash cannot narrow a range.
func (f *PartitionByCRC32PreSlot) CalculateRange(begin, end string) ([]int, bool, error) {
	return nil, true, nil
}

func (f *PartitionByCRC32PreSlot) PartitionNum() int { return int(f.count) }

// Slot is the CRC32 slot of a value (what Mycat's migrate works on).
func (f *PartitionByCRC32PreSlot) Slot(value string) int {
	return int(crc32.ChecksumIEEE(javaUTF8(value)) % crc32Slots)
}
