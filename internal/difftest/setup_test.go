package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/proxy"
	"github.com/shardcat/shardcat/internal/testenv"
)

const proxyPassword = "diffpw"

// rangeMap is the AutoPartitionByLong map file of t_range (ids 0..899).
const rangeMap = "0-299=0\n300-599=1\n600-899=2\n"

// env is three shards and a reference server, with the proxy in front of
// the shards.
type env struct {
	proxy *sql.DB // root@proxy, schema TESTDB
	ref   *sql.DB // the reference MariaDB, database ref
}

func writeConf(t *testing.T, dir string, shards []*mariadb.Server) {
	t.Helper()
	server := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:server SYSTEM "server.dtd">
<mycat:server xmlns:mycat="http://io.mycat/">
  <system>
    <property name="serverPort">8066</property>
    <property name="managerPort">9066</property>
  </system>
  <user name="root">
    <property name="password">` + proxyPassword + `</property>
    <property name="schemas">TESTDB</property>
  </user>
</mycat:server>
`
	var hosts strings.Builder
	for i, s := range shards {
		fmt.Fprintf(&hosts, `  <dataNode name="dn%d" dataHost="host%d" database="db"/>
  <dataHost name="host%d" maxCon="20" minCon="1" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1">
    <heartbeat>select user()</heartbeat>
    <writeHost host="w%d" url="%s" user="%s" password="%s"/>
  </dataHost>
`, i+1, i+1, i+1, i+1, s.Addr(), s.User(), s.Password())
	}
	// No sqlMaxLimit: the proxy must not add a LIMIT the reference lacks.
	schema := `<?xml version="1.0"?>
<!DOCTYPE mycat:schema SYSTEM "schema.dtd">
<mycat:schema xmlns:mycat="http://io.mycat/">
  <schema name="TESTDB" checkSQLschema="true" dataNode="dn1">
    <table name="t_mod" dataNode="dn1,dn2,dn3" rule="mod-long"/>
    <table name="t_murmur" dataNode="dn1,dn2,dn3" rule="murmur"/>
    <table name="t_range" dataNode="dn1,dn2,dn3" rule="rang-long"/>
    <table name="t_global" type="global" dataNode="dn1,dn2,dn3"/>
    <table name="t_parent" dataNode="dn1,dn2,dn3" rule="mod-long">
      <childTable name="t_child" joinKey="pid" parentKey="id"/>
    </table>
  </schema>
` + hosts.String() + `</mycat:schema>
`
	rule := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:rule SYSTEM "rule.dtd">
<mycat:rule xmlns:mycat="http://io.mycat/">
  <tableRule name="mod-long">
    <rule><columns>id</columns><algorithm>mod-long</algorithm></rule>
  </tableRule>
  <tableRule name="murmur">
    <rule><columns>id</columns><algorithm>murmur</algorithm></rule>
  </tableRule>
  <tableRule name="rang-long">
    <rule><columns>id</columns><algorithm>rang-long</algorithm></rule>
  </tableRule>
  <function name="mod-long" class="io.mycat.route.function.PartitionByMod">
    <property name="count">3</property>
  </function>
  <function name="murmur" class="io.mycat.route.function.PartitionByMurmurHash">
    <property name="seed">0</property>
    <property name="count">3</property>
    <property name="virtualBucketTimes">160</property>
  </function>
  <function name="rang-long" class="io.mycat.route.function.AutoPartitionByLong">
    <property name="mapFile">autopartition-long.txt</property>
  </function>
</mycat:rule>
`
	for name, text := range map[string]string{"server.xml": server, "schema.xml": schema, "rule.xml": rule, "autopartition-long.txt": rangeMap} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startEnv starts 3 shards, the reference and the proxy.
func startEnv(t *testing.T) *env {
	testenv.RequireMariaDB(t)
	var shards []*mariadb.Server
	for range 3 {
		shards = append(shards, testenv.MariaDB(t, mariadb.Options{Databases: []string{"db"}}))
	}
	refSrv := testenv.MariaDB(t, mariadb.Options{Databases: []string{"ref"}})
	dir := t.TempDir()
	writeConf(t, dir, shards)
	cfg, findings, err := mycatconf.Load(dir)
	if err != nil {
		t.Fatalf("load conf: %v %v", err, findings)
	}
	p, err := proxy.New(cfg, proxy.Options{ServerAddr: "127.0.0.1:0", ManagerAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = "root", proxyPassword, "tcp", p.Addr(), "TESTDB"
	mc.Timeout = 5 * time.Second
	e := &env{}
	if e.proxy, err = sql.Open("mysql", mc.FormatDSN()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.proxy.Close() })
	if e.ref, err = sql.Open("mysql", refSrv.DSN("ref")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.ref.Close() })
	// One connection each: session state (none is set) stays uniform.
	e.proxy.SetMaxOpenConns(2)
	e.ref.SetMaxOpenConns(2)
	return e
}

func execBoth(t *testing.T, e *env, q string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.proxy.ExecContext(ctx, q); err != nil {
		t.Fatalf("proxy: %s: %v", abbrev(q), err)
	}
	if _, err := e.ref.ExecContext(ctx, q); err != nil {
		t.Fatalf("reference: %s: %v", abbrev(q), err)
	}
}

func abbrev(q string) string {
	if len(q) > 300 {
		return q[:300] + "..."
	}
	return q
}
