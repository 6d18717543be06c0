package proxy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
)

// session is one client connection's state.
type session struct {
	p      *Proxy
	conn   *mysql.Conn
	user   *mycatconf.User
	schema string
	vars   sessionVars
	// inTx is true between BEGIN and COMMIT/ROLLBACK, and while autocommit
	// is off; held keeps one backend connection per data node meanwhile.
	inTx      bool
	beginSQL  string
	held      map[string]*backend.Conn
	lastID    uint64
	binary    bool // answering COM_STMT_EXECUTE: rows go out in the binary protocol
	txNodeLog bool // a multi-node transaction was already logged (handleDistributedTransactions=2)
	// nextTx holds SET TRANSACTION statements for the next transaction only.
	nextTx []string
	// generatedID is the first global-sequence id of the running statement.
	generatedID uint64
	// xa is SET XA = ON; xaGtrid names the open distributed transaction.
	xa      bool
	xaGtrid string
	// killRunning interrupts the running statement (KILL QUERY from
	// another connection), nil between statements.
	runMu       sync.Mutex
	killRunning context.CancelCauseFunc
}

func (p *Proxy) newSession(c *mysql.Conn, u *mycatconf.User, schema string) *session {
	s := &session{p: p, conn: c, user: u, schema: schema, vars: newSessionVars(""), held: map[string]*backend.Conn{}}
	c.Data = s
	p.mu.Lock()
	p.sessions[c.ID()] = s
	p.mu.Unlock()
	return s
}

func (s *session) topo() *topology { return s.p.topo.Load() }

// acquire returns the backend connection for a data node, ready for the
// session: the right database selected and the session's variables applied.
// Inside a transaction the connection is held until COMMIT or ROLLBACK.
func (s *session) acquire(ctx context.Context, nodeName string, write bool) (*backend.Conn, error) {
	if c, ok := s.held[nodeName]; ok {
		return c, nil
	}
	n := s.topo().nodes[nodeName]
	if n == nil {
		return nil, mysql.NewSQLError(mysql.ERUnknownError, "unknown data node %s", nodeName)
	}
	if s.inTx {
		write = true // a transaction reads its own writes: always the write host
	}
	c, err := n.host.Acquire(ctx, write)
	if err != nil {
		return nil, mysql.NewSQLError(mysql.ERUnknownError, "data node %s is unavailable: %v", nodeName, err)
	}
	if err := s.prepareConn(c, n.database); err != nil {
		c.Broken = true
		n.host.Release(c)
		return nil, err
	}
	if s.inTx {
		if s.xa {
			if err := s.xaStart(c, nodeName); err != nil {
				n.host.Release(c)
				return nil, err
			}
		} else if s.beginSQL != "" {
			if _, err := c.ExecuteMulti(s.beginSQL); err != nil {
				n.host.Release(c)
				return nil, err
			}
		}
		if len(s.held) == 1 {
			if err := s.checkDistributed(); err != nil {
				n.host.Release(c)
				return nil, err
			}
		}
		s.held[nodeName] = c
	}
	return c, nil
}

// checkDistributed applies handleDistributedTransactions when a
// transaction reaches a second data node.
func (s *session) checkDistributed() error {
	switch s.topo().cfg.System.HandleDistributedTransactions {
	case 1:
		return mysql.NewSQLError(mysql.ERUnknownError, "Distributed transaction is disabled! (handleDistributedTransactions=1)")
	case 2:
		if !s.txNodeLog {
			s.txNodeLog = true
			s.p.log.Warn("distributed transaction", "conn", s.conn.ID(), "user", s.user.Name)
		}
	}
	return nil
}

// release gives back a connection not held by a transaction.
func (s *session) release(nodeName string, c *backend.Conn) {
	if held, ok := s.held[nodeName]; ok && held == c {
		return
	}
	c.Host.DataHost.Release(c)
}

// prepareConn selects the database and applies session variables.
func (s *session) prepareConn(c *backend.Conn, database string) error {
	applied, _ := c.State.(sessionVars)
	if c.State == nil {
		applied = newSessionVars("")
	} else if s.vars.equal(applied) {
		return s.selectDB(c, database) // the common case: nothing to apply
	}
	if !s.vars.covers(applied) {
		if err := c.ResetConnection(); err != nil {
			return err
		}
		c.DB = ""
		applied = newSessionVars("")
	}
	if stmt := s.vars.setStatement(applied); stmt != "" {
		if _, err := c.ExecuteMulti(stmt); err != nil {
			return err
		}
		c.State = s.vars.clone()
	} else if c.State == nil {
		c.State = applied
	}
	return s.selectDB(c, database)
}

func (s *session) selectDB(c *backend.Conn, database string) error {
	if c.DB != database {
		if err := c.InitDB(database); err != nil {
			return err
		}
		c.DB = database
	}
	return nil
}

