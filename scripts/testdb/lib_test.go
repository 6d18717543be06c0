package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardcat/shardcat/internal/mariadb"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/shard"
)

// The Mycat conf dirs that scripts/lib.sh writes for gosqldriver-suite.sh
// and bench.sh load into the intended model.
func TestLibShConfDirsLoad(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := mariadb.WriteSelfSignedCert(cert, key); err != nil {
		t.Fatal(err)
	}
	script := `set -euo pipefail
source ../lib.sh
sc_mycat_server_xml "$1/single" 18066 19066 bench benchpw gotest "$2" "$3"
sc_mycat_rule_xml "$1/single"
sc_mycat_schema_single "$1/single" gotest gotest 3307
sc_mycat_server_xml "$1/sharded" 18067 19067 bench benchpw sbtest
sc_mycat_rule_xml "$1/sharded"
sc_mycat_schema_sharded "$1/sharded" sbtest sbtest1,sbtest2 3308 3309
`
	if out, err := exec.Command("bash", "-c", script, "bash", dir, cert, key).CombinedOutput(); err != nil {
		t.Fatalf("lib.sh: %v\n%s", err, out)
	}
	load := func(name string) *mycatconf.Config {
		cfg, findings, err := mycatconf.LoadWith(filepath.Join(dir, name), mycatconf.Options{NewFunction: shard.New, ReadOnly: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range findings {
			t.Logf("%s: %s", name, f)
		}
		return cfg
	}

	single := load("single")
	if single.System.ServerPort != 18066 || single.System.SSLCert != cert || single.System.SSLKey != key {
		t.Errorf("single: system %+v", single.System)
	}
	if u := single.Users["bench"]; u == nil || u.Password != "benchpw" || strings.Join(u.Schemas, ",") != "gotest" {
		t.Errorf("single: user bench %+v", u)
	}
	if s := single.Schemas["gotest"]; s == nil || s.DataNode != "dn1" || len(s.Tables) != 0 {
		t.Errorf("single: schema gotest %+v", s)
	}
	if h := single.DataHosts["host1"]; h == nil || h.WriteHosts[0].Addr != "127.0.0.1:3307" || h.WriteHosts[0].User != "bench" {
		t.Errorf("single: host1 %+v", h)
	}

	sharded := load("sharded")
	schema := sharded.Schemas["sbtest"]
	if schema == nil {
		t.Fatal("sharded: no schema sbtest")
	}
	for _, name := range []string{"SBTEST1", "SBTEST2"} {
		tbl := schema.Tables[name]
		if tbl == nil || tbl.Type != mycatconf.TableSharded || strings.Join(tbl.DataNodes, ",") != "dn1,dn2" {
			t.Fatalf("sharded: table %s %+v", name, tbl)
		}
		// sysbench ids: id mod 2 = 0 on dn1, 1 on dn2.
		if n, err := tbl.Rule.Function.Impl.Calculate("7"); err != nil || n != 1 {
			t.Errorf("sharded: %s id 7 -> %d, %v; want dn2", name, n, err)
		}
	}
	if sharded.DataHosts["host2"].WriteHosts[0].Addr != "127.0.0.1:3309" {
		t.Errorf("sharded: host2 %+v", sharded.DataHosts["host2"].WriteHosts[0])
	}
}
