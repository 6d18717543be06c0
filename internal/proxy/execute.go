package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/merge"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/router"
)

// localSelect matches the table-less SELECTs whose answer is session state
// the proxy owns (a backend would answer with its own).
var localSelect = regexp.MustCompile(`(?is)^\s*select\s+(database\(\)|schema\(\)|last_insert_id\(\)|@@identity|@@last_insert_id|connection_id\(\)|user\(\)|current_user\(\)|current_user|session_user\(\)|system_user\(\))(\s+as\s+(` + "`[^`]+`" + `|\w+)|\s+(` + "`[^`]+`" + `|\w+))?\s*$`)

// executeUnrouted handles statements the router gave no data node: those
// that name no table run on the schema's default node, as Mycat sends them;
// anything that could touch a sharded table there is refused rather than
// run on one node only.
func (s *session) executeUnrouted(ctx context.Context, plan *router.Plan, first, sql string, more bool) error {
	switch first {
	case "SELECT", "DO", "SHOW", "HELP", "WITH", "VALUES", "TABLE":
		if len(plan.Tables) > 0 && first != "SELECT" {
			break
		}
		nodeName, err := s.defaultNode(sql)
		if err != nil {
			return err
		}
		return s.forwardOne(ctx, router.Route{DataNode: nodeName, SQL: sql}, plan.Writes, more)
	case "LOAD":
		return s.loadData(ctx, sql, more)
	case "KILL":
		return s.kill(sql, more)
	}
	return mysql.NewSQLError(mysql.ERNotSupportedYet, "%s is not supported through the proxy (it could reach only one of the data nodes)", abbreviate(sql))
}

var loadDataTable = regexp.MustCompile("(?is)\\binto\\s+table\\s+((?:`[^`]+`|\\w+)(?:\\.(?:`[^`]+`|\\w+))?)")

// loadData runs LOAD DATA [LOCAL] INFILE for a table that lives on one data
// node (unlisted or single-node tables); the file of a LOCAL load is relayed
// from the client. A table spread over several nodes is refused: its rows
// would have to be split by the shard rule.
func (s *session) loadData(ctx context.Context, sql string, more bool) error {
	m := loadDataTable.FindStringSubmatch(sql)
	if m == nil {
		return mysql.NewSQLError(mysql.ERParse, "LOAD DATA without INTO TABLE")
	}
	name := strings.ReplaceAll(m[1], "`", "")
	schema := s.schema
	if i := strings.IndexByte(name, '.'); i >= 0 {
		schema, name = canonicalSchema(s.topo().cfg, name[:i]), name[i+1:]
	}
	sc := s.topo().cfg.Schemas[schema]
	if sc == nil {
		return mysql.NewSQLError(mysql.ERNoDB, "No database selected")
	}
	nodeName := sc.DataNode
	if t := sc.Tables[strings.ToUpper(name)]; t != nil {
		if len(t.DataNodes) != 1 {
			return mysql.NewSQLError(mysql.ERNotSupportedYet, "LOAD DATA into %s, which spans %d data nodes, is not supported yet", name, len(t.DataNodes))
		}
		nodeName = t.DataNodes[0]
	}
	if nodeName == "" {
		return mysql.NewSQLError(mysql.ERNoSuchTable, "Table '%s' doesn't exist in schema %s", name, schema)
	}
	if err := s.checkAccess(&router.Plan{Kind: router.KindInsert, Writes: true, Schema: schema, Tables: []string{strings.ToUpper(name)}}); err != nil {
		return err
	}
	bc, err := s.acquire(ctx, nodeName, true)
	if err != nil {
		return err
	}
	defer s.release(nodeName, bc)
	bc.Host.CountExecute()
	if err := bc.WriteCommand(mysql.ComQuery, []byte(sql)); err != nil {
		bc.Broken = true
		return mysql.NewSQLError(mysql.ERUnknownError, "data node %s: %v", nodeName, err)
	}
	_, err = s.conn.ForwardResult(bc.ClientConn, func(st uint16) uint16 {
		return st&backendStatusMask | moreFlag(more)
	})
	if err != nil {
		if _, isSQL := err.(*mysql.SQLError); isSQL {
			return errAlreadySent
		}
		bc.Broken = true
		return err
	}
	s.syncStatus()
	return nil
}

var killStatement = regexp.MustCompile(`(?i)^\s*kill\s+(connection\s+|query\s+)?(\d+)\s*$`)

// kill handles KILL [CONNECTION | QUERY] id for the proxy's own connection ids.
func (s *session) kill(sql string, more bool) error {
	m := killStatement.FindStringSubmatch(sql)
	if m == nil {
		return mysql.NewSQLError(mysql.ERParse, "KILL [CONNECTION] <id> expected")
	}
	query := strings.EqualFold(strings.TrimSpace(m[1]), "query")
	id, _ := strconv.ParseUint(m[2], 10, 32)
	s.p.mu.Lock()
	target := s.p.sessions[uint32(id)]
	s.p.mu.Unlock()
	if target == nil {
		return mysql.NewSQLError(1094, "Unknown thread id: %d", id)
	}
	if target.user.Name != s.user.Name {
		return mysql.NewSQLError(1095, "You are not owner of thread %d", id)
	}
	switch {
	case query:
		target.killQuery() // its backend statement is aborted; the client gets 1317
	case target != s:
		target.conn.Close()
	}
	return s.ok(more, 0, 0)
}

