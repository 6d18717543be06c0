package track

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/script"
	"github.com/shardcat/shardcat/internal/testenv"
)

func TestScenarioRunScriptFollowsAFile(t *testing.T) {
	// Given a script that succeeds while a flag file exists, with fall 2.
	dir := t.TempDir()
	flag := filepath.Join(dir, "healthy")
	os.WriteFile(flag, nil, 0o644)
	s := testenv.WriteScript(t, dir, "chk.sh", "test -e "+flag+"\n")
	var mu sync.Mutex
	var seen []Status
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunScript(ctx, Script{Name: "chk", Cmd: script.Command{Argv: []string{s}}, Interval: 50 * time.Millisecond, Rise: 1, Fall: 2},
			t.Logf, func(st Status) { mu.Lock(); seen = append(seen, st); mu.Unlock() })
	}()
	defer func() { cancel(); <-done }()
	waitSeen := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			var got []string
			for _, s := range seen {
				got = append(got, s.String())
			}
			mu.Unlock()
			if strings.Join(got, ",") == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("statuses %v, want %s", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Then it goes up, when the file goes it goes down, and back up.
	waitSeen("up")
	os.Remove(flag)
	waitSeen("up,down")
	os.WriteFile(flag, nil, 0o644)
	waitSeen("up,down,up")
}
