package mycatconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/shard"
)

func TestLoadDemo(t *testing.T) {
	cfg, findings, err := LoadWith("testdata/demo", Options{NewFunction: testFactory(), ReadOnly: true})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(findings) != 0 {
		t.Errorf("findings = %v, want none", findings)
	}

	sys := cfg.System
	if sys.ServerPort != 18066 || sys.ManagerPort != 19066 || sys.BindIP != "127.0.0.1" || sys.Charset != "utf8mb4" ||
		sys.SequenceHandlerType != 1 || sys.IdleTimeout != time.Minute || sys.TxIsolation != 3 || sys.MaxPacketSize != 16<<20 {
		t.Errorf("System = %+v", sys)
	}
	if sys.Raw["serverPort"] != "18066" {
		t.Errorf("Raw = %v", sys.Raw)
	}

	app := cfg.Users["app"]
	if app == nil || app.Password != "app-secret" || !reflect.DeepEqual(app.Schemas, []string{"SHOP"}) ||
		app.DefaultSchema != "SHOP" || app.Benchmark != 500 || !app.DefaultAccount || app.ReadOnly || app.Privileges != nil {
		t.Errorf("user app = %+v", app)
	}
	if r := cfg.Users["report"]; r == nil || !r.ReadOnly || r.DefaultAccount {
		t.Errorf("user report = %+v", r)
	}

	shop := cfg.Schemas["SHOP"]
	if shop == nil || !shop.CheckSQLSchema || shop.SQLMaxLimit != 100 || shop.DataNode != "dn1" || len(shop.Tables) != 3 {
		t.Fatalf("schema SHOP = %+v", shop)
	}
	customer := cfg.Table("shop", "`customer`")
	if customer == nil {
		t.Fatal("Table(shop, `customer`) = nil")
	}
	if customer.Name != "CUSTOMER" || customer.Schema != "SHOP" || customer.Type != TableSharded || customer.PrimaryKey != "ID" ||
		!reflect.DeepEqual(customer.DataNodes, []string{"dn1", "dn2"}) || !customer.NeedAddLimit {
		t.Errorf("CUSTOMER = %+v", customer)
	}
	if r := customer.Rule; r == nil || r.Name != "mod-long" || r.Column != "ID" || r.Function == nil ||
		r.Function.Class != "PartitionByMod" || r.Function.FullClass != "io.mycat.route.function.PartitionByMod" ||
		r.Function.Props["count"] != "2" || r.Function.Impl == nil {
		t.Errorf("CUSTOMER rule = %+v", customer.Rule)
	}
	orders := cfg.Table("SHOP", "Orders")
	if orders == nil || orders.Type != TableChild || orders.Parent != customer || orders.JoinKey != "CUSTOMER_ID" ||
		orders.ParentKey != "ID" || !reflect.DeepEqual(orders.DataNodes, customer.DataNodes) || orders.Root() != customer ||
		orders.Rule != nil || len(customer.Children) != 1 || customer.Children[0] != orders {
		t.Errorf("ORDERS = %+v", orders)
	}
	region := cfg.Table("SHOP", "region")
	if region == nil || region.Type != TableGlobal || region.Rule != nil || !reflect.DeepEqual(region.DataNodes, []string{"dn1", "dn2"}) {
		t.Errorf("REGION = %+v", region)
	}
	if cfg.Table("SHOP", "nope") != nil || cfg.Table("NOPE", "customer") != nil {
		t.Error("lookup of unknown table or schema returned a table")
	}

	wantNodes := map[string]DataNode{
		"dn1": {Name: "dn1", DataHost: "host1", Database: "shop", Pos: Pos{SchemaFile, 10}},
		"dn2": {Name: "dn2", DataHost: "host2", Database: "shop", Pos: Pos{SchemaFile, 10}},
	}
	if len(cfg.DataNodes) != len(wantNodes) {
		t.Errorf("DataNodes = %v", cfg.DataNodes)
	}
	for name, want := range wantNodes {
		if got := cfg.DataNodes[name]; got == nil || *got != want {
			t.Errorf("DataNodes[%s] = %+v, want %+v", name, got, want)
		}
	}
	h1, h2 := cfg.DataHostOf("dn1"), cfg.DataHostOf("dn2")
	if h1 == nil || h1.Name != "host1" || h1.MaxCon != 100 || h1.MinCon != 2 || h1.SwitchType != 1 || h1.SlaveThreshold != -1 ||
		h1.Heartbeat != "select user()" || len(h1.WriteHosts) != 1 || h1.WriteHosts[0].Addr != "127.0.0.1:13306" ||
		h1.WriteHosts[0].User != "root" || h1.WriteHosts[0].Password != "pw1" || h1.MaxRetryCount != 3 {
		t.Errorf("host1 = %+v", h1)
	}
	if h2 == nil || h2.DBDriver != "jdbc" || h2.WriteHosts[0].Addr != "127.0.0.1:13307" || h2.WriteHosts[0].Name != "m2" {
		t.Errorf("host2 = %+v", h2)
	}
	if !reflect.DeepEqual(cfg.Sequences.DB, map[string]string{"GLOBAL": "dn1", "CUSTOMER": "dn1"}) {
		t.Errorf("Sequences.DB = %v", cfg.Sequences.DB)
	}
}