// firstWord is the statement's first keyword, upper-cased (cheap: it lets
// the common statements skip the regular expressions below).
func firstWord(sql string) string {
	i := 0
	for i < len(sql) && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '(') {
		i++
	}
	j := i
	for j < len(sql) && isWordByte(sql[j]) {
		j++
	}
	if j-i > 10 {
		return ""
	}
	var buf [10]byte
	w := buf[:0]
	for _, c := range []byte(sql[i:j]) {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		w = append(w, c)
	}
	return string(w)
}

// containsFold reports whether s contains the lower-case ASCII word w in any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for j < len(w) && (s[i+j]|0x20) == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

func isRoutineWord(w string) bool {
	return w == "CREATE" || w == "DROP" || w == "ALTER" || w == "CALL" || w == ""
}

// routineStatement matches statements about stored routines.
var routineStatement = regexp.MustCompile(`(?is)^\s*((create\s+(or\s+replace\s+)?(definer\s*=\s*\S+\s+)?(aggregate\s+)?|drop\s+|alter\s+)(procedure|function|trigger|event)\b|call\b)`)

// execute runs one statement; more is true when another statement of the
// same COM_QUERY follows (the result then carries MORE_RESULTS_EXISTS).
func (s *session) execute(ctx context.Context, sql string, more bool) error {
	s.p.stats.queries.Add(1)
	first := firstWord(sql)
	if first == "SELECT" && len(sql) < 80 && !containsFold(sql, "from") {
		if m := localSelect.FindStringSubmatch(sql); m != nil {
			return s.answerLocal(m, more)
		}
	}
	if isRoutineWord(first) && routineStatement.MatchString(sql) {
		// Stored routines are not sharded: they live on the default node,
		// where Mycat also sends them (the SQL parser does not read them).
		nodeName, err := s.defaultNode(sql)
		if err != nil {
			return err
		}
		return s.forwardOne(ctx, router.Route{DataNode: nodeName, SQL: sql}, true, more)
	}
	t := s.topo()
	plan, err := t.route(s.schema, sql)
	if err != nil {
		return err
	}
	switch plan.Kind {
	case router.KindSet:
		return s.doSet(sql, more)
	case router.KindUse:
		return s.doUse(plan, sql, more)
	case router.KindBegin:
		if len(s.held) > 0 {
			if err := s.endTransaction(true); err != nil { // BEGIN commits an open transaction
				return err
			}
		}
		s.inTx, s.beginSQL = true, sql
		if len(s.nextTx) > 0 {
			s.beginSQL = strings.Join(s.nextTx, "; ") + "; " + sql
			s.nextTx = nil
		}
		s.syncStatus()
		return s.ok(more, 0, 0)
	case router.KindCommit, router.KindRollback:
		err := s.endTransaction(plan.Kind == router.KindCommit)
		if err != nil {
			return err
		}
		return s.ok(more, 0, 0)
	case router.KindExplain:
		return s.explain(plan, more)
	case router.KindShow:
		if len(plan.Routes) == 0 {
			return s.showLocal(sql, more)
		}
	}
	if err := s.checkAccess(plan); err != nil {
		return err
	}
	if len(plan.SessionFuncs) > 0 {
		// A backend would answer with its own session (physical database,
		// its own insert id): only the simple forms above are answered.
		return mysql.NewSQLError(mysql.ERNotSupportedYet, "%s in this form is not supported through the proxy; select it alone (SELECT %s())", strings.Join(plan.SessionFuncs, ", "), strings.ToUpper(strings.Trim(plan.SessionFuncs[0], "@()")))
	}
	if len(plan.Sequences) > 0 || plan.AutoIncrement != nil {
		var id uint64
		if plan, sql, id, err = s.fillValues(ctx, plan, sql); err != nil {
			return err
		}
		s.generatedID = id
		defer func() { s.generatedID = 0 }()
		if err := s.checkAccess(plan); err != nil {
			return err
		}
	}
	if plan.Lookup != nil {
		return s.executeLookup(ctx, plan, more)
	}
	if len(plan.Routes) == 0 {
		return s.executeUnrouted(ctx, plan, first, sql, more)
	}
	if plan.Kind == router.KindDDL || plan.Kind == router.KindTruncate {
		// DDL commits implicitly on MySQL: do the same for held connections.
		if len(s.held) > 0 {
			if err := s.endTransaction(true); err != nil {
				return err
			}
		}
	}
	write := plan.Writes || plan.ForceMaster
	if len(plan.Routes) == 1 || plan.AnyNode {
		route := plan.Routes[0]
		if plan.AnyNode && !write {
			route = s.pickAnyRoute(plan.Routes)
		}
		return s.forwardOne(ctx, route, write, more)
	}
	if plan.Writes || plan.Merge == nil {
		return s.executeEverywhere(ctx, plan, more)
	}
	return s.mergeSelect(ctx, plan, more)
}

func abbreviate(sql string) string {
	if len(sql) > 120 {
		return sql[:117] + "..."
	}
	return sql
}

// pickAnyRoute prefers a node already held by the transaction, then the
// first node whose data host is up.
func (s *session) pickAnyRoute(routes []router.Route) router.Route {
	for _, r := range routes {
		if _, ok := s.held[r.DataNode]; ok {
			return r
		}
	}
	t := s.topo()
	for _, r := range routes {
		if n := t.nodes[r.DataNode]; n != nil && n.host.ActiveWrite().Up() {
			return r
		}
	}
	return routes[0]
}

