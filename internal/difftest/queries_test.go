package difftest

import (
	"fmt"
	"math/rand"
	"strings"
)

// query is one statement run through the proxy and on the reference.
// ordered: the statement's ORDER BY is a total order (it ends in a unique
// key, or orders unique group keys), so rows are compared in order;
// otherwise both sides are compared as multisets.
type query struct {
	sql     string
	ordered bool
}

var shardedTables = []string{"t_mod", "t_murmur", "t_range"}

// maxID is the largest id of each sharded table (t_range ids are 0..899).
var maxID = map[string]int{"t_mod": 300, "t_murmur": 300, "t_range": 900}

// queries returns the generated and hand-written statements, deterministic.
func queries() []query {
	r := rand.New(rand.NewSource(42))
	var qs []query
	add := func(ordered bool, format string, args ...any) {
		qs = append(qs, query{sql: fmt.Sprintf(format, args...), ordered: ordered})
	}
	id := func(t string) int { return r.Intn(maxID[t]) + 1 }
	k := func() int { return r.Intn(23) }
	lim := func() int { return 1 + r.Intn(25) }
	off := func() int { return r.Intn(40) }
	date := func() string { return strings.Trim(randDate(r), "'") }
	name := func() string { return sqlStr(names[r.Intn(len(names))]) }

	for _, T := range shardedTables {
		other := shardedTables[(indexOf(shardedTables, T)+1)%len(shardedTables)]
		for range 2 {
			// Filters on the shard column and on other columns.
			add(false, "SELECT * FROM %s WHERE id = %d", T, id(T))
			add(false, "SELECT * FROM %s WHERE id IN (%d, %d, %d, %d)", T, id(T), id(T), id(T), id(T))
			a := id(T)
			add(false, "SELECT id, name FROM %s WHERE id BETWEEN %d AND %d", T, a, a+r.Intn(120))
			add(false, "SELECT id, amount FROM %s WHERE id > %d AND id <= %d", T, a, a+r.Intn(200))
			add(false, "SELECT id, k FROM %s WHERE id < %d OR id >= %d", T, r.Intn(60), maxID[T]-r.Intn(60))
			add(false, "SELECT * FROM %s WHERE k = %d", T, k())
			add(false, "SELECT id FROM %s WHERE k IN (%d, %d, %d)", T, k(), k(), k())
			add(false, "SELECT id, k FROM %s WHERE k BETWEEN %d AND %d", T, k(), 10+k())
			d1 := date()
			add(false, "SELECT id, d FROM %s WHERE d BETWEEN '%s' AND '%s'", T, d1, d1[:4]+"-12-31")
			add(false, "SELECT id, amount FROM %s WHERE amount > %s", T, randDecimal(r, 900))
			add(false, "SELECT id, name FROM %s WHERE name = %s", T, name())
			add(false, "SELECT id FROM %s WHERE id = %d OR k = %d", T, id(T), k())
			add(false, "SELECT id, cat FROM %s WHERE cat IN ('red', '') AND id < %d", T, id(T))

			// ORDER BY with LIMIT / OFFSET, always ending in the unique id.
			add(true, "SELECT id, k, amount FROM %s ORDER BY k DESC, id ASC LIMIT %d OFFSET %d", T, lim(), off())
			add(true, "SELECT id, name FROM %s ORDER BY name, id LIMIT %d", T, lim()+20)
			add(true, "SELECT id, name FROM %s ORDER BY name DESC, id DESC LIMIT %d, %d", T, off(), lim())
			add(true, "SELECT id FROM %s ORDER BY amount DESC, id LIMIT %d", T, lim())
			add(true, "SELECT id, amount FROM %s ORDER BY d, id DESC LIMIT %d OFFSET %d", T, lim(), off())
			add(true, "SELECT id, k FROM %s ORDER BY k + id, id LIMIT %d", T, lim())
			add(true, "SELECT id, name FROM %s WHERE k > %d ORDER BY id DESC LIMIT %d", T, k(), lim())
			add(true, "SELECT name, id FROM %s ORDER BY cat DESC, name, id LIMIT %d OFFSET %d", T, lim(), off())
			add(true, "SELECT * FROM %s ORDER BY id LIMIT %d, %d", T, off(), lim())
			add(true, "SELECT id, amount * 2 AS a2 FROM %s ORDER BY a2 DESC, id LIMIT %d", T, lim())
			add(true, "SELECT id, d FROM %s WHERE d IS NOT NULL ORDER BY d DESC, id LIMIT %d", T, lim())
			add(true, "SELECT id, k FROM %s ORDER BY k IS NULL, k, id DESC LIMIT %d", T, lim())
			add(true, "SELECT k, id FROM %s WHERE id BETWEEN %d AND %d ORDER BY 1, 2", T, a, a+60)
		}
		// Aggregates.
		add(false, "SELECT k, COUNT(*), SUM(amount), MIN(amount), MAX(amount), AVG(amount) FROM %s GROUP BY k", T)
		add(false, "SELECT cat, COUNT(*), COUNT(k), SUM(k), AVG(k), MIN(d), MAX(d) FROM %s GROUP BY cat", T)
		add(false, "SELECT COUNT(*), COUNT(name), COUNT(k), SUM(amount), MIN(d), MAX(d), AVG(amount) FROM %s", T)
		add(false, "SELECT COUNT(*), SUM(k), AVG(k), MIN(amount), MAX(amount) FROM %s WHERE id BETWEEN %d AND %d", T, 10, 10+r.Intn(150))
		add(true, "SELECT cat, k, COUNT(*) FROM %s WHERE id < %d GROUP BY cat, k ORDER BY cat, k", T, 100+r.Intn(150))
		add(false, "SELECT COUNT(*) FROM %s GROUP BY name", T)
		add(false, "SELECT COUNT(*), SUM(amount) FROM %s WHERE name = 'alpha'", T)
		add(true, "SELECT k, COUNT(*) AS c FROM %s GROUP BY k ORDER BY c DESC, k LIMIT 5", T)
		add(true, "SELECT k, SUM(amount) AS s FROM %s GROUP BY k ORDER BY s, k LIMIT 4 OFFSET 2", T)
		add(false, "SELECT k, COUNT(*) FROM %s GROUP BY k HAVING COUNT(*) > 10", T)
		add(false, "SELECT cat, COUNT(*) AS c, SUM(amount) AS s FROM %s GROUP BY cat HAVING c >= 3 AND s > 100 OR cat IS NULL", T)
		add(true, "SELECT k, SUM(amount) FROM %s GROUP BY k HAVING SUM(amount) BETWEEN 50 AND 5000 ORDER BY k", T)
		add(false, "SELECT k, MIN(id), MAX(id) FROM %s GROUP BY k HAVING MIN(id) <> MAX(id) AND k IN (1, 2, 3, NULL)", T)
		// Grouping by a text column: which spelling of a case- or
		// accent-equal group is shown is not defined, so show counts only.
		add(false, "SELECT COUNT(*) FROM %s GROUP BY name HAVING COUNT(*) > 1", T)
		add(false, "SELECT k, AVG(amount) FROM %s GROUP BY k HAVING AVG(amount) > 10", T)
		add(false, "SELECT COUNT(DISTINCT k) FROM %s", T)
		add(true, "SELECT cat, COUNT(DISTINCT k), COUNT(*), SUM(amount), AVG(k) FROM %s GROUP BY cat ORDER BY cat", T)
		add(false, "SELECT COUNT(DISTINCT name), COUNT(DISTINCT d) FROM %s", T)
		add(false, "SELECT COUNT(DISTINCT k) AS n FROM %s WHERE id < 0", T)
		add(true, "SELECT k, COUNT(DISTINCT cat) AS c FROM %s GROUP BY k HAVING c > 1 ORDER BY c DESC, k LIMIT 5", T)
		add(false, "SELECT YEAR(d), COUNT(*), SUM(k) FROM %s GROUP BY YEAR(d)", T)
		add(false, "SELECT k, MAX(id), MIN(id) FROM %s WHERE k IS NOT NULL GROUP BY k", T)
		add(true, "SELECT k, AVG(amount) FROM %s GROUP BY k ORDER BY k DESC", T)
		add(false, "SELECT SUM(k), MAX(amount), COUNT(*) FROM %s WHERE id < 0", T)
		add(false, "SELECT k, COUNT(*) FROM %s WHERE id < 0 GROUP BY k", T)
		add(false, "SELECT MAX(amount), MIN(d) FROM %s WHERE k IS NULL", T)
		add(false, "SELECT cat, SUM(amount) / COUNT(*) FROM %s GROUP BY cat", T)

		// DISTINCT.
		add(false, "SELECT DISTINCT k FROM %s", T)
		add(false, "SELECT DISTINCT cat, k FROM %s WHERE id < %d", T, id(T))
		add(true, "SELECT DISTINCT k FROM %s ORDER BY k DESC LIMIT 5", T)
		add(false, "SELECT DISTINCT cat FROM %s", T)
		add(false, "SELECT DISTINCT YEAR(d) FROM %s", T)

		// UNION / UNION ALL (also across tables).
		add(false, "SELECT id FROM %s WHERE k = %d UNION SELECT id FROM %s WHERE k = %d", T, k(), other, k())
		add(false, "SELECT k FROM %s UNION ALL SELECT k FROM %s", T, other)
		add(false, "SELECT cat FROM %s UNION SELECT cat FROM %s", T, other)
		add(false, "SELECT k FROM %s WHERE id < 50 UNION SELECT k FROM %s WHERE id > 100", T, T)
		add(false, "SELECT id, name FROM %s WHERE id = %d UNION ALL SELECT id, name FROM %s WHERE id = %d", T, id(T), T, id(T))

		// Joins with the global table.
		add(false, "SELECT t.id, g.gname FROM %s t JOIN t_global g ON t.k = g.id WHERE t.id < %d", T, id(T))
		add(true, "SELECT t.id, g.region FROM %s t LEFT JOIN t_global g ON t.k = g.id ORDER BY t.id LIMIT %d", T, lim())
		add(false, "SELECT g.region, COUNT(*), SUM(t.amount) FROM %s t JOIN t_global g ON t.k = g.id GROUP BY g.region", T)
		add(false, "SELECT t.id, g.weight FROM t_global g JOIN %s t ON g.id = t.k WHERE t.id = %d", T, id(T))
		add(true, "SELECT t.id, g.gname FROM %s t JOIN t_global g ON t.k = g.id ORDER BY g.gname, t.id LIMIT %d", T, lim())

		// Uncorrelated subqueries.
		add(false, "SELECT id FROM %s WHERE k IN (SELECT id FROM t_global WHERE region = 'north')", T)
		add(false, "SELECT id FROM %s WHERE EXISTS (SELECT 1 FROM t_global WHERE region = 'east') AND id < 40", T)
		add(false, "SELECT id FROM %s WHERE NOT EXISTS (SELECT 1 FROM t_global WHERE id = 99) AND k = %d", T, k())
		add(false, "SELECT COUNT(*) FROM %s WHERE id IN (SELECT id FROM %s WHERE k = %d)", T, T, k())
		add(false, "SELECT id FROM %s WHERE k IN (SELECT k FROM %s WHERE id = %d)", T, other, id(other))
		add(false, "SELECT COUNT(*) FROM %s WHERE k IN (SELECT k FROM %s WHERE id < 10)", T, T)
		add(false, "SELECT id FROM %s WHERE k NOT IN (SELECT id FROM t_global WHERE region IS NOT NULL)", T)

		// NULL and collation edge cases.
		add(false, "SELECT id FROM %s WHERE k <=> NULL", T)
		add(false, "SELECT id, COALESCE(name, '?') FROM %s WHERE name = '' OR name IS NULL", T)
		add(false, "SELECT id FROM %s WHERE name LIKE 'a%%'", T)
		add(false, "SELECT id, name FROM %s WHERE name = 'elan'", T)
		add(false, "SELECT id, name FROM %s WHERE name = 'beta'", T)
		add(false, "SELECT id, name FROM %s WHERE name = 'ss' OR name = 's'", T)
		add(false, "SELECT id FROM %s WHERE name > 'm' AND name < 'zz'", T)
		add(true, "SELECT id, name FROM %s WHERE name IN ('alpha', 'zoe', 'ELAN') ORDER BY name, id", T)
		add(true, "SELECT id, name FROM %s ORDER BY name DESC, id LIMIT 40", T)
		add(true, "SELECT id, cat FROM %s ORDER BY cat, id LIMIT 30", T)
		add(false, "SELECT id FROM %s WHERE cat = '' AND k IS NULL", T)
		add(false, "SELECT id FROM %s WHERE NOT (k = 3)", T)
	}

	// ER parent/child joins on the join key.
	for range 4 {
		a := 1 + r.Intn(200)
		add(false, "SELECT p.id, c.cid, c.qty FROM t_parent p JOIN t_child c ON p.id = c.pid WHERE p.id BETWEEN %d AND %d", a, a+30)
		add(false, "SELECT p.id, c.cid FROM t_parent p JOIN t_child c ON c.pid = p.id WHERE p.id = %d", a)
		add(true, "SELECT c.cid, p.cust, c.price FROM t_child c JOIN t_parent p ON p.id = c.pid ORDER BY c.cid DESC LIMIT %d OFFSET %d", lim(), off())
		add(false, "SELECT p.id, c.note FROM t_parent p LEFT JOIN t_child c ON p.id = c.pid WHERE p.id IN (%d, %d, %d)", a, 1+r.Intn(200), 1+r.Intn(200))
	}
	add(false, "SELECT p.id, p.cust, COUNT(*), SUM(c.qty), AVG(c.price) FROM t_parent p JOIN t_child c ON p.id = c.pid GROUP BY p.id, p.cust")
	add(false, "SELECT COUNT(*), SUM(c.qty * c.price) FROM t_parent p JOIN t_child c ON p.id = c.pid")
	add(true, "SELECT p.id, COUNT(c.cid) AS n FROM t_parent p LEFT JOIN t_child c ON p.id = c.pid GROUP BY p.id ORDER BY n DESC, p.id LIMIT 10")
	add(false, "SELECT p.id FROM t_parent p LEFT JOIN t_child c ON p.id = c.pid WHERE c.cid IS NULL")
	add(false, "SELECT c.cid FROM t_child c LEFT JOIN t_parent p ON p.id = c.pid WHERE p.id IS NULL")
	add(false, "SELECT id FROM t_parent WHERE id IN (SELECT pid FROM t_child WHERE qty > 9)")
	add(false, "SELECT COUNT(*) FROM t_parent p WHERE EXISTS (SELECT 1 FROM t_child c WHERE c.qty = 0)")
	add(false, "SELECT p.id, c.cid, g.region FROM t_parent p JOIN t_child c ON p.id = c.pid JOIN t_global g ON g.id = c.qty WHERE p.id < 40")
	add(false, "SELECT DISTINCT c.qty FROM t_parent p JOIN t_child c ON p.id = c.pid")
	add(false, "SELECT p.cust, c.note FROM t_parent p JOIN t_child c ON p.id = c.pid AND c.qty > 5 WHERE p.total > 0")
	add(false, "SELECT p.id, c.cid FROM t_parent p JOIN t_child c ON p.cust = c.note")          // not on the join key: must be refused
	add(false, "SELECT COUNT(*) FROM t_child c JOIN t_parent p ON p.id = c.qty")                // not on the join key
	add(false, "SELECT t.id, p.id FROM t_mod t JOIN t_parent p ON t.id = p.id WHERE t.id < 30") // same rule, different tables

	// Single-node joins by shard key (mod-long: ids congruent mod 3 share a node).
	for range 4 {
		a := 1 + r.Intn(200)
		b := a + 3*(1+r.Intn(30))
		add(false, "SELECT x.id, y.id, x.k, y.k FROM t_mod x JOIN t_mod y ON x.k = y.k WHERE x.id = %d AND y.id = %d", a, b)
		pid := 3*r.Intn(66) + a%3
		if pid == 0 {
			pid = 3
		}
		add(false, "SELECT x.id, p.id FROM t_mod x JOIN t_parent p ON x.k <= p.id WHERE x.id = %d AND p.id = %d", a, pid)
		add(false, "SELECT x.id, y.id FROM t_mod x JOIN t_mod y ON x.k = y.k WHERE x.id = %d AND y.id = %d", a, a+1) // two nodes
	}
	add(false, "SELECT x.id, y.id FROM t_mod x JOIN t_murmur y ON x.id = y.id WHERE x.id < 20") // cross-node

	// Global table alone.
	add(true, "SELECT * FROM t_global ORDER BY id")
	add(false, "SELECT region, COUNT(*), SUM(weight) FROM t_global GROUP BY region")
	add(true, "SELECT gname, id FROM t_global ORDER BY gname DESC, id LIMIT 5 OFFSET 3")
	add(false, "SELECT DISTINCT region FROM t_global")

	// Hand-written: mixed shapes.
	add(false, "SELECT 1 + 1, 'x'")
	add(false, "SELECT COUNT(*) FROM t_mod WHERE id BETWEEN 50 AND 40")
	add(false, "SELECT id FROM t_range WHERE id BETWEEN 290 AND 310")
	add(false, "SELECT id FROM t_range WHERE id IN (0, 299, 300, 599, 600, 899)")
	add(false, "SELECT COUNT(*), MIN(id), MAX(id) FROM t_range WHERE id >= 600")
	add(true, "SELECT id FROM t_range WHERE id < 700 AND id > 250 ORDER BY id DESC LIMIT 10 OFFSET 5")
	add(false, "SELECT CONCAT(name, '|'), LENGTH(name) FROM t_mod WHERE id < 30")
	add(false, "SELECT id, amount FROM t_murmur WHERE amount IS NULL OR amount = 0")
	add(true, "SELECT id, name FROM t_murmur WHERE name IS NULL ORDER BY id")
	add(true, "SELECT * FROM t_mod ORDER BY id DESC LIMIT 1")
	add(true, "SELECT * FROM t_mod ORDER BY amount, id LIMIT 0")
	add(false, "SELECT * FROM t_mod WHERE 1 = 0")
	add(false, "SELECT SUM(amount), COUNT(*), AVG(k) FROM t_murmur WHERE name = 'ALPHA'")
	add(false, "SELECT k, COUNT(*), AVG(amount) FROM t_range WHERE id >= 300 GROUP BY k")
	add(false, "SELECT (SELECT COUNT(*) FROM t_global) AS g, COUNT(*) FROM t_mod")
	add(false, "SELECT t.* FROM (SELECT id, k FROM t_mod WHERE k = 5) t")
	add(false, "SELECT COUNT(*) FROM (SELECT k FROM t_mod GROUP BY k) t")
	add(true, "SELECT id, -amount AS neg FROM t_mod WHERE amount IS NOT NULL ORDER BY neg, id LIMIT 15")
	add(true, "SELECT id FROM t_murmur ORDER BY CASE WHEN k IS NULL THEN 1 ELSE 0 END, k DESC, id LIMIT 20")
	add(false, "SELECT k, GROUP_CONCAT(id ORDER BY id) FROM t_mod WHERE id < 60 GROUP BY k")

	// Hand-written probes: collation overrides, text ordering of numbers,
	// hidden sort keys, global tables on the outer side of a join.
	for _, T := range shardedTables {
		add(true, "SELECT id, name FROM %s WHERE name IN ('ß', 's', 'ss', 'ø', 'o') ORDER BY name, id", T)
		add(false, "SELECT COUNT(*) FROM %s WHERE name = 'ß'", T)
		add(true, "SELECT id, name FROM %s ORDER BY name COLLATE utf8mb4_bin, id LIMIT 30", T)
		add(true, "SELECT id, name FROM %s ORDER BY BINARY name DESC, id LIMIT 30", T)
		add(true, "SELECT id FROM %s ORDER BY LENGTH(name) DESC, id LIMIT 12", T)
		add(true, "SELECT CAST(amount AS CHAR) AS c, id FROM %s ORDER BY c, id LIMIT 25", T)
		add(true, "SELECT id, k * 1.5 AS x FROM %s ORDER BY x DESC, id LIMIT 10", T)
		add(true, "SELECT -k AS nk, id FROM %s ORDER BY nk, id LIMIT 20", T)
		add(true, "SELECT id, d FROM %s ORDER BY DAYOFMONTH(d), id LIMIT 15", T)
		add(true, "SELECT id FROM %s ORDER BY id LIMIT 1000, 10", T)
		add(true, "SELECT SUM(amount) FROM %s GROUP BY k ORDER BY k", T)
		add(true, "SELECT COUNT(*) AS c, k FROM %s GROUP BY k ORDER BY k LIMIT 3", T)
		add(false, "SELECT k AS kk, COUNT(*) FROM %s GROUP BY kk", T)
		add(true, "SELECT cat, AVG(amount) AS a FROM %s GROUP BY cat ORDER BY a DESC, cat", T)
		add(true, "SELECT k, MIN(cat), MAX(cat), MIN(d), MAX(amount) FROM %s GROUP BY k ORDER BY k", T)
		add(false, "SELECT k, COUNT(*) FROM %s GROUP BY k LIMIT 5", T)
		add(false, "SELECT COUNT(*) FROM %s LIMIT 1", T)
		add(true, "SELECT id FROM %s WHERE id < 10 UNION ALL SELECT id FROM %s WHERE id > 290 ORDER BY id DESC LIMIT 5", T, T)
		add(true, "(SELECT id FROM %s WHERE k = 1) UNION (SELECT id FROM %s WHERE k = 2) ORDER BY id LIMIT 7", T, T)
		add(false, "SELECT g.id, t.id FROM t_global g LEFT JOIN %s t ON t.k = g.id AND t.id < 30", T)
		add(false, "SELECT g.id, COUNT(t.id) FROM t_global g LEFT JOIN %s t ON t.k = g.id GROUP BY g.id", T)
		add(false, "SELECT * FROM t_global WHERE id IN (SELECT k FROM %s)", T)
		add(false, "SELECT g.id FROM t_global g WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE t.k = g.id)", T)
		add(false, "SELECT t.id FROM %s t WHERE t.amount > (SELECT AVG(weight) FROM t_global)", T)
		add(false, "SELECT id FROM %s WHERE k = (SELECT MAX(id) FROM t_global WHERE region = 'west')", T)
		add(false, "SELECT COUNT(*), COUNT(*) + 1, MAX(k) - MIN(k) FROM %s", T)
		add(true, "SELECT DISTINCT k, cat FROM %s ORDER BY k, cat LIMIT 10", T)
		add(false, "SELECT id FROM %s WHERE name = 'alpha' AND id IN (SELECT id FROM t_global)", T)
	}
	add(false, "SELECT COUNT(*) FROM t_global")
	add(false, "SELECT g.region, COUNT(*) FROM t_global g JOIN t_parent p ON p.id = g.id JOIN t_child c ON c.pid = p.id GROUP BY g.region")
	add(true, "SELECT p.id, c.cid FROM t_parent p, t_child c WHERE p.id = c.pid AND p.id < 20 ORDER BY p.id, c.cid")
	add(false, "SELECT c.cid FROM t_child c WHERE c.pid IN (SELECT id FROM t_global)")

	// Routing probes: literals of other types on the shard column, and
	// aliases that shadow column names in ORDER BY / GROUP BY.
	for _, T := range shardedTables {
		a := id(T)
		for _, lit := range []string{"'%d'", "%d.0", "'00%d'", "' %d'", "%de0", "0x%x", "'%d.0'", "'%dabc'", "+%d", "CAST('%d' AS SIGNED)"} {
			add(false, "SELECT id, k FROM %s WHERE id = "+lit, T, a)
		}
		add(false, "SELECT id FROM %s WHERE id IN ('%d', %d.0, '00%d')", T, a, id(T), id(T))
		add(false, "SELECT id FROM %s WHERE id = TRUE", T)
		add(false, "SELECT id FROM %s WHERE id = -0", T)
		add(false, "SELECT id FROM %s WHERE id BETWEEN '%d' AND '%d'", T, a, a+40)
		add(false, "SELECT id FROM %s WHERE id >= %d.5 AND id < %d", T, a, a+20)
		add(false, "SELECT id FROM %s WHERE id = %d AND id = %d", T, a, a+1)
		add(false, "SELECT id FROM %s WHERE id <> %d AND id < 20", T, a)
		add(false, "SELECT id FROM %s WHERE NOT (id > 15)", T)
		add(false, "SELECT id FROM %s WHERE (id, k) IN ((%d, 1), (%d, 2), (%d, 3))", T, id(T), id(T), id(T))
		add(false, "SELECT id FROM %s WHERE id = %d OR id IS NULL", T, a)
		add(false, "SELECT id FROM %s WHERE id IN (%d) AND k IN (SELECT id FROM t_global)", T, a)
		add(true, "SELECT id, k AS amount FROM %s ORDER BY amount, id LIMIT 15", T)
		add(true, "SELECT id AS k, k AS id FROM %s ORDER BY id, k LIMIT 15", T)
		add(true, "SELECT id, amount FROM %s ORDER BY 2 DESC, 1 LIMIT 12", T)
		add(true, "SELECT t.id FROM %s t ORDER BY t.k DESC, t.id LIMIT 12", T)
		add(true, "SELECT id FROM %s ORDER BY %s.amount, %s.id LIMIT 8", T, T, T)
		add(true, "SELECT DISTINCT k FROM %s ORDER BY k LIMIT 3 OFFSET 2", T)
		add(false, "SELECT MIN(k) AS cat, COUNT(*) FROM %s GROUP BY cat", T) // GROUP BY prefers the column
		add(true, "SELECT id, amount * 1e0 AS f FROM %s ORDER BY f, id LIMIT 10", T)
		add(false, "SELECT k, COUNT(*), MAX(amount * 1e0), MIN(d + INTERVAL 1 DAY) FROM %s GROUP BY k", T)
		add(true, "SELECT %s.*, id FROM %s ORDER BY id DESC LIMIT 3", T, T)
	}
	return qs
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
