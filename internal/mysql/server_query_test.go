package mysql

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestServerPreparedStatementParameterTypes(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	db := openDB(t, "app:secret@tcp("+addr+")/test?parseTime=true")
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cases := []struct {
		arg  any
		want string // "<Go type> <literal>" as the handler renders it
	}{
		{nil, "<nil> NULL"},
		{int64(-42), "int64 -42"},
		{int64(9223372036854775807), "int64 9223372036854775807"},
		{uint64(18446744073709551615), "uint64 18446744073709551615"},
		{true, "int64 1"},
		{3.25, "float64 3.25e+00"},
		{float32(1.5), "float64 1.5e+00"}, // the driver widens float32 to DOUBLE
		{"it's a \"test\"\n\\", `string 'it\'s a \"test\"\n\\'`},
		{[]byte{0, 1, 0xfe}, "string X'0001fe'"}, // []byte goes as STRING; not UTF-8 -> hex
		{[]byte("plain"), "string 'plain'"},
		{when, "string '2024-02-29 13:14:15.123456'"}, // the driver sends time as text
		{json.RawMessage(`{"a":1}`), `string '{\"a\":1}'`},
		{strings.Repeat("x", 1<<20), "string '" + strings.Repeat("x", 1<<20) + "'"}, // long data
		{[]byte(strings.Repeat("\xff", 1<<20)), "string X'" + strings.Repeat("ff", 1<<20) + "'"},
	}
	args := make([]any, len(cases))
	for i, c := range cases {
		args[i] = c.arg
	}
	query := "SELECT" + strings.Repeat(" ?,", len(cases)-1) + " ?"
	stmt, err := db.Prepare(query)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for round := 0; round < 2; round++ { // the second execute reuses bound types
		got := make([]sql.NullString, len(cases))
		dest := make([]any, len(cases))
		for i := range got {
			dest[i] = &got[i]
		}
		if err := stmt.QueryRow(args...).Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if got[i].String != c.want {
				g, w := got[i].String, c.want
				if len(g) > 80 {
					g = g[:80] + "..."
				}
				if len(w) > 80 {
					w = w[:80] + "..."
				}
				t.Errorf("round %d param %d (%T): got %q, want %q", round, i, c.arg, g, w)
			}
		}
	}
}

func TestServerPreparedResultsUseBinaryRows(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	db := openDB(t, "app:secret@tcp("+addr+")/test")
	for _, name := range []string{"bob", "NULL"} {
		if _, err := db.Exec("insert into t values " + name); err != nil {
			t.Fatal(err)
		}
	}
	stmt, err := db.Prepare("select * from t")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	rows, err := stmt.Query()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		// Scanning into any shows the binary decoding: int64 for BIGINT.
		var id, name any
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		s, _ := name.([]byte)
		got = append(got, strings.Join([]string{typeName(id), string(s)}, ":"))
	}
	if want := "int64:bob int64:"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	// A statement the handler refuses to prepare gives its error.
	if _, err := db.Prepare("bogus ?"); err == nil {
		// The toy handler prepares anything with '?', so execute it instead.
	}
}

func typeName(v any) string {
	switch v.(type) {
	case int64:
		return "int64"
	case []byte:
		return "bytes"
	case nil:
		return "nil"
	}
	return "other"
}

func TestServerMultiStatements(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	db := openDB(t, "app:secret@tcp("+addr+")/test?multiStatements=true")
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(t.Context(), "select 1; insert into t values x; echo hi; select 1")
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	for {
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			n++
		}
		sets = append(sets, strings.Join(cols, ",")+"#"+string(rune('0'+n)))
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// go-sql-driver skips the OK-only result between result sets.
	if want := "1#1 len,v#1 1#1"; strings.Join(sets, " ") != want {
		t.Errorf("result sets = %q, want %q", strings.Join(sets, " "), want)
	}
	// An error in the middle ends the response with ERR.
	_, err = conn.ExecContext(t.Context(), "select 1; nonsense; select 1")
	if sqlCode(err) != ERParse {
		t.Errorf("err = %v, want 1064", err)
	}
	// The connection is still in step afterwards.
	var one int
	if err := conn.QueryRowContext(t.Context(), "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestServerLargePackets(t *testing.T) {
	addr, _, _ := startServer(t, func(s *Server) { s.MaxPacketSize = 64 << 20 })
	db := openDB(t, "app:secret@tcp("+addr+")/test?maxAllowedPacket=67108864")
	for _, size := range []int{MaxPayloadChunk - len("echo "), 17 << 20} {
		arg := strings.Repeat("y", size)
		var n int
		var v []byte
		if err := db.QueryRow("echo "+arg).Scan(&n, &v); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if n != size || string(v) != arg {
			t.Fatalf("size %d: got len %d / %d bytes back", size, n, len(v))
		}
	}
}

func TestServerPacketTooLarge(t *testing.T) {
	addr, _, _ := startServer(t, func(s *Server) { s.MaxPacketSize = 1 << 20 })
	cc, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	_, err = cc.Execute("echo " + strings.Repeat("z", 2<<20))
	se, ok := err.(*SQLError)
	if !ok || se.Code != ERNetPacketTooLarge {
		t.Fatalf("err = %v, want ER_NET_PACKET_TOO_LARGE", err)
	}
}

func TestServerTransactionStatus(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	cc, err := Dial(t.Context(), addr, "app", "secret", "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	r, err := cc.Execute("begin")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status&ServerStatusInTrans == 0 || r.Status&ServerStatusAutocommit == 0 {
		t.Errorf("after begin status = %#x, want IN_TRANS|AUTOCOMMIT", r.Status)
	}
	r, err = cc.Execute("select 1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status&ServerStatusInTrans == 0 {
		t.Errorf("result set terminator status = %#x, want IN_TRANS", r.Status)
	}
	if r, err = cc.Execute("commit"); err != nil || r.Status&ServerStatusInTrans != 0 {
		t.Errorf("after commit status = %#x, %v", r.Status, err)
	}
	if r, err = cc.Execute("warn"); err != nil || r.Warnings != 3 || r.Info != "Rows matched: 0" {
		t.Errorf("warn = %+v, %v", r, err)
	}
	if err := cc.InitDB("nosuch"); err == nil {
		t.Error("InitDB to an unknown schema succeeded")
	}
	if err := cc.InitDB("test"); err != nil {
		t.Error(err)
	}
	if err := cc.ResetConnection(); err != nil {
		t.Error(err)
	}
	if err := cc.SetOption(MySQLOptionMultiStatementsOff); err != nil {
		t.Error(err)
	}
}
