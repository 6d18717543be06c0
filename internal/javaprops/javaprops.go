// Package javaprops reads the java.util.Properties text format, which Mycat
// uses for its sequence files, weight maps and CRC32 slot files.
package javaprops

import (
	"fmt"
	"strconv"
	"strings"
)

// Property is one key/value pair in file order (a later duplicate wins when
// loaded into a map, as in Java), with the line it starts on.
type Property struct {
	Key, Value string
	Line       int
}

// Parse implements Properties.load's grammar: natural lines end at \n, \r
// or \r\n; leading blanks (space, tab, form feed) are skipped; '#' and '!'
// start comments; an odd number of trailing backslashes continues the line;
// the key ends at the first unescaped '=', ':' or blank; escapes \t \n \r
// \f and \uXXXX are decoded, other \x is x. A malformed \uXXXX is an
// error naming the line, as it is an exception in Java.
func Parse(text string) ([]Property, error) {
	var out []Property
	lines := SplitLines(text)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for endsWithOddBackslashes(line) {
			line = line[:len(line)-1]
			i++
			if i >= len(lines) {
				break
			}
			line += strings.TrimLeft(lines[i], " \t\f")
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", start, err)
		}
		out = append(out, Property{Key: key, Value: value, Line: start})
	}
	return out, nil
}

// SplitLines splits at \n, \r and \r\n, as Java's LineReader does.
func SplitLines(text string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			lines = append(lines, text[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, text[start:i])
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(text) {
		lines = append(lines, text[start:])
	}
	return lines
}

func endsWithOddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func isPropBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func splitProperty(line string) (key, value string, err error) {
	keyEnd := len(line)
	valueStart := len(line)
	hasSep := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' {
			keyEnd, valueStart, hasSep = i, i+1, true
			break
		}
		if isPropBlank(c) {
			keyEnd, valueStart = i, i+1
			break
		}
	}
	for valueStart < len(line) && isPropBlank(line[valueStart]) {
		valueStart++
	}
	if !hasSep && valueStart < len(line) && (line[valueStart] == '=' || line[valueStart] == ':') {
		valueStart++
		for valueStart < len(line) && isPropBlank(line[valueStart]) {
			valueStart++
		}
	}
	if keyEnd > len(line) {
		keyEnd = len(line)
	}
	key, err = unescapeProperty(line[:keyEnd])
	if err != nil {
		return "", "", err
	}
	if valueStart > len(line) {
		valueStart = len(line)
	}
	value, err = unescapeProperty(line[valueStart:])
	return key, value, err
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			if c != '\\' {
				b.WriteByte(c)
			}
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uxxxx escape")
			}
			code, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\uxxxx escape")
			}
			b.WriteRune(rune(code))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// Latin1 decodes bytes as ISO-8859-1, the charset of Properties.load(InputStream).
func Latin1(data []byte) string {
	runes := make([]rune, len(data))
	for i, c := range data {
		runes[i] = rune(c)
	}
	return string(runes)
}
