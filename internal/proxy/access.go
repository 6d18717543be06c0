package proxy

import (
	"net"
	"strings"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// hostAllowed applies server.xml's <firewall><whitehost>: with no entries
// every host may connect; otherwise the client's address must match a host
// pattern (wildcards * and %, as Mycat allows) listed for this user.
func hostAllowed(fw *mycatconf.Firewall, user, remoteAddr string) bool {
	if len(fw.WhiteHosts) == 0 {
		return true
	}
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	for _, wh := range fw.WhiteHosts {
		if !wildcardMatch(wh.Host, host) {
			continue
		}
		for _, u := range wh.Users {
			if u == user {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches s against a pattern where * and % stand for any run
// of characters (Mycat's whitehost patterns such as 192.168.1.* or 10.%.1.1).
func wildcardMatch(pattern, s string) bool {
	if pattern == s {
		return true
	}
	star := strings.IndexAny(pattern, "*%")
	if star < 0 {
		return false
	}
	prefix := pattern[:star]
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	rest := pattern[star+1:]
	for i := len(prefix); i <= len(s); i++ {
		if wildcardMatch(rest, s[i:]) {
			return true
		}
	}
	return false
}

// schemaAllowed reports whether user may use schema (<property name="schemas">).
func schemaAllowed(u *mycatconf.User, schema string) bool {
	for _, s := range u.Schemas {
		if s == schema {
			return true
		}
	}
	return false
}

// dmlAllowed applies <privileges check="true">: a table entry overrides its
// schema's flags; schemas without an entry are unrestricted, as in Mycat.
func dmlAllowed(u *mycatconf.User, schema, table string, op int) bool {
	p := u.Privileges
	if p == nil || !p.Check {
		return true
	}
	sp, ok := p.Schemas[schema]
	if !ok {
		return true
	}
	if t, ok := sp.Tables[strings.ToUpper(table)]; ok {
		return t[op]
	}
	return sp.DML[op]
}
