package keepalivedconf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// parseNoIncludes is Parse with include lines disabled, so that fuzzed
// input never reads files from the machine.
func parseNoIncludes(src []byte) (*Config, []Finding) {
	rep := &reporter{}
	lx := newLexer(rep, "lb1")
	lx.noIncludes = true
	lx.maxLines = 2000 // keeps each run fast; the limit logic is the same
	lx.lexSource("fuzz.conf", src, 0)
	return newParser(rep, lx.out).parse(), rep.findings
}

// FuzzParse: any bytes give a Config and findings, never a panic; every
// finding points into the input; and when the input reads without findings,
// its dump reads back to the same dump.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/golden/*.conf")
	seeds = append(seeds, "testdata/seed-master.conf", "testdata/seed-master-clean.conf")
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("$A=$B\n$B=$A\nx $A\n~SEQ(i,1,100000) ~SEQ(j,1,100000) $i\n"))
	f.Add([]byte("}}}{{{\"\n\\\n@^ x\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, findings := parseNoIncludes(src)
		if cfg == nil {
			t.Fatal("nil Config")
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, fd := range findings {
			if fd.Pos.File != "fuzz.conf" || fd.Pos.Line < 1 || fd.Pos.Line > lines {
				t.Fatalf("finding outside the input: %v", fd)
			}
		}
		var first bytes.Buffer
		if err := Dump(&first, cfg); err != nil {
			t.Fatal(err)
		}
		if len(findings) > 0 {
			return
		}
		again, _ := parseNoIncludes(first.Bytes())
		var second bytes.Buffer
		if err := Dump(&second, again); err != nil {
			t.Fatal(err)
		}
		if a, b := withoutComments(first.String()), withoutComments(second.String()); a != b {
			t.Fatalf("dump does not read back the same:\n%s", lineDiff(a, b))
		}
	})
}
