package shard

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Java strings are UTF-16. Values arrive as Go strings; invalid UTF-8 bytes
// become U+FFFD each, as a Java decoder with replacement would produce.
func utf16Units(s string) []uint16 {
	runes := make([]rune, 0, len(s))
	for _, r := range s {
		runes = append(runes, r)
	}
	return utf16.Encode(runes)
}

// javaUTF8 re-encodes s the way String.getBytes(UTF_8) would after the
// decoding above: each invalid byte becomes EF BF BD.
func javaUTF8(s string) []byte {
	if utf8.ValidString(s) {
		return []byte(s)
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return []byte(b.String())
}

// javaStringHashCode is java.lang.String.hashCode: h = 31*h + c over UTF-16
// units in int32 arithmetic.
func javaStringHashCode(s string) int32 {
	var h int32
	for _, c := range utf16Units(s) {
		h = 31*h + int32(c)
	}
	return h
}

// javaDigit is Character.digit(ch, 10): any Unicode decimal digit (Nd)
// counts, not only ASCII. Nd characters come in runs of ten from zero.
func javaDigit(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return -1
	}
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

var errJavaNumber = errors.New("not a Java integer (optional sign, then decimal digits)")

// javaDigits splits s into sign and digit values the way Long.parseLong,
// Integer.parseInt and new BigInteger(String) accept it: one optional
// leading '+' or '-', then at least one digit, nothing else.
func javaDigits(s string) (neg bool, digits []int, err error) {
	if s == "" {
		return false, nil, errJavaNumber
	}
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "" {
		return false, nil, errJavaNumber
	}
	for _, r := range s {
		d := javaDigit(r)
		if d < 0 || r > 0xFFFF { // a surrogate pair is two non-digit chars to Java
			return false, nil, errJavaNumber
		}
		digits = append(digits, d)
	}
	return neg, digits, nil
}

var errJavaOverflow = errors.New("out of range")

// javaParseLong is Long.parseLong(s).
func javaParseLong(s string) (int64, error) {
	neg, digits, err := javaDigits(s)
	if err != nil {
		return 0, err
	}
	// Accumulate negatively, like Java, so MinInt64 parses.
	var v int64
	for _, d := range digits {
		if v < (math.MinInt64+int64(d))/10 {
			return 0, errJavaOverflow
		}
		v = v*10 - int64(d)
	}
	if !neg {
		if v == math.MinInt64 {
			return 0, errJavaOverflow
		}
		v = -v
	}
	return v, nil
}

// javaParseInt is Integer.parseInt(s) (and Integer.valueOf).
func javaParseInt(s string) (int32, error) {
	v, err := javaParseLong(s)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, errJavaOverflow
	}
	return int32(v), nil
}

// javaBigInteger is new BigInteger(s).
func javaBigInteger(s string) (*big.Int, error) {
	neg, digits, err := javaDigits(s)
	if err != nil {
		return nil, err
	}
	ascii := make([]byte, 0, len(digits)+1)
	if neg {
		ascii = append(ascii, '-')
	}
	for _, d := range digits {
		ascii = append(ascii, byte('0'+d))
	}
	n, ok := new(big.Int).SetString(string(ascii), 10)
	if !ok {
		return nil, errJavaNumber
	}
	return n, nil
}

// javaTrim is String.trim(): strips every char <= ' ', not Unicode spaces.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// javaAbs32 is Math.abs(int): MinInt32 stays negative.
func javaAbs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// javaDoubleToInt is Java's (int) cast of a double: saturating, NaN -> 0.
func javaDoubleToInt(f float64) int32 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int32(f)
}

// javaDoubleToLong is Java's (long) cast of a double.
func javaDoubleToLong(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func utf16Decode(units []uint16) []rune { return utf16.Decode(units) }