func (s *session) checkAccess(plan *router.Plan) error {
	if plan.Writes && s.user.ReadOnly {
		return mysql.NewSQLError(mysql.EROptionPreventsStatement, "User '%s' is read only", s.user.Name)
	}
	op := -1
	switch plan.Kind {
	case router.KindSelect:
		op = mycatconf.DMLSelect
	case router.KindInsert, router.KindReplace:
		op = mycatconf.DMLInsert
	case router.KindUpdate:
		op = mycatconf.DMLUpdate
	case router.KindDelete:
		op = mycatconf.DMLDelete
	}
	if op < 0 {
		return nil
	}
	schema := plan.Schema
	if schema == "" {
		schema = s.schema
	}
	for _, t := range plan.Tables {
		if !dmlAllowed(s.user, schema, t, op) {
			return mysql.NewSQLError(mysql.ERSpecifiedAccessDenied, "The statement DML privilege check is not passed, user '%s' table %s.%s", s.user.Name, schema, t)
		}
	}
	return nil
}

// status flags a forwarded result keeps from its backend.
const backendStatusMask = ^(mysql.ServerStatusInTrans | mysql.ServerStatusAutocommit | mysql.ServerMoreResultsExists)

func moreFlag(more bool) uint16 {
	if more {
		return mysql.ServerMoreResultsExists
	}
	return 0
}

func (s *session) ok(more bool, affected, lastID uint64) error {
	return s.conn.WriteOK(&mysql.OKPacket{AffectedRows: affected, LastInsertID: lastID, Status: moreFlag(more) | s.statusFlags()})
}

// statusFlags are the session's own status bits beyond IN_TRANS/AUTOCOMMIT.
func (s *session) statusFlags() uint16 {
	if s.noBackslashEscapes() {
		return mysql.ServerStatusNoBackslashEscapes
	}
	return 0
}

func (s *session) noBackslashEscapes() bool {
	return strings.Contains(strings.ToUpper(s.vars.vars["sql_mode"]), "NO_BACKSLASH_ESCAPES")
}

// rowsMatched reads "Rows matched: N" from an UPDATE's OK info, which is what
// a client that asked for CLIENT_FOUND_ROWS expects as the affected count.
var rowsMatched = regexp.MustCompile(`Rows matched: (\d+)`)

func (s *session) affectedRows(ok *mysql.OKPacket) uint64 {
	if s.conn.Capabilities()&mysql.ClientFoundRows != 0 {
		if m := rowsMatched.FindStringSubmatch(ok.Info); m != nil {
			if n, err := strconv.ParseUint(m[1], 10, 64); err == nil {
				return n
			}
		}
	}
	return ok.AffectedRows
}

// forwardOne runs a statement on one node and streams the result to the
// client without decoding rows (except to re-encode them for the binary
// protocol of a prepared statement).
func (s *session) forwardOne(ctx context.Context, route router.Route, write, more bool) error {
	bc, err := s.acquire(ctx, route.DataNode, write)
	if err != nil {
		return err
	}
	defer func() { s.release(route.DataNode, bc) }()
	stop := bc.AbortOnCancel(ctx)
	defer stop()
	bc.Host.CountExecute()
	if err := bc.WriteCommand(mysql.ComQuery, []byte(route.SQL)); err != nil {
		bc.Broken = true
		return backendError(ctx, route.DataNode, err)
	}
	for {
		backendMore, err := s.forwardResult(bc, more)
		if err != nil {
			if _, isSQL := err.(*mysql.SQLError); !isSQL {
				bc.Broken = true
				return backendError(ctx, route.DataNode, err)
			}
			// The backend's ERR was already sent: drain nothing more, done.
			return errAlreadySent
		}
		if !backendMore {
			break
		}
	}
	s.syncStatus()
	return nil
}

// backendError reports a failed backend exchange, naming the data node and,
// when the statement's context ended it, why.
func backendError(ctx context.Context, dataNode string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		if cause == context.Canceled {
			cause = errors.New("the client went away")
		}
		return mysql.NewSQLError(mysql.ERQueryInterrupted, "data node %s: %v", dataNode, cause)
	}
	return mysql.NewSQLError(mysql.ERUnknownError, "data node %s: %v", dataNode, err)
}

// errAlreadySent tells the command loop that the response is complete.
var errAlreadySent = &alreadySent{}

type alreadySent struct{}

func (*alreadySent) Error() string { return "error already sent to the client" }

// forwardResult copies one result from bc; it reports whether the backend
// has more results for the same statement (stored procedures).
func (s *session) forwardResult(bc *backend.Conn, more bool) (backendMore bool, err error) {
	h, err := bc.ReadResultHeader()
	if err != nil {
		if se, ok := err.(*mysql.SQLError); ok {
			s.conn.WriteError(se)
			return false, se
		}
		return false, err
	}
	if h.OK != nil {
		backendMore = h.OK.Status&mysql.ServerMoreResultsExists != 0
		if h.OK.LastInsertID != 0 {
			s.lastID = h.OK.LastInsertID
		}
		ok := *h.OK
		if ok.LastInsertID == 0 && s.generatedID != 0 {
			ok.LastInsertID = s.generatedID // the id came from a global sequence
			s.lastID = s.generatedID
		}
		ok.AffectedRows = s.affectedRows(h.OK)
		ok.Status = ok.Status&backendStatusMask | moreFlag(more || backendMore)
		return backendMore, s.conn.WriteOK(&ok)
	}
	if err := s.conn.WriteColumns(h.Columns); err != nil {
		return false, err
	}
	for {
		p, end, err := bc.ReadRow()
		if err != nil {
			if se, ok := err.(*mysql.SQLError); ok {
				s.conn.WriteError(se)
				return false, se
			}
			return false, err
		}
		if end {
			break
		}
		if s.binary {
			row, err := mysql.DecodeTextRow(p, len(h.Columns))
			if err != nil {
				return false, err
			}
			if err := s.conn.WriteRow(row); err != nil {
				return false, err
			}
		} else if err := s.conn.WriteRawPacket(p); err != nil {
			return false, err
		}
	}
	st := bc.Status()
	backendMore = st&mysql.ServerMoreResultsExists != 0
	return backendMore, s.conn.WriteResultSetEnd(st&backendStatusMask|moreFlag(more || backendMore), bc.Warnings())
}

