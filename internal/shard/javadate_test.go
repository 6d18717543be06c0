package shard

import (
	"testing"
	"time"
	_ "time/tzdata"
)

var testNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func utcMillis(y int, m time.Month, d, hh, mm, ss, ms int) int64 {
	return time.Date(y, m, d, hh, mm, ss, ms*1e6, time.UTC).UnixMilli()
}

func TestLenientDateParse(t *testing.T) {
	cases := []struct {
		pattern, in string
		want        int64
	}{
		{"yyyy-MM-dd", "2014-01-01", utcMillis(2014, 1, 1, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-03-1", utcMillis(2014, 3, 1, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-02-30", utcMillis(2014, 3, 2, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-13-01", utcMillis(2015, 1, 1, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-00-00", utcMillis(2013, 11, 30, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-01--1", utcMillis(2013, 12, 30, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2014-01-01 23:59:59", utcMillis(2014, 1, 1, 0, 0, 0, 0)}, // trailing text ignored
		{"yyyy-MM-dd", " 2014-01- 02", utcMillis(2014, 1, 2, 0, 0, 0, 0)},        // blanks before fields
		{"yyyy-MM-dd", "2014-01-0001", utcMillis(2014, 1, 1, 0, 0, 0, 0)},
		{"yyyy-M-d", "2014-1-1", utcMillis(2014, 1, 1, 0, 0, 0, 0)},
		{"yyyyMMdd", "20140131", utcMillis(2014, 1, 31, 0, 0, 0, 0)},
		{"yyyyMMdd", "2014013", utcMillis(2014, 1, 3, 0, 0, 0, 0)},
		{"yyyyMMddHH", "2014050115", utcMillis(2014, 5, 1, 15, 0, 0, 0)},
		{"yyyy-MM-dd HH:mm:ss", "2014-01-01 24:00:00", utcMillis(2014, 1, 2, 0, 0, 0, 0)},
		{"yyyy-MM-dd HH:mm:ss.SSS", "2014-01-01 10:20:30.5", utcMillis(2014, 1, 1, 10, 20, 30, 5)},
		{"yyyy-MM-dd'T'HH", "2014-01-01T05", utcMillis(2014, 1, 1, 5, 0, 0, 0)},
		{"yyyy''MM", "2014'02", utcMillis(2014, 2, 1, 0, 0, 0, 0)},
		{"yy-MM-dd", "14-01-01", utcMillis(2014, 1, 1, 0, 0, 0, 0)},
		{"yy-MM-dd", "47-01-01", utcMillis(1947, 1, 1, 0, 0, 0, 0)},
		{"yy-MM-dd", "46-12-31", utcMillis(1946, 12, 31, 0, 0, 0, 0)}, // after the window start (1946-11-25)
		{"yy-MM-dd", "46-01-01", utcMillis(2046, 1, 1, 0, 0, 0, 0)},   // before it: next century
		{"yy-MM-dd", "2014-01-01", utcMillis(2014, 1, 1, 0, 0, 0, 0)}, // not two digits: literal
		{"yyyy-MM-dd", "14-01-01", utcMillis(14, 1, 1, 0, 0, 0, 0) - 2*millisPerDay},
		{"yyyy-MM-dd", "1582-10-15", utcMillis(1582, 10, 15, 0, 0, 0, 0)},
		// Before the cutover the calendar is Julian: Julian 1582-10-04 is the day before.
		{"yyyy-MM-dd", "1582-10-04", utcMillis(1582, 10, 15, 0, 0, 0, 0) - millisPerDay},
		{"yyyy-MM-dd", "1582-10-10", utcMillis(1582, 10, 20, 0, 0, 0, 0)},
		{"HH:mm", "10:30", utcMillis(1970, 1, 1, 10, 30, 0, 0)},
	}
	for _, c := range cases {
		f, err := compileDateFormat(c.pattern, time.UTC, testNow)
		if err != nil {
			t.Fatalf("compile %q: %v", c.pattern, err)
		}
		got, err := f.parseMillis(c.in)
		if err != nil {
			t.Errorf("parse(%q, %q): %v", c.pattern, c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("parse(%q, %q) = %s, want %s", c.pattern, c.in, time.UnixMilli(got).UTC(), time.UnixMilli(c.want).UTC())
		}
	}
}

func TestLenientDateParseErrors(t *testing.T) {
	cases := []struct{ pattern, in string }{
		{"yyyy-MM-dd", ""},
		{"yyyy-MM-dd", "2014/01/01"},
		{"yyyy-MM-dd", "2014-01"},
		{"yyyy-MM-dd", "+2014-01-01"},
		{"yyyy-MM-dd", "abc"},
		{"yyyyMMdd", "20141"}, // MM must have two chars
		{"", "2014"},          // nothing consumed
	}
	for _, c := range cases {
		f, err := compileDateFormat(c.pattern, time.UTC, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.parseMillis(c.in); err == nil {
			t.Errorf("parse(%q, %q) = %d, want error", c.pattern, c.in, got)
		}
	}
}

func TestDateFormatCompileErrors(t *testing.T) {
	for _, p := range []string{"yyyy-MMM-dd", "yyyy-MM-dd hh", "yyyy-MM-dd 'unterminated", "yyyy-MM-dd E", "yyyy-MM-dd q"} {
		if _, err := compileDateFormat(p, time.UTC, testNow); err == nil {
			t.Errorf("compile(%q) accepted", p)
		}
	}
}

func TestDSTWallTimes(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	f, _ := compileDateFormat("yyyy-MM-dd HH:mm", ny, testNow)
	// 02:30 on 2014-03-09 does not exist: Java reads it with the standard
	// offset, i.e. 07:30 UTC (03:30 EDT).
	if got, _ := f.parseMillis("2014-03-09 02:30"); got != utcMillis(2014, 3, 9, 7, 30, 0, 0) {
		t.Errorf("gap time = %s", time.UnixMilli(got).UTC())
	}
	// 01:30 on 2014-11-02 happens twice: Java picks standard time (06:30 UTC).
	if got, _ := f.parseMillis("2014-11-02 01:30"); got != utcMillis(2014, 11, 2, 6, 30, 0, 0) {
		t.Errorf("overlap time = %s", time.UnixMilli(got).UTC())
	}
	if got, _ := f.parseMillis("2014-07-01 12:00"); got != utcMillis(2014, 7, 1, 16, 0, 0, 0) {
		t.Errorf("summer time = %s", time.UnixMilli(got).UTC())
	}
}

func TestDateFormatRoundTrip(t *testing.T) {
	for _, pattern := range []string{"yyyy-MM-dd", "yyyyMMddHHmmss", "yyyy-MM-dd HH:mm:ss.SSS", "yy-M-d"} {
		f, _ := compileDateFormat(pattern, time.UTC, testNow)
		for _, ms := range []int64{0, utcMillis(2014, 2, 28, 13, 5, 9, 7), utcMillis(1999, 12, 31, 23, 59, 59, 999), utcMillis(2030, 6, 1, 0, 0, 0, 0)} {
			text := f.format(ms)
			back, err := f.parseMillis(text)
			if err != nil {
				t.Fatalf("%q: parse(format(%d)=%q): %v", pattern, ms, text, err)
			}
			if again := f.format(back); again != text {
				t.Errorf("%q: format/parse/format %q -> %q", pattern, text, again)
			}
		}
	}
}

func TestMillisToWallInverse(t *testing.T) {
	for _, loc := range []*time.Location{time.UTC, mustLoad(t, "Asia/Shanghai"), mustLoad(t, "America/New_York")} {
		for ms := int64(-20000000000000); ms < 20000000000000; ms += 123456789123 {
			w := millisToWall(ms, loc)
			if back := wallToMillis(w, loc); back != ms {
				// Only the repeated hour of a fall-back day may map elsewhere.
				if d := back - ms; d != 3600000 {
					t.Fatalf("%s: %d -> %+v -> %d", loc, ms, w, back)
				}
			}
		}
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	return loc
}
