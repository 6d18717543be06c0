package mysql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func rowsText(rows []Row) string {
	var parts []string
	for _, r := range rows {
		var vals []string
		for _, v := range r {
			if v == nil {
				vals = append(vals, "NULL")
			} else {
				vals = append(vals, string(v))
			}
		}
		parts = append(parts, strings.Join(vals, ","))
	}
	return strings.Join(parts, "|")
}

func mustExec(t *testing.T, cc *ClientConn, sql string) *Result {
	t.Helper()
	r, err := cc.Execute(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

func TestClientAgainstMariaDB(t *testing.T) {
	m := startMariaDB(t, "--local-infile=1")
	setup := m.dial(t, "", nil)
	mustExec(t, setup, "CREATE DATABASE gotest")
	mustExec(t, setup, `CREATE TABLE gotest.types (
		id INT AUTO_INCREMENT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT UNSIGNED,
		f FLOAT, d DOUBLE, dec1 DECIMAL(10,3), s VARCHAR(20), b VARBINARY(10), bl BLOB,
		dt DATE, dtm DATETIME(6), ts TIMESTAMP NULL, tm TIME(3), y YEAR, e ENUM('a','b'), bit1 BIT(8), j JSON)`)

	for _, deprecateEOF := range []bool{true, false} {
		name := "deprecate_eof"
		if !deprecateEOF {
			name = "classic_eof"
		}
		t.Run(name, func(t *testing.T) {
			cc := m.dial(t, "gotest", &DialOptions{DisableDeprecateEOF: !deprecateEOF})
			if got := cc.DeprecateEOF(); got != deprecateEOF {
				t.Fatalf("DeprecateEOF = %v, want %v", got, deprecateEOF)
			}
			if !strings.Contains(cc.ServerVersion(), "MariaDB") {
				t.Errorf("server version %q", cc.ServerVersion())
			}
			mustExec(t, cc, "DELETE FROM types")
			r := mustExec(t, cc, `INSERT INTO types VALUES (NULL, -128, 65535, -8388608, 18446744073709551615,
				1.5, -2.25e100, 1234567.891, 'héllo', 0x00ff, 'blob', '2024-02-29', '2024-02-29 13:14:15.123456',
				'2001-02-03 04:05:06', '-838:59:59.999', 2024, 'b', b'10100101', '{"a": [1, 2]}'),
				(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
			if r.AffectedRows != 2 || r.LastInsertID == 0 {
				t.Errorf("insert result = %+v", r)
			}
			if !strings.Contains(r.Info, "Records: 2") {
				t.Errorf("insert info = %q", r.Info)
			}
			const q = "SELECT * FROM types ORDER BY id"
			text := mustExec(t, cc, q)
			if len(text.Columns) != 19 || text.Columns[1].Name != "ti" || text.Columns[1].Type != TypeTiny ||
				text.Columns[0].Flags&FlagPriKey == 0 || text.Columns[4].Flags&FlagUnsigned == 0 || text.Columns[0].Table != "types" {
				t.Errorf("column definitions wrong: %+v", *text.Columns[1])
			}
			got := rowsText(text.Rows)
			if !strings.HasPrefix(got[strings.Index(got, ",")+1:], "-128,65535,-8388608,18446744073709551615,1.5,-2.25e100,1234567.891,héllo,\x00\xff,blob,2024-02-29,2024-02-29 13:14:15.123456,2001-02-03 04:05:06,-838:59:59.999,2024,b,\xa5,") {
				t.Errorf("text row = %q", got)
			}
			// The binary protocol, converted to text, must match the text protocol.
			st, err := cc.Prepare(q)
			if err != nil {
				t.Fatal(err)
			}
			bin, err := cc.StmtExecute(st)
			if err != nil {
				t.Fatal(err)
			}
			if b := rowsText(bin.Rows); b != got {
				t.Errorf("binary rows differ from text rows:\n bin  %q\n text %q", b, got)
			}
			if err := cc.StmtClose(st); err != nil {
				t.Fatal(err)
			}

			// Parameters of every type round-trip through the server.
			st, err = cc.Prepare("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?")
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Params) != 12 {
				t.Fatalf("params = %d", len(st.Params))
			}
			pr, err := cc.StmtExecute(st, nil, int64(-5), uint64(1<<63), 2.5, float32(0.5), "it's", []byte{1, 2},
				Decimal("12.340"), true, int8(7), mustTime("2020-01-02 03:04:05.000006"), -(90*time.Minute + time.Microsecond))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rowsText(pr.Rows), "NULL,-5,9223372036854775808,2.5,0.5,it's,\x01\x02,12.340,1,7,2020-01-02 03:04:05.000006,-01:30:00.000001"; got != want {
				t.Errorf("params echoed = %q\n want %q", got, want)
			}
			cc.StmtClose(st)

			// Multi-statements and errors.
			rs, err := cc.ExecuteMulti("SELECT 1; UPDATE types SET ti = ti WHERE id < 0; SELECT 'x', NULL")
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 3 || rowsText(rs[0].Rows) != "1" || rs[1].Columns != nil || rowsText(rs[2].Rows) != "x,NULL" {
				t.Errorf("multi results = %d", len(rs))
			}
			_, err = cc.Execute("SELEKT 1")
			var se *SQLError
			if !errors.As(err, &se) || se.Code != ERParse || se.State != "42000" {
				t.Errorf("syntax error = %v", err)
			}
			_, err = cc.Execute("SELECT * FROM nosuch")
			if !errors.As(err, &se) || se.Code != ERNoSuchTable || se.State != "42S02" {
				t.Errorf("missing table = %v", err)
			}
			if cc.IsBroken() {
				t.Fatal("server errors broke the connection")
			}
			if err := cc.Ping(); err != nil {
				t.Error(err)
			}
			if err := cc.InitDB("nosuchdb"); !errors.As(err, &se) || se.Code != ERBadDB {
				t.Errorf("InitDB nosuchdb = %v", err)
			}
			mustExec(t, cc, "BEGIN")
			if cc.Status()&ServerStatusInTrans == 0 {
				t.Errorf("status after BEGIN = %#x", cc.Status())
			}
			if err := cc.ResetConnection(); err != nil {
				t.Error(err)
			}
			if cc.Status()&ServerStatusInTrans != 0 {
				t.Errorf("status after reset = %#x", cc.Status())
			}
			cols, err := cc.FieldList("types", "")
			if err != nil || len(cols) != 19 || cols[2].Name != "si" {
				t.Errorf("FieldList = %d cols, %v", len(cols), err)
			}
			if err := cc.SetOption(MySQLOptionMultiStatementsOff); err != nil {
				t.Error(err)
			}
			if _, err := cc.ExecuteMulti("SELECT 1; SELECT 2"); err == nil {
				t.Error("multi-statements still on after SetOption(off)")
			}
			if err := cc.SetOption(MySQLOptionMultiStatementsOn); err != nil {
				t.Error(err)
			}
			if r := mustExec(t, cc, "SELECT 7"); rowsText(r.Rows) != "7" {
				t.Errorf("after set option: %q", rowsText(r.Rows))
			}
		})
	}

	t.Run("forwarding", func(t *testing.T) { testForwarding(t, m) })

	t.Run("large_packets", func(t *testing.T) {
		cc := m.dial(t, "", nil)
		// A row payload of exactly 0xffffff bytes (4-byte length + data)
		// is followed by an empty packet; 17 MiB spans two chunks.
		for _, n := range []int{MaxPayloadChunk - 4, 17 << 20} {
			r, err := cc.Execute("SELECT REPEAT('r', " + itoa(n) + ")")
			if err != nil {
				t.Fatalf("size %d: %v", n, err)
			}
			if len(r.Rows[0][0]) != n || strings.Trim(string(r.Rows[0][0]), "r") != "" {
				t.Fatalf("size %d: got %d bytes", n, len(r.Rows[0][0]))
			}
		}
		big := strings.Repeat("q", 17<<20)
		r, err := cc.Execute("SELECT LENGTH('" + big + "')")
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Rows[0][0]) != itoa(len(big)) {
			t.Fatalf("server saw %s bytes, sent %d", r.Rows[0][0], len(big))
		}
	})

	t.Run("compression", func(t *testing.T) {
		cc := m.dial(t, "gotest", &DialOptions{Compression: true})
		if cc.Capabilities()&ClientCompress == 0 {
			t.Fatal("MariaDB did not accept compression")
		}
		r := mustExec(t, cc, "SELECT REPEAT('x', 17 * 1024 * 1024), 'small'")
		if len(r.Rows[0][0]) != 17<<20 || string(r.Rows[0][1]) != "small" {
			t.Errorf("compressed large row: %d bytes", len(r.Rows[0][0]))
		}
		big := strings.Repeat("y", 100000)
		if r := mustExec(t, cc, "SELECT LENGTH('"+big+"')"); string(r.Rows[0][0]) != "100000" {
			t.Errorf("compressed large query: %q", r.Rows[0][0])
		}
		st, err := cc.Prepare("SELECT ?, ?")
		if err != nil {
			t.Fatal(err)
		}
		if r, err := cc.StmtExecute(st, int64(5), "five"); err != nil || rowsText(r.Rows) != "5,five" {
			t.Errorf("compressed prepared: %v, %v", r, err)
		}
		if err := cc.Ping(); err != nil {
			t.Error(err)
		}
	})

	t.Run("tls", func(t *testing.T) {
		cc := m.dial(t, "", &DialOptions{TLSConfig: m.ClientTLS})
		r := mustExec(t, cc, "SHOW SESSION STATUS LIKE 'Ssl_version'")
		if len(r.Rows) != 1 || !strings.HasPrefix(string(r.Rows[0][1]), "TLS") {
			t.Errorf("Ssl_version = %q", rowsText(r.Rows))
		}
	})

	t.Run("wrong_password", func(t *testing.T) {
		_, err := Dial(t.Context(), m.Addr, m.User, "nope", "", nil)
		var se *SQLError
		if !errors.As(err, &se) || se.Code != ERAccessDenied || se.State != "28000" {
			t.Errorf("err = %v, want 1045 (28000)", err)
		}
	})

	t.Run("broken_connection", func(t *testing.T) {
		victim := m.dial(t, "", nil)
		killer := m.dial(t, "", nil)
		mustExec(t, killer, "KILL "+itoa(int(victim.ConnectionID())))
		_, err := victim.Execute("SELECT 1")
		if err == nil {
			t.Fatal("query on a killed connection succeeded")
		}
		// MariaDB may send an ERR (1927 connection killed) before closing.
		if !victim.IsBroken() {
			if _, err = victim.Execute("SELECT 1"); err == nil || !victim.IsBroken() {
				t.Fatalf("killed connection not detected: %v", err)
			}
		}
		if err := victim.Ping(); err == nil {
			t.Error("ping on a broken connection succeeded")
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}
