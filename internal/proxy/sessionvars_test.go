package proxy

import (
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

func applySQL(t *testing.T, s *sessionVars, sql string) error {
	t.Helper()
	st, err := parser.New().ParseOneStmt(sql, "", "")
	if err != nil {
		t.Fatalf("parse %q: %v", sql, err)
	}
	return s.apply(st.(*ast.SetStmt))
}

func TestSessionVarsRenderSet(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"SET NAMES utf8mb4"}, "SET NAMES 'utf8mb4'"},
		{[]string{"SET NAMES utf8mb4 COLLATE utf8mb4_bin"}, "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_bin'"},
		{[]string{"set autocommit=OFF"}, "SET @@session.autocommit=0"},
		{[]string{"SET @a = 5, sql_mode='ANSI'"}, "SET @a=5, @@session.sql_mode='ANSI'"},
		{[]string{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"}, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"},
		{[]string{"SET @@transaction_isolation='SERIALIZABLE'", "set @b='x'"}, "SET @b='x'; SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
		{[]string{"set sql_mode='ANSI'", "set sql_mode=DEFAULT"}, ""},
	}
	for _, c := range cases {
		s := newSessionVars("")
		for _, q := range c.sets {
			if err := applySQL(t, &s, q); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
		if got := s.setStatement(newSessionVars("")); got != c.want {
			t.Errorf("%v: got %q want %q", c.sets, got, c.want)
		}
	}
}

func TestSessionVarsDiffOnlyWhatChanged(t *testing.T) {
	a := newSessionVars("utf8mb4")
	applySQL(t, &a, "SET autocommit=0, @x=1")
	b := a.clone()
	if !a.equal(b) || a.setStatement(b) != "" {
		t.Fatal("identical states must need no SET")
	}
	applySQL(t, &b, "SET @x=2")
	if got := b.setStatement(a); got != "SET @x=2" {
		t.Fatalf("got %q", got)
	}
	if !b.covers(a) {
		t.Fatal("b sets everything a set")
	}
	c := newSessionVars("utf8mb4")
	if c.covers(a) {
		t.Fatal("a fresh session does not cover a connection with variables set: it needs a reset")
	}
	if a.autocommit() || !c.autocommit() {
		t.Fatal("autocommit tracking")
	}
}

func TestSetGlobalRefused(t *testing.T) {
	s := newSessionVars("")
	if err := applySQL(t, &s, "SET GLOBAL max_connections=10"); err == nil {
		t.Fatal("SET GLOBAL must be refused")
	}
}
