package shard

import (
	"math"
	"testing"
)

func TestJavaParseLong(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"+5", 5, true},
		{"-5", -5, true},
		{"007", 7, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"١٢٣", 123, true}, // Arabic-Indic digits: Character.digit accepts them
		{"１２", 12, true},   // fullwidth digits
		{"", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{"+-1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"\U0001D7CE", 0, false}, // a digit outside the BMP is two chars to Java
	}
	for _, c := range cases {
		got, err := javaParseLong(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("javaParseLong(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestJavaParseInt(t *testing.T) {
	for in, want := range map[string]int32{"2147483647": math.MaxInt32, "-2147483648": math.MinInt32, "+0": 0} {
		if got, err := javaParseInt(in); err != nil || got != want {
			t.Errorf("javaParseInt(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"2147483648", "-2147483649", "1_000"} {
		if _, err := javaParseInt(in); err == nil {
			t.Errorf("javaParseInt(%q) accepted", in)
		}
	}
}

func TestJavaStringHashCode(t *testing.T) {
	cases := map[string]int32{
		"":      0,
		"a":     97,
		"hello": 99162322,
		"1":     49,
		"24":    1602,
		// "polygenelubricants" is the classic string whose hashCode is MinInt32.
		"polygenelubricants": math.MinInt32,
		"你好":                 652829,
		"\U0001F600":         55357*31 + 56832, // a surrogate pair D83D DE00: two units
	}
	for in, want := range cases {
		if got := javaStringHashCode(in); got != want {
			t.Errorf("hashCode(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMycatParseLong(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"500M", 5000000, true},
		{"200M1", 2000001, true},
		{"2k", 2000, true},
		{"2K5", 2005, true},
		{"123", 123, true},
		{"M5", 0, false},
		{"5MX", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := mycatParseLong(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("mycatParseLong(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