// nodeResult is one node's answer in a multi-node statement.
type nodeResult struct {
	route  router.Route
	conn   *backend.Conn
	header *mysql.ResultHeader
	err    error
	stop   func() bool // ends the statement context's watch on conn
}

// sendAll acquires a connection per route and sends each its statement;
// the nodes work in parallel while results are read.
func (s *session) sendAll(ctx context.Context, routes []router.Route, write bool) ([]*nodeResult, error) {
	res := make([]*nodeResult, len(routes))
	for i, r := range routes {
		nr := &nodeResult{route: r}
		res[i] = nr
		bc, err := s.acquire(ctx, r.DataNode, write)
		if err != nil {
			s.abandon(res[:i])
			return nil, err
		}
		nr.conn = bc
		nr.stop = bc.AbortOnCancel(ctx)
		bc.Host.CountExecute()
		if err := bc.WriteCommand(mysql.ComQuery, []byte(r.SQL)); err != nil {
			bc.Broken = true
			s.abandon(res[:i+1])
			return nil, backendError(ctx, r.DataNode, err)
		}
	}
	var wg sync.WaitGroup
	for _, nr := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nr.header, nr.err = nr.conn.ReadResultHeader()
		}()
	}
	wg.Wait()
	return res, nil
}

// abandon releases connections whose results were not fully read: they
// are drained when possible, otherwise closed.
func (s *session) abandon(res []*nodeResult) {
	for _, nr := range res {
		if nr == nil || nr.conn == nil {
			continue
		}
		if !nr.conn.Broken && !nr.conn.IsBroken() {
			drain(nr)
		}
		if nr.stop != nil {
			nr.stop()
		}
		s.release(nr.route.DataNode, nr.conn)
		nr.conn = nil
	}
}

// drain reads the rest of a node's response so its connection can be reused.
func drain(nr *nodeResult) {
	bc := nr.conn
	for {
		if nr.header != nil && nr.header.Columns != nil {
			for {
				_, end, err := bc.ReadRow()
				if err != nil {
					if _, ok := err.(*mysql.SQLError); !ok {
						bc.Broken = true
					}
					return
				}
				if end {
					break
				}
			}
		}
		if nr.header == nil && nr.err == nil {
			// Header never read (the send failed for a later node).
			nr.header, nr.err = bc.ReadResultHeader()
			continue
		}
		if bc.Status()&mysql.ServerMoreResultsExists == 0 {
			return
		}
		nr.header, nr.err = bc.ReadResultHeader()
		if nr.err != nil {
			if _, ok := nr.err.(*mysql.SQLError); !ok {
				bc.Broken = true
			}
			return
		}
	}
}

func firstError(res []*nodeResult) error {
	for _, nr := range res {
		if nr.err != nil {
			if se, ok := nr.err.(*mysql.SQLError); ok {
				return &mysql.SQLError{Code: se.Code, State: se.State, Message: fmt.Sprintf("data node %s: %s", nr.route.DataNode, se.Message)}
			}
			nr.conn.Broken = true
			return mysql.NewSQLError(mysql.ERUnknownError, "data node %s: %v", nr.route.DataNode, nr.err)
		}
	}
	return nil
}

// executeEverywhere runs a write (or a plain multi-node read) on every
// route. Outside a transaction, a multi-node write runs in a transaction per
// node that commits only when every node succeeded.
func (s *session) executeEverywhere(ctx context.Context, plan *router.Plan, more bool) error {
	if !plan.Writes {
		return s.mergeSelect(ctx, plan, more)
	}
	implicit := !s.inTx && plan.Kind != router.KindDDL && plan.Kind != router.KindTruncate
	if implicit {
		s.inTx, s.beginSQL = true, "BEGIN"
		defer func() {
			if s.inTx && s.beginSQL == "BEGIN" && len(s.held) > 0 {
				s.endTransaction(false)
			}
			s.inTx, s.beginSQL = !s.vars.autocommit(), ""
			s.syncStatus()
		}()
	}
	res, err := s.sendAll(ctx, plan.Routes, true)
	if err != nil {
		return err
	}
	defer s.abandon(res)
	if err := firstError(res); err != nil {
		return err
	}
	var affected, lastID uint64
	for _, nr := range res {
		if nr.header.OK == nil {
			return mysql.NewSQLError(mysql.ERNotSupportedYet, "statement returned rows on data node %s where none were expected", nr.route.DataNode)
		}
		affected += s.affectedRows(nr.header.OK)
		if nr.header.OK.LastInsertID != 0 && lastID == 0 {
			lastID = nr.header.OK.LastInsertID
		}
	}
	if implicit {
		s.abandon(res)
		if err := s.endTransaction(true); err != nil {
			return err
		}
	}
	if lastID == 0 {
		lastID = s.generatedID
	}
	if lastID != 0 {
		s.lastID = lastID
	}
	s.syncStatus()
	return s.ok(more, affected, lastID)
}

