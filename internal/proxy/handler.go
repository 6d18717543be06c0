package proxy

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/router"
)

// handler adapts the proxy to the MySQL server's Handler interface.
type handler struct {
	mysql.BaseHandler
	p *Proxy
}

var _ mysql.Handler = (*handler)(nil)

func sess(c *mysql.Conn) *session { return c.Data.(*session) }

// authenticate checks a login against server.xml's users and firewall.
func (p *Proxy) authenticate(c *mysql.Conn, req *mysql.AuthRequest) (*mycatconf.User, string, error) {
	cfg := p.topo.Load().cfg
	u := cfg.Users[req.User]
	denied := mysql.NewSQLError(mysql.ERAccessDenied, "Access denied for user '%s'@'%s' (using password: %s)",
		req.User, hostOf(req.RemoteAddr), yesNo(len(req.Response) > 0))
	if u == nil || !req.CheckPassword(u.Password) {
		return nil, "", denied
	}
	if !hostAllowed(&cfg.Firewall, u.Name, req.RemoteAddr) {
		return nil, "", mysql.NewSQLError(mysql.ERAccessDenied, "Access denied for user '%s' from host '%s' (firewall whitehost)", u.Name, hostOf(req.RemoteAddr))
	}
	schema := req.Database
	if schema != "" {
		if err := p.checkSchema(u, schema); err != nil {
			return nil, "", err
		}
		schema = canonicalSchema(cfg, schema)
	} else if u.DefaultSchema != "" {
		schema = u.DefaultSchema
	} else if len(u.Schemas) == 1 {
		schema = u.Schemas[0]
	}
	return u, schema, nil
}

