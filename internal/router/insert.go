package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

func (r *Router) planInsert(cur *mycatconf.Schema, original string, stmt *ast.InsertStmt) (*Plan, error) {
	c, err := r.collect(cur, stmt)
	if err != nil {
		return nil, err
	}
	schema, err := c.statementSchema()
	if err != nil {
		return nil, err
	}
	target := insertTarget(c, stmt)
	if target == nil {
		return nil, parseErrorf("INSERT names no table")
	}
	if target.system {
		return nil, unsupportedf("writing MySQL system table %s is not supported", target.tn.Name.O)
	}
	plan := &Plan{Kind: kindOf(stmt), Schema: schema.Name, Writes: true, Tables: c.tableNames()}
	if err := narrowRefs(c.refs, target); err != nil {
		return nil, err
	}
	t := target.table
	cols := make([]string, len(stmt.Columns))
	for i, col := range stmt.Columns {
		cols[i] = strings.ToUpper(col.Name.O)
	}
	p, placed := placementOf(t)
	if t != nil && t.Type == mycatconf.TableSharded && !placed {
		return nil, otherf("sharded table %s has no rule", target.name)
	}
	if t != nil && (t.Type == mycatconf.TableSharded || t.Type == mycatconf.TableChild) {
		if len(cols) == 0 {
			return nil, unsupportedf("INSERT into sharded table %s must list its columns (Mycat requires the column list to find %s)",
				target.name, shardColumnName(t))
		}
		if err := checkAssignments(target, stmt.OnDuplicate, "ON DUPLICATE KEY UPDATE"); err != nil {
			return nil, err
		}
	}
	if t != nil && t.AutoIncrement && t.PrimaryKey != "" && stmt.Select == nil && len(cols) > 0 && !slices.Contains(cols, t.PrimaryKey) {
		plan.AutoIncrement = &AutoIncrement{Table: t.Name, Column: t.PrimaryKey, Sequence: t.Name, Rows: len(stmt.Lists)}
		return plan, nil
	}
	sqlFor := func() (string, error) {
		if c.rewritten {
			return restore(stmt)
		}
		return original, nil
	}
	if stmt.Select != nil || !placed && t != nil && t.Type == mycatconf.TableChild {
		if stmt.Select != nil {
			return r.planInsertSelect(c, schema, target, plan, sqlFor)
		}
		return r.planChildLookup(target, stmt, cols, plan, sqlFor)
	}
	if !placed {
		// Global, single-node and unlisted tables: the table's nodes.
		sql, err := sqlFor()
		if err != nil {
			return nil, err
		}
		for _, n := range sortedNodes(target.allNodes()) {
			plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
		}
		return plan, nil
	}
	at := slices.Index(cols, p.column)
	if at < 0 {
		return nil, unsupportedf("bad INSERT into %s: sharding column %s is not in the column list", target.name, p.column)
	}
	rowsByNode := map[string][][]ast.ExprNode{}
	var order []string
	for i, row := range stmt.Lists {
		if len(row) != len(cols) {
			return nil, parseErrorf("Column count doesn't match value count at row %d", i+1)
		}
		v, err := literalOf(row[at])
		if err != nil {
			var nl *notLiteralError
			if errors.As(err, &nl) {
				return nil, unsupportedf("INSERT into %s: the value of sharding column %s must be a literal, not %s", target.name, p.column, nl.why)
			}
			return nil, err
		}
		if v.ambiguous() && !v.quoted {
			// A quoted '007' may be a VARCHAR key stored as written; a bare
			// 260.0 is stored by an integer column as 260.
			return nil, unsupportedf("INSERT into %s: sharding column %s value %s is not a plain integer; an integer column would store it as a number that the rule places elsewhere (write it as an integer or a string)", target.name, p.column, v.text)
		}
		node, err := p.node(target.name, v)
		if err != nil {
			return nil, err
		}
		if _, seen := rowsByNode[node]; !seen {
			order = append(order, node)
		}
		rowsByNode[node] = append(rowsByNode[node], row)
	}
	slices.Sort(order)
	if len(order) == 1 {
		sql, err := sqlFor()
		if err != nil {
			return nil, err
		}
		plan.Routes = []Route{{DataNode: order[0], SQL: sql}}
		return plan, nil
	}
	all := stmt.Lists
	defer func() { stmt.Lists = all }()
	for _, n := range order {
		stmt.Lists = rowsByNode[n]
		sql, err := restore(stmt)
		if err != nil {
			return nil, err
		}
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	return plan, nil
}

func shardColumnName(t *mycatconf.Table) string {
	if t.Type == mycatconf.TableChild {
		return "joinKey " + t.JoinKey
	}
	if t.Rule != nil {
		return "sharding column " + t.Rule.Column
	}
	return "its sharding column"
}

// insertTarget is the table occurrence an INSERT writes.
func insertTarget(c *collector, stmt *ast.InsertStmt) *tableRef {
	if stmt.Table == nil || stmt.Table.TableRefs == nil {
		return nil
	}
	ts, ok := stmt.Table.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil
	}
	for _, ref := range c.refs {
		if ref.tn == tn {
			return ref
		}
	}
	return nil
}

