package keepalivedconf

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Value readers: each reports an Error with the statement's position and
// what was expected, and leaves the destination (the default) unchanged.

// arg returns argument i of s, or reports that it is missing.
func (p *parser) arg(s stmt, i int, expected string) (string, bool) {
	if i >= len(s.args()) {
		p.rep.errorf(s.pos, "%s: missing value, expected %s", s.keyword(), expected)
		return "", false
	}
	return s.args()[i], true
}

func (p *parser) setString(dst *string) func(stmt) {
	return func(s stmt) {
		if v, ok := p.arg(s, 0, "a value"); ok {
			*dst = v
		}
	}
}

// setCommand reads `keyword "command line" [user[:group]]`.
func (p *parser) setCommand(dst **Command) func(stmt) {
	return func(s stmt) {
		if v, ok := p.arg(s, 0, "a quoted command line"); ok {
			*dst = commandFrom(v, s.args()[1:])
		}
	}
}

func commandFrom(line string, userGroup []string) *Command {
	c := &Command{Line: line}
	if len(userGroup) > 0 {
		c.User, c.Group, _ = strings.Cut(userGroup[0], ":")
		if len(userGroup) > 1 && c.Group == "" {
			c.Group = userGroup[1]
		}
	}
	return c
}

func (p *parser) setInt(dst *int, min, max int) func(stmt) {
	return func(s stmt) {
		if v, ok := p.intValue(s, 0, min, max); ok {
			*dst = v
		}
	}
}

func (p *parser) intValue(s stmt, i, min, max int) (int, bool) {
	expected := "an integer in " + strconv.Itoa(min) + ".." + strconv.Itoa(max)
	raw, ok := p.arg(s, i, expected)
	if !ok {
		return 0, false
	}
	return p.parseInt(s, raw, min, max)
}

func (p *parser) parseInt(s stmt, raw string, min, max int) (int, bool) {
	return p.parseIntFor(s.keyword(), s, raw, min, max)
}

// parseIntFor is parseInt for a value inside a block line, where what
// names the value (e.g. "track_script chk weight") in messages.
func (p *parser) parseIntFor(what string, s stmt, raw string, min, max int) (int, bool) {
	expected := "an integer in " + strconv.Itoa(min) + ".." + strconv.Itoa(max)
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		p.rep.errorf(s.pos, "%s: expected %s, got %q", what, expected, raw)
		return 0, false
	}
	if n < int64(min) || n > int64(max) {
		p.rep.errorf(s.pos, "%s: %d is out of range, expected %s", what, n, expected)
		return 0, false
	}
	return int(n), true
}

// maxTimer bounds every interval: far above any sensible value, low enough
// that durations never overflow.
const maxTimer = 1000 * time.Hour

func (p *parser) setDuration(dst *time.Duration, min, max time.Duration) func(stmt) {
	return func(s stmt) {
		if v, ok := p.durationValue(s, 0, min, max); ok {
			*dst = v
		}
	}
}

// durationValue reads seconds, possibly fractional (keepalived's <TIMER>,
// microsecond resolution).
func (p *parser) durationValue(s stmt, i int, min, max time.Duration) (time.Duration, bool) {
	expected := "seconds in " + secs(min) + ".." + secs(max)
	raw, ok := p.arg(s, i, expected)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.rep.errorf(s.pos, "%s: expected %s, got %q", s.keyword(), expected, raw)
		return 0, false
	}
	if f < min.Seconds() || f > max.Seconds() {
		p.rep.errorf(s.pos, "%s: %s is out of range, expected %s", s.keyword(), raw, expected)
		return 0, false
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, true
}

// setSeconds reads a whole number of seconds.
func (p *parser) setSeconds(dst *time.Duration, min, max int) func(stmt) {
	return func(s stmt) {
		if v, ok := p.intValue(s, 0, min, max); ok {
			*dst = time.Duration(v) * time.Second
		}
	}
}

// setFlag reads a keyword that is on when present, optionally followed by
// a <BOOL> (on|off|true|false|yes|no).
func (p *parser) setFlag(dst *bool) func(stmt) {
	return func(s stmt) {
		if len(s.args()) == 0 {
			*dst = true
			return
		}
		switch strings.ToLower(s.args()[0]) {
		case "on", "true", "yes":
			*dst = true
		case "off", "false", "no":
			*dst = false
		default:
			// keepalived mostly ignores words after a flag: it is set.
			p.rep.warnf(s.pos, "%s: expected on|off|true|false|yes|no or nothing, got %q: taken as on", s.keyword(), s.args()[0])
			*dst = true
		}
	}
}

func (p *parser) setAddr(dst *netip.Addr) func(stmt) {
	return func(s stmt) {
		if a, ok := p.addrValue(s, 0); ok {
			*dst = a
		}
	}
}

func (p *parser) addrValue(s stmt, i int) (netip.Addr, bool) {
	raw, ok := p.arg(s, i, "an IPv4 or IPv6 address")
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(raw)
	if err != nil {
		p.rep.errorf(s.pos, "%s: expected an IPv4 or IPv6 address, got %q", s.keyword(), raw)
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// addrPortValue reads "IP PORT" starting at argument i.
func (p *parser) addrPortValue(s stmt, i int) (netip.AddrPort, bool) {
	a, ok := p.addrValue(s, i)
	if !ok {
		return netip.AddrPort{}, false
	}
	port, ok := p.intValue(s, i+1, 0, 65535)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

// addrOptionalPort reads "IP [PORT]" starting at argument i; a missing
// port is 0, a written one must be in minPort..65535.
func (p *parser) addrOptionalPort(s stmt, i, minPort int) (netip.AddrPort, bool) {
	a, ok := p.addrValue(s, i)
	if !ok {
		return netip.AddrPort{}, false
	}
	if len(s.args()) <= i+1 {
		return netip.AddrPortFrom(a, 0), true
	}
	port, ok := p.intValue(s, i+1, minPort, 65535)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

// oneOf reads a word from a fixed set (case-insensitive, stored as listed).
func (p *parser) oneOf(s stmt, i int, choices ...string) (string, bool) {
	expected := strings.Join(choices, "|")
	raw, ok := p.arg(s, i, expected)
	if !ok {
		return "", false
	}
	for _, c := range choices {
		if strings.EqualFold(raw, c) {
			return c, true
		}
	}
	p.rep.errorf(s.pos, "%s: expected %s, got %q", s.keyword(), expected, raw)
	return "", false
}

func (p *parser) setOneOf(dst *string, choices ...string) func(stmt) {
	return func(s stmt) {
		if v, ok := p.oneOf(s, 0, choices...); ok {
			*dst = v
		}
	}
}

// secs formats a duration as keepalived writes it: seconds, fractional when needed.
func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
