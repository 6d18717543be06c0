package mysql

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Row is one result row in text form: one entry per column, nil for NULL.
// Binary-protocol rows are converted to and from this form, so the rest of
// the proxy sees one representation.
type Row [][]byte

// AppendTextRow appends a text-protocol row payload.
func AppendTextRow(b []byte, row Row) []byte {
	for _, v := range row {
		if v == nil {
			b = append(b, 0xfb)
			continue
		}
		b = AppendLenEncString(b, v)
	}
	return b
}

// DecodeTextRow parses a text-protocol row of n columns. Values alias payload.
func DecodeTextRow(payload []byte, n int) (Row, error) {
	d := newDecoder(payload)
	row := make(Row, n)
	for i := range row {
		v, isNull := d.lenEncBytes("text row value")
		if d.err != nil {
			return nil, d.err
		}
		if !isNull {
			if v == nil {
				v = []byte{}
			}
			row[i] = v
		}
	}
	if d.remaining() != 0 {
		return nil, malformed("text row: more values than columns")
	}
	return row, nil
}

// AppendBinaryRow appends a binary-protocol row payload (as sent for
// COM_STMT_EXECUTE results), converting each text value to its column's
// binary form.
func AppendBinaryRow(b []byte, cols []*ColumnDef, row Row) ([]byte, error) {
	if len(row) != len(cols) {
		return b, fmt.Errorf("mysql: binary row: %d values for %d columns", len(row), len(cols))
	}
	b = append(b, 0x00)
	bitmapAt := len(b)
	b = append(b, make([]byte, (len(cols)+7+2)/8)...)
	var err error
	for i, v := range row {
		if v == nil {
			pos := i + 2 // the result-set null bitmap has an offset of 2
			b[bitmapAt+pos/8] |= 1 << (pos % 8)
			continue
		}
		if b, err = appendBinaryValue(b, cols[i], v); err != nil {
			return b, fmt.Errorf("mysql: binary row: column %q: %w", cols[i].Name, err)
		}
	}
	return b, nil
}

func appendBinaryValue(b []byte, col *ColumnDef, v []byte) ([]byte, error) {
	s := string(v)
	switch col.Type {
	case TypeTiny, TypeShort, TypeYear, TypeLong, TypeInt24, TypeLongLong:
		size := map[byte]int{TypeTiny: 1, TypeShort: 2, TypeYear: 2, TypeLong: 4, TypeInt24: 4, TypeLongLong: 8}[col.Type]
		var u uint64
		if col.IsUnsigned() {
			n, err := strconv.ParseUint(s, 10, size*8)
			if err != nil {
				return b, err
			}
			u = n
		} else {
			n, err := strconv.ParseInt(s, 10, size*8)
			if err != nil {
				return b, err
			}
			u = uint64(n)
		}
		for i := 0; i < size; i++ {
			b = append(b, byte(u>>(8*i)))
		}
		return b, nil
	case TypeFloat:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return b, err
		}
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f))), nil
	case TypeDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return b, err
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(f)), nil
	case TypeDate, TypeNewDate, TypeDateTime, TypeTimestamp, TypeDateTime2, TypeTimestamp2:
		dt, err := parseTextDateTime(s)
		if err != nil {
			return b, err
		}
		return appendBinaryDateTime(b, dt), nil
	case TypeTime, TypeTime2:
		t, err := parseTextTime(s)
		if err != nil {
			return b, err
		}
		return appendBinaryTime(b, t), nil
	default:
		return AppendLenEncString(b, v), nil
	}
}

// dateTime holds the parts of a DATE/DATETIME as MySQL sends them, which
// may be invalid for time.Time (zero dates).
type dateTime struct {
	year                       uint16
	month, day, hour, min, sec uint8
	micro                      uint32
}

// timeValue is a TIME: up to ±838:59:59.999999.
type timeValue struct {
	negative       bool
	days           uint32
	hour, min, sec uint8
	micro          uint32
}

func appendBinaryDateTime(b []byte, dt dateTime) []byte {
	switch {
	case dt.micro != 0:
		b = append(b, 11)
	case dt.hour != 0 || dt.min != 0 || dt.sec != 0:
		b = append(b, 7)
	case dt.year != 0 || dt.month != 0 || dt.day != 0:
		b = append(b, 4)
	default:
		return append(b, 0)
	}
	n := b[len(b)-1]
	b = binary.LittleEndian.AppendUint16(b, dt.year)
	b = append(b, dt.month, dt.day)
	if n >= 7 {
		b = append(b, dt.hour, dt.min, dt.sec)
	}
	if n == 11 {
		b = binary.LittleEndian.AppendUint32(b, dt.micro)
	}
	return b
}

