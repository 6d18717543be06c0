package mysql

import (
	"math"
	"strconv"
	"strings"
)

// appendMySQLFloat formats f as MySQL/MariaDB print FLOAT (bits 32: six
// significant digits) and DOUBLE (bits 64: shortest exact digits) in the
// text protocol: plain notation for decimal exponents -15..14, otherwise
// "1.5e-16" / "1e15" (no '+', no leading zeros in the exponent). The rule
// was measured against MariaDB 10.11.
func appendMySQLFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// MySQL never stores these; keep them parseable rather than fail.
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	if f == 0 {
		if strconv.FormatFloat(f, 'g', -1, 64)[0] == '-' {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	var s string
	if bits == 32 {
		s = strconv.FormatFloat(f, 'e', 5, 32)
	} else {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	}
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		digits = "0"
	}
	if exp < -15 || exp > 14 {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(append(b, '.'), digits[1:]...)
		}
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(exp), 10)
	}
	if exp < 0 {
		b = append(b, "0."...)
		b = append(b, strings.Repeat("0", -exp-1)...)
		return append(b, digits...)
	}
	if len(digits) <= exp+1 {
		b = append(b, digits...)
		return append(b, strings.Repeat("0", exp+1-len(digits))...)
	}
	b = append(b, digits[:exp+1]...)
	return append(append(b, '.'), digits[exp+1:]...)
}
