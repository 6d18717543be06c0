package proxy

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';' ; SELECT \"a;b\"; SELECT `c;d`", []string{"SELECT ';'", `SELECT "a;b"`, "SELECT `c;d`"}},
		{"SELECT 'it\\'s;' ; DO 1", []string{"SELECT 'it\\'s;'", "DO 1"}},
		{"--", nil},
		{"-- only a comment\n", nil},
		{"/* c */ ; # x\n", nil},
		{"SELECT 1 -- trailing; comment\n; SELECT 2", []string{"SELECT 1 -- trailing; comment", "SELECT 2"}},
		{"SELECT 5--3", []string{"SELECT 5--3"}},
		{"/*!40101 SET NAMES utf8 */;", []string{"/*!40101 SET NAMES utf8 */"}},
		{
			"DROP PROCEDURE IF EXISTS p; CREATE PROCEDURE p() BEGIN DECLARE x INT; IF x THEN SELECT 1; END IF; SELECT CASE WHEN 1 THEN 2 END; BEGIN SELECT 3; END; END; CALL p()",
			[]string{"DROP PROCEDURE IF EXISTS p", "CREATE PROCEDURE p() BEGIN DECLARE x INT; IF x THEN SELECT 1; END IF; SELECT CASE WHEN 1 THEN 2 END; BEGIN SELECT 3; END; END", "CALL p()"},
		},
		{"CREATE DEFINER=`root`@`%` PROCEDURE q() SELECT 1; SELECT 2", []string{"CREATE DEFINER=`root`@`%` PROCEDURE q() SELECT 1", "SELECT 2"}},
		{"BEGIN; SELECT 1; COMMIT", []string{"BEGIN", "SELECT 1", "COMMIT"}},
		{"CREATE PROCEDURE r() BEGIN CASE x WHEN 1 THEN SELECT 1; END CASE; END; DO 1", []string{"CREATE PROCEDURE r() BEGIN CASE x WHEN 1 THEN SELECT 1; END CASE; END", "DO 1"}},
	}
	for _, c := range cases {
		if got := splitStatements(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "CREATE PROCEDURE p() BEGIN SELECT 1; END; CALL p()", "'unterminated", "/* open", "-- x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		total := 0
		for _, s := range splitStatements(q) {
			if s == "" {
				t.Fatalf("empty statement from %q", q)
			}
			total += len(s)
		}
		if total > len(q) {
			t.Fatalf("pieces longer than the input %q", q)
		}
	})
}
