package shard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file reproduces the parts of java.text.SimpleDateFormat (lenient,
// the default) and java.util.GregorianCalendar that Mycat's date functions
// depend on, with the JVM default zone given as a *time.Location.
//
// Parsing rules kept from the JDK:
//   - Spaces and tabs before every field are skipped.
//   - A numeric field followed directly by another field reads exactly
//     `count` chars ("yyyyMMdd"); otherwise it reads every digit ("d" and
//     "dd" both take "1" or "01" or "001").
//   - A field may carry a leading '-' (lenient calendars accept negatives).
//   - Values roll over: 2014-02-30 is March 2, month 13 is January next year.
//   - Text after the last pattern element is ignored ("2014-01-01 12:00"
//     parses with "yyyy-MM-dd").
//   - "y"/"yy" with exactly two digits uses the 80-years-back century window.
//   - Dates before 1582-10-15 are Julian, as in GregorianCalendar.
// Supported letters: y, M/MM (numeric), d, H, m, s, S; quoted literals.

const (
	millisPerDay       = 86400000
	epochFixedDate     = 719163 // 1970-01-01 as a Rata Die day number
	gregorianCutover   = 577736 // 1582-10-15 (Gregorian) as a Rata Die day number
	gregorianCutoverYr = 1582
)

type dateToken struct {
	field   byte // 0 for a literal
	count   int
	literal []uint16
}

type javaDateFormat struct {
	pattern string
	tokens  []dateToken
	loc     *time.Location
	// The two-digit year window: years are placed in [start, start+100).
	centuryStartYear   int64
	centuryStartMillis int64
}

// dateFields are Calendar's fields after parsing; unset fields keep
// Calendar.clear() defaults (1970-01-01 00:00:00.000).
type dateFields struct {
	year, month, day, hour, minute, second, milli int64
}

const javaPatternLetters = "GyMdkHmsSEDFwWahKzZYuXL"

func compileDateFormat(pattern string, loc *time.Location, now time.Time) (*javaDateFormat, error) {
	if loc == nil {
		loc = time.Local
	}
	f := &javaDateFormat{pattern: pattern, loc: loc}
	units := utf16Units(pattern)
	var lit []uint16
	flush := func() {
		if len(lit) > 0 {
			f.tokens = append(f.tokens, dateToken{literal: lit})
			lit = nil
		}
	}
	for i := 0; i < len(units); i++ {
		c := units[i]
		if c == '\'' {
			if i+1 < len(units) && units[i+1] == '\'' {
				lit = append(lit, '\'')
				i++
				continue
			}
			// Quoted text up to the closing quote; '' inside is one quote.
			closed := false
			for i++; i < len(units); i++ {
				if units[i] == '\'' {
					if i+1 < len(units) && units[i+1] == '\'' {
						lit = append(lit, '\'')
						i++
						continue
					}
					closed = true
					break
				}
				lit = append(lit, units[i])
			}
			if !closed {
				return nil, fmt.Errorf("date format %q: unterminated quote", pattern)
			}
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			lit = append(lit, c)
			continue
		}
		if !strings.ContainsRune(javaPatternLetters, rune(c)) {
			return nil, fmt.Errorf("date format %q: illegal pattern character '%c'", pattern, c)
		}
		count := 1
		for i+1 < len(units) && units[i+1] == c {
			count++
			i++
		}
		switch c {
		case 'y', 'd', 'H', 'm', 's', 'S':
		case 'M':
			if count > 2 {
				return nil, fmt.Errorf("date format %q: month names (MMM) are not supported", pattern)
			}
		default:
			return nil, fmt.Errorf("date format %q: pattern letter '%c' is not supported", pattern, c)
		}
		flush()
		f.tokens = append(f.tokens, dateToken{field: byte(c), count: count})
	}
	flush()
	// SimpleDateFormat's default century starts 80 years before its creation.
	start := now.In(loc).AddDate(-80, 0, 0)
	f.centuryStartMillis = start.UnixMilli()
	f.centuryStartYear = int64(start.Year())
	return f, nil
}

// parseFields runs SimpleDateFormat.parse and returns the calendar fields
// and whether the two-digit year was the ambiguous one.
func (f *javaDateFormat) parseFields(value string) (dateFields, bool, error) {
	text := utf16Units(value)
	fields := dateFields{year: 1970, day: 1}
	ambiguous := false
	pos := 0
	for i, tok := range f.tokens {
		if tok.field == 0 {
			for _, c := range tok.literal {
				if pos >= len(text) || text[pos] != c {
					return fields, false, fmt.Errorf("does not match date format %q", f.pattern)
				}
				pos++
			}
			continue
		}
		obeyCount := i+1 < len(f.tokens) && f.tokens[i+1].field != 0
		start := pos
		for {
			if pos >= len(text) {
				return fields, false, fmt.Errorf("does not match date format %q", f.pattern)
			}
			if text[pos] != ' ' && text[pos] != '\t' {
				break
			}
			pos++
		}
		actualStart := pos
		limit := len(text)
		if obeyCount {
			if start+tok.count > len(text) {
				return fields, false, fmt.Errorf("does not match date format %q", f.pattern)
			}
			limit = start + tok.count
		}
		v, next, ok := parseJavaDecimal(text, pos, limit)
		if !ok {
			return fields, false, fmt.Errorf("does not match date format %q", f.pattern)
		}
		pos = next
		switch tok.field {
		case 'y':
			if tok.count <= 2 && pos-actualStart == 2 && javaDigit(rune(text[actualStart])) >= 0 && javaDigit(rune(text[actualStart+1])) >= 0 {
				twoDigit := f.centuryStartYear % 100
				ambiguous = int64(v) == twoDigit
				add := (f.centuryStartYear / 100) * 100
				if int64(v) < twoDigit {
					add += 100
				}
				v += int32(add)
			}
			fields.year = int64(v)
		case 'M':
			fields.month = int64(v) - 1
		case 'd':
			fields.day = int64(v)
		case 'H':
			fields.hour = int64(v)
		case 'm':
			fields.minute = int64(v)
		case 's':
			fields.second = int64(v)
		case 'S':
			fields.milli = int64(v)
		}
	}
	if pos == 0 {
		// parse(String) throws when nothing was consumed.
		return fields, false, fmt.Errorf("does not match date format %q", f.pattern)
	}
	return fields, ambiguous, nil
}

// parseMillis is SimpleDateFormat.parse(value).getTime().
func (f *javaDateFormat) parseMillis(value string) (int64, error) {
	fields, ambiguous, err := f.parseFields(value)
	if err != nil {
		return 0, err
	}
	millis := wallToMillis(fields, f.loc)
	if ambiguous && millis < f.centuryStartMillis {
		fields.year += 100
		millis = wallToMillis(fields, f.loc)
	}
	return millis, nil
}

// parseJavaDecimal is DecimalFormat.parse with integer-only, no grouping:
// an optional '-', then Unicode digits; the result is Number.intValue().
func parseJavaDecimal(text []uint16, pos, limit int) (int32, int, bool) {
	neg := false
	if pos < limit && text[pos] == '-' {
		neg = true
		pos++
	}
	var v uint64
	overflow := false
	var approx float64
	digits := 0
	for pos < limit {
		d := javaDigit(rune(text[pos]))
		if d < 0 {
			break
		}
		digits++
		approx = approx*10 + float64(d)
		if !overflow {
			if v > (math.MaxUint64-uint64(d))/10 {
				overflow = true
			} else {
				v = v*10 + uint64(d)
			}
		}
		pos++
	}
	if digits == 0 {
		return 0, 0, false
	}
	// DecimalFormat yields a Long when it fits, else a Double.
	limitAbs := uint64(math.MaxInt64)
	if neg {
		limitAbs++
	}
	if overflow || v > limitAbs {
		if neg {
			approx = -approx
		}
		return javaDoubleToInt(approx), pos, true
	}
	var l int64
	if neg {
		l = int64(-v) // v == 1<<63 wraps to MinInt64, as intended
	} else {
		l = int64(v)
	}
	return int32(l), pos, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func isGregorianLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func isJulianLeap(y int64) bool { return floorMod(y, 4) == 0 }

// gregorianFixed is the Rata Die number of year-month(1..12)-day.
func gregorianFixed(y, m, d int64) int64 {
	prev := y - 1
	days := d + 365*prev + floorDiv(prev, 4) - floorDiv(prev, 100) + floorDiv(prev, 400) + floorDiv(367*m-362, 12)
	if m > 2 {
		if isGregorianLeap(y) {
			days--
		} else {
			days -= 2
		}
	}
	return days
}

// julianFixed is the Rata Die number of a Julian calendar date
// (astronomical year numbering).
func julianFixed(y, m, d int64) int64 {
	days := -2 + 365*(y-1) + floorDiv(y-1, 4) + floorDiv(367*m-362, 12) + d
	if m > 2 {
		if isJulianLeap(y) {
			days--
		} else {
			days -= 2
		}
	}
	return days
}

// fixedDate picks the calendar the way GregorianCalendar.computeTime does.
func fixedDate(year, month, day int64) int64 {
	y := year + floorDiv(month, 12)
	m := floorMod(month, 12) + 1
	jfd := julianFixed(y, m, 1) + day - 1
	if year < gregorianCutoverYr {
		return jfd
	}
	if gfd := gregorianFixed(y, m, 1) + day - 1; gfd >= gregorianCutover {
		return gfd
	}
	return jfd
}

// wallToMillis is GregorianCalendar.computeTime for lenient fields.
func wallToMillis(f dateFields, loc *time.Location) int64 {
	fixed := fixedDate(f.year, f.month, f.day)
	timeOfDay := ((f.hour*60+f.minute)*60+f.second)*1000 + f.milli
	fixed += floorDiv(timeOfDay, millisPerDay)
	timeOfDay = floorMod(timeOfDay, millisPerDay)
	wall := (fixed-epochFixedDate)*millisPerDay + timeOfDay
	return wall - offsetForWall(wall, loc)
}

func offsetAt(millis int64, loc *time.Location) int64 {
	_, off := time.UnixMilli(millis).In(loc).Zone()
	return int64(off) * 1000
}

// offsetForWall finds the UTC offset Java applies to a wall-clock time:
// the offset of the latest zone period whose first wall time is <= wall.
// Times in a spring-forward gap and in a fall-back overlap both get the
// offset in force after the transition's wall-clock start, like ZoneInfo's
// getOffsetsByWall.
func offsetForWall(wall int64, loc *time.Location) int64 {
	guess := wall - offsetAt(wall, loc)
	var off int64
	for range 8 {
		t := time.UnixMilli(guess).In(loc)
		_, o := t.Zone()
		off = int64(o) * 1000
		start, end := t.ZoneBounds()
		if !start.IsZero() && wall < start.UnixMilli()+off {
			guess = start.UnixMilli() - 1
			continue
		}
		if !end.IsZero() {
			endOff := offsetAt(end.UnixMilli(), loc)
			if end.UnixMilli()+endOff <= wall {
				guess = end.UnixMilli()
				continue
			}
		}
		return off
	}
	return off
}

// millisToWall is Calendar.setTimeInMillis followed by the field getters
// (year here is astronomical; Calendar.YEAR differs before year 1).
func millisToWall(millis int64, loc *time.Location) dateFields {
	wall := millis + offsetAt(millis, loc)
	fixed := floorDiv(wall, millisPerDay) + epochFixedDate
	tod := floorMod(wall, millisPerDay)
	var y, m, d int64
	if fixed >= gregorianCutover {
		t := time.Unix((fixed-epochFixedDate)*86400, 0).UTC()
		yy, mm, dd := t.Date()
		y, m, d = int64(yy), int64(mm), int64(dd)
	} else {
		y = floorDiv(4*(fixed+1)+1464, 1461)
		prior := fixed - julianFixed(y, 1, 1)
		var correction int64
		if fixed >= julianFixed(y, 3, 1) {
			correction = 2
			if isJulianLeap(y) {
				correction = 1
			}
		}
		m = floorDiv(12*(prior+correction)+373, 367)
		d = fixed - julianFixed(y, m, 1) + 1
	}
	return dateFields{
		year: y, month: m - 1, day: d,
		hour: tod / 3600000, minute: tod / 60000 % 60, second: tod / 1000 % 60, milli: tod % 1000,
	}
}

// calendarYear is Calendar.get(YEAR): the year of the era, so 1 BC is 1.
func calendarYear(astronomical int64) int64 {
	if astronomical < 1 {
		return 1 - astronomical
	}
	return astronomical
}

// format is SimpleDateFormat.format for the supported letters.
func (f *javaDateFormat) format(millis int64) string {
	w := millisToWall(millis, f.loc)
	var b strings.Builder
	pad := func(v int64, width int) {
		s := strconv.FormatInt(v, 10)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	for _, tok := range f.tokens {
		switch tok.field {
		case 0:
			for _, r := range utf16Decode(tok.literal) {
				b.WriteRune(r)
			}
		case 'y':
			y := calendarYear(w.year)
			if tok.count == 2 {
				pad(y%100, 2)
			} else {
				pad(y, tok.count)
			}
		case 'M':
			pad(w.month+1, tok.count)
		case 'd':
			pad(w.day, tok.count)
		case 'H':
			pad(w.hour, tok.count)
		case 'm':
			pad(w.minute, tok.count)
		case 's':
			pad(w.second, tok.count)
		case 'S':
			pad(w.milli, tok.count)
		}
	}
	return b.String()
}

// addOneDay is Calendar.add(Calendar.DATE, 1): same wall time next day,
// keeping the old offset first and correcting for an offset change unless
// that would move the date.
func addOneDay(millis int64, loc *time.Location) int64 {
	oldOff := offsetAt(millis, loc)
	wallNext := millis + oldOff + millisPerDay
	fixedNext := floorDiv(wallNext, millisPerDay)
	next := wallNext - oldOff
	newOff := offsetAt(next, loc)
	if newOff != oldOff {
		adjusted := next + (oldOff - newOff)
		if floorDiv(adjusted+offsetAt(adjusted, loc), millisPerDay) == fixedNext {
			next = adjusted
		}
	}
	return next
}