func appendBinaryTime(b []byte, t timeValue) []byte {
	switch {
	case t.micro != 0:
		b = append(b, 12)
	case t.days != 0 || t.hour != 0 || t.min != 0 || t.sec != 0:
		b = append(b, 8)
	default:
		return append(b, 0)
	}
	n := b[len(b)-1]
	neg := byte(0)
	if t.negative {
		neg = 1
	}
	b = append(b, neg)
	b = binary.LittleEndian.AppendUint32(b, t.days)
	b = append(b, t.hour, t.min, t.sec)
	if n == 12 {
		b = binary.LittleEndian.AppendUint32(b, t.micro)
	}
	return b
}

// parseMicros parses up to 6 fractional digits into microseconds.
func parseMicros(frac string) (uint32, error) {
	if frac == "" {
		return 0, nil
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("fraction %q longer than 6 digits", frac)
	}
	n, err := strconv.ParseUint(frac+strings.Repeat("0", 6-len(frac)), 10, 32)
	return uint32(n), err
}

// parseTextDateTime reads "YYYY-MM-DD[ HH:MM:SS[.ffffff]]".
func parseTextDateTime(s string) (dateTime, error) {
	var dt dateTime
	date, clock, hasClock := strings.Cut(s, " ")
	parts := strings.Split(date, "-")
	if len(parts) != 3 {
		return dt, fmt.Errorf("bad date %q", s)
	}
	nums := make([]uint64, 0, 6)
	for _, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return dt, fmt.Errorf("bad date %q", s)
		}
		nums = append(nums, n)
	}
	var frac string
	if hasClock {
		clock, frac, _ = strings.Cut(clock, ".")
		cp := strings.Split(clock, ":")
		if len(cp) != 3 {
			return dt, fmt.Errorf("bad datetime %q", s)
		}
		for _, p := range cp {
			n, err := strconv.ParseUint(p, 10, 8)
			if err != nil {
				return dt, fmt.Errorf("bad datetime %q", s)
			}
			nums = append(nums, n)
		}
	} else {
		nums = append(nums, 0, 0, 0)
	}
	if nums[1] > 255 || nums[2] > 255 {
		return dt, fmt.Errorf("bad date %q", s)
	}
	micro, err := parseMicros(frac)
	if err != nil {
		return dt, err
	}
	return dateTime{uint16(nums[0]), uint8(nums[1]), uint8(nums[2]), uint8(nums[3]), uint8(nums[4]), uint8(nums[5]), micro}, nil
}

// parseTextTime reads "[-]H+:MM:SS[.ffffff]".
func parseTextTime(s string) (timeValue, error) {
	var t timeValue
	if strings.HasPrefix(s, "-") {
		t.negative = true
		s = s[1:]
	}
	clock, frac, _ := strings.Cut(s, ".")
	cp := strings.Split(clock, ":")
	if len(cp) != 3 {
		return t, fmt.Errorf("bad time %q", s)
	}
	hours, err1 := strconv.ParseUint(cp[0], 10, 64)
	mins, err2 := strconv.ParseUint(cp[1], 10, 8)
	secs, err3 := strconv.ParseUint(cp[2], 10, 8)
	if err1 != nil || err2 != nil || err3 != nil || mins > 59 || secs > 59 || hours/24 > math.MaxUint32 {
		return t, fmt.Errorf("bad time %q", s)
	}
	micro, err := parseMicros(frac)
	if err != nil {
		return t, err
	}
	t.days = uint32(hours / 24)
	t.hour = uint8(hours % 24)
	t.min, t.sec, t.micro = uint8(mins), uint8(secs), micro
	return t, nil
}

// DecodeBinaryRow parses a binary-protocol row and converts each value to
// the text form MySQL would have sent for the same column.
func DecodeBinaryRow(payload []byte, cols []*ColumnDef) (Row, error) {
	d := newDecoder(payload)
	if h := d.uint8("binary row header"); d.err == nil && h != 0x00 {
		return nil, malformed("binary row: header is not 0x00")
	}
	bitmap := d.bytes((len(cols)+7+2)/8, "binary row null bitmap")
	if d.err != nil {
		return nil, d.err
	}
	row := make(Row, len(cols))
	for i, col := range cols {
		pos := i + 2
		if bitmap[pos/8]&(1<<(pos%8)) != 0 {
			continue
		}
		row[i] = decodeBinaryValueText(d, col)
		if d.err != nil {
			return nil, d.err
		}
	}
	if d.remaining() != 0 {
		return nil, malformed("binary row: trailing bytes")
	}
	return row, nil
}

