package router

import (
	"regexp"
	"strings"
)

// maskNonCode returns sql with the contents of string literals, quoted
// identifiers and comments replaced by spaces (same length, so offsets
// match the original). Placeholders, hints and sequence references are then
// found only in code. MySQL runs the body of /*! ... */ comments as code;
// it is masked here like any comment, so placeholders inside it are not seen.
func maskNonCode(sql string) (string, error) {
	b := []byte(sql)
	blank := func(from, to int) {
		for k := from; k < to; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	for i := 0; i < len(b); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end, ok := quotedEnd(sql, i)
			if !ok {
				return "", parseErrorf("unterminated %c-quoted text at offset %d", c, i)
			}
			blank(i+1, end-1)
			i = end
		case c == '#' || (c == '-' && strings.HasPrefix(sql[i:], "--") && (i+2 == len(sql) || isSpace(sql[i+2]))):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			blank(i, i+end)
			i += end
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return "", parseErrorf("unterminated comment at offset %d", i)
			}
			blank(i, i+2+end+2)
			i += 2 + end + 2
		default:
			i++
		}
	}
	return string(b), nil
}

// quotedEnd returns the offset just past the quoted text starting at start.
// Backslash escapes apply to ' and " strings; every quote may be doubled.
func quotedEnd(sql string, start int) (int, bool) {
	q := sql[start]
	for i := start + 1; i < len(sql); i++ {
		switch sql[i] {
		case '\\':
			if q != '`' {
				i++
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return 0, false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// CountPlaceholders counts the '?' parameters of a statement, ignoring any
// inside strings, quoted identifiers and comments.
func CountPlaceholders(sql string) (int, error) {
	masked, err := maskNonCode(sql)
	if err != nil {
		return 0, err
	}
	return strings.Count(masked, "?"), nil
}

// Interpolate replaces the statement's '?' parameters, in order, with args,
// which must already be SQL literal text ('it”s', 42, NULL, X'00ff').
func Interpolate(sql string, args []string) (string, error) {
	masked, err := maskNonCode(sql)
	if err != nil {
		return "", err
	}
	if n := strings.Count(masked, "?"); n != len(args) {
		return "", otherf("statement has %d parameters but %d values were given", n, len(args))
	}
	var out strings.Builder
	last, k := 0, 0
	for i := 0; i < len(masked); i++ {
		if masked[i] == '?' {
			out.WriteString(sql[last:i])
			out.WriteString(args[k])
			k++
			last = i + 1
		}
	}
	out.WriteString(sql[last:])
	return out.String(), nil
}

// sequenceRef matches Mycat's "next value for MYCATSEQ_NAME" (its
// MYCAT_SEQ pattern is case-insensitive and allows no space before MYCATSEQ_).
var sequenceRef = regexp.MustCompile(`(?i)\bnext\s+value\s+for\s*MYCATSEQ_(\w+)`)

// sequenceRefs returns the upper-case sequence name and offsets of each
// sequence reference in code, in text order.
func sequenceRefs(sql string) ([]string, [][]int, error) {
	masked, err := maskNonCode(sql)
	if err != nil {
		return nil, nil, err
	}
	locs := sequenceRef.FindAllStringSubmatchIndex(masked, -1)
	names := make([]string, len(locs))
	for i, loc := range locs {
		names[i] = strings.ToUpper(sql[loc[2]:loc[3]])
	}
	return names, locs, nil
}

// FillSequences replaces each "next value for MYCATSEQ_NAME", in text order,
// with values[i] (Plan.Sequences names the sequence of each).
func FillSequences(sql string, values []string) (string, error) {
	names, locs, err := sequenceRefs(sql)
	if err != nil {
		return "", err
	}
	if len(names) != len(values) {
		return "", otherf("statement has %d sequence references but %d values were given", len(names), len(values))
	}
	var out strings.Builder
	last := 0
	for i, loc := range locs {
		out.WriteString(sql[last:loc[0]])
		out.WriteString(values[i])
		last = loc[1]
	}
	out.WriteString(sql[last:])
	return out.String(), nil
}

// hint is a leading Mycat annotation comment.
type hint struct {
	key, value string
}

// hintPrefixes are the comment openings Mycat 1.6 accepts for annotations
// (RouteService), compared case-insensitively after leading spaces.
var hintPrefixes = []string{"/*!mycat:", "/*#mycat:", "/*mycat:", "/** mycat:"}

// splitHint removes a leading Mycat hint, returning it and the statement.
// ok is false when the statement starts with no hint.
func splitHint(sql string) (h hint, rest string, ok bool, err error) {
	trimmed := strings.TrimLeft(sql, " \t\r\n")
	lower := strings.ToLower(trimmed)
	for _, p := range hintPrefixes {
		if !strings.HasPrefix(lower, p) {
			continue
		}
		end := strings.Index(trimmed, "*/")
		if end < 0 {
			return hint{}, "", false, parseErrorf("unterminated Mycat hint comment")
		}
		body := strings.TrimSpace(trimmed[len(p):end])
		key, value, found := strings.Cut(body, "=")
		if !found {
			return hint{}, "", false, parseErrorf("Mycat hint %q has no key=value", body)
		}
		h = hint{key: strings.ToLower(strings.TrimSpace(key)), value: strings.TrimSpace(value)}
		return h, strings.TrimSpace(trimmed[end+2:]), true, nil
	}
	return hint{}, sql, false, nil
}
