// Package testenv gates integration tests on the real peers they need
// (root, mariadbd) and starts those peers with cleanup at test end.
//
// A missing peer skips the test on a developer machine, but fails it when
// CI=true: in CI a skipped integration test is a silent hole, so
// scripts/test.sh installs every peer and CI insists they are used.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/mariadb"
)

// InCI reports whether the environment variable CI is "true" (or "1").
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// skipOrFail skips the test, or fails it under CI.
func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s (CI=true: missing test peers are an error; run scripts/test.sh as root to install them)", reason)
		return
	}
	t.Skipf("%s; run scripts/test.sh (as root) to install the test peers, or set CI=true to make this an error", reason)
}

// RequireRoot skips (fails under CI) unless the test runs as root, which
// mariadbd --user=root, network namespaces and raw sockets need.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "test needs root")
	}
}

// RequireMariaDB skips (fails under CI) unless root and mariadbd are
// available.
func RequireMariaDB(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	if _, ok := mariadb.Available(); !ok {
		skipOrFail(t, "test needs mariadbd (apt-get install mariadb-server mariadb-client)")
	}
}

// MariaDB starts a server for the test and stops it when the test ends.
// opt.Dir defaults to a fresh directory removed at the end. On failure the
// server's error log is attached to the test output.
func MariaDB(t testing.TB, opt mariadb.Options) *mariadb.Server {
	t.Helper()
	RequireMariaDB(t)
	if opt.Dir == "" {
		opt.Dir = ShortTempDir(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := mariadb.Start(ctx, opt)
	if err != nil {
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop MariaDB %s: %v", srv.Addr(), err)
		}
		if t.Failed() {
			if b, err := os.ReadFile(srv.ErrorLog()); err == nil {
				t.Logf("MariaDB %s error log:\n%s", srv.Addr(), tail(string(b), 30))
			}
		}
	})
	return srv
}

// ShortTempDir is t.TempDir under /tmp with a short name: t.TempDir nests
// the test name, and unix socket paths must stay under 108 bytes.
func ShortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
