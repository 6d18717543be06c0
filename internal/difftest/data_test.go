package difftest

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// names mixes case, accents, trailing spaces, the empty string and
// characters whose _general_ci weights are surprising (ß, ø).
var names = []string{
	"alpha", "Alpha", "ALPHA", "alpha ", "beta", "Beta  ", "gamma", "élan", "Elan",
	"zoë", "Zoe", "naïve", "ß", "ss", "s", "", " lead", "Äpfel", "apple", "ø", "o",
	"mixed Case", "MIXED case", "zz", "Ünï",
}

var collationProbes = []string{
	"Æon", "æon", "aeon", "Đak", "dak", "ıx", "ix", "İx", "Łodz", "lodz", "þorn", "ﬁne", "fine",
	"Œuvre", "oeuvre", "ŉ", "ǆ", "dž", "Ω", "ω", "Ж", "ж", "€", "$", "ｆｕｌｌ", "full", "a\tb", "a b",
	"😀", "😁", "Ǎ", "a", "ǅ",
}

var cats = []string{"red", "green", "blue", "", "NULL"}

var regions = []string{"north", "south", "east", "west"}

const createCols = "(id INT NOT NULL PRIMARY KEY, k INT NULL, amount DECIMAL(10,2) NULL, name VARCHAR(40) NULL, cat VARCHAR(10) NULL, d DATE NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"

var ddl = []string{
	"CREATE TABLE t_mod " + createCols,
	"CREATE TABLE t_murmur " + createCols,
	"CREATE TABLE t_range " + createCols,
	"CREATE TABLE t_global (id INT NOT NULL PRIMARY KEY, gname VARCHAR(40) NULL, region VARCHAR(10) NULL, weight DECIMAL(6,3) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
	"CREATE TABLE t_parent (id INT NOT NULL PRIMARY KEY, cust VARCHAR(40) NULL, total DECIMAL(12,2) NULL, created DATE NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
	"CREATE TABLE t_child (cid INT NOT NULL PRIMARY KEY, pid INT NOT NULL, qty INT NULL, price DECIMAL(8,2) NULL, note VARCHAR(40) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
}

func sqlStr(s string) string {
	if s == "NULL" {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func maybeNull(r *rand.Rand, pct int, v string) string {
	if r.Intn(100) < pct {
		return "NULL"
	}
	return v
}

func randDecimal(r *rand.Rand, max int) string {
	cents := r.Intn(2*max*100+1) - max*100
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func randDate(r *rand.Rand) string {
	base := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	return "'" + base.AddDate(0, 0, r.Intn(1500)).Format("2006-01-02") + "'"
}

func randName(r *rand.Rand) string {
	if r.Intn(12) == 0 {
		return "NULL"
	}
	return sqlStr(names[r.Intn(len(names))])
}

// stdRow is one row of t_mod / t_murmur / t_range.
func stdRow(r *rand.Rand, id int) string {
	return fmt.Sprintf("(%d,%s,%s,%s,%s,%s)", id,
		maybeNull(r, 10, fmt.Sprint(r.Intn(21))),
		maybeNull(r, 8, randDecimal(r, 1000)),
		randName(r),
		sqlStr(cats[r.Intn(len(cats))]),
		maybeNull(r, 10, randDate(r)))
}

// loadData inserts the same generated rows through the proxy and into
// the reference, in multi-row INSERTs (which the proxy splits per node).
func loadData(t *testing.T, e *env) map[string]int {
	r := rand.New(rand.NewSource(20261125))
	counts := map[string]int{}
	columns := map[string]string{
		"t_mod": "(id, k, amount, name, cat, d)", "t_murmur": "(id, k, amount, name, cat, d)", "t_range": "(id, k, amount, name, cat, d)",
		"t_global": "(id, gname, region, weight)", "t_parent": "(id, cust, total, created)", "t_child": "(cid, pid, qty, price, note)",
	}
	insert := func(table string, rows []string) {
		counts[table] += len(rows)
		for len(rows) > 0 {
			n := min(len(rows), 60)
			execBoth(t, e, "INSERT INTO "+table+" "+columns[table]+" VALUES "+strings.Join(rows[:n], ","))
			rows = rows[n:]
		}
	}
	for _, table := range []string{"t_mod", "t_murmur"} {
		var rows []string
		for id := 1; id <= 300; id++ {
			rows = append(rows, stdRow(r, id))
		}
		insert(table, rows)
	}
	var rows []string
	for _, id := range r.Perm(900)[:320] { // ids spread over the three ranges
		rows = append(rows, stdRow(r, id))
	}
	insert("t_range", rows)

	// Collation probes appended after the seeded rows (ids 301..): letters
	// whose utf8mb4_general_ci weight is not what decomposing and
	// upper-casing gives.
	for _, table := range []string{"t_mod", "t_murmur"} {
		rows = nil
		for i, n := range collationProbes {
			rows = append(rows, fmt.Sprintf("(%d,%d,%d.00,%s,'blue','2024-02-29')", 301+i, i%21, i, sqlStr(n)))
		}
		insert(table, rows)
	}

	rows = nil
	for id := 0; id <= 22; id++ { // k is 0..20: 21 and 22 match nothing
		rows = append(rows, fmt.Sprintf("(%d,%s,%s,%s)", id, randName(r),
			maybeNull(r, 10, sqlStr(regions[r.Intn(len(regions))])), maybeNull(r, 10, randDecimal(r, 99))))
	}
	insert("t_global", rows)

	rows = nil
	for id := 1; id <= 200; id++ {
		rows = append(rows, fmt.Sprintf("(%d,%s,%s,%s)", id, randName(r),
			maybeNull(r, 10, randDecimal(r, 100000)), maybeNull(r, 10, randDate(r))))
	}
	insert("t_parent", rows)

	rows = nil
	for cid := 1; cid <= 450; cid++ {
		// Parents 1..200 exist; 201..210 are orphans.
		rows = append(rows, fmt.Sprintf("(%d,%d,%s,%s,%s)", cid, 1+r.Intn(210),
			maybeNull(r, 10, fmt.Sprint(r.Intn(12))), maybeNull(r, 10, randDecimal(r, 500)), randName(r)))
	}
	// Child rows go one statement per parent value too (single-row path).
	insert("t_child", rows[:400])
	for _, row := range rows[400:] {
		execBoth(t, e, "INSERT INTO t_child "+columns["t_child"]+" VALUES "+row)
		counts["t_child"]++
	}
	return counts
}
