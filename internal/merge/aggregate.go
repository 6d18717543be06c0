package merge

import (
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
)

// AggFunc is how partial aggregates from several nodes combine.
type AggFunc int

const (
	AggCount AggFunc = iota // partial counts add up
	AggSum                  // partial sums add up (exactly, for integers and DECIMAL)
	AggMin
	AggMax
	AggAvg // partial SUMs at Pos and partial COUNTs at CountPos; the result is their quotient
	// AggCountDistinct: the nodes return the values themselves (grouped by
	// them); the result counts the distinct non-NULL values of the group.
	AggCountDistinct
)

// Agg is one select-list aggregate column.
type Agg struct {
	Pos  int
	Func AggFunc
	Kind ValueKind // how the column's values compare and add
	// CountPos holds the partial COUNT of an AggAvg.
	CountPos int
}

// Aggregate combines rows that several nodes grouped by the same keys: one
// output row per group, in group-key order (MySQL sorts GROUP BY results).
// Non-aggregate, non-key columns take the group's first value, as MySQL
// does for columns functionally dependent on the group. It holds one row per
// group; MaxGroups bounds that memory.
type Aggregate struct {
	Src       Stream
	GroupKeys []Key // GROUP BY columns (none: one group over everything)
	Aggs      []Agg
	MaxGroups int
	// Width is the row width, for the empty-input row of an ungrouped
	// aggregate (COUNT(*) over no rows is one row with 0).
	Width int

	out  []Row
	i    int
	done bool
}

func (a *Aggregate) Next() (Row, error) {
	if !a.done {
		if err := a.run(); err != nil {
			return nil, err
		}
		a.done = true
	}
	if a.i >= len(a.out) {
		return nil, io.EOF
	}
	a.i++
	return a.out[a.i-1], nil
}

func (a *Aggregate) run() error {
	index := map[string]int{}
	var groups []Row
	var sets []map[int]map[string]bool // per group: COUNT DISTINCT column -> values seen
	see := func(gi int, r Row) {
		for _, ag := range a.Aggs {
			if ag.Func != AggCountDistinct || r[ag.Pos] == nil {
				continue
			}
			if sets[gi][ag.Pos] == nil {
				sets[gi][ag.Pos] = map[string]bool{}
			}
			sets[gi][ag.Pos][normalise(r[ag.Pos], ag.Kind)] = true
		}
	}
	for {
		r, err := a.Src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		key := groupKey(r, a.GroupKeys)
		gi, ok := index[key]
		if !ok {
			if a.MaxGroups > 0 && len(groups) >= a.MaxGroups {
				return fmt.Errorf("GROUP BY produced more than %d groups, the proxy's limit for a cross-node merge", a.MaxGroups)
			}
			index[key] = len(groups)
			groups = append(groups, cloneRow(r))
			sets = append(sets, map[int]map[string]bool{})
			see(len(groups)-1, r)
			continue
		}
		see(gi, r)
		g := groups[gi]
		for _, ag := range a.Aggs {
			if ag.Func == AggCountDistinct {
				continue
			}
			v, err := combine(ag, g[ag.Pos], r[ag.Pos])
			if err != nil {
				return err
			}
			g[ag.Pos] = v
			if ag.Func == AggAvg {
				n, err := combine(Agg{Func: AggCount, Kind: KindExact}, g[ag.CountPos], r[ag.CountPos])
				if err != nil {
					return err
				}
				g[ag.CountPos] = n
			}
		}
	}
	for gi, g := range groups {
		for _, ag := range a.Aggs {
			if ag.Func == AggCountDistinct {
				g[ag.Pos] = []byte(strconv.Itoa(len(sets[gi][ag.Pos])))
				continue
			}
			if ag.Func == AggAvg {
				v, err := average(g[ag.Pos], g[ag.CountPos], ag.Kind)
				if err != nil {
					return err
				}
				g[ag.Pos] = v
			}
		}
	}
	if len(groups) == 0 && len(a.GroupKeys) == 0 && a.Width > 0 {
		// No node returned a row: COUNT is 0, the others NULL.
		r := make(Row, a.Width)
		for _, ag := range a.Aggs {
			if ag.Func == AggCount || ag.Func == AggCountDistinct {
				r[ag.Pos] = []byte("0")
			}
		}
		groups = append(groups, r)
	}
	sortRows(groups, a.GroupKeys)
	a.out = groups
	return nil
}

func cloneRow(r Row) Row {
	c := make(Row, len(r))
	for i, v := range r {
		if v != nil {
			c[i] = append([]byte{}, v...)
		}
	}
	return c
}

// groupKey is a string equal for values MySQL puts in one group.
func groupKey(r Row, keys []Key) string {
	var b strings.Builder
	for _, k := range keys {
		v := r[k.Pos]
		if v == nil {
			b.WriteString("\x00N")
			continue
		}
		b.WriteString("\x00V")
		b.WriteString(normalise(v, k.Kind))
	}
	return b.String()
}

