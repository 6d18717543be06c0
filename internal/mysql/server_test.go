package mysql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// testUsers are the accounts of the test server: user -> plaintext password.
var testUsers = map[string]string{"app": "secret", "sha2user": "sha2pw", "empty": ""}

// memHandler is a tiny in-memory database: table t(id BIGINT, name
// VARCHAR) plus a few magic statements that exercise the protocol.
type memHandler struct {
	BaseHandler
	mu      sync.Mutex
	rows    []Row
	nextID  int64
	offline bool
	logins  []*AuthRequest
	closed  int
}

var memColumns = []*ColumnDef{
	{Schema: "test", Table: "t", OrgTable: "t", Name: "id", OrgName: "id", Charset: CharsetBinary, Length: 20, Type: TypeLongLong, Flags: FlagNotNull | FlagPriKey},
	{Schema: "test", Table: "t", OrgTable: "t", Name: "name", OrgName: "name", Charset: uint16(CharsetUTF8MB4GeneralCI), Length: 400, Type: TypeVarString},
}

func (h *memHandler) Authenticate(c *Conn, req *AuthRequest) error {
	h.mu.Lock()
	h.logins = append(h.logins, req)
	h.mu.Unlock()
	pw, ok := testUsers[req.User]
	if !ok || !req.CheckPassword(pw) {
		return NewSQLError(ERAccessDenied, "Access denied for user '%s'@'%s' (using password: %s)",
			req.User, req.RemoteAddr, yesNo(len(req.Response) > 0))
	}
	if req.Database != "" && req.Database != "test" {
		return NewSQLError(ERBadDB, "Unknown database '%s'", req.Database)
	}
	c.SetSchema(req.Database)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func (h *memHandler) ComInitDB(c *Conn, schema string) error {
	if schema != "test" {
		return NewSQLError(ERBadDB, "Unknown database '%s'", schema)
	}
	c.SetSchema(schema)
	return nil
}

func (h *memHandler) ComPing(c *Conn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.offline {
		return NewSQLError(ERServerShutdown, "server is offline")
	}
	return nil
}

func (h *memHandler) ComQuery(c *Conn, query string) error {
	stmts := []string{query}
	if c.MultiStatements() {
		stmts = strings.Split(query, ";")
	}
	for i, s := range stmts {
		var more uint16
		if i < len(stmts)-1 {
			more = ServerMoreResultsExists
		}
		r, err := h.run(c, strings.TrimSpace(s))
		if err != nil {
			return err
		}
		r.Status |= more
		if err := c.WriteResult(r); err != nil {
			return err
		}
	}
	return nil
}

// run executes one statement of the toy dialect.
func (h *memHandler) run(c *Conn, q string) (*Result, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lower := strings.ToLower(q)
	switch {
	case lower == "select 1":
		return &Result{Columns: []*ColumnDef{{Name: "1", Type: TypeLongLong, Charset: CharsetBinary}}, Rows: []Row{{[]byte("1")}}}, nil
	case lower == "select * from t" || lower == "select id, name from t":
		return &Result{Columns: memColumns, Rows: append([]Row{}, h.rows...)}, nil
	case strings.HasPrefix(lower, "insert into t values "):
		// insert into t values <name>
		h.nextID++
		name := q[len("insert into t values "):]
		var v []byte
		if name != "NULL" {
			v = []byte(name)
		}
		h.rows = append(h.rows, Row{[]byte(strconv.FormatInt(h.nextID, 10)), v})
		return &Result{AffectedRows: 1, LastInsertID: uint64(h.nextID)}, nil
	case lower == "begin":
		c.SetInTransaction(true)
		return &Result{}, nil
	case lower == "commit":
		c.SetInTransaction(false)
		return &Result{}, nil
	case strings.HasPrefix(lower, "echo "):
		// Returns its argument: big queries make big rows.
		arg := q[len("echo "):]
		return &Result{
			Columns: []*ColumnDef{{Name: "len", Type: TypeLongLong, Charset: CharsetBinary}, {Name: "v", Type: TypeLongBlob, Charset: CharsetBinary}},
			Rows:    []Row{{[]byte(strconv.Itoa(len(arg))), []byte(arg)}},
		}, nil
	case lower == "rows then error":
		// Streams two rows, then fails: the ERR arrives inside the result set.
		if err := c.WriteColumns(memColumns[:1]); err != nil {
			return nil, err
		}
		for _, v := range []string{"1", "2"} {
			if err := c.WriteRow(Row{[]byte(v)}); err != nil {
				return nil, err
			}
		}
		return nil, NewSQLError(ERQueryInterrupted, "Query execution was interrupted")
	case lower == "sleep":
		h.mu.Unlock()
		time.Sleep(2 * time.Second)
		h.mu.Lock()
		return &Result{}, nil
	case lower == "tls info":
		return &Result{
			Columns: []*ColumnDef{{Name: "version", Type: TypeVarString}, {Name: "cipher", Type: TypeVarString}},
			Rows:    []Row{{[]byte(c.TLSVersion()), []byte(c.TLSCipher())}},
		}, nil
	case lower == "warn":
		return &Result{Warnings: 3, Info: "Rows matched: 0"}, nil
	case lower == "":
		return nil, NewSQLError(EREmptyQuery, "Query was empty")
	}
	return nil, NewSQLError(ERParse, "You have an error in your SQL syntax near '%s'", q)
}

// ComStmtPrepare accepts "SELECT ?, ?, ..." (echoes its parameters as
// literals) and the toy statements without parameters.
func (h *memHandler) ComStmtPrepare(c *Conn, query string) (*Stmt, error) {
	n := strings.Count(query, "?")
	if n == 0 {
		return &Stmt{Columns: memColumns}, nil
	}
	cols := make([]*ColumnDef, n)
	for i := range cols {
		cols[i] = &ColumnDef{Name: fmt.Sprintf("p%d", i+1), Type: TypeVarString, Charset: uint16(CharsetUTF8MB4GeneralCI)}
	}
	return &Stmt{ParamCount: n, Columns: cols}, nil
}

func (h *memHandler) ComStmtExecute(c *Conn, st *Stmt, req *ExecuteRequest) error {
	if st.ParamCount == 0 {
		r, err := h.run(c, st.Query)
		if err != nil {
			return err
		}
		return c.WriteResult(r)
	}
	row := make(Row, len(req.Params))
	for i, p := range req.Params {
		lit, err := Literal(p)
		if err != nil {
			return err
		}
		row[i] = []byte(fmt.Sprintf("%T %s", p, lit))
	}
	return c.WriteResult(&Result{Columns: st.Columns, Rows: []Row{row}})
}

func (h *memHandler) ComResetConnection(c *Conn) error {
	c.SetInTransaction(false)
	return nil
}

// startServer runs a Server on 127.0.0.1:0 and returns its address.
func startServer(t testing.TB, configure func(*Server)) (string, *Server, *memHandler) {
	t.Helper()
	h := &memHandler{}
	s := &Server{Handler: h}
	if configure != nil {
		configure(s)
	}
	return serve(t, s), s, h
}

// startServerWith serves handler h on 127.0.0.1:0.
func startServerWith(t testing.TB, h Handler) (string, *Server, Handler) {
	s := &Server{Handler: h}
	return serve(t, s), s, h
}

func serve(t testing.TB, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return l.Addr().String()
}

// testTLSConfigs makes a self-signed certificate for 127.0.0.1 and returns
// the server config and a client config that trusts it.
func testTLSConfigs(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "shardcat test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}

func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqlCode(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestServerNativeLoginAndQueries(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	db := openDB(t, "app:secret@tcp("+addr+")/test")
	ctx := context.Background()

	var one int
	if err := db.QueryRowContext(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
	res, err := db.ExecContext(ctx, "insert into t values alice")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 1 {
		t.Errorf("LastInsertId = %d, want 1", id)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("RowsAffected = %d, want 1", n)
	}
	if _, err := db.ExecContext(ctx, "insert into t values NULL"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "select * from t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int64
		var name sql.NullString
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%v:%s", id, name.Valid, name.String))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "1:true:alice 2:false:"; strings.Join(got, " ") != want {
		t.Errorf("rows = %q, want %q", strings.Join(got, " "), want)
	}
	_, err = db.ExecContext(ctx, "bogus statement")
	if sqlCode(err) != ERParse {
		t.Errorf("bogus statement: err = %v, want 1064", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func TestServerRefusesBadLogins(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	cases := []struct {
		dsn  string
		code uint16
	}{
		{"app:wrong@tcp(" + addr + ")/", ERAccessDenied},
		{"nobody:secret@tcp(" + addr + ")/", ERAccessDenied},
		{"app@tcp(" + addr + ")/", ERAccessDenied},
		{"app:secret@tcp(" + addr + ")/nosuchdb", ERBadDB},
	}
	for _, tc := range cases {
		err := openDB(t, tc.dsn).Ping()
		if sqlCode(err) != tc.code {
			t.Errorf("%s: err = %v, want code %d", tc.dsn, err, tc.code)
		}
	}
	if err := openDB(t, "empty@tcp("+addr+")/").Ping(); err != nil {
		t.Errorf("empty password login: %v", err)
	}
}

func TestServerPingRefusedWhenOffline(t *testing.T) {
	addr, _, h := startServer(t, nil)
	cc, err := Dial(context.Background(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := cc.Ping(); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.offline = true
	h.mu.Unlock()
	err = cc.Ping()
	var se *SQLError
	if !errors.As(err, &se) || se.Code != ERServerShutdown {
		t.Fatalf("offline ping: %v", err)
	}
	if cc.IsBroken() {
		t.Error("an ERR must not break the connection")
	}
}

func (h *memHandler) ComFieldList(c *Conn, table, wildcard string) error {
	if table != "t" {
		return NewSQLError(ERNoSuchTable, "Table 'test.%s' doesn't exist", table)
	}
	return c.WriteFieldList(memColumns)
}

func (h *memHandler) ComChangeUser(c *Conn, req *AuthRequest) error {
	c.SetInTransaction(false)
	c.SetSchema(req.Database)
	return nil
}

func (h *memHandler) ConnectionClosed(c *Conn) {
	h.mu.Lock()
	h.closed++
	h.mu.Unlock()
}