func decodeBinaryValueText(d *decoder, col *ColumnDef) []byte {
	unsigned := col.IsUnsigned()
	intText := func(u uint64, bits int) []byte {
		if unsigned {
			return strconv.AppendUint(nil, u, 10)
		}
		// Sign-extend from the field width.
		shift := 64 - bits
		return strconv.AppendInt(nil, int64(u<<shift)>>shift, 10)
	}
	switch col.Type {
	case TypeNull:
		return nil
	case TypeTiny:
		return intText(uint64(d.uint8("tiny")), 8)
	case TypeShort, TypeYear:
		return intText(uint64(d.uint16("short")), 16)
	case TypeLong, TypeInt24:
		return intText(uint64(d.uint32("long")), 32)
	case TypeLongLong:
		return intText(d.uint64("longlong"), 64)
	case TypeFloat:
		f := math.Float32frombits(d.uint32("float"))
		return appendMySQLFloat(nil, float64(f), 32)
	case TypeDouble:
		f := math.Float64frombits(d.uint64("double"))
		return appendMySQLFloat(nil, f, 64)
	case TypeDate, TypeNewDate, TypeDateTime, TypeTimestamp, TypeDateTime2, TypeTimestamp2:
		dt := decodeBinaryDateTime(d)
		if d.err != nil {
			return nil
		}
		return formatDateTime(dt, col.Type == TypeDate || col.Type == TypeNewDate, int(col.Decimals))
	case TypeTime, TypeTime2:
		t := decodeBinaryTime(d)
		if d.err != nil {
			return nil
		}
		return formatTime(t, int(col.Decimals))
	default:
		v, _ := d.lenEncBytes("string value")
		if d.err != nil {
			return nil
		}
		if v == nil {
			v = []byte{}
		}
		return v
	}
}

func decodeBinaryDateTime(d *decoder) dateTime {
	var dt dateTime
	n := d.uint8("datetime length")
	if d.err != nil {
		return dt
	}
	if n != 0 && n != 4 && n != 7 && n != 11 {
		d.fail("datetime: bad length")
		return dt
	}
	if n >= 4 {
		dt.year = d.uint16("year")
		dt.month = d.uint8("month")
		dt.day = d.uint8("day")
	}
	if n >= 7 {
		dt.hour = d.uint8("hour")
		dt.min = d.uint8("minute")
		dt.sec = d.uint8("second")
	}
	if n == 11 {
		dt.micro = d.uint32("microsecond")
	}
	if dt.micro > 999999 {
		d.fail("datetime: microseconds out of range")
	}
	return dt
}

func decodeBinaryTime(d *decoder) timeValue {
	var t timeValue
	n := d.uint8("time length")
	if d.err != nil {
		return t
	}
	if n != 0 && n != 8 && n != 12 {
		d.fail("time: bad length")
		return t
	}
	if n >= 8 {
		t.negative = d.uint8("time sign") == 1
		t.days = d.uint32("days")
		t.hour = d.uint8("hour")
		t.min = d.uint8("minute")
		t.sec = d.uint8("second")
	}
	if n == 12 {
		t.micro = d.uint32("microsecond")
	}
	if t.hour > 23 || t.min > 59 || t.sec > 59 || t.micro > 999999 {
		d.fail("time: field out of range")
	}
	return t
}

// fracDigits picks how many fractional digits to print: the column's
// declared decimals (0-6), else 6 when there is a fraction.
func fracDigits(decimals int, micro uint32) int {
	if decimals >= 1 && decimals <= 6 {
		return decimals
	}
	if decimals == 0 {
		return 0
	}
	if micro != 0 {
		return 6
	}
	return 0
}

func appendFrac(b []byte, micro uint32, digits int) []byte {
	if digits == 0 {
		return b
	}
	s := fmt.Sprintf("%06d", micro%1000000)
	return append(append(b, '.'), s[:digits]...)
}

func formatDateTime(dt dateTime, dateOnly bool, decimals int) []byte {
	b := fmt.Appendf(nil, "%04d-%02d-%02d", dt.year, dt.month, dt.day)
	if dateOnly {
		return b
	}
	b = fmt.Appendf(b, " %02d:%02d:%02d", dt.hour, dt.min, dt.sec)
	return appendFrac(b, dt.micro, fracDigits(decimals, dt.micro))
}

func formatTime(t timeValue, decimals int) []byte {
	var b []byte
	if t.negative && (t.days != 0 || t.hour != 0 || t.min != 0 || t.sec != 0 || t.micro != 0) {
		b = append(b, '-') // there is no negative zero
	}
	b = fmt.Appendf(b, "%02d:%02d:%02d", uint64(t.days)*24+uint64(t.hour), t.min, t.sec)
	return appendFrac(b, t.micro, fracDigits(decimals, t.micro))
}