func canonicalSchema(cfg *mycatconf.Config, name string) string {
	if _, ok := cfg.Schemas[name]; ok {
		return name
	}
	for n := range cfg.Schemas {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

func (p *Proxy) checkSchema(u *mycatconf.User, schema string) error {
	cfg := p.topo.Load().cfg
	name := canonicalSchema(cfg, schema)
	if _, ok := cfg.Schemas[name]; !ok {
		return mysql.NewSQLError(mysql.ERBadDB, "Unknown database '%s'", schema)
	}
	if !schemaAllowed(u, name) {
		return mysql.NewSQLError(mysql.ERDBAccessDenied, "Access denied for user '%s' to database '%s'", u.Name, schema)
	}
	return nil
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func (h *handler) Authenticate(c *mysql.Conn, req *mysql.AuthRequest) error {
	u, schema, err := h.p.authenticate(c, req)
	if err != nil {
		return err
	}
	h.p.mu.Lock()
	if u.Benchmark > 0 && h.p.perUser[u.Name] >= u.Benchmark {
		h.p.mu.Unlock()
		return mysql.NewSQLError(mysql.ERConCount, "Too many connections for user '%s' (benchmark %d)", u.Name, u.Benchmark)
	}
	h.p.perUser[u.Name]++
	h.p.mu.Unlock()
	s := h.p.newSession(c, u, schema)
	if id := c.Charset(); id != 0 && id != defaultCollationID {
		// The handshake's collation is the session's SET NAMES.
		if cs, coll, ok := h.p.collation(id); ok {
			s.vars.charset, s.vars.collation = cs, coll
		}
	}
	c.SetSchema(schema)
	s.syncStatus()
	return nil
}

func (h *handler) ConnectionClosed(c *mysql.Conn) {
	if s, ok := c.Data.(*session); ok {
		s.close()
	}
}

func (h *handler) ComQuery(c *mysql.Conn, query string) error {
	s := sess(c)
	stmts := splitStatements(query)
	if len(stmts) == 0 {
		if strings.TrimSpace(query) == "" {
			return mysql.NewSQLError(mysql.EREmptyQuery, "Query was empty")
		}
		// Only comments: MySQL answers OK.
		return s.ok(false, 0, 0)
	}
	if len(stmts) > 1 && !c.MultiStatements() {
		return mysql.NewSQLError(mysql.ERParse, "You have an error in your SQL syntax: multi-statements are not enabled for this connection")
	}
	for i, q := range stmts {
		more := i < len(stmts)-1
		ctx, cancel := s.statementContext()
		err := s.execute(ctx, q, more)
		cancel()
		if err != nil {
			// An error ends a multi-statement batch, as in MySQL.
			return s.fail(err)
		}
	}
	return nil
}

// statementContext bounds one statement: server.xml's sqlExecuteTimeout,
// and the client connection going away.
func (s *session) statementContext() (context.Context, context.CancelFunc) {
	ctx, cancelKill := context.WithCancelCause(s.conn.Context())
	var cancelTimeout context.CancelFunc = func() {}
	if d := s.topo().cfg.System.SQLExecuteTimeout; d > 0 {
		ctx, cancelTimeout = context.WithTimeoutCause(ctx, d, fmt.Errorf("statement exceeded sqlExecuteTimeout (%v)", d))
	}
	s.runMu.Lock()
	s.killRunning = cancelKill
	s.runMu.Unlock()
	return ctx, func() {
		s.runMu.Lock()
		s.killRunning = nil
		s.runMu.Unlock()
		cancelTimeout()
		cancelKill(nil)
	}
}

// killQuery interrupts the session's running statement (KILL QUERY).
func (s *session) killQuery() {
	s.runMu.Lock()
	if s.killRunning != nil {
		s.killRunning(errors.New("query killed (KILL QUERY)"))
	}
	s.runMu.Unlock()
}

// fail counts and returns an error for the client.
func (s *session) fail(err error) error {
	s.p.stats.errors.Add(1)
	if re, ok := err.(*router.Error); ok {
		return &mysql.SQLError{Code: re.Code, State: re.State, Message: re.Msg}
	}
	return err
}

func (h *handler) ComInitDB(c *mysql.Conn, schema string) error {
	s := sess(c)
	if err := h.p.checkSchema(s.user, schema); err != nil {
		return err
	}
	s.schema = canonicalSchema(s.topo().cfg, schema)
	c.SetSchema(s.schema)
	return nil
}

func (h *handler) ComPing(c *mysql.Conn) error {
	if h.p.offline.Load() {
		return mysql.NewSQLError(mysql.ERServerShutdown, "shardcat proxy is offline (manager command offline)")
	}
	return nil
}

func (h *handler) ComResetConnection(c *mysql.Conn) error {
	sess(c).resetState()
	return nil
}

func (h *handler) ComChangeUser(c *mysql.Conn, req *mysql.AuthRequest) error {
	s := sess(c)
	u, schema, err := h.p.authenticate(c, req)
	if err != nil {
		return err
	}
	s.resetState()
	h.p.mu.Lock()
	h.p.perUser[s.user.Name]--
	h.p.perUser[u.Name]++
	h.p.mu.Unlock()
	s.user, s.schema = u, schema
	c.SetSchema(schema)
	return nil
}

func (h *handler) ComSetOption(c *mysql.Conn, option uint16) error { return nil }

func (h *handler) ComFieldList(c *mysql.Conn, table, wildcard string) error {
	s := sess(c)
	plan, err := s.topo().router.Route(s.schema, "SELECT * FROM "+quoteIdent(table))
	if err != nil {
		return s.fail(err)
	}
	if len(plan.Routes) == 0 {
		return mysql.NewSQLError(mysql.ERNoSuchTable, "Table '%s' doesn't exist", table)
	}
	route := plan.Routes[0]
	bc, err := s.acquire(context.Background(), route.DataNode, false)
	if err != nil {
		return err
	}
	defer s.release(route.DataNode, bc)
	cols, err := bc.FieldList(table, wildcard)
	if err != nil {
		return err
	}
	return c.WriteFieldList(cols)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// Prepared statements are kept by the proxy: each execution substitutes the
// parameters as literals and is routed like a text query, so a statement on
// a sharded table reaches the right node every time.
func (h *handler) ComStmtPrepare(c *mysql.Conn, query string) (*mysql.Stmt, error) {
	s := sess(c)
	n, err := router.CountPlaceholders(query)
	if err != nil {
		return nil, s.fail(err)
	}
	cols, err := s.statementColumns(query, n)
	if err != nil {
		return nil, s.fail(err)
	}
	return &mysql.Stmt{ParamCount: n, Columns: cols}, nil
}

// statementColumns finds the result columns a prepared statement will have,
// which clients such as libmysqlclient rely on at prepare time: the
// statement is routed with probe values for its parameters and prepared
// (then closed) on one node that holds its tables.
func (s *session) statementColumns(query string, params int) ([]*mysql.ColumnDef, error) {
	if routineStatement.MatchString(query) {
		return nil, nil
	}
	var plan *router.Plan
	var firstErr error
	for _, probe := range []string{"NULL", "0", "'0'"} {
		args := make([]string, params)
		for i := range args {
			args[i] = probe
		}
		sql, err := router.Interpolate(query, args)
		if err != nil {
			return nil, err
		}
		p, err := s.topo().router.Route(s.schema, sql)
		if err != nil {
			if re, ok := err.(*router.Error); ok && re.Code == router.CodeParseError {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		plan = p
		break
	}
	if plan == nil {
		return nil, firstErr
	}
	if plan.Kind == router.KindExplain {
		return textColumns("DATA_NODE", "SQL"), nil
	}
	var route router.Route
	switch {
	case len(plan.Routes) > 0:
		route = plan.Routes[0]
	case plan.Kind == router.KindSelect || plan.Kind == router.KindOther:
		nodeName, err := s.defaultNode(query)
		if err != nil {
			return nil, err
		}
		route = router.Route{DataNode: nodeName, SQL: query}
	default:
		return nil, nil // SET, USE, BEGIN ... return no rows
	}
	bc, err := s.acquire(context.Background(), route.DataNode, false)
	if err != nil {
		return nil, err
	}
	defer s.release(route.DataNode, bc)
	st, err := bc.Prepare(route.SQL)
	if err != nil {
		return nil, err
	}
	if err := bc.StmtClose(st); err != nil {
		bc.Broken = true
	}
	return st.Columns, nil
}

// literal renders a parameter for interpolation. Under NO_BACKSLASH_ESCAPES
// a string holding a backslash is written as hex with the session's charset
// introducer (the same value and coercibility as a quoted literal), because
// the router's lexer reads backslashes as escapes.
func (s *session) literal(v any) ([]byte, error) {
	noBackslash := s.noBackslashEscapes()
	if noBackslash {
		var raw []byte
		switch x := v.(type) {
		case string:
			raw = []byte(x)
		case []byte:
			raw = x
		}
		if raw != nil && strings.IndexByte(string(raw), '\\') >= 0 {
			cs := s.vars.charset
			if cs == "" {
				cs = "utf8mb4"
			}
			out := []byte("_" + cs + " X'")
			out = hex.AppendEncode(out, raw)
			return append(out, '\''), nil
		}
	}
	return mysql.AppendLiteral(nil, v, noBackslash)
}

func (h *handler) ComStmtExecute(c *mysql.Conn, stmt *mysql.Stmt, req *mysql.ExecuteRequest) error {
	s := sess(c)
	args := make([]string, len(req.Params))
	for i, v := range req.Params {
		lit, err := s.literal(v)
		if err != nil {
			return mysql.NewSQLError(mysql.ERWrongArguments, "parameter %d: %v", i+1, err)
		}
		args[i] = string(lit)
	}
	query, err := router.Interpolate(stmt.Query, args)
	if err != nil {
		return s.fail(err)
	}
	s.binary = true
	defer func() { s.binary = false }()
	ctx, cancel := s.statementContext()
	defer cancel()
	if err := s.execute(ctx, query, false); err != nil {
		return s.fail(err)
	}
	return nil
}
