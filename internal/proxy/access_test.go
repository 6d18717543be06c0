package proxy

import (
	"testing"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, host string
		want          bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.*", "127.0.0.15", true},
		{"127.0.0.*", "127.0.1.15", false},
		{"10.%.1.1", "10.200.1.1", true},
		{"10.%.1.1", "10.200.1.2", false},
		{"*", "anything", true},
		{"192.168.1.1", "192.168.1.10", false},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pattern, c.host); got != c.want {
			t.Errorf("%q ~ %q = %v", c.pattern, c.host, got)
		}
	}
}

func TestFirewallWhiteHost(t *testing.T) {
	fw := &mycatconf.Firewall{WhiteHosts: []mycatconf.WhiteHost{{Host: "127.0.0.*", Users: []string{"root"}}}}
	if !hostAllowed(fw, "root", "127.0.0.9:5555") {
		t.Fatal("root from 127.0.0.9 is listed")
	}
	if hostAllowed(fw, "app", "127.0.0.9:5555") {
		t.Fatal("app is not listed for that host")
	}
	if !hostAllowed(&mycatconf.Firewall{}, "app", "10.0.0.1:1") {
		t.Fatal("an empty whitehost list allows everyone")
	}
}

func TestDMLPrivileges(t *testing.T) {
	u := &mycatconf.User{Privileges: &mycatconf.Privileges{Check: true, Schemas: map[string]*mycatconf.SchemaPrivilege{
		"TESTDB": {DML: mycatconf.DML{true, true, true, true}, Tables: map[string]mycatconf.DML{"ORDERS": {false, false, true, false}}},
	}}}
	if dmlAllowed(u, "TESTDB", "orders", mycatconf.DMLInsert) {
		t.Fatal("orders is select-only")
	}
	if !dmlAllowed(u, "TESTDB", "orders", mycatconf.DMLSelect) || !dmlAllowed(u, "TESTDB", "items", mycatconf.DMLDelete) {
		t.Fatal("allowed operations refused")
	}
	u.Privileges.Check = false
	if !dmlAllowed(u, "TESTDB", "orders", mycatconf.DMLInsert) {
		t.Fatal("check=false disables privileges")
	}
}
