package keepalivedconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statements lexes src and renders each statement as "LINE: word|word".
func statements(t *testing.T, src string, configID string) ([]string, []Finding) {
	t.Helper()
	rep := &reporter{}
	lx := newLexer(rep, configID)
	lx.lexSource("t.conf", []byte(src), 0)
	var out []string
	for _, s := range lx.out {
		out = append(out, fmt.Sprintf("%02d: %s", s.pos.Line, strings.Join(s.words, "|")))
	}
	return out, rep.findings
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name, src, configID string
		want                []string
	}{
		{"comments anywhere outside quotes", "a b # c\n! all comment\nd \"e # f\" ! g\nh#i\n", "",
			[]string{"01: a|b", "03: d|e # f", "04: h"}},
		{"escaped comment characters", `a \#b c\!d "e \#f"`, "",
			[]string{`01: a|#b|c!d|e \#f`}},
		{"braces split off words", "}vrrp_instance VI_1 {#comment\nreal_server 1.2.3.4 80{//x\n{a}}\n", "",
			[]string{"01: }", "01: vrrp_instance|VI_1", "01: {", "02: real_server|1.2.3.4|80", "02: {", "02: //x",
				"03: {", "03: a", "03: }", "03: }"}},
		{"braces in quotes stay", `script "echo {x}"`, "",
			[]string{"01: script|echo {x}"}},
		{"quote ends a word", `a"b c"d`, "",
			[]string{"01: a|b c|d"}},
		{"CRLF line ends", "a 1\r\nb 2\r\n", "",
			[]string{"01: a|1", "02: b|2"}},
		{"conditionals", "@lb1 a\n@lb2 b\n@^lb1 c\n@^lb2 d\n@lb1\n", "lb1",
			[]string{"01: a", "04: d"}},
		{"conditionals without a config id", "@lb1 a\n@^lb1 b\n", "",
			[]string{"02: b"}},
		{"parameters", "$X=eth0\n$Y= ${X}:1\n$Z=a,b\nif $X ${Y} $Z, ($X) $Xs $UNDEFINED\n", "",
			[]string{"04: if|eth0|eth0:1|a,b,|(eth0)|$Xs|$UNDEFINED"}},
		// keepalived needs '=' right after the name; an undefined ${Y} is
		// then split at its braces.
		{"not a definition", "$Y = 1\nx ${Y}\n", "",
			[]string{"01: $Y|=|1", "02: x|$", "02: {", "02: Y", "02: }"}},
		// The conditional is read before substitution, as keepalived does, but a
		// substitution that yields a conditional is read again.
		{"parameter in a conditional", "$ID=lb1\n@$ID a\n$C=@lb1\n$C b\n", "lb1",
			[]string{"04: b"}},
		{"conditional definition", "$P=1\n@lb1 $P=2\nx $P\n", "lb1",
			[]string{"03: x|2"}},
		{"redefinition applies from then on", "$P=1\nx $P\n$P=2\ny $P\n", "",
			[]string{"02: x|1", "04: y|2"}},
		{"multi-line parameter", "$BLOCK=a 1 \\\n  b 2 \\\n  c 3\n\n$BLOCK\ninline $BLOCK\n", "",
			[]string{"05: a|1", "05: b|2", "05: c|3", "06: inline|$BLOCK"}},
		{"predefined parameters", "id ${_INSTANCE} ${_HASH}${_BANG} $_HASH$_BANG\n", "lb7",
			[]string{"01: id|lb7|#!|$_HASH!"}},
		{"sequence", "~SEQ(i, 3) n $i\n~SEQ(i, 5, 6) m $i\n~SEQ(i, 10, -5, 0) k $i\n", "",
			[]string{"01: n|1", "01: n|2", "01: n|3", "02: m|5", "02: m|6", "03: k|10", "03: k|5", "03: k|0"}},
		{"hex sequence", "~SEQx(i, 9, 3, 15) fe80::$i\n", "",
			[]string{"01: fe80::9", "01: fe80::c", "01: fe80::f"}},
		{"nested sequence", "~SEQ(i, 2) ~SEQ(j, 2) p $i $j\n", "",
			[]string{"01: p|1|1", "01: p|1|2", "01: p|2|1", "01: p|2|2"}},
		{"sequence bounds from parameters", "$N=2\n~SEQ(i, 1, $N) q $i\n", "",
			[]string{"02: q|1", "02: q|2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings := statements(t, tt.src, tt.configID)
			if len(findings) > 0 {
				t.Errorf("unexpected findings: %v", findings)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Includes resolve relative to the including file, expand globs and
// {a,b} braces in sorted order, and keep each file's own line numbers.
func TestInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "keepalived.conf"), `global_defs {
    router_id main
    enable_script_security
}
include conf.d/*.conf
include extra/{b,a}.inc
`)
	writeFile(t, filepath.Join(dir, "conf.d", "20-vs.conf"), "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.0.0.2 80 {\n  }\n}\n")
	writeFile(t, filepath.Join(dir, "conf.d", "10-vrrp.conf"), "# instances\ninclude ../instances/vi1.part\n")
	writeFile(t, filepath.Join(dir, "conf.d", "ignored.txt"), "this is not read\n")
	writeFile(t, filepath.Join(dir, "instances", "vi1.part"), "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  bogus_keyword\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n")
	writeFile(t, filepath.Join(dir, "extra", "a.inc"), "vrrp_script a {\n script /bin/a\n}\n")
	writeFile(t, filepath.Join(dir, "extra", "b.inc"), "vrrp_script b {\n script /bin/b\n}\n")

	cfg, findings, err := Load(filepath.Join(dir, "keepalived.conf"), Options{ConfigID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Instances) != 1 || len(cfg.VirtualServers) != 1 || cfg.Global.RouterID != "main" {
		t.Fatalf("config not assembled from the includes: %+v", cfg)
	}
	// As glob(3) with GLOB_BRACE: alternatives in written order, each glob sorted.
	if len(cfg.Scripts) != 2 || cfg.Scripts[0].Name != "b" || cfg.Scripts[1].Name != "a" {
		t.Errorf("scripts = %v %v, want b then a (brace order, each alternative globbed)", cfg.Scripts[0].Name, cfg.Scripts[1].Name)
	}
	wantPos := Pos{File: filepath.Join(dir, "instances", "vi1.part"), Line: 4}
	if len(findings) != 1 || findings[0].Pos != wantPos || !strings.Contains(findings[0].Message, `"bogus_keyword"`) {
		t.Errorf("findings = %v, want one at %v", findings, wantPos)
	}
	if in := cfg.Instances[0]; in.Pos != (Pos{File: wantPos.File, Line: 1}) {
		t.Errorf("instance position = %v", in.Pos)
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.conf"), "include b.conf\n")
	writeFile(t, filepath.Join(dir, "b.conf"), "include a.conf\n")
	_, findings, err := Load(filepath.Join(dir, "a.conf"), Options{})
	if err == nil || len(findings) != 1 || !strings.Contains(findings[0].Message, "include nested more than 32 deep") {
		t.Errorf("err %v, findings %v; want one include-depth error", err, findings)
	}
}

func TestLoadMissingFile(t *testing.T) {
	cfg, findings, err := Load(filepath.Join(t.TempDir(), "none.conf"), Options{})
	if cfg != nil || findings != nil || err == nil || !strings.Contains(err.Error(), "none.conf") {
		t.Errorf("Load of a missing file = %v, %v, %v; want only an error naming the file", cfg, findings, err)
	}
}

func TestExpandBraces(t *testing.T) {
	tests := map[string]string{
		"a":            "a",
		"x{1,2}y":      "x1y x2y",
		"{a,b}{c,d}":   "ac ad bc bd",
		"p{a,{b,c}}q":  "paq pbq pcq",
		"open{a,b":     "open{a,b",
		"empty{,x}.cf": "empty.cf emptyx.cf",
	}
	for in, want := range tests {
		if got := strings.Join(expandBraces(in), " "); got != want {
			t.Errorf("expandBraces(%q) = %q, want %q", in, got, want)
		}
	}
}
