package merge

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// Partial aggregates computed per node and combined must equal aggregating
// all rows at once (a deliberately simple reference).
func TestAggregateMatchesGlobalAggregation(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	groups := []string{"a", "A", "b", "é", "E", "c "}
	for iter := 0; iter < 200; iter++ {
		type rowT struct {
			g string
			v int
		}
		nodes := 1 + rng.Intn(4)
		parts := make([][]rowT, nodes)
		var all []rowT
		for i := rng.Intn(30); i > 0; i-- {
			r := rowT{groups[rng.Intn(len(groups))], rng.Intn(200) - 100}
			n := rng.Intn(nodes)
			parts[n] = append(parts[n], r)
			all = append(all, r)
		}
		// What each node returns for: SELECT g, COUNT(*), SUM(v), MIN(v), MAX(v) GROUP BY g
		partial := func(rows []rowT) []Row {
			type acc struct{ n, sum, min, max int }
			order := []string{}
			m := map[string]*acc{}
			first := map[string]string{}
			for _, r := range rows {
				k := normalise([]byte(r.g), KindText)
				a, ok := m[k]
				if !ok {
					a = &acc{min: r.v, max: r.v}
					m[k] = a
					first[k] = r.g
					order = append(order, k)
				}
				a.n++
				a.sum += r.v
				a.min = min(a.min, r.v)
				a.max = max(a.max, r.v)
			}
			var out []Row
			for _, k := range order {
				a := m[k]
				out = append(out, row(first[k], strconv.Itoa(a.n), strconv.Itoa(a.sum), strconv.Itoa(a.min), strconv.Itoa(a.max)))
			}
			return out
		}
		var streams []Stream
		for _, p := range parts {
			streams = append(streams, &SliceStream{Rows: partial(p)})
		}
		agg := &Aggregate{
			Src:       &Concat{Streams: streams},
			GroupKeys: []Key{{Pos: 0, Kind: KindText}},
			Aggs: []Agg{{Pos: 1, Func: AggCount, Kind: KindExact}, {Pos: 2, Func: AggSum, Kind: KindExact},
				{Pos: 3, Func: AggMin, Kind: KindExact}, {Pos: 4, Func: AggMax, Kind: KindExact}},
		}
		got := drain(t, agg)
		want := partial(all)
		sortRows(want, []Key{{Pos: 0, Kind: KindText}})
		if len(got) != len(want) {
			t.Fatalf("iteration %d: %d groups, want %d", iter, len(got), len(want))
		}
		for i := range got {
			for c := 1; c < 5; c++ {
				if string(got[i][c]) != string(want[i][c]) {
					t.Fatalf("iteration %d group %q column %d: got %s want %s", iter, got[i][0], c, got[i][c], want[i][c])
				}
			}
			if normalise(got[i][0], KindText) != normalise(want[i][0], KindText) {
				t.Fatalf("group order: got %q want %q", got[i][0], want[i][0])
			}
		}
	}
}

func TestAggregateEmptyAndNulls(t *testing.T) {
	agg := &Aggregate{Src: &SliceStream{}, Aggs: []Agg{{Pos: 0, Func: AggCount, Kind: KindExact}, {Pos: 1, Func: AggSum, Kind: KindExact}}, Width: 2}
	got := drain(t, agg)
	if len(got) != 1 || string(got[0][0]) != "0" || got[0][1] != nil {
		t.Fatalf("COUNT/SUM over no rows: %q", got)
	}
	agg = &Aggregate{Src: &SliceStream{Rows: []Row{row("1", "NULL"), row("2", "2.50"), row("0", "0.125")}},
		Aggs: []Agg{{Pos: 0, Func: AggCount, Kind: KindExact}, {Pos: 1, Func: AggSum, Kind: KindExact}}, Width: 2}
	got = drain(t, agg)
	if string(got[0][0]) != "3" || string(got[0][1]) != "2.625" {
		t.Fatalf("got %q", got)
	}
}

func TestDistinctUsesColumnComparison(t *testing.T) {
	d := &Distinct{Src: &SliceStream{Rows: []Row{row("a", "1"), row("A", "1.0"), row("b", "1"), row("a", "2")}}, Kinds: []ValueKind{KindText, KindExact}}
	var got []string
	for _, r := range drain(t, d) {
		got = append(got, string(r[0])+string(r[1]))
	}
	if strings.Join(got, ",") != "a1,b1,a2" {
		t.Fatalf("got %v", got)
	}
}
