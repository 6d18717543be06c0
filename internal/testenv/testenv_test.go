package testenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/shardcat/shardcat/internal/mariadb"
)

// recordingTB captures Skipf/Fatalf instead of stopping the goroutine.
type recordingTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestMissingPeerSkipsLocallyAndFailsInCI(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"false", false}, {"true", true}, {"1", true}} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			rec := &recordingTB{TB: t}
			skipOrFail(rec, "test needs frobnicator")
			if tc.wantFail {
				if rec.fatal == "" || rec.skipped != "" {
					t.Fatalf("CI=%q: fatal %q, skipped %q; want a failure", tc.ci, rec.fatal, rec.skipped)
				}
			} else if rec.skipped == "" || rec.fatal != "" {
				t.Fatalf("CI=%q: fatal %q, skipped %q; want a skip", tc.ci, rec.fatal, rec.skipped)
			}
			for _, msg := range []string{rec.fatal + rec.skipped} {
				if want := "test needs frobnicator"; len(msg) < len(want) || msg[:len(want)] != want {
					t.Fatalf("message %q does not start with the reason", msg)
				}
			}
		})
	}
}

// Two servers from the helper, SQL on each, one killed and restarted.
func TestMariaDBHelper(t *testing.T) {
	ctx := context.Background()
	a := MariaDB(t, mariadb.Options{Databases: []string{"db1"}})
	b := MariaDB(t, mariadb.Options{Databases: []string{"db2"}})
	if err := a.Exec(ctx, "CREATE TABLE db1.t (v INT)", "INSERT INTO db1.t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := b.Exec(ctx, "CREATE TABLE db2.t (v INT)", "INSERT INTO db2.t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	if err := b.Exec(ctx, "SELECT * FROM db1.t"); err == nil {
		t.Fatal("server B sees server A's database")
	}
	if err := b.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := b.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("Exec on a killed server succeeded")
	}
	if err := a.Exec(ctx, "INSERT INTO db1.t VALUES (3)"); err != nil {
		t.Fatalf("A affected by B's kill: %v", err)
	}
	if err := b.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := b.OpenRoot("db2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("SELECT v FROM t").Scan(&v); err != nil || v != 2 {
		t.Fatalf("after restart: v=%d err=%v", v, err)
	}
}