// mergeSelect reads a SELECT from several nodes and merges the rows.
func (s *session) mergeSelect(ctx context.Context, plan *router.Plan, more bool) error {
	m := plan.Merge
	if m == nil {
		m = &router.Merge{Limit: -1}
	}
	if err := checkMergeable(m); err != nil {
		return err
	}
	res, err := s.sendAll(ctx, plan.Routes, plan.ForceMaster)
	if err != nil {
		return err
	}
	defer s.abandon(res)
	if err := firstError(res); err != nil {
		return err
	}
	cols := res[0].header.Columns
	for _, nr := range res {
		if nr.header.OK != nil || len(nr.header.Columns) != len(cols) {
			return mysql.NewSQLError(mysql.ERUnknownError, "data nodes returned different result shapes")
		}
	}
	keys := make([]merge.Key, 0, len(m.OrderBy))
	for _, k := range m.OrderBy {
		pos := k.Position
		if pos < 0 {
			pos = columnByName(cols, k.Expr)
			if pos < 0 {
				return mysql.NewSQLError(mysql.ERNotSupportedYet, "ORDER BY %s across several data nodes needs the column in the select list", k.Expr)
			}
		}
		if pos >= len(cols) {
			return mysql.NewSQLError(mysql.ERUnknownError, "ORDER BY position %d outside the %d result columns", pos+1, len(cols))
		}
		keys = append(keys, merge.Key{Pos: pos, Desc: k.Desc, Kind: merge.KindOf(cols[pos].Type, cols[pos].Charset, cols[pos].Flags)})
	}
	streams := make([]merge.Stream, len(res))
	for i, nr := range res {
		streams[i] = &nodeStream{nr: nr, cols: len(cols)}
	}
	var having *havingFilter
	if m.Having != "" {
		if having, err = compileHaving(plan.Routes[0].SQL, m.Having, cols); err != nil {
			return mysql.NewSQLError(mysql.ERNotSupportedYet, "%v", err)
		}
	}
	src, err := s.p.mergePipeline(m, cols, keys, streams, having)
	if err != nil {
		return err
	}
	s.p.stats.merged.Add(1)
	// Rows are checked before the header goes out, so a node's error in the
	// middle of its rows never reaches the client as a partial result.
	var rows []merge.Row
	var held int64
	for {
		r, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rows = append(rows, r)
		for _, v := range r {
			held += int64(len(v)) + 8
		}
		if len(rows) > s.p.opt.MaxResultRows || held > s.p.opt.MaxResultBytes {
			return mysql.NewSQLError(mysql.ERUnknownError, "merged result exceeds the proxy's budget (mergeMaxRows %d, mergeMaxBytes %d); add a LIMIT or a shard-column condition", s.p.opt.MaxResultRows, s.p.opt.MaxResultBytes)
		}
	}
	visible := len(cols) - m.HiddenColumns
	if visible <= 0 {
		return mysql.NewSQLError(mysql.ERUnknownError, "merge hides every column")
	}
	out := avgColumns(cols[:visible], m)
	if err := s.conn.WriteColumns(out); err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.conn.WriteRow(mysql.Row(r[:visible])); err != nil {
			return err
		}
	}
	s.syncStatus()
	return s.conn.WriteResultSetEnd(moreFlag(more)|s.statusFlags(), 0)
}

// avgColumns gives AVG columns the metadata MySQL gives AVG (the nodes
// returned SUM): DECIMAL with four more decimals for exact inputs.
func avgColumns(cols []*mysql.ColumnDef, m *router.Merge) []*mysql.ColumnDef {
	out := cols
	for _, a := range m.Aggregates {
		if a.Func == "COUNT_DISTINCT" && a.Position < len(cols) {
			// The nodes returned the values; the client gets a count.
			if &out[0] == &cols[0] {
				out = append([]*mysql.ColumnDef{}, cols...)
			}
			c := *out[a.Position]
			c.Type, c.Charset, c.Length, c.Decimals = mysql.TypeLongLong, 63, 21, 0
			c.Flags = mysql.FlagNotNull | mysql.FlagBinary | mysql.FlagNum
			c.Table, c.OrgTable, c.OrgName = "", "", ""
			out[a.Position] = &c
			continue
		}
		if a.Func != "AVG" || a.Position >= len(cols) {
			continue
		}
		if &out[0] == &cols[0] {
			out = append([]*mysql.ColumnDef{}, cols...)
		}
		c := *out[a.Position]
		if merge.KindOf(c.Type, c.Charset, c.Flags) == merge.KindExact {
			c.Type = mysql.TypeNewDecimal
			c.Decimals = min(c.Decimals+merge.AvgScaleIncrement, 30)
			c.Length += merge.AvgScaleIncrement
			c.Flags &^= mysql.FlagUnsigned
		}
		out[a.Position] = &c
	}
	return out
}

