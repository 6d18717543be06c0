package router

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRoute: any input gives a plan or an *Error, never a panic, and every
// route names a configured data node.
func FuzzRoute(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var cases []goldenCase
		if err := json.Unmarshal(data, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			f.Add(c.Schema, c.SQL)
		}
	}
	f.Add("TESTDB", "SELECT * FROM hotnews WHERE (id >= 1 AND id < 5) OR (id > 2000 AND id <= 2100)")
	f.Add("TESTDB", "/*!mycat:sql=/*!mycat:sql=select 1*/*/ select 1")
	cfg := testConfig()
	r := New(cfg)
	f.Fuzz(func(t *testing.T, schema, sql string) {
		p, err := r.Route(schema, sql)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == 0 || e.State == "" || e.Msg == "" {
				t.Fatalf("Route(%q, %q): error %v is not a complete *Error", schema, sql, err)
			}
			return
		}
		for _, plan := range []*Plan{p, p.Inner} {
			if plan == nil {
				continue
			}
			for _, rt := range plan.Routes {
				if cfg.DataNodes[rt.DataNode] == nil || strings.TrimSpace(rt.SQL) == "" {
					t.Fatalf("Route(%q, %q): bad route %+v", schema, sql, rt)
				}
			}
		}
		if n, err := CountPlaceholders(sql); err == nil {
			args := make([]string, n)
			for i := range args {
				args[i] = "1"
			}
			out, err := Interpolate(sql, args)
			if err != nil {
				t.Fatalf("Interpolate after CountPlaceholders=%d: %v", n, err)
			}
			if m, err := CountPlaceholders(out); err != nil || m != 0 {
				t.Fatalf("Interpolate(%q) left %d placeholders (%v): %q", sql, m, err, out)
			}
		}
	})
}
