// Package merge holds the pure primitives that combine result rows from
// several data nodes: value comparison with MySQL's ordering rules, a k-way
// merge of sorted streams, and LIMIT/OFFSET. Rows are text-protocol values.
package merge

import (
	"bytes"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/shardcat/shardcat/internal/mysql"
)

// Row is one result row in the text protocol: nil is NULL.
type Row [][]byte

// Key is one ORDER BY key: the column position in the row, its direction and
// how its values compare.
type Key struct {
	Pos  int
	Desc bool
	Kind ValueKind
}

// ValueKind says how values of a column compare.
type ValueKind int

const (
	KindText     ValueKind = iota // case- and accent-insensitive, trailing spaces ignored (*_general_ci)
	KindBinary                    // byte order (binary strings, _bin collations)
	KindExact                     // integers and DECIMAL: exact decimal order
	KindFloat                     // FLOAT and DOUBLE
	KindTemporal                  // DATE, DATETIME, TIMESTAMP, YEAR: fixed-width text orders correctly
	KindTime                      // TIME: may be negative or over 100 hours
)

// binaryCharset is MySQL's charset number for binary strings.
const binaryCharset = 63

// KindOf picks the comparison for a column from its type and charset.
func KindOf(colType byte, charset uint16, flags uint16) ValueKind {
	switch colType {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeLong, mysql.TypeLongLong, mysql.TypeInt24,
		mysql.TypeDecimal, mysql.TypeNewDecimal, mysql.TypeYear, mysql.TypeBit:
		return KindExact
	case mysql.TypeFloat, mysql.TypeDouble:
		return KindFloat
	case mysql.TypeDate, mysql.TypeNewDate, mysql.TypeDateTime, mysql.TypeDateTime2,
		mysql.TypeTimestamp, mysql.TypeTimestamp2:
		return KindTemporal
	case mysql.TypeTime, mysql.TypeTime2:
		return KindTime
	}
	if charset == binaryCharset {
		return KindBinary
	}
	return KindText
}

// Compare orders two rows by keys; NULL sorts before every value, as in MySQL.
func Compare(a, b Row, keys []Key) int {
	for _, k := range keys {
		c := CompareValues(a[k.Pos], b[k.Pos], k.Kind)
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// CompareValues compares two values of one column.
func CompareValues(a, b []byte, kind ValueKind) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch kind {
	case KindBinary, KindTemporal:
		return bytes.Compare(a, b)
	case KindExact:
		return compareDecimal(string(a), string(b))
	case KindFloat:
		fa, ea := strconv.ParseFloat(string(a), 64)
		fb, eb := strconv.ParseFloat(string(b), 64)
		if ea != nil || eb != nil {
			return bytes.Compare(a, b)
		}
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case KindTime:
		return compareDecimal(timeAsNumber(string(a)), timeAsNumber(string(b)))
	}
	return compareText(a, b)
}

// compareDecimal compares decimal strings exactly (any length).
func compareDecimal(a, b string) int {
	ra, oka := new(big.Rat).SetString(a)
	rb, okb := new(big.Rat).SetString(b)
	if !oka || !okb {
		return strings.Compare(a, b)
	}
	return ra.Cmp(rb)
}

// timeAsNumber turns "-838:59:59.5" into "-8385959.5" so that TIME values
// compare numerically.
func timeAsNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i:]
	}
	parts := strings.Split(s, ":")
	for i := 1; i < len(parts); i++ {
		if len(parts[i]) == 1 {
			parts[i] = "0" + parts[i]
		}
	}
	n := strings.Join(parts, "") + frac
	if neg {
		n = "-" + n
	}
	return n
}

// compareText approximates utf8mb4_general_ci: letters compare without case
// and without accents, and the shorter string is compared as if padded with
// spaces (PAD SPACE), so trailing spaces do not count and 'a\tb' < 'a'.
func compareText(a, b []byte) int {
	if bytes.Equal(a, b) {
		return 0
	}
	fa, fb := foldText(a), foldText(b)
	for len(fa) > 0 || len(fb) > 0 {
		ra, rb := rune(' '), rune(' ')
		if len(fa) > 0 {
			r, n := utf8.DecodeRune(fa)
			ra, fa = r, fa[n:]
		}
		if len(fb) > 0 {
			r, n := utf8.DecodeRune(fb)
			rb, fb = r, fb[n:]
		}
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
	}
	return 0
}

// foldText decomposes, drops combining marks and upper-cases, which is what
// general_ci's weight table does for Latin, Greek and Cyrillic letters.
func foldText(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range string(norm.NFD.Bytes(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch {
		case r > 0xFFFF:
			r = 0xFFFD // general_ci weighs supplementary characters all alike
		case r == 'ß':
			r = 'S' // general_ci weighs the sharp s as 's'
		}
		out = utf8.AppendRune(out, unicode.ToUpper(r))
	}
	return out
}