// checkMergeable refuses, before anything runs, the multi-node SELECTs whose
// merge the proxy cannot do exactly.
func checkMergeable(m *router.Merge) error {
	unsupported := func(format string, args ...any) error {
		return mysql.NewSQLError(mysql.ERNotSupportedYet, format, args...)
	}
	if m.Having != "" && len(m.Aggregates) == 0 && len(m.GroupBy) == 0 {
		return unsupported("HAVING without GROUP BY or aggregates across several data nodes is not supported yet")
	}
	for _, a := range m.Aggregates {
		switch {
		case a.Position < 0:
			return unsupported("aggregate after * across several data nodes is not supported yet")
		case a.Distinct && a.Func != "MIN" && a.Func != "MAX" && a.Func != "COUNT_DISTINCT":
			return unsupported("%s(DISTINCT ...) across several data nodes is not supported yet", a.Func)
		case a.Func == "AVG" && a.CountPosition <= 0:
			return unsupported("AVG across several data nodes needs its hidden COUNT column")
		case a.Func != "COUNT" && a.Func != "SUM" && a.Func != "MIN" && a.Func != "MAX" && a.Func != "AVG" && a.Func != "COUNT_DISTINCT":
			return unsupported("%s across several data nodes is not supported yet (COUNT, SUM, MIN, MAX and AVG are)", strings.ToLower(a.Func))
		}
	}
	for _, g := range m.GroupBy {
		if g.Position < 0 {
			return unsupported("GROUP BY %s across several data nodes needs the expression in the select list", g.Expr)
		}
	}
	if len(m.GroupBy) > 0 && len(m.Aggregates) == 0 {
		return unsupported("GROUP BY without aggregates across several data nodes is not supported yet; use DISTINCT")
	}
	for _, k := range m.OrderBy {
		if k.Position < 0 && !m.WildcardSelect {
			return unsupported("ORDER BY %s across several data nodes needs the expression in the select list", k.Expr)
		}
	}
	return nil
}

// mergePipeline builds the row stream that combines the nodes' results.
func (p *Proxy) mergePipeline(m *router.Merge, cols []*mysql.ColumnDef, order []merge.Key, streams []merge.Stream, having *havingFilter) (merge.Stream, error) {
	kindAt := func(pos int) merge.ValueKind {
		return merge.KindOf(cols[pos].Type, cols[pos].Charset, cols[pos].Flags)
	}
	var src merge.Stream
	switch {
	case len(m.Aggregates) > 0:
		agg := &merge.Aggregate{Src: &merge.Concat{Streams: streams}, MaxGroups: p.opt.MaxResultRows, Width: len(cols)}
		for _, g := range m.GroupBy {
			if g.Position >= len(cols) {
				return nil, mysql.NewSQLError(mysql.ERUnknownError, "GROUP BY position outside the result")
			}
			agg.GroupKeys = append(agg.GroupKeys, merge.Key{Pos: g.Position, Kind: kindAt(g.Position)})
		}
		for _, a := range m.Aggregates {
			if a.Position >= len(cols) {
				return nil, mysql.NewSQLError(mysql.ERUnknownError, "aggregate position outside the result")
			}
			f := map[string]merge.AggFunc{"COUNT": merge.AggCount, "SUM": merge.AggSum, "MIN": merge.AggMin, "MAX": merge.AggMax, "AVG": merge.AggAvg, "COUNT_DISTINCT": merge.AggCountDistinct}[a.Func]
			if f == merge.AggAvg && a.CountPosition >= len(cols) {
				return nil, mysql.NewSQLError(mysql.ERUnknownError, "AVG count position outside the result")
			}
			agg.Aggs = append(agg.Aggs, merge.Agg{Pos: a.Position, Func: f, Kind: kindAt(a.Position), CountPos: a.CountPosition})
		}
		src = agg
		if having != nil {
			src = &havingStream{src: src, filter: having}
		}
		if len(order) > 0 {
			src = &merge.Sort{Src: src, Keys: order, MaxRows: p.opt.MaxResultRows}
		}
	case m.Distinct || m.UnionDistinct:
		kinds := make([]merge.ValueKind, len(cols))
		for i := range cols {
			kinds[i] = kindAt(i)
		}
		if len(order) > 0 {
			src = merge.NewSorted(streams, order)
		} else {
			src = &merge.Concat{Streams: streams}
		}
		src = &merge.Distinct{Src: src, Kinds: kinds, MaxRows: p.opt.MaxResultRows}
	case len(order) > 0:
		src = merge.NewSorted(streams, order)
	default:
		src = &merge.Concat{Streams: streams}
	}
	if m.Limit >= 0 || m.Offset > 0 {
		src = &merge.Limit{Src: src, Offset: m.Offset, Count: m.Limit}
	}
	return src, nil
}

func columnByName(cols []*mysql.ColumnDef, expr string) int {
	name := strings.Trim(expr, "`")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = strings.Trim(name[i+1:], "`")
	}
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) || strings.EqualFold(c.OrgName, name) {
			return i
		}
	}
	return -1
}

// nodeStream reads one node's rows as a merge stream.
type nodeStream struct {
	nr   *nodeResult
	cols int
	done bool
}

func (n *nodeStream) Next() (merge.Row, error) {
	if n.done {
		return nil, io.EOF
	}
	p, end, err := n.nr.conn.ReadRow()
	if err != nil {
		n.done = true
		if se, ok := err.(*mysql.SQLError); ok {
			return nil, &mysql.SQLError{Code: se.Code, State: se.State, Message: "data node " + n.nr.route.DataNode + ": " + se.Message}
		}
		n.nr.conn.Broken = true
		return nil, mysql.NewSQLError(mysql.ERUnknownError, "data node %s: %v", n.nr.route.DataNode, err)
	}
	if end {
		n.done = true
		// Mark the header consumed so drain does not read rows again.
		n.nr.header = &mysql.ResultHeader{OK: &mysql.OKPacket{}}
		return nil, io.EOF
	}
	row, err := mysql.DecodeTextRow(p, n.cols)
	if err != nil {
		n.nr.conn.Broken = true
		return nil, err
	}
	return merge.Row(row), nil
}

