package keepalivedconf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keepalivedLine matches a `keepalived -t` message that names a line:
// "(Line 12) ..." for one file, "(/path/file.conf: Line 12) ..." otherwise.
var keepalivedLine = regexp.MustCompile(`^\((?:(.*): )?Line (\d+)\) (.*)$`)

// Messages of `keepalived -t` about this machine rather than the file
// (interfaces, users, script files), which the reader cannot know.
var keepalivedMachineMessages = []string{"doesn't exist", "Unable to set", "Failed to set",
	"loopback interface", "Non-existent interface", "cannot find"}

// Our findings keepalived does not report with a line: shardcat's own
// checks, and conditions keepalived only logs.
var shardcatOnlyFindings = []string{"does not look like an e-mail address", "is not supported by shardcat",
	"no file matches", "expands without end", "has no closing '}'", "no '{' follows",
	"is already defined at", "no virtual_server_group of that name", "has no real_server",
	"vrrp_script", "no virtual_ipaddress", "virtual_router_id", "no interface", "enable_script_security",
	"~LST", "is disabled here", "sync_group", "only the first 8", "vrrp_strict", "advert_int",
	"nopreempt", "preempt_delay", "authentication", "virtual addresses do not fit", "AH authentication",
	"no protocol set", "no lvs_sched set", "no lvs_method set", "quorum", "hysteresis", "port",
	"no user", "ignores the real port", "fwmark", "is already in virtual_server"}

// keepalivedLines runs the real `keepalived -t` on path and returns the
// lines it reports about that file (beyond the machine-specific ones).
func keepalivedLines(t *testing.T, bin, path string) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "-t", "-i", goldenConfigID, "-f", path).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("keepalived -t %s: %v", path, ctx.Err())
	}
	var lines []int
	for _, l := range strings.Split(string(out), "\n") {
		m := keepalivedLine.FindStringSubmatch(l)
		if m == nil || (m[1] != "" && m[1] != path) || containsAny(m[3], keepalivedMachineMessages) {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		lines = append(lines, n)
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// TestAgainstKeepalived runs the real keepalived (when installed) on every
// test configuration: each line keepalived complains about must have a
// finding here, and each finding here must be on a line keepalived flags,
// except for the checks shardcat adds or keepalived only logs.
func TestAgainstKeepalived(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed")
	}
	if testing.Short() {
		t.Skip("runs keepalived once per configuration")
	}
	dir := t.TempDir()
	var paths []string
	for i, c := range findingCases {
		if strings.Contains(c.conf, "include ") {
			continue // its path is absolute and machine-specific
		}
		p := filepath.Join(dir, fmt.Sprintf("case%02d.conf", i))
		writeFile(t, p, c.conf)
		paths = append(paths, p)
	}
	golden, _ := filepath.Glob("testdata/golden/*.conf")
	for _, p := range append(golden, "testdata/seed-master.conf", "testdata/seed-master-clean.conf") {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, abs)
	}
	for _, path := range paths {
		src, _ := os.ReadFile(path)
		if strings.Contains(string(src), "MYSQL_CHECK") || strings.Contains(string(src), "proxy_protocol") {
			continue // shardcat's own keywords: keepalived rejects them by design
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			theirs := keepalivedLines(t, bin, path)
			_, findings, _ := Load(path, Options{ConfigID: goldenConfigID})
			var ours, oursComparable []int
			for _, f := range findings {
				if f.Pos.File != path {
					continue
				}
				ours = append(ours, f.Pos.Line)
				if !containsAny(f.Message, shardcatOnlyFindings) {
					oursComparable = append(oursComparable, f.Pos.Line)
				}
			}
			for _, n := range theirs {
				if !slices.Contains(ours, n) {
					t.Errorf("keepalived -t reports line %d, shardcat has no finding there\n%s", n, src)
				}
			}
			for _, n := range oursComparable {
				if !slices.Contains(theirs, n) {
					t.Errorf("shardcat reports line %d, keepalived -t does not; findings: %v", n, findings)
				}
			}
		})
	}
}

// lexerProbe makes every line the lexer produces an unknown top-level
// keyword, so that keepalived's "Unknown keyword" messages show, in order,
// how it expanded parameters, conditionals, sequences and includes.
const lexerProbe = `$A=alpha
$B=${A}_beta
$M= \
  m1 $A \
  m2
@lb1 cond_yes
@lb2 cond_no
@^lb2 negcond_yes
@^lb1 negcond_no
kw_$A ${B}x $Bx
$M
~SEQ(i, 3) seq_$i
~SEQx(i, 9, 3, 15) hex_$i
~SEQ(i, 2) ~SEQ(j, 2) nest_${i}_${j}
include inc/{b,a}*.conf
esc \#not_comment "q # in" last ! comment
}glued{kw2 x}
id_${_INSTANCE}
$SP = 1
sp_${SP}
`

var unknownKeyword = regexp.MustCompile(`^\((?:(.*): )?Line (\d+)\) Unknown keyword '(.*)'$`)

func TestLexerAgainstKeepalived(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed")
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.conf")
	writeFile(t, main, lexerProbe)
	writeFile(t, filepath.Join(dir, "inc", "a1.conf"), "from_a\n")
	writeFile(t, filepath.Join(dir, "inc", "b1.conf"), "from_b\n")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "-t", "-i", goldenConfigID, "-f", main).CombinedOutput()
	var theirs []string
	for _, l := range strings.Split(string(out), "\n") {
		// keepalived also calls a stray '}' an unknown keyword; ours says "unexpected '}'".
		if m := unknownKeyword.FindStringSubmatch(l); m != nil && m[1] != "" && m[3] != "}" {
			theirs = append(theirs, filepath.Base(m[1])+":"+m[2]+" "+m[3])
		}
	}

	_, findings, _ := Load(main, Options{ConfigID: goldenConfigID})
	var ours []string
	for _, f := range findings {
		if kw, ok := strings.CutPrefix(f.Message, "unknown keyword "); ok {
			name, _, _ := strings.Cut(kw, " at top level")
			ours = append(ours, filepath.Base(f.Pos.File)+":"+strconv.Itoa(f.Pos.Line)+" "+strings.Trim(name, `"`))
		}
	}
	// keepalived's processes each read the file, so its messages repeat:
	// ours must be one whole round of them.
	found := false
	for i := range theirs {
		if len(ours) > 0 && len(theirs)-i >= len(ours) && slices.Equal(theirs[i:i+len(ours)], ours) {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("keyword sequence differs from keepalived's\n ours:   %q\n theirs: %q", ours, theirs)
	}
}