// checkAssignments rejects changing where a row lives: its shard column,
// or a child's joinKey.
func checkAssignments(target *tableRef, list []*ast.Assignment, clause string) error {
	t := target.table
	if t == nil {
		return nil
	}
	for _, a := range list {
		if a.Column.Table.O != "" && !strings.EqualFold(a.Column.Table.O, target.alias) {
			continue
		}
		name := strings.ToUpper(a.Column.Name.O)
		if t.Type == mycatconf.TableSharded && t.Rule != nil && name == t.Rule.Column {
			return unsupportedf("Sharding column can't be updated %s->%s (%s)", t.Name, name, clause)
		}
		if t.Type == mycatconf.TableChild && name == t.JoinKey {
			return unsupportedf("Parent relevant column can't be updated %s->%s (%s)", t.Name, name, clause)
		}
	}
	return nil
}

// planInsertSelect allows INSERT ... SELECT only where it runs whole on
// each node: one node, or global tables everywhere.
func (r *Router) planInsertSelect(c *collector, schema *mycatconf.Schema, target *tableRef, plan *Plan, sqlFor func() (string, error)) (*Plan, error) {
	if t := target.table; t != nil && (t.Type == mycatconf.TableSharded || t.Type == mycatconf.TableChild) && len(t.DataNodes) > 1 {
		// Rows computed by the SELECT would stay on the node that ran it
		// instead of being placed by the table's rule.
		return nil, unsupportedf("INSERT ... SELECT into sharded table %s is not supported: its rows would not be placed by the table's rule", target.name)
	}
	d, err := decide(c.refs, r.tablelessNodes(schema), target)
	if err != nil {
		return nil, err
	}
	if len(d.nodes) != 1 && !target.isGlobal() {
		return nil, unsupportedf("INSERT ... SELECT must run on one data node, but it involves %s", strings.Join(d.nodes, ","))
	}
	sql, err := sqlFor()
	if err != nil {
		return nil, err
	}
	for _, n := range d.nodes {
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	return plan, nil
}

// planChildLookup handles an INSERT into an ER child whose parentKey is not
// the parent's shard column: the proxy must find the parent row's node.
func (r *Router) planChildLookup(target *tableRef, stmt *ast.InsertStmt, cols []string, plan *Plan, sqlFor func() (string, error)) (*Plan, error) {
	t := target.table
	parent := t.Parent
	if parent == nil {
		return nil, otherf("child table %s has no parent table", t.Name)
	}
	at := slices.Index(cols, t.JoinKey)
	if at < 0 {
		return nil, unsupportedf("bad INSERT into child table %s: joinKey %s is not in the column list", t.Name, t.JoinKey)
	}
	if len(stmt.Lists) != 1 {
		return nil, unsupportedf("multi-row INSERT into child table %s is not supported (each row needs its parent's node looked up)", t.Name)
	}
	row := stmt.Lists[0]
	if len(row) != len(cols) {
		return nil, parseErrorf("Column count doesn't match value count at row 1")
	}
	v, err := literalOf(row[at])
	if err != nil {
		var nl *notLiteralError
		if errors.As(err, &nl) {
			return nil, unsupportedf("INSERT into child table %s: the joinKey %s value must be a literal, not %s", t.Name, t.JoinKey, nl.why)
		}
		return nil, err
	}
	if v.null {
		return nil, otherf("joinKey %s.%s can't be null", t.Name, t.JoinKey)
	}
	sql, err := sqlFor()
	if err != nil {
		return nil, err
	}
	if parent.Type == mycatconf.TableSingle || len(parent.DataNodes) == 1 {
		plan.Routes = []Route{{DataNode: parent.DataNodes[0], SQL: sql}}
		return plan, nil
	}
	if parent.Type == mycatconf.TableGlobal {
		return nil, unsupportedf("child table %s of global table %s: rows have no single home node", t.Name, parent.Name)
	}
	valueSQL, err := restore(row[at])
	if err != nil {
		return nil, err
	}
	plan.Lookup = &Lookup{
		ParentTable: parent.Name,
		ParentKey:   t.ParentKey,
		Value:       valueSQL,
		DataNodes:   sortedNodes(parent.DataNodes),
		SQL:         fmt.Sprintf("SELECT `%s` FROM `%s` WHERE `%s` = %s", t.ParentKey, parent.Name, t.ParentKey, valueSQL),
		Then:        sql,
	}
	return plan, nil
}
