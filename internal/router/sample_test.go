package router

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/shard"
)

// TestMycatSampleConfig routes against Mycat's shipped sample configuration,
// loaded from XML with the real partition functions.
func TestMycatSampleConfig(t *testing.T) {
	dir := filepath.Join("..", "mycatconf", "testdata", "mycat-sample")
	cfg, _, err := mycatconf.LoadWith(dir, mycatconf.Options{NewFunction: shard.New, ReadOnly: true})
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	r := New(cfg)
	cases := []struct {
		sql   string
		nodes []string
	}{
		// auto-sharding-long: 0-500M=0, 500M-1000M=1, 1000M-1500M=2 (M = 10,000), first match wins.
		{"SELECT * FROM travelrecord WHERE id = 5000000", []string{"dn1"}},
		{"SELECT * FROM travelrecord WHERE id = 5000001", []string{"dn2"}},
		{"SELECT * FROM travelrecord WHERE id = 15000000", []string{"dn3"}},
		{"SELECT * FROM travelrecord WHERE id BETWEEN 100 AND 6000000", []string{"dn1", "dn2"}},
		{"INSERT INTO travelrecord (id, name) VALUES (1, 'a'), (7000000, 'b')", []string{"dn1", "dn2"}},
		// mod-long count=3: 5 -> 2, -4 -> 1.
		{"SELECT * FROM hotnews WHERE id = 5", []string{"dn3"}},
		{"SELECT * FROM hotnews WHERE id = -4", []string{"dn2"}},
		// hash-int: 10000=0, 10010=1, DEFAULT_NODE=1.
		{"SELECT * FROM employee WHERE sharding_id = 10000", []string{"dn1"}},
		{"SELECT * FROM employee WHERE sharding_id = 10010", []string{"dn2"}},
		{"SELECT * FROM company WHERE id = 1 LIMIT 1", []string{"dn1", "dn2", "dn3"}},
		{"UPDATE goods SET name = 'x' WHERE id = 1", []string{"dn1", "dn2"}},
		{"SELECT * FROM customer c JOIN orders o ON o.customer_id = c.id WHERE c.sharding_id = 10010", []string{"dn2"}},
	}
	for _, c := range cases {
		p, err := r.Route("TESTDB", c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := nodesOf(p); !slices.Equal(got, c.nodes) {
			t.Errorf("%s: nodes %v, want %v", c.sql, got, c.nodes)
		}
	}
	// The map's DEFAULT_NODE line applies only with a defaultNode property.
	if _, err := r.Route("TESTDB", "SELECT * FROM employee WHERE sharding_id = 42"); err == nil {
		t.Error("sharding_id 42 is in no partition, want an error")
	}
	// orders' parentKey (id) is not customer's shard column (sharding_id):
	// the proxy must look the parent row up, as Mycat does.
	p, err := r.Route("TESTDB", "INSERT INTO orders (id, customer_id) VALUES (1, 7)")
	if err != nil {
		t.Fatal(err)
	}
	if p.Lookup == nil || p.Lookup.SQL != "SELECT `ID` FROM `CUSTOMER` WHERE `ID` = 7" || !slices.Equal(p.Lookup.DataNodes, []string{"dn1", "dn2"}) {
		t.Errorf("orders insert: %+v", p.Lookup)
	}
	// hotnews is autoIncrement on ID.
	p, err = r.Route("TESTDB", "INSERT INTO hotnews (title) VALUES ('x')")
	if err != nil || p.AutoIncrement == nil || p.AutoIncrement.Sequence != "HOTNEWS" {
		t.Errorf("hotnews insert: %+v %v", p, err)
	}
}
