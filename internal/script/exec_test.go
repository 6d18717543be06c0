package script

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

func TestSplitCommand(t *testing.T) {
	for line, want := range map[string][]string{
		`/bin/check  -p 80`:           {"/bin/check", "-p", "80"},
		`"/opt/my check" 'a b' c\ d`:  {"/opt/my check", "a b", "c d"},
		`/bin/x ""`:                   {"/bin/x", ""},
		"\t/bin/x\targ ":              {"/bin/x", "arg"},
		`/bin/echo "say \"hi\""`:      {"/bin/echo", `say "hi"`},
		`/bin/echo '$HOME; rm -rf /'`: {"/bin/echo", "$HOME; rm -rf /"},
	} {
		got, err := SplitCommand(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", `/bin/x "open`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) accepted", bad)
		}
	}
}

func TestExecNoShellAndExitStatus(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	s := testenv.WriteScript(t, dir, "args.sh", `printf '%s|' "$@" > "$OUT_FILE"; exit $1`+"\n")
	argv, _ := SplitCommand(s + " 0 'a;b' $HOME")
	os.Setenv("OUT_FILE", out)
	defer os.Unsetenv("OUT_FILE")
	if err := Exec(context.Background(), Command{Argv: argv}, 5*time.Second, "extra"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "0|a;b|$HOME|extra|" {
		t.Errorf("arguments %q: a shell was involved or words were split wrongly", b)
	}
	argv[1] = "3"
	if err := Exec(context.Background(), Command{Argv: argv}, 5*time.Second); err == nil {
		t.Error("exit 3 reported as success")
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The script starts a child that ignores nothing and outlives it.
	s := testenv.WriteScript(t, dir, "hang.sh", "sleep 300 &\necho $! > "+pidFile+"\nwait\n")
	start := time.Now()
	err := Exec(context.Background(), Command{Argv: []string{s}}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Exec returned after %v", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		// A zombie still answers kill 0; look at its state.
		st, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/stat")
		if strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out script still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCheckSecure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own the test files as root")
	}
	dir := t.TempDir()
	s := testenv.WriteScript(t, dir, "ok.sh", "exit 0\n")
	if err := CheckSecure(s, nil); err != nil {
		t.Errorf("root-owned 0755 script refused: %v", err)
	}
	os.Chmod(s, 0o777)
	if err := CheckSecure(s, nil); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("world-writable script: %v", err)
	}
	os.Chmod(s, 0o755)
	os.Chown(s, 65534, 65534)
	if err := CheckSecure(s, nil); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("script owned by nobody run as root: %v", err)
	}
	if err := CheckSecure(s, &syscall.Credential{Uid: 65534, Gid: 65534}); err != nil {
		t.Errorf("script owned by the user it runs as: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o777)
	os.Chmod(sub, 0o777)
	s2 := testenv.WriteScript(t, sub, "x.sh", "exit 0\n")
	if err := CheckSecure(s2, nil); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("script in a world-writable directory: %v", err)
	}
}

func TestExecAsScriptUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	cred, err := Identity("nobody", "")
	if err != nil || cred == nil {
		t.Skipf("no user nobody: %v", err)
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // nobody must reach the script
	os.Chmod(dir, 0o777)
	out := filepath.Join(dir, "uid")
	s := testenv.WriteScript(t, dir, "id.sh", "id -u > "+out+"\n")
	if err := Exec(context.Background(), Command{Argv: []string{s}, Cred: cred}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if strings.TrimSpace(string(b)) != "65534" {
		t.Errorf("script ran as uid %q, want nobody's 65534", b)
	}
}

// FuzzSplitCommand: any line splits without panicking into non-empty word
// lists, and words quoted back (single quotes, escaped as keepalived reads
// them) split again into the same words.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{`/bin/check -p 80`, `"/opt/my check" 'a b' c\ d`, `/bin/x ""`, `a\`, `'`, "\t", `"a\"b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitCommand(line)
		if err != nil {
			return
		}
		if len(words) == 0 {
			t.Fatalf("%q: no words and no error", line)
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, `'`+strings.ReplaceAll(w, `'`, `'"'"'`)+`'`)
		}
		again, err := SplitCommand(strings.Join(quoted, " "))
		if err != nil || !reflect.DeepEqual(again, words) {
			t.Fatalf("%q -> %q -> %q, %v", line, words, again, err)
		}
	})
}
