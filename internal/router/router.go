// Package router plans where a SQL statement goes in a Mycat 1.6 sharded
// schema: which data nodes, with which SQL, and how the proxy must merge the
// results. It is pure: no I/O, no clock; the proxy executes the plan.
//
// The proxy's loop for one statement:
//
//	sql, _ = Interpolate(sql, args)            // prepared statements: bind first
//	plan, err := r.Route(session.Schema, sql)  // *Error carries code and SQLSTATE
//	switch {
//	case len(plan.Sequences) > 0:    // fill with FillSequences, Route again
//	case plan.AutoIncrement != nil:  // r.AddPrimaryKeys with sequence ids, Route again
//	case plan.Lookup != nil:         // find the parent's node, send Lookup.Then there
//	case plan.Kind == KindExplain:   // answer DATA_NODE, SQL rows from plan.Inner.Routes
//	case len(plan.Routes) == 0:      // session statement (SET, USE, BEGIN, SHOW ...): the proxy's own
//	case plan.AnyNode:               // send to one route of its choice
//	default:                         // send every route; merge as plan.Merge says
//	}
package router

import (
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // literal values in the AST

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// Router plans statements against one loaded configuration. It is safe for
// concurrent use.
type Router struct {
	cfg     *mycatconf.Config
	parsers sync.Pool
}

// New returns a router for cfg. cfg must not change afterwards.
func New(cfg *mycatconf.Config) *Router {
	return &Router{cfg: cfg, parsers: sync.Pool{New: func() any { return parser.New() }}}
}

// schema finds a logical schema by name: exact first, then ignoring case.
func (r *Router) schema(name string) *mycatconf.Schema {
	if s := r.cfg.Schemas[name]; s != nil {
		return s
	}
	for n, s := range r.cfg.Schemas {
		if strings.EqualFold(n, name) {
			return s
		}
	}
	return nil
}

// parse parses exactly one statement.
func (r *Router) parse(sql string) (ast.StmtNode, error) {
	p := r.parsers.Get().(*parser.Parser)
	defer r.parsers.Put(p)
	stmts, _, err := p.ParseSQL(sql)
	if err != nil {
		return nil, parseErrorf("You have an error in your SQL syntax: %s", strings.TrimSpace(err.Error()))
	}
	switch len(stmts) {
	case 0:
		return nil, parseErrorf("Query was empty")
	case 1:
		return stmts[0], nil
	}
	return nil, unsupportedf("multiple statements in one query are not supported; send them one at a time")
}

// restoreFlags produce SQL that MySQL and MariaDB accept.
const restoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase |
	format.RestoreNameBackQuotes | format.RestoreStringWithoutCharset | format.RestoreSpacesAroundBinaryOperation

func restore(n ast.Node) (string, error) {
	var sb strings.Builder
	if err := n.Restore(format.NewRestoreCtx(restoreFlags, &sb)); err != nil {
		return "", otherf("cannot rewrite statement: %v", err)
	}
	return sb.String(), nil
}

// Route plans one statement for a session whose current schema is schema
// ("" when none). Bad or unroutable statements return an *Error.
func (r *Router) Route(schema, sql string) (*Plan, error) {
	h, rest, hinted, err := splitHint(sql)
	if err != nil {
		return nil, err
	}
	if hinted {
		return r.routeHinted(schema, h, rest)
	}
	return r.route(schema, sql)
}

func (r *Router) routeHinted(schema string, h hint, sql string) (*Plan, error) {
	switch h.key {
	case "db_type":
		p, err := r.route(schema, sql)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(h.value) {
		case "master":
			p.ForceMaster = true
		case "slave":
			p.ForceSlave = true
		default:
			return nil, parseErrorf("Mycat hint db_type=%s: want master or slave", h.value)
		}
		return p, nil
	case "schema":
		if r.schema(h.value) == nil {
			return nil, badDBf("Unknown database '%s' in Mycat hint", h.value)
		}
		return r.route(h.value, sql)
	case "sql":
		// Route like the embedded statement, but send the real one as written.
		p, err := r.route(schema, h.value)
		if err != nil {
			return nil, err
		}
		if p.Inner != nil || len(p.Routes) == 0 {
			return nil, unsupportedf("Mycat hint sql=%q does not route to any data node", h.value)
		}
		p.Kind, p.Writes = classifyText(r, sql)
		if p.Writes {
			p.AnyNode = false
		}
		p.Merge = nil
		for i := range p.Routes {
			p.Routes[i].SQL = sql
		}
		return p, nil
	case "datanode":
		if r.cfg.DataNodes[h.value] == nil {
			return nil, otherf("Mycat hint dataNode=%s: no such data node", h.value)
		}
		kind, writes := classifyText(r, sql)
		return &Plan{Kind: kind, Schema: schema, Writes: writes, Routes: []Route{{DataNode: h.value, SQL: sql}}}, nil
	case "catlet":
		return nil, unsupportedf("Mycat catlet hints are not supported")
	}
	return nil, unsupportedf("unknown Mycat hint %q", h.key)
}

// classifyText classifies a statement sent through a hint, which may be
// something the parser does not know (CALL of a procedure, for instance):
// anything not clearly a read counts as a write.
func classifyText(r *Router, sql string) (Kind, bool) {
	stmt, err := r.parse(sql)
	if err != nil {
		return KindOther, true
	}
	switch x := stmt.(type) {
	case *ast.SelectStmt:
		return KindSelect, x.LockInfo != nil && x.LockInfo.LockType != ast.SelectLockNone
	case *ast.SetOprStmt:
		return KindSelect, false
	case *ast.ShowStmt:
		return KindShow, false
	}
	k := kindOf(stmt)
	return k, true
}

func kindOf(stmt ast.StmtNode) Kind {
	switch x := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return KindSelect
	case *ast.InsertStmt:
		if x.IsReplace {
			return KindReplace
		}
		return KindInsert
	case *ast.UpdateStmt:
		return KindUpdate
	case *ast.DeleteStmt:
		return KindDelete
	case *ast.TruncateTableStmt:
		return KindTruncate
	case *ast.CreateTableStmt, *ast.AlterTableStmt, *ast.DropTableStmt, *ast.CreateIndexStmt,
		*ast.DropIndexStmt, *ast.RenameTableStmt, *ast.CreateViewStmt, *ast.CreateDatabaseStmt,
		*ast.DropDatabaseStmt, *ast.AlterDatabaseStmt:
		return KindDDL
	case *ast.SetStmt, *ast.SetPwdStmt:
		return KindSet
	case *ast.ShowStmt:
		return KindShow
	case *ast.UseStmt:
		return KindUse
	case *ast.BeginStmt:
		return KindBegin
	case *ast.CommitStmt:
		return KindCommit
	case *ast.RollbackStmt:
		return KindRollback
	case *ast.ExplainStmt:
		return KindExplain
	}
	return KindOther
}