// Mycat's own sample configuration files must load.
func TestLoadMycatSample(t *testing.T) {
	cfg, findings, err := LoadWith("testdata/mycat-sample", Options{NewFunction: testFactory(), ReadOnly: true})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, f := range findings {
		// Only the "some dataNodes are never used" kind of warning is
		// acceptable here, and none is expected.
		t.Errorf("unexpected finding %s", f)
	}
	// Every function is built, directly or (crc32slot) as per-table copies.
	builtFunctions := map[string]bool{}
	for _, r := range cfg.Rules {
		if r.Function.Impl != nil {
			builtFunctions[r.Function.Name] = true
		}
	}
	for name := range cfg.Functions {
		if !builtFunctions[name] {
			t.Errorf("function %s was not built", name)
		}
	}
	if len(cfg.Functions) != 11 || len(cfg.DataNodes) != 747 || len(cfg.Users) != 3 {
		t.Errorf("%d functions, %d dataNodes, %d users", len(cfg.Functions), len(cfg.DataNodes), len(cfg.Users))
	}
	oc := cfg.Table("TESTDB", "oc_call")
	if oc == nil || len(oc.DataNodes) != 744 || oc.DataNodes[0] != "dn10" || oc.DataNodes[743] != "dn1743" {
		t.Fatalf("OC_CALL = %+v", oc)
	}
	if dn := cfg.DataNodes["dn1743"]; dn == nil || dn.Database != "db743" || dn.DataHost != "localhost1" {
		t.Errorf("dn1743 = %+v", dn)
	}
	items := cfg.Table("TESTDB", "order_items")
	if items == nil || items.Parent == nil || items.Parent.Name != "ORDERS" || items.Root().Name != "CUSTOMER" ||
		!reflect.DeepEqual(items.DataNodes, []string{"dn1", "dn2"}) {
		t.Errorf("ORDER_ITEMS = %+v", items)
	}
	// PartitionByCRC32PreSlot is instantiated per table (TableRuleAware).
	a, b := cfg.Table("TESTDB", "tb_crc32"), cfg.Table("TESTDB", "tb_crc32b")
	if a.Rule.Name != "crc32slot_TB_CRC32" || b.Rule.Name != "crc32slot_TB_CRC32B" || a.Rule.Function == b.Rule.Function ||
		a.Rule.Base != cfg.Rules["crc32slot"] || a.Rule.Function.Impl == nil {
		t.Errorf("crc32 rules: %+v %+v", a.Rule, b.Rule)
	}
	if cfg.Rules["rule2"].Column != "USER_ID" || cfg.Rules["rule2"].Function != cfg.Rules["rule1"].Function {
		t.Errorf("rule2 = %+v", cfg.Rules["rule2"])
	}
	root := cfg.Users["root"]
	if root == nil || root.Privileges == nil || root.Privileges.Check ||
		root.Privileges.Schemas["TESTDB"].DML != (DML{false, true, true, false}) ||
		root.Privileges.Schemas["TESTDB"].Tables["TB02"] != (DML{true, true, true, true}) {
		t.Errorf("root privileges = %+v", root)
	}
	if len(cfg.Firewall.WhiteHosts) != 2 || cfg.Firewall.WhiteHosts[0].Host != "1*7.0.0.*" ||
		!reflect.DeepEqual(cfg.Firewall.WhiteHosts[1].Users, []string{"root", "user"}) ||
		cfg.Firewall.Blacklist.Check || cfg.Firewall.Blacklist.Props["selectAllow"] != "true" {
		t.Errorf("firewall = %+v", cfg.Firewall)
	}
	if cfg.System.FakeMySQLVersion != "5.6.20" || cfg.System.IdleTimeout != 300*time.Second {
		t.Errorf("system = %+v", cfg.System)
	}
	wantSeq := map[string]LocalSequence{
		"GLOBAL":  {MinID: 10001, MaxID: 20000, CurID: 10000},
		"COMPANY": {MinID: 1001, MaxID: 2000, CurID: 1000},
	}
	if !reflect.DeepEqual(cfg.Sequences.Local, wantSeq) {
		t.Errorf("Sequences.Local = %+v", cfg.Sequences.Local)
	}
	dh := cfg.DataHosts["localhost1"]
	if len(dh.WriteHosts) != 2 || dh.WriteHosts[0].Addr != "localhost:3306" || len(dh.WriteHosts[0].ReadHosts) != 1 ||
		dh.WriteHosts[0].ReadHosts[0].Addr != "192.168.1.200:3306" || dh.SlaveThreshold != 100 {
		t.Errorf("localhost1 = %+v", dh)
	}
}

