package router

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// planDDL sends table DDL and TRUNCATE to every node of the table.
func (r *Router) planDDL(cur *mycatconf.Schema, original string, stmt ast.StmtNode, kind Kind) (*Plan, error) {
	if ct, ok := stmt.(*ast.CreateTableStmt); ok && ct.Select != nil {
		return nil, unsupportedf("CREATE TABLE ... SELECT is not supported on a sharded schema")
	}
	c, err := r.collect(cur, stmt)
	if err != nil {
		return nil, err
	}
	schema, err := c.statementSchema()
	if err != nil {
		return nil, err
	}
	if len(c.refs) == 0 {
		return nil, parseErrorf("%s names no table", strings.ToUpper(kind.String()))
	}
	var nodes []string
	for i, ref := range c.refs {
		if ref.system {
			return nil, unsupportedf("DDL on MySQL system table %s is not supported", ref.tn.Name.O)
		}
		n := sortedNodes(ref.allNodes())
		if i == 0 {
			nodes = n
		} else if !slices.Equal(nodes, n) {
			return nil, unsupportedf("%s names tables on different data nodes (%s on %s, %s on %s)",
				strings.ToUpper(kind.String()), c.refs[0].name, strings.Join(nodes, ","), ref.name, strings.Join(n, ","))
		}
	}
	sql := original
	if c.rewritten {
		if sql, err = restore(stmt); err != nil {
			return nil, err
		}
	}
	plan := &Plan{Kind: kind, Schema: schema.Name, Writes: true, Tables: c.tableNames()}
	for _, n := range nodes {
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	return plan, nil
}

// planShow forwards SHOW statements about one table (SHOW CREATE TABLE,
// SHOW COLUMNS, SHOW INDEX, DESCRIBE) to any node of that table; other SHOW
// statements are the proxy's to answer.
func (r *Router) planShow(cur *mycatconf.Schema, original string, stmt *ast.ShowStmt) (*Plan, error) {
	plan := &Plan{Kind: KindShow}
	if cur != nil {
		plan.Schema = cur.Name
	}
	if stmt.Table == nil {
		return plan, nil
	}
	if stmt.DBName != "" {
		// SHOW COLUMNS FROM t FROM db: the database is the logical schema.
		if r.schema(stmt.DBName) == nil {
			return nil, badDBf("Unknown database '%s'", stmt.DBName)
		}
		if stmt.Table.Schema.O == "" {
			stmt.Table.Schema = ast.NewCIStr(stmt.DBName)
		}
		stmt.DBName = ""
	}
	c, err := r.collect(cur, stmt)
	if err != nil {
		return nil, err
	}
	schema, err := c.statementSchema()
	if err != nil {
		return nil, err
	}
	if schema != nil {
		plan.Schema = schema.Name
	}
	plan.Tables = c.tableNames()
	sql := original
	if c.rewritten {
		if sql, err = restore(stmt); err != nil {
			return nil, err
		}
	}
	var nodes []string
	for _, ref := range c.refs {
		nodes = sortedNodes(ref.allNodes())
	}
	if len(nodes) == 0 {
		nodes = schemaNodes(schema)
	}
	for _, n := range nodes {
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	plan.AnyNode = len(plan.Routes) > 1
	return plan, nil
}
