package keepalivedconf

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

// goldenConfigID is the config id the golden files are read with, so that
// their @lb1 / @^lb1 lines are exercised.
const goldenConfigID = "lb1"

// render is what the golden files hold: the findings, then the dump.
func render(t *testing.T, name string, src []byte) string {
	t.Helper()
	cfg, findings, _ := Parse(name, src, Options{ConfigID: goldenConfigID})
	var b bytes.Buffer
	for _, f := range findings {
		fmt.Fprintln(&b, "#", f)
	}
	if len(findings) == 0 {
		fmt.Fprintln(&b, "# no findings")
	}
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGolden checks testdata/golden/NAME.conf -> NAME.golden (findings and
// dump); run with -update to rewrite the golden files after a deliberate change.
func TestGolden(t *testing.T) {
	confs, err := filepath.Glob("testdata/golden/*.conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, conf := range confs {
		t.Run(filepath.Base(conf), func(t *testing.T) {
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, conf, src)
			goldenPath := strings.TrimSuffix(conf, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", goldenPath, lineDiff(string(want), got))
			}
		})
	}
}

// TestDumpRoundTrip: the dump is itself a keepalived.conf that reads back
// to the same model, so it shows exactly what will run.
func TestDumpRoundTrip(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/golden/*.conf")
	inputs = append(inputs, "testdata/seed-master.conf", "testdata/seed-master-clean.conf")
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			cfg, _, _ := Load(in, Options{ConfigID: goldenConfigID})
			var first, second bytes.Buffer
			if err := Dump(&first, cfg); err != nil {
				t.Fatal(err)
			}
			again, findings, _ := Parse("dump", first.Bytes(), Options{})
			for _, f := range findings {
				if f.Severity == Error {
					t.Errorf("dump does not read back cleanly: %v", f)
				}
			}
			if err := Dump(&second, again); err != nil {
				t.Fatal(err)
			}
			if a, b := withoutComments(first.String()), withoutComments(second.String()); a != b {
				t.Errorf("dump of the dump differs:\n%s", lineDiff(a, b))
			}
		})
	}
}

func withoutComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// lineDiff shows the first lines that differ, enough to find a regression.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}
