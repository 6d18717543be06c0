package merge

import (
	"io"
	"math/rand"
	"slices"
	"strconv"
	"testing"
)

func TestCompareValues(t *testing.T) {
	cases := []struct {
		a, b  string
		aNull bool
		kind  ValueKind
		want  int
	}{
		{"9", "10", false, KindExact, -1},
		{"-5", "-40", false, KindExact, 1},
		{"1.50", "1.5", false, KindExact, 0},
		{"123456789012345678901234567890", "123456789012345678901234567891", false, KindExact, -1},
		{"1e3", "999", false, KindFloat, 1},
		{"abc", "ABC", false, KindText, 0},
		{"abc ", "abc", false, KindText, 0},
		{"é", "E", false, KindText, 0},
		{"a", "B", false, KindText, -1},
		{"a", "B", false, KindBinary, 1},
		{"ß", "s", false, KindText, 0},
		{"ßa", "sb", false, KindText, -1},
		{"a\tb", "a", false, KindText, -1}, // PAD SPACE: 'a' compares as 'a ' and TAB < space
		{"a", "a\tb", false, KindText, 1},
		{"a  ", "a", false, KindText, 0},
		{"2024-01-02 00:00:00", "2023-12-31 23:59:59", false, KindTemporal, 1},
		{"-01:00:00", "00:30:00", false, KindTime, -1},
		{"100:00:00", "99:59:59", false, KindTime, 1},
		{"", "x", true, KindText, -1}, // NULL first
	}
	for _, c := range cases {
		var a []byte
		if !c.aNull {
			a = []byte(c.a)
		}
		if got := CompareValues(a, []byte(c.b), c.kind); got != c.want {
			t.Errorf("compare(%q, %q, %v) = %d, want %d", c.a, c.b, c.kind, got, c.want)
		}
	}
}

func drain(t *testing.T, s Stream) []Row {
	t.Helper()
	var out []Row
	for {
		r, err := s.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func row(vals ...string) Row {
	r := make(Row, len(vals))
	for i, v := range vals {
		if v != "NULL" {
			r[i] = []byte(v)
		}
	}
	return r
}

// The k-way merge must equal sorting the concatenation (a deliberately simple
// reference), for random inputs, directions and NULLs.
func TestSortedMatchesSortingEverything(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 300; iter++ {
		keys := []Key{{Pos: 0, Kind: KindExact, Desc: rng.Intn(2) == 0}, {Pos: 1, Kind: KindText, Desc: rng.Intn(2) == 0}}
		nStreams := 1 + rng.Intn(4)
		var streams []Stream
		var all []Row
		for s := 0; s < nStreams; s++ {
			var rows []Row
			for i := rng.Intn(8); i > 0; i-- {
				n := "NULL"
				if rng.Intn(5) > 0 {
					n = strconv.Itoa(rng.Intn(10) - 5)
				}
				rows = append(rows, row(n, string(rune('a'+rng.Intn(3))), strconv.Itoa(s)))
			}
			slices.SortStableFunc(rows, func(a, b Row) int { return Compare(a, b, keys) })
			all = append(all, rows...)
			streams = append(streams, &SliceStream{Rows: rows})
		}
		got := drain(t, NewSorted(streams, keys))
		want := slices.Clone(all)
		slices.SortStableFunc(want, func(a, b Row) int { return Compare(a, b, keys) })
		if len(got) != len(want) {
			t.Fatalf("got %d rows, want %d", len(got), len(want))
		}
		for i := range got {
			if Compare(got[i], want[i], keys) != 0 {
				t.Fatalf("iteration %d row %d: got %q want %q", iter, i, got[i], want[i])
			}
		}
	}
}

type countingStream struct {
	Stream
	reads int
}

func (c *countingStream) Next() (Row, error) { c.reads++; return c.Stream.Next() }

func TestLimitSkipsAndStopsEarly(t *testing.T) {
	src := &countingStream{Stream: &SliceStream{Rows: []Row{row("1"), row("2"), row("3"), row("4"), row("5")}}}
	got := drain(t, &Limit{Src: src, Offset: 1, Count: 2})
	if len(got) != 2 || string(got[0][0]) != "2" || string(got[1][0]) != "3" {
		t.Fatalf("got %q", got)
	}
	if src.reads != 3 {
		t.Fatalf("limit read %d rows from its source, want 3", src.reads)
	}
	if all := drain(t, &Limit{Src: &SliceStream{Rows: []Row{row("1")}}, Count: -1}); len(all) != 1 {
		t.Fatal("Count -1 means no limit")
	}
}

func TestConcatKeepsOrderOfStreams(t *testing.T) {
	got := drain(t, &Concat{Streams: []Stream{&SliceStream{Rows: []Row{row("a")}}, &SliceStream{}, &SliceStream{Rows: []Row{row("b"), row("c")}}}})
	if len(got) != 3 || string(got[2][0]) != "c" {
		t.Fatalf("got %q", got)
	}
}