// doSet applies SET to the session; backends get it lazily.
func (s *session) doSet(sql string, more bool) error {
	st, err := parser.New().ParseOneStmt(sql, "", "")
	if err != nil {
		return mysql.NewSQLError(mysql.ERParse, "%v", err)
	}
	set, ok := st.(*ast.SetStmt)
	if !ok {
		// SET PASSWORD, SET ROLE and the like are not session variables.
		return mysql.NewSQLError(mysql.ERNotSupportedYet, "%s is not supported through the proxy", abbreviate(sql))
	}
	// SET TRANSACTION ... without SESSION applies to the next transaction only.
	kept := set.Variables[:0]
	for _, v := range set.Variables {
		switch strings.ToLower(v.Name) {
		case "tx_isolation_one_shot", "transaction_isolation_one_shot":
			val, err := restore(v.Value)
			if err != nil {
				return err
			}
			s.nextTx = append(s.nextTx, "SET TRANSACTION ISOLATION LEVEL "+isolationSQL(val))
		case "xa":
			val, err := restore(v.Value)
			if err != nil {
				return err
			}
			on := normaliseBool(val) == "1"
			if on != s.xa && len(s.held) > 0 {
				return mysql.NewSQLError(mysql.ERCantDoThisDuringAnTransaction, "SET XA cannot change inside a transaction")
			}
			s.xa = on
		case "tx_read_only_one_shot", "transaction_read_only_one_shot":
			val, err := restore(v.Value)
			if err != nil {
				return err
			}
			mode := "READ WRITE"
			if normaliseBool(val) == "1" {
				mode = "READ ONLY"
			}
			s.nextTx = append(s.nextTx, "SET TRANSACTION "+mode)
		default:
			kept = append(kept, v)
		}
	}
	set.Variables = kept
	wasAuto := s.vars.autocommit()
	next := s.vars.clone()
	if err := next.apply(set); err != nil {
		return mysql.NewSQLError(mysql.ERNotSupportedYet, "%v", err)
	}
	s.vars = next
	switch auto := s.vars.autocommit(); {
	case auto && !wasAuto:
		// SET autocommit=1 commits the open transaction, as MySQL does.
		if err := s.endTransaction(true); err != nil {
			return err
		}
	case !auto && wasAuto:
		s.inTx = true
	}
	// Connections held by a transaction must see the change now.
	for name, c := range s.held {
		if err := s.prepareConn(c, s.topo().nodes[name].database); err != nil {
			return err
		}
	}
	s.syncStatus()
	return s.ok(more, 0, 0)
}

func (s *session) doUse(plan *router.Plan, sql string, more bool) error {
	name := plan.Schema
	if name == "" {
		f := strings.Fields(strings.TrimRight(sql, "; "))
		if len(f) == 2 {
			name = strings.Trim(f[1], "`")
		}
	}
	if err := s.p.checkSchema(s.user, name); err != nil {
		return err
	}
	s.schema = canonicalSchema(s.topo().cfg, name)
	s.conn.SetSchema(s.schema)
	return s.ok(more, 0, 0)
}

// answerLocal answers SELECT DATABASE(), LAST_INSERT_ID() and the like.
func (s *session) answerLocal(m []string, more bool) error {
	expr := strings.ToLower(m[1])
	label := m[1]
	if m[3] != "" {
		label = strings.Trim(m[3], "`")
	} else if m[4] != "" {
		label = strings.Trim(m[4], "`")
	}
	var val []byte
	colType := mysql.TypeVarString
	switch expr {
	case "database()", "schema()":
		if s.schema != "" {
			val = []byte(s.schema)
		}
	case "last_insert_id()", "@@identity", "@@last_insert_id":
		val = []byte(strconv.FormatUint(s.lastID, 10))
		colType = mysql.TypeLongLong
	case "connection_id()":
		val = []byte(strconv.FormatUint(uint64(s.conn.ID()), 10))
		colType = mysql.TypeLongLong
	default: // user(), current_user() ...
		val = []byte(s.user.Name + "@" + hostOf(s.conn.RemoteAddr().String()))
	}
	col := &mysql.ColumnDef{Name: label, OrgName: label, Type: colType, Charset: 33, Length: 256}
	if colType == mysql.TypeLongLong {
		col.Charset, col.Length, col.Flags = 63, 20, mysql.FlagNotNull|mysql.FlagBinary|mysql.FlagUnsigned
	}
	return s.writeTable([]*mysql.ColumnDef{col}, []mysql.Row{{val}}, more)
}

func (s *session) writeTable(cols []*mysql.ColumnDef, rows []mysql.Row, more bool) error {
	if err := s.conn.WriteColumns(cols); err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.conn.WriteRow(r); err != nil {
			return err
		}
	}
	return s.conn.WriteResultSetEnd(moreFlag(more)|s.statusFlags(), 0)
}

func textColumns(names ...string) []*mysql.ColumnDef {
	cols := make([]*mysql.ColumnDef, len(names))
	for i, n := range names {
		cols[i] = &mysql.ColumnDef{Name: n, OrgName: n, Type: mysql.TypeVarString, Charset: 33, Length: 1024}
	}
	return cols
}