func (r *Router) route(schema, sql string) (*Plan, error) {
	if names, _, err := sequenceRefs(sql); err != nil {
		return nil, err
	} else if len(names) > 0 {
		kind := KindOther
		switch strings.ToUpper(firstWord(sql)) {
		case "INSERT":
			kind = KindInsert
		case "REPLACE":
			kind = KindReplace
		case "UPDATE":
			kind = KindUpdate
		case "SELECT":
			kind = KindSelect
		}
		return &Plan{Kind: kind, Schema: schema, Writes: kind != KindSelect, Sequences: names}, nil
	}
	stmt, err := r.parse(sql)
	if err != nil {
		return nil, err
	}
	return r.plan(schema, sql, stmt)
}

func firstWord(sql string) string {
	s := strings.TrimLeft(sql, " \t\r\n(")
	end := strings.IndexFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	})
	if end < 0 {
		return s
	}
	return s[:end]
}

// plan dispatches on the statement type. original is the statement's text,
// sent unchanged when no rewrite is needed.
func (r *Router) plan(schema, original string, stmt ast.StmtNode) (*Plan, error) {
	var cur *mycatconf.Schema
	if schema != "" {
		if cur = r.schema(schema); cur == nil {
			return nil, badDBf("Unknown database '%s'", schema)
		}
	}
	kind := kindOf(stmt)
	switch x := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return r.planSelect(cur, original, stmt)
	case *ast.InsertStmt:
		return r.planInsert(cur, original, x)
	case *ast.UpdateStmt, *ast.DeleteStmt:
		return r.planUpdateDelete(cur, original, stmt)
	case *ast.TruncateTableStmt, *ast.CreateTableStmt, *ast.AlterTableStmt, *ast.DropTableStmt,
		*ast.CreateIndexStmt, *ast.DropIndexStmt, *ast.RenameTableStmt:
		return r.planDDL(cur, original, stmt, kind)
	case *ast.CreateViewStmt:
		return nil, unsupportedf("CREATE VIEW is not supported on a sharded schema")
	case *ast.CreateDatabaseStmt, *ast.DropDatabaseStmt, *ast.AlterDatabaseStmt:
		return nil, unsupportedf("CREATE/ALTER/DROP DATABASE is not supported: logical schemas are defined in schema.xml")
	case *ast.ShowStmt:
		return r.planShow(cur, original, x)
	case *ast.UseStmt:
		return &Plan{Kind: KindUse, Schema: x.DBName}, nil
	case *ast.ExplainStmt:
		if x.Analyze {
			return nil, unsupportedf("EXPLAIN ANALYZE is not supported")
		}
		if show, ok := x.Stmt.(*ast.ShowStmt); ok {
			return r.planShow(cur, original, show) // DESCRIBE t
		}
		inner, err := r.planExplained(schema, original, x)
		if err != nil {
			return nil, err
		}
		return &Plan{Kind: KindExplain, Schema: inner.Schema, Inner: inner}, nil
	}
	// Statements the router does not know (CALL, LOAD DATA, LOCK ...) count
	// as writes, so read-only users cannot run them.
	return &Plan{Kind: kind, Schema: schema, Writes: kind == KindOther}, nil
}

func (r *Router) planExplained(schema, original string, x *ast.ExplainStmt) (*Plan, error) {
	text, err := explainedText(original, x)
	if err != nil {
		return nil, err
	}
	return r.plan(schema, text, x.Stmt)
}

// explainedText is the statement under EXPLAIN as the client wrote it, or
// restored from the AST when EXPLAIN carries options.
func explainedText(original string, x *ast.ExplainStmt) (string, error) {
	s := strings.TrimLeft(original, " \t\r\n")
	word := firstWord(s)
	switch strings.ToUpper(word) {
	case "EXPLAIN", "DESC", "DESCRIBE":
		rest := strings.TrimLeft(s[len(word):], " \t\r\n")
		switch strings.ToUpper(firstWord(rest)) {
		case "SELECT", "INSERT", "REPLACE", "UPDATE", "DELETE", "WITH", "TABLE", "VALUES":
			return rest, nil
		}
	}
	return restore(x.Stmt)
}
