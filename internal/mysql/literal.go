package mysql

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendLiteral appends v as a SQL literal for query interpolation.
// noBackslashEscapes follows the session's NO_BACKSLASH_ESCAPES mode
// (SERVER_STATUS_NO_BACKSLASH_ESCAPES): quotes are then doubled and
// backslashes left alone. []byte and strings that are not valid UTF-8 are
// written as X'hex', which is exact whatever the connection charset.
func AppendLiteral(b []byte, v any, noBackslashEscapes bool) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "NULL"...), nil
	case bool:
		if v {
			return append(b, '1'), nil
		}
		return append(b, '0'), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return b, fmt.Errorf("mysql: literal: %v has no SQL form", v)
		}
		return appendFloatLiteral(b, float64(v), 32), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, fmt.Errorf("mysql: literal: %v has no SQL form", v)
		}
		return appendFloatLiteral(b, v, 64), nil
	case Decimal:
		if !isDecimalText(string(v)) {
			return b, fmt.Errorf("mysql: literal: %q is not a decimal number", string(v))
		}
		return append(b, v...), nil
	case string:
		if !utf8.ValidString(v) {
			return appendHexLiteral(b, []byte(v)), nil
		}
		return appendQuoted(b, v, noBackslashEscapes), nil
	case []byte:
		return appendHexLiteral(b, v), nil
	case time.Time:
		if v.IsZero() {
			return append(b, "'0000-00-00'"...), nil
		}
		b = append(b, '\'')
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			b = v.AppendFormat(b, "2006-01-02")
		} else if v.Nanosecond() == 0 {
			b = v.AppendFormat(b, "2006-01-02 15:04:05")
		} else {
			b = v.AppendFormat(b, "2006-01-02 15:04:05.000000")
		}
		return append(b, '\''), nil
	case time.Duration:
		t := timeValue{negative: v < 0}
		if v < 0 {
			v = -v
		}
		t.days = uint32(v / (24 * time.Hour))
		t.hour = uint8(v / time.Hour % 24)
		t.min = uint8(v / time.Minute % 60)
		t.sec = uint8(v / time.Second % 60)
		t.micro = uint32(v / time.Microsecond % 1000000)
		b = append(b, '\'')
		b = append(b, formatTime(t, 31)...)
		return append(b, '\''), nil
	default:
		return b, fmt.Errorf("mysql: literal: unsupported type %T", v)
	}
}

// appendFloatLiteral writes a float so that MySQL reads it back as a
// floating-point value (exponent notation) rather than an exact DECIMAL.
func appendFloatLiteral(b []byte, f float64, bits int) []byte {
	return strconv.AppendFloat(b, f, 'e', -1, bits)
}

func appendHexLiteral(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, "''"...)
	}
	b = append(b, "X'"...)
	b = hex.AppendEncode(b, v)
	return append(b, '\'')
}

func appendQuoted(b []byte, s string, noBackslashEscapes bool) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if noBackslashEscapes {
			if ch == '\'' {
				b = append(b, '\'', '\'')
			} else {
				b = append(b, ch)
			}
			continue
		}
		switch ch {
		case 0:
			b = append(b, '\\', '0')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\\':
			b = append(b, '\\', '\\')
		case '\'':
			b = append(b, '\\', '\'')
		case '"':
			b = append(b, '\\', '"')
		case 0x1a:
			b = append(b, '\\', 'Z')
		default:
			b = append(b, ch)
		}
	}
	return append(b, '\'')
}

func isDecimalText(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// Literal is AppendLiteral into a new string, with backslash escapes.
func Literal(v any) (string, error) {
	b, err := AppendLiteral(nil, v, false)
	return string(b), err
}

// ErrParamCount is returned by InterpolateQuery when the number of ?
// placeholders differs from the number of values.
var ErrParamCount = errors.New("mysql: placeholder count does not match parameter count")

// InterpolateQuery replaces each ? placeholder of query with a literal of
// the matching value. Question marks inside quotes, backticks and comments
// are not placeholders.
func InterpolateQuery(query string, params []any, noBackslashEscapes bool) (string, error) {
	b := make([]byte, 0, len(query)+16*len(params))
	next := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			end := skipQuoted(query, i, ch, noBackslashEscapes || ch == '`')
			b = append(b, query[i:end]...)
			i = end - 1
		case ch == '#' || (ch == '-' && strings.HasPrefix(query[i:], "-- ")):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b = append(b, query[i:i+end]...)
			i += end - 1
		case ch == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				end = len(query) - i
			} else {
				end += 4
			}
			b = append(b, query[i:i+end]...)
			i += end - 1
		case ch == '?':
			if next >= len(params) {
				return "", ErrParamCount
			}
			var err error
			if b, err = AppendLiteral(b, params[next], noBackslashEscapes); err != nil {
				return "", fmt.Errorf("mysql: parameter %d: %w", next+1, err)
			}
			next++
		default:
			b = append(b, ch)
		}
	}
	if next != len(params) {
		return "", ErrParamCount
	}
	return string(b), nil
}

// skipQuoted returns the index just past the quoted run starting at i. A
// doubled quote is an escaped quote; so is a backslash-escaped one unless
// noEscapes. An unterminated run ends at the end of the query.
func skipQuoted(s string, i int, quote byte, noEscapes bool) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if !noEscapes {
				j++
			}
		case quote:
			if j+1 < len(s) && s[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}
