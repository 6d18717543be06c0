package router

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

func nodesOf(p *Plan) []string {
	var out []string
	for _, r := range p.Routes {
		out = append(out, r.DataNode)
	}
	return out
}

func mustRoute(t *testing.T, r *Router, schema, sql string) *Plan {
	t.Helper()
	p, err := r.Route(schema, sql)
	if err != nil {
		t.Fatalf("Route(%q, %q): %v", schema, sql, err)
	}
	return p
}

func wantErr(t *testing.T, r *Router, schema, sql string, code uint16, contains string) {
	t.Helper()
	_, err := r.Route(schema, sql)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Route(%q): want *Error %d, got %v", sql, code, err)
	}
	if e.Code != code || !strings.Contains(e.Msg, contains) {
		t.Errorf("Route(%q): got %d %q, want %d containing %q", sql, e.Code, e.Msg, code, contains)
	}
	wantState := map[uint16]string{CodeParseError: "42000", CodeUnsupported: "42000", CodeNoSuchTable: "42S02", CodeUnknownError: "HY000", CodeBadDB: "42000", CodeNoDB: "3D000"}[code]
	if e.State != wantState {
		t.Errorf("Route(%q): SQLSTATE %q, want %q", sql, e.State, wantState)
	}
}

// TestRoutingRules checks each routing rule with hand-computed nodes
// (mod 3 over dn1..dn3: 0->dn1, 1->dn2, 2->dn3; range: 0-999 dn1, 1000-1999 dn2, 2000-2999 dn3).
func TestRoutingRules(t *testing.T) {
	r := New(testConfig())
	cases := []struct {
		name, schema, sql string
		nodes             []string
	}{
		{"equality", "TESTDB", "SELECT * FROM travelrecord WHERE id = 4", []string{"dn2"}},
		{"literal first", "TESTDB", "SELECT * FROM travelrecord WHERE 8 = id", []string{"dn3"}},
		{"negative is abs", "TESTDB", "SELECT * FROM travelrecord WHERE id = -4", []string{"dn2"}},
		{"quoted string value", "TESTDB", "SELECT * FROM travelrecord WHERE id = '6'", []string{"dn1"}},
		{"big integer", "TESTDB", "SELECT * FROM travelrecord WHERE id = 123456789012345678901234567890", []string{"dn1"}},
		{"IN list union", "TESTDB", "SELECT * FROM travelrecord WHERE id IN (3, 6, 4)", []string{"dn1", "dn2"}},
		{"OR union", "TESTDB", "SELECT * FROM travelrecord WHERE id = 1 OR id = 2", []string{"dn2", "dn3"}},
		{"OR with unknown widens", "TESTDB", "SELECT * FROM travelrecord WHERE id = 1 OR fee > 2", []string{"dn1", "dn2", "dn3"}},
		{"AND intersection", "TESTDB", "SELECT * FROM travelrecord WHERE id IN (1, 2) AND id IN (2, 5)", []string{"dn3"}},
		{"AND with other column", "TESTDB", "SELECT * FROM travelrecord WHERE fee > 1 AND id = 2", []string{"dn3"}},
		{"NOT IN is not narrowing", "TESTDB", "SELECT * FROM travelrecord WHERE id NOT IN (1)", []string{"dn1", "dn2", "dn3"}},
		{"mod cannot narrow BETWEEN", "TESTDB", "SELECT * FROM travelrecord WHERE id BETWEEN 1 AND 2", []string{"dn1", "dn2", "dn3"}},
		{"range BETWEEN", "TESTDB", "SELECT * FROM hotnews WHERE id BETWEEN 1500 AND 1600", []string{"dn2"}},
		{"range bounds", "TESTDB", "SELECT * FROM hotnews WHERE id > 500 AND id <= 2500", []string{"dn1", "dn2", "dn3"}},
		{"range bounds reversed", "TESTDB", "SELECT * FROM hotnews WHERE 2100 <= id AND 2900 > id", []string{"dn3"}},
		{"qualified column", "TESTDB", "SELECT * FROM travelrecord t WHERE t.id = 5", []string{"dn3"}},
		{"other qualifier ignored", "TESTDB", "SELECT * FROM travelrecord t WHERE other.id = 5", []string{"dn1", "dn2", "dn3"}},
		{"global read lists candidates", "TESTDB", "SELECT * FROM company", []string{"dn1", "dn2", "dn3"}},
		{"single node table", "TESTDB", "SELECT * FROM goods", []string{"dn2"}},
		{"unlisted table to default node", "OTHERDB", "SELECT * FROM whatever", []string{"dn4"}},
		{"other schema by prefix", "TESTDB", "SELECT * FROM OTHERDB.items WHERE id = 3", []string{"dn5"}},
		{"child by joinKey", "TESTDB", "SELECT * FROM orders WHERE customer_id = 7", []string{"dn2"}},
		{"ER join by parent", "TESTDB", "SELECT * FROM customer c JOIN orders o ON c.id = o.customer_id WHERE c.id = 2", []string{"dn3"}},
		{"ER join everywhere", "TESTDB", "SELECT * FROM customer c JOIN orders o ON c.id = o.customer_id", []string{"dn1", "dn2", "dn3"}},
		{"same rule join on shard columns", "TESTDB", "SELECT * FROM customer c JOIN travelrecord t ON t.id = c.id AND t.id = 9", []string{"dn1"}},
		{"global join narrowed", "TESTDB", "SELECT * FROM travelrecord t JOIN company c ON c.id = t.cid WHERE t.id = 1", []string{"dn2"}},
		{"JOIN USING shard column", "TESTDB", "SELECT * FROM customer JOIN travelrecord USING (id) WHERE travelrecord.id = 3", []string{"dn1"}},
		{"correlated ER subquery on every node", "TESTDB", "SELECT * FROM customer c WHERE c.id = (SELECT MAX(o.customer_id) FROM orders o WHERE o.customer_id = c.id)", []string{"dn1", "dn2", "dn3"}},
		{"aggregate subquery on one node", "TESTDB", "SELECT * FROM (SELECT COUNT(*) FROM travelrecord WHERE id = 2) x", []string{"dn3"}},
		{"two tables on one node", "TESTDB", "SELECT * FROM goods g, travelrecord t WHERE t.id = 4", []string{"dn2"}},
		{"UNION ALL same nodes", "TESTDB", "SELECT id FROM travelrecord UNION ALL SELECT id FROM customer", []string{"dn1", "dn2", "dn3"}},
		{"insert single row", "TESTDB", "INSERT INTO travelrecord (id, fee) VALUES (5, 1)", []string{"dn3"}},
		{"insert global", "TESTDB", "INSERT INTO company (id) VALUES (5)", []string{"dn1", "dn2", "dn3"}},
		{"insert child follows parent rule", "TESTDB", "INSERT INTO orders (id, customer_id) VALUES (1, 6)", []string{"dn1"}},
		{"grandchild follows the root rule", "TESTDB", "INSERT INTO order_notes (id, cust) VALUES (1, 4), (2, 5)", []string{"dn2", "dn3"}},
		{"grandchild read by joinKey", "TESTDB", "SELECT * FROM order_notes WHERE cust = 3", []string{"dn1"}},
		{"grandchild joins grandparent", "TESTDB", "SELECT * FROM customer c JOIN orders o ON o.customer_id = c.id JOIN order_notes n ON n.cust = o.customer_id WHERE c.id = 1", []string{"dn2"}},
		{"update by shard column", "TESTDB", "UPDATE travelrecord SET fee = 1 WHERE id = 3", []string{"dn1"}},
		{"delete everywhere", "TESTDB", "DELETE FROM travelrecord WHERE fee = 0", []string{"dn1", "dn2", "dn3"}},
		{"ddl on all table nodes", "TESTDB", "ALTER TABLE region ADD COLUMN x INT", []string{"dn1", "dn2"}},
		{"truncate", "TESTDB", "TRUNCATE TABLE goods", []string{"dn2"}},
		{"hint routes like embedded SQL", "TESTDB", "/*!mycat:sql=SELECT 1 FROM travelrecord WHERE id = 2*/ CALL p()", []string{"dn3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustRoute(t, r, c.schema, c.sql)
			if got := nodesOf(p); !slices.Equal(got, c.nodes) {
				t.Errorf("%s: nodes %v, want %v", c.sql, got, c.nodes)
			}
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	r := New(testConfig())
	cases := []struct {
		name, schema, sql string
		code              uint16
		contains          string
	}{
		{"parse error", "TESTDB", "SELEC 1", CodeParseError, "syntax"},
		{"empty", "TESTDB", "  ", CodeParseError, "empty"},
		{"unknown table", "TESTDB", "SELECT * FROM nope", CodeNoSuchTable, "nope"},
		{"unknown schema prefix", "TESTDB", "SELECT * FROM nodb.t", CodeBadDB, "nodb"},
		{"unknown session schema", "NODB", "SELECT 1", CodeBadDB, "NODB"},
		{"no schema", "", "SELECT * FROM travelrecord", CodeNoDB, "No database"},
		{"mixed schemas", "TESTDB", "SELECT * FROM OTHERDB.items, travelrecord", CodeUnsupported, "mixes"},
		{"cross-node join", "TESTDB", "SELECT * FROM travelrecord t JOIN customer c ON t.fee = c.fee", CodeUnsupported, "cross-node join"},
		{"cross-node subquery", "TESTDB", "SELECT * FROM travelrecord WHERE fee IN (SELECT fee FROM customer)", CodeUnsupported, "cross-node"},
		{"union across nodes", "TESTDB", "SELECT id FROM travelrecord WHERE id = 1 UNION SELECT id FROM customer WHERE id = 2", CodeUnsupported, "set operation"},
		{"global not covering", "TESTDB", "SELECT * FROM travelrecord t JOIN region r ON r.id = t.rid", CodeUnsupported, "REGION"},
		{"ruleRequired", "TESTDB", "SELECT * FROM hotnews WHERE title = 'x'", CodeUnsupported, "ruleRequired"},
		{"insert without columns", "TESTDB", "INSERT INTO travelrecord VALUES (1, 2)", CodeUnsupported, "column"},
		{"insert without shard column", "TESTDB", "INSERT INTO travelrecord (fee) VALUES (1)", CodeUnsupported, "ID"},
		{"insert null shard value", "TESTDB", "INSERT INTO travelrecord (id) VALUES (NULL)", CodeUnknownError, "null"},
		{"insert expression shard value", "TESTDB", "INSERT INTO travelrecord (id) VALUES (1 + 1)", CodeUnsupported, "literal"},
		{"value count mismatch", "TESTDB", "INSERT INTO travelrecord (id, fee) VALUES (1)", CodeParseError, "count"},
		{"unplaceable value", "TESTDB", "INSERT INTO travelrecord (id) VALUES ('x')", CodeUnknownError, "data node"},
		{"on duplicate changes shard column", "TESTDB", "INSERT INTO travelrecord (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 4", CodeUnsupported, "Sharding column"},
		{"insert select into sharded", "TESTDB", "INSERT INTO travelrecord (id) SELECT id FROM customer WHERE id = 1", CodeUnsupported, "INSERT ... SELECT"},
		{"update shard column", "TESTDB", "UPDATE travelrecord SET id = 1 WHERE id = 2", CodeUnsupported, "Sharding column"},
		{"update child joinKey", "TESTDB", "UPDATE orders SET customer_id = 1", CodeUnsupported, "CUSTOMER_ID"},
		{"multi-node update with limit", "TESTDB", "UPDATE travelrecord SET fee = 1 LIMIT 3", CodeUnsupported, "LIMIT"},
		{"multi statements", "TESTDB", "SELECT 1; SELECT 2", CodeUnsupported, "multiple"},
		{"catlet", "TESTDB", "/*!mycat:catlet=x.Y*/ SELECT 1", CodeUnsupported, "catlet"},
		{"float shard value", "TESTDB", "SELECT * FROM travelrecord WHERE id = 1e3", CodeUnsupported, "floating"},
		{"ddl across node sets", "TESTDB", "DROP TABLE goods, region", CodeUnsupported, "different data nodes"},
		{"aggregate in derived table on several nodes", "TESTDB", "SELECT * FROM (SELECT COUNT(*) FROM travelrecord) x", CodeUnsupported, "subquery"},
		{"LIMIT in UNION branch on several nodes", "TESTDB", "(SELECT id FROM customer LIMIT 1) UNION ALL (SELECT id FROM customer LIMIT 1)", CodeUnsupported, "UNION branch"},
		{"unterminated hint", "TESTDB", "/*!mycat:sql=select 1", CodeParseError, "hint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, r, c.schema, c.sql, c.code, c.contains) })
	}
}

func TestInsertSplitsRowsPerNode(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "INSERT INTO travelrecord (id, fee) VALUES (1, 10), (2, 20), (4, 40)")
	want := []Route{
		{"dn2", "INSERT INTO `travelrecord` (`id`,`fee`) VALUES (1,10),(4,40)"},
		{"dn3", "INSERT INTO `travelrecord` (`id`,`fee`) VALUES (2,20)"},
	}
	if !slices.Equal(p.Routes, want) || !p.Writes || p.Kind != KindInsert {
		t.Errorf("got %+v", p)
	}
}

func TestOriginalTextKeptWhenUnchanged(t *testing.T) {
	r := New(testConfig())
	sql := "select  *  from travelrecord where id = 1 -- comment"
	p := mustRoute(t, r, "TESTDB", sql)
	if len(p.Routes) != 1 || p.Routes[0].SQL != sql {
		t.Errorf("got %+v, want the client's text unchanged", p.Routes)
	}
}

func TestSchemaPrefixStripped(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "SELECT TESTDB.t.fee FROM TESTDB.travelrecord t WHERE t.id = 1")
	if got := p.Routes[0].SQL; strings.Contains(strings.ToUpper(got), "TESTDB") || strings.Contains(got, "db2") {
		t.Errorf("schema or database name leaked: %s", got)
	}
}

func TestSQLMaxLimit(t *testing.T) {
	r := New(testConfig())
	cases := []struct {
		sql, wantSuffix string
	}{
		{"SELECT * FROM travelrecord WHERE fee = 1", " LIMIT 100"},                 // added
		{"SELECT * FROM travelrecord LIMIT 5", "LIMIT 5"},                          // kept
		{"SELECT * FROM travelrecord WHERE id = 4", "id = 4"},                      // primary key condition
		{"SELECT COUNT(*) FROM travelrecord", "FROM travelrecord"},                 // aggregate only
		{"SELECT fee, COUNT(*) FROM travelrecord GROUP BY fee", "GROUP BY `fee`"},  // grouped: the limit is in the merge
		{"SELECT * FROM nolimit", "FROM nolimit"},                                  // needAddLimit=false
		{"SELECT * FROM company", "LIMIT 100"},                                     // global
		{"SELECT * FROM customer c JOIN orders o ON o.customer_id = c.id", "c.id"}, // several tables
	}
	for _, c := range cases {
		p := mustRoute(t, r, "TESTDB", c.sql)
		if got := p.Routes[0].SQL; !strings.HasSuffix(got, c.wantSuffix) {
			t.Errorf("%s\n got %s\nwant suffix %q", c.sql, got, c.wantSuffix)
		}
	}
	if p := mustRoute(t, r, "TESTDB", "SELECT fee, COUNT(*) FROM travelrecord GROUP BY fee"); p.Merge == nil || p.Merge.Limit != 100 {
		t.Errorf("grouped select: sqlMaxLimit must apply to the merged groups: %+v", p.Merge)
	}
	p := mustRoute(t, r, "OTHERDB", "SELECT * FROM items")
	if strings.Contains(p.Routes[0].SQL, "LIMIT") {
		t.Errorf("sqlMaxLimit -1 added a limit: %s", p.Routes[0].SQL)
	}
}

func TestMergeDescription(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "SELECT fee, COUNT(*), SUM(days) AS s, AVG(x) FROM travelrecord GROUP BY fee ORDER BY s DESC, 1 LIMIT 10, 20")
	m := p.Merge
	if m == nil {
		t.Fatal("no merge for a multi-node select")
	}
	if m.Limit != 20 || m.Offset != 10 {
		t.Errorf("limit %d offset %d", m.Limit, m.Offset)
	}
	if strings.Contains(p.Routes[0].SQL, "LIMIT") {
		t.Errorf("grouped rows must all reach the merge, nodes got a LIMIT: %s", p.Routes[0].SQL)
	}
	if p := mustRoute(t, r, "TESTDB", "SELECT id FROM travelrecord ORDER BY fee LIMIT 10, 20"); !strings.HasSuffix(p.Routes[0].SQL, "ORDER BY `fee` LIMIT 30") ||
		p.Merge.Limit != 20 || p.Merge.Offset != 10 || p.Merge.OrderBy[0].Position != 1 || p.Merge.HiddenColumns != 1 {
		t.Errorf("nodes must get LIMIT offset+count and the hidden sort key: %s %+v", p.Routes[0].SQL, p.Merge)
	}
	wantAgg := []Aggregate{{Position: 1, Func: "COUNT"}, {Position: 2, Func: "SUM"}, {Position: 3, Func: "AVG", CountPosition: 4}}
	if !slices.Equal(m.Aggregates, wantAgg) || m.HiddenColumns != 1 {
		t.Errorf("aggregates %+v, hidden %d", m.Aggregates, m.HiddenColumns)
	}
	// AVG is computed from per-node sums and counts.
	if !strings.Contains(p.Routes[0].SQL, "SUM(`x`) AS `AVG(x)`,COUNT(`x`) FROM") {
		t.Errorf("AVG not split into SUM and COUNT: %s", p.Routes[0].SQL)
	}
	if len(m.GroupBy) != 1 || m.GroupBy[0].Position != 0 {
		t.Errorf("group by %+v", m.GroupBy)
	}
	if len(m.OrderBy) != 2 || m.OrderBy[0].Position != 2 || !m.OrderBy[0].Desc || m.OrderBy[1].Position != 0 || m.OrderBy[1].Desc {
		t.Errorf("order by %+v", m.OrderBy)
	}
	// Column names stay what the client asked for although the SQL is rewritten.
	if !strings.Contains(p.Routes[0].SQL, "AS `COUNT(*)`") {
		t.Errorf("COUNT(*) lost its column name: %s", p.Routes[0].SQL)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT fee, SUM(days) FROM travelrecord GROUP BY fee HAVING SUM(days) > 2")
	if p.Merge == nil || p.Merge.Having != "SUM(`days`) > 2" || strings.Contains(p.Routes[0].SQL, "HAVING") {
		t.Errorf("HAVING must move from the nodes to the merge: %+v %s", p.Merge, p.Routes[0].SQL)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT fee FROM travelrecord WHERE id = 1 GROUP BY fee HAVING COUNT(*) > 2")
	if p.Merge != nil || !strings.Contains(p.Routes[0].SQL, "HAVING") {
		t.Errorf("single node keeps HAVING: %+v", p)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT DATABASE(), @@last_insert_id")
	if !slices.Equal(p.SessionFuncs, []string{"DATABASE", "@@LAST_INSERT_ID"}) {
		t.Errorf("session functions %v", p.SessionFuncs)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT DISTINCT fee FROM travelrecord WHERE id IN (1, 2)")
	if p.Merge == nil || !p.Merge.Distinct {
		t.Errorf("distinct not described: %+v", p.Merge)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT * FROM travelrecord WHERE id = 1 LIMIT 5, 5")
	if p.Merge != nil || !strings.HasSuffix(p.Routes[0].SQL, "LIMIT 5, 5") {
		t.Errorf("single node must keep its limit and need no merge: %+v", p)
	}
	p = mustRoute(t, r, "TESTDB", "SELECT * FROM company")
	if p.Merge != nil || !p.AnyNode {
		t.Errorf("global read: %+v", p)
	}
}

func TestClassification(t *testing.T) {
	r := New(testConfig())
	cases := map[string]Kind{
		"SET NAMES utf8":                KindSet,
		"SET @a = 1":                    KindSet,
		"SHOW TABLES":                   KindShow,
		"USE OTHERDB":                   KindUse,
		"BEGIN":                         KindBegin,
		"START TRANSACTION":             KindBegin,
		"COMMIT":                        KindCommit,
		"ROLLBACK":                      KindRollback,
		"REPLACE INTO goods VALUES (1)": KindReplace,
		"DELETE FROM goods":             KindDelete,
		"KILL 3":                        KindOther,
	}
	for sql, want := range cases {
		p := mustRoute(t, r, "TESTDB", sql)
		if p.Kind != want {
			t.Errorf("%s: kind %v, want %v", sql, p.Kind, want)
		}
	}
	p := mustRoute(t, r, "TESTDB", "USE OTHERDB")
	if p.Schema != "OTHERDB" || len(p.Routes) != 0 {
		t.Errorf("USE: %+v", p)
	}
	if p := mustRoute(t, r, "TESTDB", "SELECT * FROM goods"); p.Writes {
		t.Error("SELECT marked as a write")
	}
	if p := mustRoute(t, r, "TESTDB", "SELECT * FROM goods FOR UPDATE"); !p.ForceMaster {
		t.Error("SELECT ... FOR UPDATE must go to the master")
	}
}

func TestHints(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "/*#mycat:db_type=master*/ SELECT * FROM goods LIMIT 1")
	if !p.ForceMaster || p.Routes[0].SQL != "SELECT * FROM goods LIMIT 1" {
		t.Errorf("db_type=master: %+v", p)
	}
	p = mustRoute(t, r, "TESTDB", "/*!mycat:sql=select id from travelrecord where id = 1*/ DELETE FROM travelrecord WHERE fee = 0")
	if !slices.Equal(nodesOf(p), []string{"dn2"}) || p.Routes[0].SQL != "DELETE FROM travelrecord WHERE fee = 0" || !p.Writes || p.Kind != KindDelete {
		t.Errorf("sql hint: %+v", p)
	}
	p = mustRoute(t, r, "TESTDB", "/*!mycat:schema=OTHERDB*/ SELECT * FROM items WHERE id = 2")
	if p.Schema != "OTHERDB" || !slices.Equal(nodesOf(p), []string{"dn4"}) {
		t.Errorf("schema hint: %+v", p)
	}
	p = mustRoute(t, r, "TESTDB", "/*!mycat:dataNode=dn5*/ SELECT 1")
	if !slices.Equal(nodesOf(p), []string{"dn5"}) {
		t.Errorf("dataNode hint: %+v", p)
	}
}

func TestExplainPlan(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "EXPLAIN SELECT * FROM travelrecord WHERE id = 2")
	if p.Kind != KindExplain || p.Inner == nil || len(p.Routes) != 0 {
		t.Fatalf("explain: %+v", p)
	}
	if want := []Route{{"dn3", "SELECT * FROM travelrecord WHERE id = 2"}}; !slices.Equal(p.Inner.Routes, want) {
		t.Errorf("inner routes %+v", p.Inner.Routes)
	}
}

func TestChildLookupAndAutoIncrement(t *testing.T) {
	r := New(testConfig())
	p := mustRoute(t, r, "TESTDB", "INSERT INTO order_items (id, order_id) VALUES (1, 'x7')")
	l := p.Lookup
	if l == nil || len(p.Routes) != 0 {
		t.Fatalf("want a lookup plan, got %+v", p)
	}
	if l.ParentTable != "ORDERS" || l.ParentKey != "ID" || l.Value != "'x7'" || !slices.Equal(l.DataNodes, []string{"dn1", "dn2", "dn3"}) ||
		l.SQL != "SELECT `ID` FROM `ORDERS` WHERE `ID` = 'x7'" || l.Then != "INSERT INTO order_items (id, order_id) VALUES (1, 'x7')" {
		t.Errorf("lookup %+v", l)
	}
	p = mustRoute(t, r, "TESTDB", "INSERT INTO autotab (name) VALUES ('a'), ('b')")
	if a := p.AutoIncrement; a == nil || a.Sequence != "AUTOTAB" || a.Column != "ID" || a.Rows != 2 || len(p.Routes) != 0 {
		t.Fatalf("autoIncrement: %+v", p)
	}
	sql, err := r.AddPrimaryKeys("INSERT INTO autotab (name) VALUES ('a'), ('b')", "ID", []string{"3", "4"})
	if err != nil {
		t.Fatal(err)
	}
	p = mustRoute(t, r, "TESTDB", sql)
	want := []Route{{"dn1", "INSERT INTO `autotab` (`name`,`ID`) VALUES ('a',3)"}, {"dn2", "INSERT INTO `autotab` (`name`,`ID`) VALUES ('b',4)"}}
	if !slices.Equal(p.Routes, want) {
		t.Errorf("after AddPrimaryKeys: %+v", p.Routes)
	}
	if _, err := r.AddPrimaryKeys("INSERT INTO autotab (name) VALUES ('a')", "ID", []string{"1", "2"}); err == nil {
		t.Error("AddPrimaryKeys accepted more ids than rows")
	}
	if _, err := r.AddPrimaryKeys("INSERT INTO autotab (name) VALUES ('a')", "ID", []string{"1; DROP TABLE x"}); err == nil {
		t.Error("AddPrimaryKeys accepted a non-integer id")
	}
}

func TestSequences(t *testing.T) {
	r := New(testConfig())
	sql := "INSERT INTO travelrecord (id, note) VALUES (next value for MYCATSEQ_TRAVEL, 'next value for MYCATSEQ_NOT'), (NEXT VALUE FOR mycatseq_travel, 'b')"
	p := mustRoute(t, r, "TESTDB", sql)
	if !slices.Equal(p.Sequences, []string{"TRAVEL", "TRAVEL"}) || len(p.Routes) != 0 {
		t.Fatalf("sequences: %+v", p)
	}
	filled, err := FillSequences(sql, []string{"3", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "INSERT INTO travelrecord (id, note) VALUES (3, 'next value for MYCATSEQ_NOT'), (4, 'b')"; filled != want {
		t.Errorf("filled %q", filled)
	}
	if _, err := FillSequences(sql, []string{"3"}); err == nil {
		t.Error("FillSequences accepted too few values")
	}
}

func TestPlaceholders(t *testing.T) {
	sql := "SELECT '?', `a?`, \"?\" /* ? */ FROM t WHERE a = ? AND b = ? -- ?\n AND c = ? # ?"
	n, err := CountPlaceholders(sql)
	if err != nil || n != 3 {
		t.Fatalf("CountPlaceholders = %d, %v; want 3", n, err)
	}
	got, err := Interpolate(sql, []string{"1", "'it''s'", "NULL"})
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT '?', `a?`, \"?\" /* ? */ FROM t WHERE a = 1 AND b = 'it''s' -- ?\n AND c = NULL # ?"
	if got != want {
		t.Errorf("Interpolate:\n got %q\nwant %q", got, want)
	}
	if _, err := Interpolate(sql, []string{"1"}); err == nil {
		t.Error("Interpolate accepted too few values")
	}
	if _, err := CountPlaceholders("SELECT 'unterminated ?"); err == nil {
		t.Error("unterminated string accepted")
	}
	n, _ = CountPlaceholders(`SELECT 'a\'?' , ?`)
	if n != 1 {
		t.Errorf("backslash-escaped quote: %d placeholders, want 1", n)
	}
}

// TestConcurrentRoute exercises the parser pool under -race.
func TestConcurrentRoute(t *testing.T) {
	r := New(testConfig())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				p, err := r.Route("TESTDB", "INSERT INTO travelrecord (id) VALUES (1), (2)")
				if err != nil || len(p.Routes) != 2 {
					t.Errorf("goroutine %d: %v %+v", g, err, p)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