func TestLoadWritesRuleDataOnlyWhenAllowed(t *testing.T) {
	var gotWrite []bool
	factory := func(class string, props map[string]string, env shard.Env) (shard.Function, error) {
		gotWrite = append(gotWrite, env.WriteFile != nil)
		if env.WriteFile != nil {
			if err := env.WriteFile("ruledata/"+env.RuleName+".properties", []byte("0=0-51199\n")); err != nil {
				return nil, err
			}
		}
		return standInFunction{2}, nil
	}
	dir := copyDir(t, "testdata/demo")
	if _, _, err := LoadWith(dir, Options{NewFunction: factory, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadWith(dir, Options{NewFunction: factory}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotWrite, []bool{false, true}) {
		t.Errorf("WriteFile present = %v, want [false true]", gotWrite)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "ruledata", "mod-long.properties")); err != nil || string(data) != "0=0-51199\n" {
		t.Errorf("ruledata file: %q, %v", data, err)
	}
}

func TestDataNodeExpansionIsHostMajor(t *testing.T) {
	dir := copyDir(t, "testdata/demo")
	schema := `<?xml version="1.0"?>
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="SHOP" dataNode="dn0"/>
	<dataNode name="dn$0-5" dataHost="h$1-2" database="db$0-2" />
	<dataNode name=" x1 , x2 " dataHost="h1,h2" database="only" />
	<dataHost name="h1" maxCon="10" minCon="1" balance="0" dbType="mysql" dbDriver="native">
		<heartbeat>select 1</heartbeat>
		<writeHost host="a" url="127.0.0.1:3306" user="u" password="p"/>
	</dataHost>
	<dataHost name="h2" maxCon="10" minCon="1" balance="0" dbType="mysql" dbDriver="native">
		<heartbeat>select 1</heartbeat>
		<writeHost host="b" url="[::1]:3307" user="u" password="p"/>
	</dataHost>
</mycat:schema>`
	writeFile(t, dir, SchemaFile, schema)
	cfg, findings, err := LoadWith(dir, Options{NewFunction: standInFactory})
	if err != nil {
		t.Fatal(err)
	}
	_ = findings
	want := map[string][2]string{
		"dn0": {"h1", "db0"}, "dn1": {"h1", "db1"}, "dn2": {"h1", "db2"},
		"dn3": {"h2", "db0"}, "dn4": {"h2", "db1"}, "dn5": {"h2", "db2"},
		"x1": {"h1", "only"}, "x2": {"h2", "only"},
	}
	if len(cfg.DataNodes) != len(want) {
		t.Errorf("got %d dataNodes, want %d", len(cfg.DataNodes), len(want))
	}
	for name, hd := range want {
		dn := cfg.DataNodes[name]
		if dn == nil || dn.DataHost != hd[0] || dn.Database != hd[1] {
			t.Errorf("%s = %+v, want %v", name, dn, hd)
		}
	}
	if got := cfg.DataHosts["h2"].WriteHosts[0].Addr; got != "[::1]:3307" {
		t.Errorf("IPv6 addr = %q", got)
	}
}

func TestDistributeFollowsJavaHashMapOrder(t *testing.T) {
	dir := copyDir(t, "testdata/demo")
	// Three hosts; Java's HashMap(3) iterates localhost3, localhost2,
	// localhost1 (checked with a JVM), so distribute() starts on localhost3.
	var hosts strings.Builder
	for _, h := range []string{"localhost1", "localhost2", "localhost3"} {
		hosts.WriteString(`<dataHost name="` + h + `" maxCon="10" minCon="1" balance="0" dbType="mysql" dbDriver="native">
		<heartbeat>select 1</heartbeat><writeHost host="w" url="127.0.0.1:3306" user="u"/></dataHost>
`)
	}
	schema := `<?xml version="1.0"?>
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="SHOP">
		<table name="t" dataNode="distribute(dn$1-6)" />
	</schema>
	<dataNode name="dn$1-6" dataHost="localhost$1-3" database="db$1-2" />
` + hosts.String() + `</mycat:schema>`
	writeFile(t, dir, SchemaFile, schema)
	cfg, findings, err := LoadWith(dir, Options{NewFunction: standInFactory})
	if err != nil {
		t.Fatal(err, findings)
	}
	// dn1,dn2 on localhost1; dn3,dn4 on localhost2; dn5,dn6 on localhost3.
	want := []string{"dn5", "dn3", "dn1", "dn6", "dn4", "dn2"}
	if got := cfg.Table("SHOP", "t"); !reflect.DeepEqual(got.DataNodes, want) || !got.Distribute {
		t.Errorf("distribute order = %v, want %v", got.DataNodes, want)
	}
}

func TestJavaHashMapOrder(t *testing.T) {
	// Expected orders were printed by a JVM (new HashMap<>(n), keys put in
	// the order listed, then keySet()).
	tests := []struct {
		capacity int
		keys     []string
		want     []string
	}{
		{3, []string{"localhost1", "localhost2", "localhost3"}, []string{"localhost3", "localhost2", "localhost1"}},
		{2, []string{"host2", "host1"}, []string{"host1", "host2"}},
		{1, []string{"Aa", "BB", "a"}, []string{"Aa", "BB", "a"}},
		{5, []string{"dh_b", "dh_a", "mysql-east", "mysql-west", "z"}, []string{"dh_b", "mysql-west", "dh_a", "mysql-east", "z"}},
		{16, []string{"h10", "h9", "h8", "h1"}, []string{"h8", "h9", "h10", "h1"}},
	}
	for _, tt := range tests {
		if got := javaHashMapOrder(tt.keys, tt.capacity); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("javaHashMapOrder(%v, %d) = %v, want %v", tt.keys, tt.capacity, got, tt.want)
		}
	}
	for s, want := range map[string]int32{"hello": 99162322, "数据": 830462, "\U0001F600x": 54959989, "": 0} {
		if got := javaStringHash(s); got != want {
			t.Errorf("javaStringHash(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestLoadMissingDir(t *testing.T) {
	_, findings, err := LoadWith(filepath.Join(t.TempDir(), "nope"), Options{NewFunction: standInFactory})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Findings) < 3 {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{RuleFile, SchemaFile, ServerFile} {
		found := false
		for _, fi := range findings {
			if fi.Pos.File == f && strings.Contains(fi.Message, "file not found") {
				found = true
			}
		}
		if !found {
			t.Errorf("no 'file not found' finding for %s in %v", f, findings)
		}
	}
}

func TestWarnings(t *testing.T) {
	dir := copyDir(t, "testdata/demo")
	server, _ := os.ReadFile(filepath.Join(dir, ServerFile))
	s := strings.Replace(string(server), `<property name="idleTimeout">60000</property>`,
		`<property name="idleTimeout">60000</property><property name="frobnicate">yes</property>`, 1)
	writeFile(t, dir, ServerFile, s)
	schema, _ := os.ReadFile(filepath.Join(dir, SchemaFile))
	sch := strings.Replace(string(schema), `type="global" dataNode="dn1,dn2"`, `dataNode="dn1,dn2"`, 1)
	sch = strings.Replace(sch, `name="customer" primaryKey="id"`, `name="`+"`customer`"+`" primarykey="id"`, 1)
	sch = strings.Replace(sch, `</mycat:schema>`, `<dataHost name="spare" maxCon="1" minCon="1" balance="0" dbType="mysql" dbDriver="native">
		<heartbeat>select 1</heartbeat><writeHost host="s" url="127.0.0.1:3306" user="u"/></dataHost></mycat:schema>`, 1)
	writeFile(t, dir, SchemaFile, sch)
	cfg, findings, err := LoadWith(dir, Options{NewFunction: standInFactory})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`schema.xml:5: warning: <table>: unknown attribute primarykey="id" ignored (known: name nameSuffix dataNode rule ruleRequired primaryKey autoIncrement needAddLimit type subTables fetchStoreNodeByJdbc)`,
		`schema.xml:8: warning: <table name="region">: 2 dataNodes but no rule: like Mycat, every statement on it goes to all of them`,
		`schema.xml:19: warning: <dataHost name="spare"> holds no dataNode; unused`,
		`server.xml:10: warning: <system>: unknown property frobnicate (kept, not used)`,
	}
	var got []string
	for _, f := range sortedFindings(findings) {
		got = append(got, f.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cfg.System.Raw["frobnicate"] != "yes" {
		t.Errorf("Raw = %v", cfg.System.Raw)
	}
	if r := cfg.Table("SHOP", "REGION"); r.Type != TableSharded || r.Rule != nil {
		t.Errorf("REGION = %+v", r)
	}
	if c := cfg.Table("SHOP", "customer"); c == nil || c.Name != "CUSTOMER" || c.PrimaryKey != "" || len(c.Children) != 1 {
		t.Errorf("backquoted CUSTOMER = %+v", c)
	}
}

func TestBrokenConfigs(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		old, new  string // replace every old with new; both "" deletes the file
		wantError string // one error finding must contain this
	}{
		{"unknown table dataNode", SchemaFile, `dataNode="dn1,dn2" />`, `dataNode="dn1,dn9" />`,
			`schema.xml:8: error: <table name="region">: dataNode "dn9" is not found`},
		{"unknown rule", SchemaFile, `rule="mod-long">`, `rule="mod-lang">`,
			`schema.xml:5: error: <table name="customer">: rule "mod-lang" is not found`},
		{"name count mismatch", SchemaFile, `dataHost="host$1-2"`, `dataHost="host$1-3"`,
			`schema.xml:10: error: <dataNode name="dn$1-2">: 2 names but 1 databases x 3 dataHosts`},
		{"unknown dataHost", SchemaFile, `dataHost="host$1-2"`, `dataHost="host$2-3"`,
			`schema.xml:10: error: <dataNode name="dn$1-2">: dataNode dn2 references dataHost "host3", which is not defined`},
		{"reversed range", SchemaFile, `<dataNode name="dn$1-2"`, `<dataNode name="dn$2-1"`,
			`schema.xml:10: error: <dataNode name="dn$2-1">: "dn$2-1": range end 1 is below its start 2`},
		{"duplicate dataHost", SchemaFile, `<dataHost name="host2"`, `<dataHost name="host1"`,
			`schema.xml:15: error: <dataHost name="host1">: dataHost name host1 duplicated (first at line 11)`},
		{"partitions exceed nodes", RuleFile, `<property name="count">2</property>`, `<property name="count">3</property>`,
			`schema.xml:5: error: <table name="CUSTOMER">: rule function mod-long partition size 3 > table datanode size 2`},
		{"unknown function class", RuleFile, `io.mycat.route.function.PartitionByMod`, `io.mycat.route.function.PartitionByNothing`,
			`rule.xml:10: error: <function name="mod-long" class="io.mycat.route.function.PartitionByNothing"> (used by tableRule mod-long): `},
		{"unknown algorithm", RuleFile, `<algorithm>mod-long</algorithm>`, `<algorithm>mod-lng</algorithm>`,
			`rule.xml:7: error: <tableRule name="mod-long">: can't find function of name "mod-lng"`},
		{"two columns", RuleFile, `<columns>id</columns>`, `<columns>id,name</columns>`,
			`rule.xml:6: error: <tableRule name="mod-long">: table rule columns has multi values: id,name`},
		{"duplicate function", RuleFile, `</mycat:rule>`, `<function name="mod-long" class="x.PartitionByMod"/></mycat:rule>`,
			`rule.xml:13: error: <function name="mod-long">: rule function mod-long duplicated (first at line 10)`},
		{"duplicate table", SchemaFile, `name="region"`, `name="CUSTOMER"`,
			`schema.xml:8: error: <table name="CUSTOMER">: table CUSTOMER duplicated in schema SHOP (first at line 5)`},
		{"user schema missing", ServerFile, `<property name="schemas">SHOP</property>`, `<property name="schemas">SHOP,NOPE</property>`,
			`server.xml:12: error: <user name="app">: schema NOPE referred by user app does not exist in schema.xml`},
		{"defaultSchema not granted", ServerFile, `<property name="defaultSchema">SHOP</property>`, `<property name="defaultSchema">OTHER</property>`,
			`server.xml:12: error: <user name="app">: defaultSchema OTHER is not in the user's schemas [SHOP]`},
		{"malformed XML", SchemaFile, "\t\t</table>\n", "",
			`schema.xml:8: error: malformed XML: XML syntax error on line 8: element <table> closed by </schema>`},
		{"missing heartbeat", SchemaFile, "\t\t<heartbeat>select user()</heartbeat>\n\t\t<writeHost host=\"m1\"", "\t\t<writeHost host=\"m1\"",
			`schema.xml:11: error: <dataHost name="host1">: <heartbeat> is required`},
		{"bad balance", SchemaFile, `balance="0"`, `balance="5"`,
			`schema.xml:11: error: <dataHost name="host1">: balance=5 is not one of [0 1 2 3]`},
		{"missing maxCon", SchemaFile, `maxCon="100" `, ``,
			`schema.xml:11: error: <dataHost name="host1">: attribute maxCon is required (an integer)`},
		{"url without port", SchemaFile, `url="127.0.0.1:13306"`, `url="127.0.0.1"`,
			`schema.xml:13: error: <dataHost name="host1">: <writeHost host="m1">: url "127.0.0.1": expected host:port`},
		{"non-mysql jdbc url", SchemaFile, `jdbc:mysql://127.0.0.1:13307`, `jdbc:oracle:thin:@127.0.0.1:1521:x`,
			`schema.xml:17: error: <dataHost name="host2">: <writeHost host="m2">: url "jdbc:oracle:thin:@127.0.0.1:1521:x": jdbc:oracle is not a MySQL url`},
		{"writeHost without user", SchemaFile, `user="root" password="pw1"`, `password="pw1"`,
			`schema.xml:13: error: <dataHost name="host1">: <writeHost host="m1">: attributes host, url and user must not be empty`},
		{"oracle dbType", SchemaFile, `dbType="mysql" dbDriver="jdbc"`, `dbType="oracle" dbDriver="jdbc"`,
			`schema.xml:15: error: <dataHost name="host2">: dbType="oracle" is not supported`},
		{"ruleRequired without rule", SchemaFile, `type="global"`, `ruleRequired="true"`,
			`schema.xml:8: error: <table name="region">: ruleRequired="true" but no rule attribute`},
		{"unknown default dataNode", SchemaFile, `dataNode="dn1">`, `dataNode="dn7">`,
			`schema.xml:4: error: <schema name="SHOP">: default dataNode "dn7" is not defined`},
		{"schema without tables or dataNode", SchemaFile, "\t</schema>\n", "\t</schema><schema name=\"EMPTY\"/>\n",
			`schema.xml:9: error: <schema name="EMPTY">: schema EMPTY didn't config tables, so you must set dataNode property`},
		{"duplicate schema", SchemaFile, "\t</schema>\n", "\t</schema><schema name=\"SHOP\" dataNode=\"dn2\"/>\n",
			`schema.xml:9: error: <schema name="SHOP">: schema SHOP duplicated (first at line 4)`},
		{"childTable without joinKey", SchemaFile, `joinKey="customer_id" `, ``,
			`schema.xml:6: error: <childTable name="orders">: joinKey and parentKey are required`},
		{"table without dataNode", SchemaFile, `dataNode="dn1,dn2" />`, `/>`,
			`schema.xml:8: error: <table name="region">: attribute dataNode is required`},
		{"wrong root", SchemaFile, `mycat:schema`, `mycat:schemas`,
			`schema.xml:3: error: root element is <schemas>, expected <mycat:schema>`},
		{"bad serverPort", ServerFile, `18066`, `80x`,
			`server.xml:5: error: <system> property serverPort="80x": expected an integer in 1..65535`},
		{"bad fakeMySQLVersion", ServerFile, `<property name="idleTimeout">60000</property>`, `<property name="fakeMySQLVersion">4.1.0</property>`,
			`server.xml:10: error: <system> property fakeMySQLVersion="4.1.0": the specified MySQL version is not valid`},
		{"bad dml", ServerFile, `<property name="benchmark">500</property>`, `<privileges check="true"><schema name="SHOP" dml="01x0"/></privileges>`,
			`server.xml:16: error: <user name="app"> <privileges> <schema name="SHOP">: dml="01x0": expected four 0/1 digits`},
		{"duplicate user", ServerFile, `<user name="report">`, `<user name="app">`,
			`server.xml:18: error: <user name="app">: user app duplicated (first at line 12)`},
		{"whitehost unknown user", ServerFile, `</mycat:server>`, `<firewall><whitehost><host host="127.0.0.1" user="ghost"/></whitehost></firewall></mycat:server>`,
			`server.xml:23: error: <whitehost>: [user: ghost] doesn't exist in [host: 127.0.0.1]`},
		{"sequence on unknown node", SequenceDBFile, `CUSTOMER=dn1`, `CUSTOMER=dn5`,
			`sequence_db_conf.properties:3: error: sequence CUSTOMER: dataNode "dn5" is not defined in schema.xml`},
		{"no rule.xml", RuleFile, "", "",
			`rule.xml:0: error: file not found`},
		{"encrypted password", ServerFile, `<property name="benchmark">500</property>`, `<property name="usingDecrypt">1</property>`,
			`server.xml:16: error: <user name="app">: usingDecrypt=1 (encrypted password) is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "testdata/demo")
			path := filepath.Join(dir, tt.file)
			if tt.old == "" && tt.new == "" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(data), tt.old) {
					t.Fatalf("%s does not contain %q", tt.file, tt.old)
				}
				writeFile(t, dir, tt.file, strings.ReplaceAll(string(data), tt.old, tt.new))
			}
			_, findings, err := LoadWith(dir, Options{NewFunction: testFactory(), ReadOnly: true})
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError; findings %v", err, findings)
			}
			errs := errorFindings(findings)
			if len(ce.Findings) != len(errs) {
				t.Errorf("ConfigError has %d findings, the list %d errors", len(ce.Findings), len(errs))
			}
			for _, e := range errs {
				if strings.Contains(e, tt.wantError) {
					if !strings.Contains(err.Error(), tt.wantError) {
						t.Errorf("error text lacks %q:\n%v", tt.wantError, err)
					}
					return
				}
			}
			t.Errorf("no error finding contains %q; got:\n%s", tt.wantError, strings.Join(errs, "\n"))
		})
	}
}

// Load itself uses the shard registry and lets PartitionByCRC32PreSlot
// persist its per-table slot file, as Mycat does at startup.
func TestLoadUsesShardRegistry(t *testing.T) {
	dir := copyDir(t, "testdata/mycat-sample")
	cfg, findings, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(findings) != 0 {
		t.Errorf("findings: %v", findings)
	}
	if fn := cfg.Table("TESTDB", "hotnews").Rule.Function; fn.Impl == nil || fn.Impl.PartitionNum() != 3 {
		t.Errorf("mod-long function = %+v", fn)
	}
	for _, table := range []string{"TB_CRC32", "TB_CRC32B"} {
		if _, err := os.Stat(filepath.Join(dir, "ruledata", "crc32slot_"+table+".properties")); err != nil {
			t.Errorf("slot file for %s: %v", table, err)
		}
	}
}
