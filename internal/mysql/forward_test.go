package mysql

import (
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// fwdHandler is a minimal pass-through proxy: one backend connection per
// client, results forwarded packet by packet.
type fwdHandler struct {
	BaseHandler
	m                   *mariaDB
	backendDeprecateEOF bool
}

func (h *fwdHandler) backend(c *Conn) *ClientConn { return c.Data.(*ClientConn) }

func (h *fwdHandler) Authenticate(c *Conn, req *AuthRequest) error {
	if req.User != "app" || !req.CheckPassword("secret") {
		return NewSQLError(ERAccessDenied, "Access denied for user '%s'", req.User)
	}
	cc, err := Dial(c.Context(), h.m.Addr, h.m.User, h.m.Password, req.Database,
		&DialOptions{DisableDeprecateEOF: !h.backendDeprecateEOF})
	if err != nil {
		return err
	}
	c.Data = cc
	return nil
}

func (h *fwdHandler) ConnectionClosed(c *Conn) {
	if cc, ok := c.Data.(*ClientConn); ok {
		cc.Close()
	}
}

func (h *fwdHandler) forward(c *Conn) error {
	for {
		status, err := c.ForwardResult(h.backend(c), nil)
		if err != nil || status&ServerMoreResultsExists == 0 {
			return err
		}
	}
}

func (h *fwdHandler) ComQuery(c *Conn, query string) error {
	b := h.backend(c)
	// "BINARY <sql>" runs sql as a prepared statement on the backend, so
	// binary rows must be turned into text for this COM_QUERY client.
	if rest, ok := strings.CutPrefix(query, "BINARY "); ok {
		st, err := b.Prepare(rest)
		if err != nil {
			return err
		}
		defer b.StmtClose(st)
		payload, err := AppendStmtExecute(nil, st.ID, nil)
		if err != nil {
			return err
		}
		if err := b.WriteCommandPayload(payload); err != nil {
			return err
		}
		return h.forward(c)
	}
	if err := b.WriteCommand(ComQuery, []byte(query)); err != nil {
		return err
	}
	return h.forward(c)
}

func (h *fwdHandler) ComInitDB(c *Conn, schema string) error {
	if err := h.backend(c).InitDB(schema); err != nil {
		return err
	}
	c.SetSchema(schema)
	return nil
}

func (h *fwdHandler) ComStmtPrepare(c *Conn, query string) (*Stmt, error) {
	st, err := h.backend(c).Prepare(query)
	if err != nil {
		return nil, err
	}
	h.backend(c).StmtClose(st) // executed as interpolated text queries
	return &Stmt{ParamCount: len(st.Params), Columns: st.Columns}, nil
}

func (h *fwdHandler) ComStmtExecute(c *Conn, st *Stmt, req *ExecuteRequest) error {
	q, err := InterpolateQuery(st.Query, req.Params, c.Status()&ServerStatusNoBackslashEscapes != 0)
	if err != nil {
		return err
	}
	if err := h.backend(c).WriteCommand(ComQuery, []byte(q)); err != nil {
		return err
	}
	return h.forward(c)
}

func testForwarding(t *testing.T, m *mariaDB) {
	direct := m.dial(t, "gotest", nil)
	mustExec(t, direct, "CREATE TABLE fwd (id INT PRIMARY KEY, v VARCHAR(20), d DOUBLE, dt DATETIME(3), b BLOB)")
	mustExec(t, direct, "INSERT INTO fwd VALUES (1, 'one', 1.5, '2020-01-01 01:02:03.456', 0x00ff), (2, NULL, -1e20, NULL, ''), (3, 'three''s', 0, '1999-12-31 23:59:59', 'x')")
	const q = "SELECT * FROM fwd ORDER BY id"
	want := rowsText(mustExec(t, direct, q).Rows)

	for _, backendEOF := range []bool{true, false} {
		addr, _, _ := startServerWith(t, &fwdHandler{m: m, backendDeprecateEOF: backendEOF})
		for _, clientEOF := range []bool{true, false} {
			t.Run(fmt.Sprintf("backend_deprecate_eof=%v/client_deprecate_eof=%v", backendEOF, clientEOF), func(t *testing.T) {
				cc, err := Dial(t.Context(), addr, "app", "secret", "gotest", &DialOptions{DisableDeprecateEOF: !clientEOF})
				if err != nil {
					t.Fatal(err)
				}
				defer cc.Close()
				if got := rowsText(mustExec(t, cc, q).Rows); got != want {
					t.Errorf("forwarded rows = %q, want %q", got, want)
				}
				if got := rowsText(mustExec(t, cc, "BINARY "+q).Rows); got != want {
					t.Errorf("binary->text rows = %q, want %q", got, want)
				}
				rs, err := cc.ExecuteMulti("SELECT 1; UPDATE fwd SET v = v WHERE id = 1; " + q)
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) != 3 || rowsText(rs[2].Rows) != want || rs[1].AffectedRows != 0 || !strings.Contains(rs[1].Info, "Rows matched: 1") {
					t.Errorf("multi results through proxy: %d results", len(rs))
				}
				if _, err := cc.Execute("SELEKT"); err == nil || cc.IsBroken() {
					t.Errorf("backend error: %v (broken %v)", err, cc.IsBroken())
				}
				st, err := cc.Prepare("SELECT * FROM fwd WHERE id >= ? AND (v <> ? OR v IS NULL) ORDER BY id")
				if err != nil {
					t.Fatal(err)
				}
				r, err := cc.StmtExecute(st, int64(1), "it's")
				if err != nil {
					t.Fatal(err)
				}
				if got := rowsText(r.Rows); got != want {
					t.Errorf("prepared through proxy = %q, want %q", got, want)
				}
			})
		}
		// go-sql-driver through the proxy: text and prepared.
		db := openDB(t, "app:secret@tcp("+addr+")/gotest?multiStatements=true&interpolateParams=false")
		var v sql.NullString
		if err := db.QueryRow("SELECT v FROM fwd WHERE id = ?", 3).Scan(&v); err != nil || v.String != "three's" {
			t.Errorf("go-sql-driver prepared via proxy: %q, %v", v.String, err)
		}
		// LOAD DATA LOCAL INFILE: the file travels client -> proxy -> MariaDB.
		gomysql.RegisterReaderHandler("fwd", func() io.Reader { return strings.NewReader("10\tten\n11\televen\n") })
		res, err := db.Exec("LOAD DATA LOCAL INFILE 'Reader::fwd' INTO TABLE fwd (id, v)")
		if err != nil {
			t.Fatalf("LOAD DATA LOCAL through proxy: %v", err)
		}
		if n, _ := res.RowsAffected(); n != 2 {
			t.Errorf("LOAD DATA LOCAL loaded %d rows, want 2", n)
		}
		if _, err := db.Exec("DELETE FROM fwd WHERE id >= 10"); err != nil {
			t.Fatal(err)
		}
		var d float64
		if err := db.QueryRow("SELECT d FROM fwd WHERE id = 2").Scan(&d); err != nil || d != -1e20 {
			t.Errorf("go-sql-driver text via proxy: %v, %v", d, err)
		}
	}
}