// normalise maps a value to a canonical text: equal under the column's
// comparison means equal text.
func normalise(v []byte, kind ValueKind) string {
	switch kind {
	case KindText:
		// PAD SPACE: trailing spaces do not make values differ.
		return strings.TrimRight(string(foldText(v)), " ")
	case KindExact:
		if r, ok := new(big.Rat).SetString(string(v)); ok {
			return r.RatString()
		}
	case KindFloat:
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	case KindTime:
		return timeAsNumber(string(v))
	}
	return string(v)
}

func combine(ag Agg, acc, v []byte) ([]byte, error) {
	switch {
	case v == nil:
		return acc, nil
	case acc == nil:
		return append([]byte{}, v...), nil
	}
	switch ag.Func {
	case AggCount, AggSum, AggAvg:
		return addNumbers(acc, v, ag.Kind)
	case AggMin:
		if CompareValues(v, acc, ag.Kind) < 0 {
			return append([]byte{}, v...), nil
		}
	case AggMax:
		if CompareValues(v, acc, ag.Kind) > 0 {
			return append([]byte{}, v...), nil
		}
	}
	return acc, nil
}

// addNumbers adds two partial sums: exactly for integers and decimals
// (keeping the larger scale, as MySQL's DECIMAL result does), in float64
// for FLOAT/DOUBLE.
func addNumbers(a, b []byte, kind ValueKind) ([]byte, error) {
	if kind == KindFloat {
		fa, err1 := strconv.ParseFloat(string(a), 64)
		fb, err2 := strconv.ParseFloat(string(b), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("cannot add %q and %q", a, b)
		}
		return strconv.AppendFloat(nil, fa+fb, 'g', -1, 64), nil
	}
	ra, ok1 := new(big.Rat).SetString(string(a))
	rb, ok2 := new(big.Rat).SetString(string(b))
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("cannot add %q and %q", a, b)
	}
	scale := max(decimalScale(a), decimalScale(b))
	return []byte(ra.Add(ra, rb).FloatString(scale)), nil
}

// AvgScaleIncrement is MySQL's div_precision_increment default: AVG of an
// exact column has four more decimals than the column.
const AvgScaleIncrement = 4

// average divides a summed SUM by a summed COUNT as MySQL's AVG does:
// NULL for no rows, exact decimals (scale + 4, rounded half away from zero)
// for integers and DECIMAL, float division for FLOAT/DOUBLE.
func average(sum, count []byte, kind ValueKind) ([]byte, error) {
	if sum == nil || count == nil || string(count) == "0" {
		return nil, nil
	}
	if kind == KindFloat {
		fs, err1 := strconv.ParseFloat(string(sum), 64)
		fc, err2 := strconv.ParseFloat(string(count), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("cannot average %q over %q rows", sum, count)
		}
		return strconv.AppendFloat(nil, fs/fc, 'g', -1, 64), nil
	}
	rs, ok1 := new(big.Rat).SetString(string(sum))
	rc, ok2 := new(big.Rat).SetString(string(count))
	if !ok1 || !ok2 || rc.Sign() == 0 {
		return nil, fmt.Errorf("cannot average %q over %q rows", sum, count)
	}
	return []byte(rs.Quo(rs, rc).FloatString(decimalScale(sum) + AvgScaleIncrement)), nil
}

func decimalScale(v []byte) int {
	if i := strings.IndexByte(string(v), '.'); i >= 0 {
		return len(v) - i - 1
	}
	return 0
}

// Sort yields its source's rows sorted by keys (stable); it holds them all.
type Sort struct {
	Src     Stream
	Keys    []Key
	MaxRows int
	rows    []Row
	i       int
	done    bool
}

func (s *Sort) Next() (Row, error) {
	if !s.done {
		for {
			r, err := s.Src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if s.MaxRows > 0 && len(s.rows) >= s.MaxRows {
				return nil, fmt.Errorf("sorting more than %d rows exceeds the proxy's limit for a cross-node merge", s.MaxRows)
			}
			s.rows = append(s.rows, r)
		}
		sortRows(s.rows, s.Keys)
		s.done = true
	}
	if s.i >= len(s.rows) {
		return nil, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}

func sortRows(rows []Row, keys []Key) {
	if len(keys) == 0 {
		return
	}
	// Insertion-merge via the standard library's stable sort.
	stableSort(rows, func(a, b Row) int { return Compare(a, b, keys) })
}

// Distinct drops rows equal (under their columns' comparisons) to an earlier one.
type Distinct struct {
	Src     Stream
	Kinds   []ValueKind // per column
	MaxRows int
	seen    map[string]bool
}

func (d *Distinct) Next() (Row, error) {
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	for {
		r, err := d.Src.Next()
		if err != nil {
			return nil, err
		}
		keys := make([]Key, len(r))
		for i := range r {
			kind := KindBinary
			if i < len(d.Kinds) {
				kind = d.Kinds[i]
			}
			keys[i] = Key{Pos: i, Kind: kind}
		}
		k := groupKey(r, keys)
		if d.seen[k] {
			continue
		}
		if d.MaxRows > 0 && len(d.seen) >= d.MaxRows {
			return nil, fmt.Errorf("DISTINCT over more than %d rows exceeds the proxy's limit for a cross-node merge", d.MaxRows)
		}
		d.seen[k] = true
		return r, nil
	}
}
