package mycatconf

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLoad writes one fuzzed file over a copy of base and loads it. Load
// must never panic; a config it accepts must be internally consistent.
func fuzzLoad(f *testing.F, base, file string) {
	for _, dir := range []string{"testdata/demo", "testdata/mycat-sample"} {
		if data, err := os.ReadFile(filepath.Join(dir, file)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<mycat:schema xmlns:mycat="x"><dataNode name="dn$0-3" dataHost="h" database="d$0-3"/></mycat:schema>`))
	f.Add([]byte(`<?xml version="1.0" encoding="GBK"?><x/>`))
	f.Add([]byte(`<a><b></a>`))
	f.Add([]byte(""))
	// One conf dir per fuzzing process (execs in it are sequential): only
	// the fuzzed file changes between runs.
	dir := copyDir(f, base)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, findings, err := LoadWith(dir, Options{NewFunction: standInFactory, ReadOnly: true})
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is not a *ConfigError: %v", err)
		}
		if (err == nil) != (len(errorFindings(findings)) == 0) {
			t.Fatalf("err = %v but findings %v", err, findings)
		}
		if err != nil {
			return
		}
		checkConsistent(t, cfg)
	})
}

// checkConsistent verifies the invariants a loaded Config promises.
func checkConsistent(t *testing.T, cfg *Config) {
	for _, dn := range cfg.DataNodes {
		if cfg.DataHosts[dn.DataHost] == nil {
			t.Fatalf("dataNode %s on unknown host %s", dn.Name, dn.DataHost)
		}
	}
	for _, s := range cfg.Schemas {
		if s.DataNode != "" && cfg.DataNodes[s.DataNode] == nil {
			t.Fatalf("schema %s default node %s unknown", s.Name, s.DataNode)
		}
		for name, tb := range s.Tables {
			if len(tb.DataNodes) == 0 {
				t.Fatalf("table %s has no dataNodes", name)
			}
			for _, n := range tb.DataNodes {
				if cfg.DataNodes[n] == nil {
					t.Fatalf("table %s on unknown node %s", name, n)
				}
			}
			if tb.Rule != nil && (tb.Rule.Function == nil || tb.Rule.Function.Impl == nil) {
				t.Fatalf("table %s rule %s without a built function", name, tb.Rule.Name)
			}
			if tb.Type == TableChild && tb.Parent == nil {
				t.Fatalf("child table %s without parent", name)
			}
		}
	}
	for _, u := range cfg.Users {
		for _, s := range u.Schemas {
			if cfg.Schemas[s] == nil {
				t.Fatalf("user %s schema %s unknown", u.Name, s)
			}
		}
	}
}

func FuzzLoadSchemaXML(f *testing.F) { fuzzLoad(f, "testdata/demo", SchemaFile) }
func FuzzLoadServerXML(f *testing.F) { fuzzLoad(f, "testdata/demo", ServerFile) }
func FuzzLoadRuleXML(f *testing.F)   { fuzzLoad(f, "testdata/demo", RuleFile) }

// The sample conf dir uses sequnceHandlerType 0, the demo 1.
func FuzzLoadSequenceConf(f *testing.F) { fuzzLoad(f, "testdata/mycat-sample", SequenceFile) }
func FuzzLoadSequenceDBConf(f *testing.F) {
	fuzzLoad(f, "testdata/demo", SequenceDBFile)
}

func FuzzExpandNames(f *testing.F) {
	for _, s := range []string{"dn$0-3", "a,b", "x$5", "$1-2", "d$3-1", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := expandNames(s)
		if err != nil {
			return
		}
		if len(names) > maxExpanded {
			t.Fatalf("%d names", len(names))
		}
		for _, n := range names {
			if n == "" {
				t.Fatalf("empty name from %q", s)
			}
		}
	})
}
