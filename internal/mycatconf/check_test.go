package mycatconf

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestFormatCheckDemo(t *testing.T) {
	cfg, findings, err := LoadWith("testdata/demo", Options{NewFunction: standInFactory, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	findings = append(findings, Finding{Pos: Pos{SchemaFile, 3}, Warning: true, Message: "example warning"})
	var buf bytes.Buffer
	FormatCheck(&buf, cfg, findings)
	out := buf.String()
	// Column widths are tabwriter's business; compare with runs of spaces
	// collapsed.
	norm := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"conf dir: testdata/demo",
		"system: bind 127.0.0.1, serverPort 18066, managerPort 19066, charset utf8mb4, idleTimeout 1m0s",
		"schema SHOP (checkSQLschema=true, sqlMaxLimit=100, default dataNode dn1)",
		"TABLE TYPE RULE COLUMN FUNCTION DATANODES",
		"CUSTOMER sharded mod-long ID mod-long (PartitionByMod) dn1,dn2",
		"ORDERS child child of CUSTOMER CUSTOMER_ID=CUSTOMER.ID - dn1,dn2",
		"REGION global - - - dn1,dn2",
		"dn1 -> host1 / shop",
		"dn2 -> host2 / shop",
		`host1 (balance=0 writeType=0 switchType=1 maxCon=100 minCon=2 heartbeat "select user()")`,
		"writeHost m1 127.0.0.1:13306 user root",
		"app schemas SHOP defaultAccount benchmark=500",
		"report schemas SHOP readOnly",
		"sequences (MySQL, sequence_db_conf.properties): MYCATSEQ_CUSTOMER: MYCAT_SEQUENCE on dn1 MYCATSEQ_GLOBAL: MYCAT_SEQUENCE on dn1",
		"findings: schema.xml:3: warning: example warning",
		"OK: 0 error(s), 1 warning(s)",
	} {
		if !strings.Contains(norm, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pw1") || strings.Contains(out, "app-secret") {
		t.Errorf("output shows a password:\n%s", out)
	}
}

func TestFormatCheckHelpers(t *testing.T) {
	nodes := []string{"dn0", "dn1", "dn2", "dn3", "dn4", "dn5", "dn6", "dn7", "dn8"}
	if got := abbreviateNodes(nodes); got != "dn0,dn1,dn2,...,dn7,dn8 (9 nodes)" {
		t.Errorf("abbreviateNodes = %q", got)
	}
	if got := abbreviateNodes(nodes[:8]); got != "dn0,dn1,dn2,dn3,dn4,dn5,dn6,dn7" {
		t.Errorf("abbreviateNodes(8) = %q", got)
	}
	names := []string{"dn10", "dn2", "a", "dn1", "dn", "db3", "dn01"}
	sort.SliceStable(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	if want := []string{"a", "db3", "dn", "dn01", "dn1", "dn2", "dn10"}; !reflect.DeepEqual(names, want) {
		t.Errorf("natural order = %v, want %v", names, want)
	}
}

func TestFormatCheckFailed(t *testing.T) {
	var buf bytes.Buffer
	FormatCheck(&buf, nil, []Finding{
		{Pos: Pos{SchemaFile, 9}, Message: "second"},
		{Pos: Pos{RuleFile, 2}, Message: "first"},
	})
	want := "findings:\n  rule.xml:2: error: first\n  schema.xml:9: error: second\nFAILED: 2 error(s), 0 warning(s)\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
