// Package difftest is the differential test of cross-node queries: the
// same tables and generated rows live behind the proxy (3 MariaDB shards:
// mod-long, murmur, range, global and ER parent/child tables) and in one
// reference MariaDB, and every statement of queries() must give the same
// columns and rows through both, or be refused with a MySQL error.
//
//	go test -count=1 -v -run TestDifferential ./internal/difftest/
package difftest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// knownWrong lists statements whose proxy result is known to differ from
// the reference, with the reason. They are still run and reported in the
// log, but do not fail the test. The goal is an empty list: each entry is
// a proxy bug to fix.
var knownWrong = map[string]string{}

// result is one statement's outcome on one side.
type result struct {
	cols []string
	rows []string // each row: its values, quoted or NULL, joined by ","
	err  error
}

func run(ctx context.Context, db *sql.DB, q string) result {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return result{err: err}
	}
	defer rows.Close()
	var res result
	if res.cols, err = rows.Columns(); err != nil {
		return result{err: err}
	}
	vals := make([]sql.RawBytes, len(res.cols))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return result{err: err}
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = strconv.Quote(string(v))
			}
		}
		res.rows = append(res.rows, strings.Join(parts, ","))
	}
	if err := rows.Err(); err != nil {
		return result{err: err}
	}
	return res
}

// diff describes how got differs from want, or returns "".
func diff(q query, want, got result) string {
	if !slices.Equal(want.cols, got.cols) {
		return fmt.Sprintf("columns differ: want %q, got %q", want.cols, got.cols)
	}
	w, g := want.rows, got.rows
	if !q.ordered {
		w, g = slices.Clone(w), slices.Clone(g)
		sort.Strings(w)
		sort.Strings(g)
	}
	if len(w) != len(g) {
		return fmt.Sprintf("%d rows, want %d\nwant: %s\ngot:  %s", len(g), len(w), show(w), show(g))
	}
	for i := range w {
		if w[i] != g[i] {
			return fmt.Sprintf("row %d: want [%s], got [%s]\nwant: %s\ngot:  %s", i, w[i], g[i], show(w), show(g))
		}
	}
	return ""
}

func show(rows []string) string {
	if len(rows) > 12 {
		return "[" + strings.Join(rows[:12], "] [") + fmt.Sprintf("] ... (%d rows)", len(rows))
	}
	return "[" + strings.Join(rows, "] [") + "]"
}

func TestDifferential(t *testing.T) {
	start := time.Now()
	e := startEnv(t)
	for _, stmt := range ddl {
		execBoth(t, e, stmt)
	}
	counts := loadData(t, e)
	t.Logf("setup and load: %v, rows %v", time.Since(start).Round(time.Millisecond), counts)

	ctx := context.Background()
	// Sanity: every table holds the same row count on both sides.
	for table, n := range counts {
		got := run(ctx, e.proxy, "SELECT COUNT(*) FROM "+table)
		if got.err != nil || len(got.rows) != 1 || got.rows[0] != strconv.Quote(strconv.Itoa(n)) {
			t.Fatalf("%s: proxy count %v %v, want %d", table, got.rows, got.err, n)
		}
	}

	qs := queries()
	var equal, wrong, knownSeen int
	refused := map[string][]string{}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.sql] {
			continue
		}
		seen[q.sql] = true
		want := run(ctx, e.ref, q.sql)
		if want.err != nil {
			t.Errorf("reference rejects %s: %v", q.sql, want.err)
			continue
		}
		got := run(ctx, e.proxy, q.sql)
		if got.err != nil {
			var me *mysql.MySQLError
			if errors.As(got.err, &me) {
				reason := fmt.Sprintf("%d %s", me.Number, me.Message)
				refused[reason] = append(refused[reason], q.sql)
				continue
			}
			got.err = fmt.Errorf("not a MySQL error: %w", got.err)
		}
		d := ""
		if got.err != nil {
			d = got.err.Error()
		} else {
			d = diff(q, want, got)
		}
		if d == "" {
			equal++
			if reason, ok := knownWrong[q.sql]; ok {
				t.Logf("knownWrong entry now answers correctly (remove it): %s (%s)", q.sql, reason)
			}
			continue
		}
		if reason, ok := knownWrong[q.sql]; ok {
			knownSeen++
			t.Logf("KNOWN WRONG (%s): %s\n%s", reason, q.sql, d)
			continue
		}
		wrong++
		t.Errorf("WRONG: %s\n%s", q.sql, d)
	}

	for q, reason := range knownWrong {
		if !seen[q] {
			t.Errorf("knownWrong entry is not in the query set (stale): %s (%s)", q, reason)
		}
	}

	total := equal + wrong + knownSeen
	nRefused := 0
	var reasons []string
	for reason, list := range refused {
		nRefused += len(list)
		reasons = append(reasons, reason)
	}
	total += nRefused
	sort.Strings(reasons)
	t.Logf("%d distinct queries: %d answered and equal, %d refused, %d wrong, %d known wrong (%v)",
		total, equal, nRefused, wrong, knownSeen, time.Since(start).Round(time.Millisecond))
	for _, reason := range reasons {
		list := refused[reason]
		t.Logf("refused %d x: %s (e.g. %s)", len(list), reason, list[0])
	}
	if testing.Verbose() {
		for _, reason := range reasons {
			for _, q := range refused[reason] {
				t.Logf("  refused [%s]: %s", reason[:min(len(reason), 40)], q)
			}
		}
	}
}
