package mycatconf

import (
	"fmt"
	"strconv"
	"strings"
)

// maxExpanded bounds $a-b expansion so a typo (dn$0-99999999) is an error,
// not an out-of-memory.
const maxExpanded = 1 << 16

// expandNames expands a Mycat name list the way SplitUtil.split(s, ',', '$',
// '-') does: comma-separated items (trimmed, empty ones skipped), each either
// a plain name or PREFIX$A-B, which stands for PREFIXA..PREFIXB. "dn$3" is
// dn3 alone. Mycat reads only the first $ and the first and last numbers of
// the range; we reject what it would silently misread.
func expandNames(s string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		dollar := strings.IndexByte(item, '$')
		if dollar < 0 {
			out = append(out, item)
			continue
		}
		prefix := strings.TrimSpace(item[:dollar])
		scope := strings.TrimSpace(item[dollar+1:])
		if prefix == "" {
			return nil, fmt.Errorf("%q: nothing before $", item)
		}
		var lo, hi int
		var err error
		if a, b, ok := strings.Cut(scope, "-"); ok {
			lo, err = parseRangeBound(item, a)
			if err == nil {
				hi, err = parseRangeBound(item, b)
			}
		} else {
			lo, err = parseRangeBound(item, scope)
			hi = lo
		}
		if err != nil {
			return nil, err
		}
		if hi < lo {
			return nil, fmt.Errorf("%q: range end %d is below its start %d", item, hi, lo)
		}
		if hi-lo+1 > maxExpanded-len(out) {
			return nil, fmt.Errorf("%q: expands to more than %d names", item, maxExpanded)
		}
		for x := lo; x <= hi; x++ {
			out = append(out, prefix+strconv.Itoa(x))
		}
	}
	return out, nil
}

func parseRangeBound(item, s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%q: range bound %q is not a non-negative integer (want PREFIX$A-B)", item, s)
	}
	return int(n), nil
}

// splitTrim splits on commas, trims and drops empty items, as
// SplitUtil.split(s, ',', true) does for user schema lists.
func splitTrim(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// javaBool is Boolean.parseBoolean: only "true", in any case, is true.
func javaBool(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "true")
}

// parseInt32 is Integer.parseInt with the surrounding spaces forgiven.
func parseInt32(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return int(n), nil
}

// parseInt64 is Long.parseLong with the surrounding spaces forgiven.
func parseInt64(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

// shortClass strips the Java package from a class name.
func shortClass(class string) string {
	class = strings.TrimSpace(class)
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}
