package router

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json with the current plans")

// goldenCase pairs a statement with its expected plan or error.
type goldenCase struct {
	Comment string          `json:"comment,omitempty"`
	Schema  string          `json:"schema"`
	SQL     string          `json:"sql"`
	Plan    json.RawMessage `json:"plan,omitempty"`
	Error   string          `json:"error,omitempty"`
	Code    uint16          `json:"code,omitempty"`
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	r := New(testConfig())
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var cases []goldenCase
			if err := json.Unmarshal(data, &cases); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for i := range cases {
				c := &cases[i]
				plan, err := r.Route(c.Schema, c.SQL)
				var got goldenCase
				got.Comment, got.Schema, got.SQL = c.Comment, c.Schema, c.SQL
				if err != nil {
					got.Error = err.Error()
					if e, ok := err.(*Error); ok {
						got.Code = e.Code
					}
				} else {
					b, err := json.MarshalIndent(plan, "    ", "  ")
					if err != nil {
						t.Fatal(err)
					}
					got.Plan = b
				}
				if *update {
					*c = got
					continue
				}
				if got.Error != c.Error || got.Code != c.Code || !jsonEqual(t, got.Plan, c.Plan) {
					t.Errorf("%s\nschema %q: %s\n got: error=%q code=%d plan=%s\nwant: error=%q code=%d plan=%s",
						file, c.Schema, c.SQL, got.Error, got.Code, got.Plan, c.Error, c.Code, c.Plan)
				}
			}
			if *update {
				out, err := json.MarshalIndent(cases, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
