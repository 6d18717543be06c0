package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// explainConf is a small Mycat conf: SHOP with customer sharded by
// PartitionByMod(count=2) over dn1,dn2, its child orders, and a global table.
var explainConf = map[string]string{
	"server.xml": `<?xml version="1.0"?>
<mycat:server xmlns:mycat="http://io.mycat/">
	<system><property name="serverPort">18066</property></system>
	<user name="app"><property name="password">x</property><property name="schemas">SHOP</property><property name="defaultSchema">SHOP</property></user>
</mycat:server>`,
	"schema.xml": `<?xml version="1.0"?>
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="SHOP" checkSQLschema="true" sqlMaxLimit="100">
		<table name="customer" primaryKey="id" dataNode="dn$1-2" rule="mod-long">
			<childTable name="orders" primaryKey="id" joinKey="customer_id" parentKey="id" />
		</table>
		<table name="region" type="global" dataNode="dn1,dn2" />
	</schema>
	<dataNode name="dn$1-2" dataHost="host1" database="shop$1-2" />
	<dataHost name="host1" maxCon="10" minCon="1" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
		<heartbeat>select user()</heartbeat>
		<writeHost host="m1" url="127.0.0.1:3306" user="root" password="pw" />
	</dataHost>
</mycat:schema>`,
	"rule.xml": `<?xml version="1.0"?>
<mycat:rule xmlns:mycat="http://io.mycat/">
	<tableRule name="mod-long"><rule><columns>id</columns><algorithm>mod-long</algorithm></rule></tableRule>
	<function name="mod-long" class="io.mycat.route.function.PartitionByMod"><property name="count">2</property></function>
</mycat:rule>`,
}

func writeExplainConf(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range explainConf {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runExplainWith(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"explain"}, args...), stdio{strings.NewReader(stdin), &out, &errOut})
	return out.String(), errOut.String(), code
}

func TestExplainJSON(t *testing.T) {
	dir := writeExplainConf(t)
	in := "SELECT * FROM customer WHERE id = 3\n\nINSERT INTO orders (id, customer_id) VALUES (1, 2), (2, 3)\nSELECT * FROM nosuch\nBEGIN\n"
	out, errOut, code := runExplainWith(t, in, "--conf", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	type line struct {
		SQL    string `json:"sql"`
		Routes []struct {
			DataNode string `json:"dataNode"`
			SQL      string `json:"sql"`
		} `json:"routes"`
		Error string `json:"error"`
	}
	var got []line
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("bad JSON output %q: %v", out, err)
		}
		got = append(got, l)
	}
	if len(got) != 4 {
		t.Fatalf("want 4 lines (blank input skipped), got %d:\n%s", len(got), out)
	}
	// 3 mod 2 = 1 -> dn2.
	if len(got[0].Routes) != 1 || got[0].Routes[0].DataNode != "dn2" || got[0].Routes[0].SQL != "SELECT * FROM customer WHERE id = 3" {
		t.Errorf("select: %+v", got[0])
	}
	// Child rows follow customer_id: 2 -> dn1, 3 -> dn2, each node only its row.
	if len(got[1].Routes) != 2 || got[1].Routes[0].DataNode != "dn1" || !strings.HasSuffix(got[1].Routes[0].SQL, "VALUES (1,2)") ||
		got[1].Routes[1].DataNode != "dn2" || !strings.HasSuffix(got[1].Routes[1].SQL, "VALUES (2,3)") {
		t.Errorf("insert: %+v", got[1])
	}
	if !strings.Contains(got[2].Error, "nosuch") || len(got[2].Routes) != 0 {
		t.Errorf("unknown table: %+v", got[2])
	}
	if got[3].SQL != "BEGIN" || got[3].Error != "" || len(got[3].Routes) != 0 {
		t.Errorf("begin: %+v", got[3])
	}
}

func TestExplainText(t *testing.T) {
	dir := writeExplainConf(t)
	out, errOut, code := runExplainWith(t, "SELECT * FROM region\nSELECT * FROM customer ORDER BY id LIMIT 2, 3\nSELEC 1\n", "--conf", dir, "--schema", "SHOP")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"SQL: SELECT * FROM region\n  DATA_NODE  SQL\n  dn1        SELECT * FROM `region` LIMIT 100\n  dn2        SELECT * FROM `region` LIMIT 100\n  note: any one of these nodes serves it\n",
		"  dn1        SELECT * FROM `customer` ORDER BY `id` LIMIT 5\n",
		"note: results merged: order by, limit 3 offset 2",
		"SQL: SELEC 1\n  ERROR 1064 (42000): ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainUsageErrors(t *testing.T) {
	if _, _, code := runExplainWith(t, ""); code != 2 {
		t.Errorf("no --conf: exit %d, want 2", code)
	}
	dir := writeExplainConf(t)
	if _, errOut, code := runExplainWith(t, "", "--conf", dir, "--schema", "NOPE"); code != 2 || !strings.Contains(errOut, "NOPE") {
		t.Errorf("unknown schema: exit %d, stderr %q", code, errOut)
	}
	if _, _, code := runExplainWith(t, "", "--conf", dir, "--format", "yaml"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if _, errOut, code := runExplainWith(t, "", "--conf", filepath.Join(dir, "missing")); code != 1 || errOut == "" {
		t.Errorf("missing conf dir: exit %d, stderr %q", code, errOut)
	}
}