// endTransaction commits or rolls back every held connection and releases
// them. The first error is returned; every node is still finished.
func (s *session) endTransaction(commit bool) error {
	stmt := "ROLLBACK"
	if commit {
		stmt = "COMMIT"
	}
	var first error
	if s.xa && len(s.held) > 0 {
		if commit {
			first = s.xaCommit(context.Background())
		} else {
			nodes := make([]string, 0, len(s.held))
			for name := range s.held {
				nodes = append(nodes, name)
			}
			s.xaRollbackAll(nodes)
		}
		for name, c := range s.held {
			if first != nil {
				// A branch may be left prepared: closing the connection
				// detaches it for recovery instead of pooling it.
				c.Broken = true
			}
			delete(s.held, name)
			c.Host.DataHost.Release(c)
		}
		s.xaGtrid = ""
		s.inTx = !s.vars.autocommit()
		s.beginSQL, s.nextTx, s.txNodeLog = "", nil, false
		s.syncStatus()
		if first != nil {
			return mysql.NewSQLError(mysql.ERUnknownError, "%v", first)
		}
		return nil
	}
	for name, c := range s.held {
		if _, err := c.Execute(stmt); err != nil {
			if first == nil {
				first = fmt.Errorf("%s on data node %s: %w", stmt, name, err)
			}
			if c.IsBroken() {
				c.Broken = true
			}
		}
		delete(s.held, name)
		c.Host.DataHost.Release(c)
	}
	s.inTx = !s.vars.autocommit()
	s.beginSQL = ""
	s.nextTx = nil
	s.txNodeLog = false
	s.syncStatus()
	if first != nil {
		if se, ok := asSQLError(first); ok {
			return mysql.NewSQLError(se.Code, "%s", first.Error())
		}
	}
	return first
}

func asSQLError(err error) (*mysql.SQLError, bool) {
	for e := err; e != nil; {
		if se, ok := e.(*mysql.SQLError); ok {
			return se, true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
	return nil, false
}

// syncStatus mirrors the transaction state into the client's status flags.
func (s *session) syncStatus() {
	s.conn.SetAutocommit(s.vars.autocommit())
	s.conn.SetInTransaction(s.inTx && (s.beginSQL != "" || len(s.held) > 0))
}

// close ends the session: open transactions roll back.
func (s *session) close() {
	if len(s.held) > 0 {
		s.endTransaction(false)
	}
	s.p.mu.Lock()
	delete(s.p.sessions, s.conn.ID())
	s.p.perUser[s.user.Name]--
	s.p.mu.Unlock()
}

// resetState is COM_RESET_CONNECTION: roll back, forget variables.
func (s *session) resetState() {
	if len(s.held) > 0 {
		s.endTransaction(false)
	}
	s.vars = newSessionVars("")
	s.inTx = false
	s.lastID = 0
	s.syncStatus()
}

// splitStatements splits a multi-statement query on semicolons outside
// strings, quoted identifiers, comments and stored-routine bodies (CREATE
// PROCEDURE ... BEGIN ...; ...; END). Pieces holding only comments are dropped.
func splitStatements(q string) []string {
	var out []string
	start := 0
	hasCode := false
	depth := 0       // BEGIN/CASE nesting inside a routine body
	routine := false // the current statement creates a stored routine
	lastWord := ""   // previous keyword, to tell END IF from END
	flush := func(end int) {
		if hasCode {
			out = append(out, strings.TrimSpace(q[start:end]))
		}
		start, hasCode, depth, routine, lastWord = end+1, false, 0, false, ""
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			hasCode = true
			for i++; i < len(q) && q[i] != c; i++ {
				if q[i] == '\\' && c != '`' {
					i++
				}
			}
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '-' && i+1 < len(q) && q[i+1] == '-' && (i+2 == len(q) || q[i+2] == ' ' || q[i+2] == '\t' || q[i+2] == '\n' || q[i+2] == '\r'):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			if i+2 < len(q) && q[i+2] == '!' {
				hasCode = true // /*! ... */ is executable for MySQL
			}
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				i = len(q)
			} else {
				i += end + 3
			}
		case c == ';':
			if depth == 0 {
				flush(i)
			}
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := strings.ToUpper(q[i:j])
			if !hasCode {
				hasCode = true
			}
			switch word {
			case "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT":
				if routineStart.MatchString(q[start:i]) {
					routine = true
				}
			case "BEGIN":
				if routine {
					depth++
				}
			case "CASE":
				if routine && lastWord != "END" { // END CASE closes, CASE opens
					depth++
				}
			case "IF", "LOOP", "WHILE", "REPEAT":
				// END IF / END LOOP ... close blocks that BEGIN did not open.
				if lastWord == "END" && routine {
					depth++
				}
			case "END":
				if routine && depth > 0 {
					depth--
				}
			}
			lastWord = word
			i = j - 1
		default:
			if c > ' ' {
				hasCode = true
			}
		}
	}
	if start < len(q) {
		flush(len(q))
	}
	return out
}

// routineStart is the text before PROCEDURE/FUNCTION/TRIGGER/EVENT in a
// statement that creates one.
var routineStart = regexp.MustCompile(`(?is)^\s*create\s+(or\s+replace\s+)?(definer\s*=\s*\S+\s+)?(aggregate\s+)?$`)

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '$'
}