// explain answers EXPLAIN with Mycat's two columns.
func (s *session) explain(plan *router.Plan, more bool) error {
	inner := plan.Inner
	if inner == nil {
		return mysql.NewSQLError(mysql.ERUnknownError, "EXPLAIN without a statement")
	}
	var rows []mysql.Row
	routes := inner.Routes
	if inner.AnyNode && len(routes) > 1 && !inner.Writes {
		routes = []router.Route{s.pickAnyRoute(routes)}
	}
	for _, r := range routes {
		rows = append(rows, mysql.Row{[]byte(r.DataNode), []byte(r.SQL)})
	}
	return s.writeTable(textColumns("DATA_NODE", "SQL"), rows, more)
}

// showLocal answers SHOW statements about the logical schema.
func (s *session) showLocal(sql string, more bool) error {
	f := strings.Fields(strings.ToUpper(strings.TrimRight(sql, "; ")))
	cfg := s.topo().cfg
	switch {
	case len(f) >= 2 && (f[1] == "DATABASES" || f[1] == "SCHEMAS"):
		var rows []mysql.Row
		for _, name := range s.user.Schemas {
			rows = append(rows, mysql.Row{[]byte(name)})
		}
		return s.writeTable(textColumns("Database"), rows, more)
	case len(f) >= 2 && (f[1] == "TABLES" || (len(f) >= 3 && f[1] == "FULL" && f[2] == "TABLES")):
		schema := s.schema
		if i := indexOf(f, "FROM"); i > 0 && i+1 < len(f) {
			schema = canonicalSchema(cfg, strings.Trim(strings.Fields(strings.TrimRight(sql, "; "))[i+1], "`"))
			if err := s.p.checkSchema(s.user, schema); err != nil {
				return err
			}
		}
		sc := cfg.Schemas[schema]
		if sc == nil {
			return mysql.NewSQLError(mysql.ERNoDB, "No database selected")
		}
		return s.showTables(sc, f[1] == "FULL", more)
	}
	// Other table-less SHOWs (VARIABLES, STATUS, WARNINGS, ...) go to a node.
	if m := sslStatus.FindStringSubmatch(sql); m != nil {
		return s.answerSSLStatus(m[1], more)
	}
	nodeName, err := s.defaultNode(sql)
	if err != nil {
		return err
	}
	return s.forwardOne(context.Background(), router.Route{DataNode: nodeName, SQL: sql}, false, more)
}

// defaultNode picks the node for a statement that names no table: the
// schema's dataNode, else its first table's first node, else the first node.
func (s *session) defaultNode(sql string) (string, error) {
	t := s.topo()
	if sc := t.cfg.Schemas[s.schema]; sc != nil {
		if sc.DataNode != "" {
			return sc.DataNode, nil
		}
		best := ""
		for _, tb := range sc.Tables {
			if len(tb.DataNodes) > 0 && (best == "" || tb.DataNodes[0] < best) {
				best = tb.DataNodes[0]
			}
		}
		if best != "" {
			return best, nil
		}
	}
	best := ""
	for n := range t.nodes {
		if best == "" || n < best {
			best = n
		}
	}
	if best == "" {
		return "", mysql.NewSQLError(mysql.ERNoDB, "No data node to run %s", abbreviate(sql))
	}
	return best, nil
}

// sslStatus matches SHOW STATUS LIKE 'Ssl_...': the client's TLS session is
// the proxy's, not a backend's.
var sslStatus = regexp.MustCompile(`(?i)^\s*show\s+(?:session\s+)?status\s+like\s+'(ssl_[a-z_]+)'\s*$`)

func (s *session) answerSSLStatus(name string, more bool) error {
	var rows []mysql.Row
	val := ""
	switch strings.ToLower(name) {
	case "ssl_cipher":
		val = s.conn.TLSCipher()
	case "ssl_version":
		val = s.conn.TLSVersion()
	default:
		return s.writeTable(textColumns("Variable_name", "Value"), nil, more)
	}
	rows = append(rows, mysql.Row{[]byte(strings.ToUpper(name[:1]) + strings.ToLower(name[1:])), []byte(val)})
	return s.writeTable(textColumns("Variable_name", "Value"), rows, more)
}

func indexOf(f []string, w string) int {
	for i, x := range f {
		if x == w {
			return i
		}
	}
	return -1
}

// showTables lists the schema's configured tables plus, when the schema has
// a default data node, the tables that node holds (as Mycat does).
func (s *session) showTables(sc *mycatconf.Schema, full bool, more bool) error {
	seen := map[string]bool{}
	var names []string
	for _, tb := range sc.Tables {
		n := strings.ToLower(tb.Name)
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if sc.DataNode != "" {
		bc, err := s.acquire(context.Background(), sc.DataNode, false)
		if err != nil {
			return err
		}
		r, err := bc.Execute("SHOW TABLES")
		s.release(sc.DataNode, bc)
		if err != nil {
			return err
		}
		for _, row := range r.Rows {
			n := strings.ToLower(string(row[0]))
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sortStrings(names)
	colName := "Tables_in_" + sc.Name
	var rows []mysql.Row
	for _, n := range names {
		if full {
			rows = append(rows, mysql.Row{[]byte(n), []byte("BASE TABLE")})
		} else {
			rows = append(rows, mysql.Row{[]byte(n)})
		}
	}
	if full {
		return s.writeTable(textColumns(colName, "Table_type"), rows, more)
	}
	return s.writeTable(textColumns(colName), rows, more)
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
