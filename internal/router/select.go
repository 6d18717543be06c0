package router

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

func (r *Router) planSelect(cur *mycatconf.Schema, original string, stmt ast.StmtNode) (*Plan, error) {
	c, err := r.collect(cur, stmt)
	if err != nil {
		return nil, err
	}
	schema, err := c.statementSchema()
	if err != nil {
		return nil, err
	}
	if err := narrowRefs(c.refs, nil); err != nil {
		return nil, err
	}
	plan := &Plan{Kind: KindSelect, Tables: c.tableNames()}
	if schema != nil {
		plan.Schema = schema.Name
	}
	if sel, ok := stmt.(*ast.SelectStmt); ok && sel.LockInfo != nil && sel.LockInfo.LockType != ast.SelectLockNone {
		plan.ForceMaster = true // locking reads must see the master's rows
	}
	var d decision
	if set, ok := stmt.(*ast.SetOprStmt); ok {
		d, err = r.decideSetOpr(c, schema, set)
	} else {
		d, err = r.decideRefs(c.refs, schema)
	}
	if err != nil {
		return nil, err
	}
	if len(d.nodes) == 0 {
		return nil, otherf("no data node to run the statement on")
	}
	rewritten := c.rewritten
	multi := len(d.nodes) > 1 && !d.anyNode
	if multi {
		if err := checkNestedBlocks(c, c.blocks[stmt]); err != nil {
			return nil, err
		}
		if _, isSet := stmt.(*ast.SetOprStmt); !isSet {
			if err := checkGlobalDriven(c, c.blocks[stmt], stmt); err != nil {
				return nil, err
			}
		}
	}
	var merge *Merge
	if multi {
		if merge, err = describeMerge(stmt); err != nil {
			return nil, err
		}
		if splitAverages(stmt, merge) {
			rewritten = true
		}
		if addHiddenKeys(stmt, merge) {
			rewritten = true
		}
		if splitCountDistinct(stmt, merge) { // after addHiddenKeys: it extends GROUP BY
			rewritten = true
		}
	}
	if sel, ok := stmt.(*ast.SelectStmt); ok {
		if n, add := needAddLimit(schema, c, sel); add {
			sel.Limit = &ast.Limit{Count: ast.NewValueExpr(int64(n), "", "")}
			rewritten = true
			if merge != nil {
				merge.Limit = int64(n)
			}
		}
	}
	if sel, ok := stmt.(*ast.SelectStmt); ok && multi && sel.Having != nil {
		sel.Having = nil // merge.Having carries it
		rewritten = true
	}
	if len(c.refs) == 0 {
		plan.SessionFuncs = sessionFuncs(stmt)
	}
	if multi {
		changed, err := pushLimit(stmt, merge)
		if err != nil {
			return nil, err
		}
		rewritten = rewritten || changed
	}
	sql := original
	if rewritten {
		keepColumnNames(stmt)
		if sql, err = restore(stmt); err != nil {
			return nil, err
		}
	}
	plan.AnyNode = d.anyNode && len(d.nodes) > 1
	plan.Merge = merge
	for _, n := range d.nodes {
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	return plan, nil
}

// decideRefs decides one query's nodes; a query without tables runs on
// any node of the schema.
func (r *Router) decideRefs(refs []*tableRef, schema *mycatconf.Schema) (decision, error) {
	if len(refs) == 0 {
		return decision{nodes: r.tablelessNodes(schema), anyNode: true}, nil
	}
	return decide(refs, r.tablelessNodes(schema), nil)
}

// tablelessNodes is where a statement that reads no table of the schema
// may run: the schema's nodes, or without a schema any configured node.
func (r *Router) tablelessNodes(schema *mycatconf.Schema) []string {
	if schema == nil {
		return r.allDataNodes()
	}
	return schemaNodes(schema)
}

// decideSetOpr routes a UNION: each branch must run on the same nodes. A
// UNION is distributive (the merge concatenates, de-duplicating for UNION
// DISTINCT); EXCEPT and INTERSECT are not, so they must run on one node.
func (r *Router) decideSetOpr(c *collector, schema *mycatconf.Schema, set *ast.SetOprStmt) (decision, error) {
	var branches []*ast.SelectStmt
	onlyUnion := true
	var flatten func(list *ast.SetOprSelectList)
	flatten = func(list *ast.SetOprSelectList) {
		for i, n := range list.Selects {
			var op *ast.SetOprType
			switch x := n.(type) {
			case *ast.SelectStmt:
				branches = append(branches, x)
				op = x.AfterSetOperator
			case *ast.SetOprSelectList:
				flatten(x)
				op = x.AfterSetOperator
			}
			if i > 0 && op != nil && *op != ast.Union && *op != ast.UnionAll {
				onlyUnion = false
			}
		}
	}
	if set.SelectList != nil {
		flatten(set.SelectList)
	}
	var all []decision
	for _, b := range branches {
		d, err := r.decideRefs(c.refsUnder(b), schema)
		if err != nil {
			return decision{}, err
		}
		all = append(all, d)
	}
	if len(all) == 0 {
		return decision{}, unsupportedf("empty set operation")
	}
	var fixed []decision
	anyNodes := sortedNodes(all[0].nodes)
	for _, d := range all {
		if d.anyNode {
			anyNodes = intersect(anyNodes, d.nodes)
		} else {
			fixed = append(fixed, d)
		}
	}
	if len(fixed) == 0 {
		if len(anyNodes) == 0 {
			return decision{}, unsupportedf("no data node holds every table of the set operation")
		}
		return decision{nodes: anyNodes, anyNode: true}, nil
	}
	nodes := fixed[0].nodes
	for _, d := range fixed[1:] {
		if !slices.Equal(d.nodes, nodes) {
			return decision{}, unsupportedf("set operation across different data nodes is not supported (%s vs %s)",
				strings.Join(nodes, ","), strings.Join(d.nodes, ","))
		}
	}
	if len(fixed) < len(all) {
		// A branch that may run anywhere must not be repeated on several nodes.
		if len(nodes) != 1 {
			return decision{}, unsupportedf("set operation mixing global-table and sharded-table branches on several data nodes (%s) is not supported", strings.Join(nodes, ","))
		}
		for _, d := range all {
			if d.anyNode && !slices.Contains(d.nodes, nodes[0]) {
				return decision{}, unsupportedf("set operation across different data nodes is not supported (%s vs %s)",
					nodes[0], strings.Join(d.nodes, ","))
			}
		}
	}
	if len(nodes) > 1 && !onlyUnion {
		return decision{}, unsupportedf("EXCEPT and INTERSECT across several data nodes (%s) are not supported", strings.Join(nodes, ","))
	}
	return decision{nodes: nodes}, nil
}

// keepColumnNames gives unaliased select-list expressions their original
// text as alias, so that result column names stay those MySQL would give the
// client's statement even though the nodes receive a rewritten one.
func keepColumnNames(stmt ast.StmtNode) {
	var sel *ast.SelectStmt
	switch x := stmt.(type) {
	case *ast.SelectStmt:
		sel = x
	case *ast.SetOprStmt:
		if x.SelectList != nil && len(x.SelectList.Selects) > 0 {
			sel, _ = x.SelectList.Selects[0].(*ast.SelectStmt)
		}
	}
	if sel == nil || sel.Fields == nil {
		return
	}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil || f.AsName.O != "" || f.Expr == nil {
			continue
		}
		if _, isColumn := f.Expr.(*ast.ColumnNameExpr); isColumn {
			continue
		}
		if text := strings.TrimSpace(f.OriginalText()); text != "" && len(text) <= 256 {
			f.AsName = ast.NewCIStr(text)
		}
	}
}

func (r *Router) allDataNodes() []string {
	var nodes []string
	for n := range r.cfg.DataNodes {
		nodes = addNode(nodes, n)
	}
	return nodes
}

// needAddLimit applies schema sqlMaxLimit as Mycat's DruidSelectParser
// does: only to a single-table SELECT without LIMIT whose table allows it
// (needAddLimit), not when the primary key is constrained, and not to an
// aggregate-only SELECT, which returns one row anyway.
func needAddLimit(schema *mycatconf.Schema, c *collector, sel *ast.SelectStmt) (int, bool) {
	if schema == nil || schema.SQLMaxLimit <= 0 || sel.Limit != nil || sel.SelectIntoOpt != nil {
		return 0, false
	}
	names := c.tableNames()
	if len(names) != 1 || len(c.refs) == 0 {
		return 0, false
	}
	if sel.GroupBy == nil && hasAggregate(sel) {
		return 0, false
	}
	ref := c.refs[0]
	t := ref.table
	if t == nil {
		return schema.SQLMaxLimit, true
	}
	if !t.NeedAddLimit {
		return 0, false
	}
	if t.Type == mycatconf.TableGlobal {
		return schema.SQLMaxLimit, true
	}
	if t.PrimaryKey != "" && constrains(sel.Where, t.PrimaryKey) {
		return 0, false
	}
	return schema.SQLMaxLimit, true
}

// constrains: e has an equality, IN or BETWEEN condition on column.
func constrains(e ast.ExprNode, column string) bool {
	found := false
	isCol := func(x ast.ExprNode) bool {
		c, ok := x.(*ast.ColumnNameExpr)
		return ok && strings.EqualFold(c.Name.Name.O, column)
	}
	var walk func(ast.ExprNode)
	walk = func(e ast.ExprNode) {
		switch x := e.(type) {
		case *ast.ParenthesesExpr:
			walk(x.Expr)
		case *ast.BinaryOperationExpr:
			if x.Op == opcode.LogicAnd || x.Op == opcode.LogicOr {
				walk(x.L)
				walk(x.R)
			} else if x.Op == opcode.EQ && (isCol(x.L) || isCol(x.R)) {
				found = true
			}
		case *ast.PatternInExpr:
			if !x.Not && isCol(x.Expr) {
				found = true
			}
		case *ast.BetweenExpr:
			if !x.Not && isCol(x.Expr) {
				found = true
			}
		}
	}
	walk(e)
	return found
}

func hasAggregate(sel *ast.SelectStmt) bool {
	if sel.Fields == nil {
		return false
	}
	for _, f := range sel.Fields.Fields {
		if f.Expr != nil && containsAggregate(f.Expr) {
			return true
		}
	}
	return false
}

type aggFinder struct{ found bool }

func (a *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.AggregateFuncExpr:
		a.found = true
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (a *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func containsAggregate(e ast.ExprNode) bool {
	f := &aggFinder{}
	e.Accept(f)
	return f.found
}

// intLiteral reads a LIMIT operand.
func intLiteral(e ast.ExprNode) (int64, bool) {
	v, ok := e.(*test_driver.ValueExpr)
	if !ok {
		return 0, false
	}
	switch v.Kind() {
	case test_driver.KindInt64:
		return v.GetInt64(), v.GetInt64() >= 0
	case test_driver.KindUint64:
		u := v.GetUint64()
		return int64(u), u <= 1<<62
	}
	return 0, false
}

// pushLimit rewrites LIMIT m, n to LIMIT m+n for the nodes (each must
// return every row that could survive the merge) and records m and n.
func pushLimit(stmt ast.StmtNode, merge *Merge) (bool, error) {
	var limit **ast.Limit
	switch x := stmt.(type) {
	case *ast.SelectStmt:
		limit = &x.Limit
	case *ast.SetOprStmt:
		limit = &x.Limit
	}
	if limit == nil || *limit == nil {
		return false, nil
	}
	l := *limit
	count, ok := intLiteral(l.Count)
	if !ok {
		return false, unsupportedf("LIMIT must be a non-negative integer literal when the statement runs on several data nodes")
	}
	var offset int64
	if l.Offset != nil {
		if offset, ok = intLiteral(l.Offset); !ok {
			return false, unsupportedf("OFFSET must be a non-negative integer literal when the statement runs on several data nodes")
		}
	}
	merge.Limit, merge.Offset = count, offset
	if len(merge.GroupBy) > 0 || len(merge.Aggregates) > 0 {
		// A node's partial groups must all reach the merge: the limit
		// applies only to the merged groups.
		*limit = nil
		return true, nil
	}
	if offset == 0 && l.Offset == nil {
		return false, nil
	}
	*limit = &ast.Limit{Count: ast.NewValueExpr(offset+count, "", "")}
	return true, nil
}

// describeMerge records what the proxy needs to merge a multi-node result.
func describeMerge(stmt ast.StmtNode) (*Merge, error) {
	m := &Merge{Limit: -1}
	var sel *ast.SelectStmt
	var orderBy *ast.OrderByClause
	switch x := stmt.(type) {
	case *ast.SelectStmt:
		sel, orderBy = x, x.OrderBy
	case *ast.SetOprStmt:
		m.Union = true
		orderBy = x.OrderBy
		if x.SelectList != nil {
			for i, s := range x.SelectList.Selects {
				if i > 0 && setOprDistinct(s) {
					m.UnionDistinct = true
				}
				if first, ok := s.(*ast.SelectStmt); ok && sel == nil {
					sel = first
				}
			}
		}
		if sel == nil {
			return nil, unsupportedf("nested set operations across several data nodes are not supported")
		}
	}
	fields := sel.Fields.Fields
	for i, f := range fields {
		if f.WildCard != nil {
			m.WildcardSelect = true
			continue
		}
		if m.Union {
			continue
		}
		pos := i
		if m.WildcardSelect {
			pos = -1
		}
		if agg, ok := f.Expr.(*ast.AggregateFuncExpr); ok {
			m.Aggregates = append(m.Aggregates, Aggregate{Position: pos, Func: strings.ToUpper(agg.F), Distinct: agg.Distinct})
		} else if containsAggregate(f.Expr) {
			m.Aggregates = append(m.Aggregates, Aggregate{Position: pos, Func: "EXPR"})
		}
	}
	if !m.Union {
		m.Distinct = sel.Distinct
		if sel.Having != nil {
			text, err := restore(sel.Having.Expr)
			if err != nil {
				return nil, err
			}
			m.Having = text
		}
		if sel.GroupBy != nil {
			for _, item := range sel.GroupBy.Items {
				col, err := keyColumn(item.Expr, fields, false)
				if err != nil {
					return nil, err
				}
				m.GroupBy = append(m.GroupBy, col)
			}
		}
	}
	if orderBy != nil {
		for _, item := range orderBy.Items {
			col, err := keyColumn(item.Expr, fields, true)
			if err != nil {
				return nil, err
			}
			m.OrderBy = append(m.OrderBy, OrderKey{Column: col, Desc: item.Desc})
		}
	}
	return m, nil
}

func setOprDistinct(n ast.Node) bool {
	var t *ast.SetOprType
	switch x := n.(type) {
	case *ast.SelectStmt:
		t = x.AfterSetOperator
	case *ast.SetOprSelectList:
		t = x.AfterSetOperator
	}
	return t != nil && (*t == ast.Union || *t == ast.Except || *t == ast.Intersect)
}

// keyColumn finds a GROUP BY / ORDER BY key's select-list position: by
// position number, alias, or the same column; -1 when absent.
func keyColumn(e ast.ExprNode, fields []*ast.SelectField, aliasFirst bool) (Column, error) {
	text, err := restore(e)
	if err != nil {
		return Column{}, err
	}
	col := Column{Position: -1, Expr: text}
	cn, isName := e.(*ast.ColumnNameExpr)
	if isName {
		col.Name = cn.Name.Name.O
	}
	if p, ok := e.(*ast.PositionExpr); ok {
		if p.P != nil || p.N < 1 || p.N > len(fields) {
			return Column{}, unsupportedf("unknown column position %s", text)
		}
		col.Position = p.N - 1
		return col, nil
	}
	// MySQL resolves an ORDER BY name to a select alias before a table
	// column, and a GROUP BY name to a table column before an alias (an
	// alias of an aggregate can never be a GROUP BY key).
	byAlias := func() (int, bool) {
		if !isName || cn.Name.Table.O != "" {
			return 0, false
		}
		for i, f := range fields {
			if f.WildCard == nil && f.AsName.O != "" && strings.EqualFold(cn.Name.Name.O, f.AsName.O) {
				if !aliasFirst && containsAggregate(f.Expr) {
					return 0, false
				}
				return i, true
			}
		}
		return 0, false
	}
	byExpr := func() (int, bool, error) {
		for i, f := range fields {
			if f.WildCard != nil {
				continue
			}
			ft, err := restore(f.Expr)
			if err != nil {
				return 0, false, err
			}
			if strings.EqualFold(ft, text) {
				return i, true, nil
			}
		}
		return 0, false, nil
	}
	pos, found := -1, false
	if aliasFirst {
		pos, found = byAlias()
	}
	if !found {
		var err error
		if pos, found, err = byExpr(); err != nil {
			return Column{}, err
		}
	}
	if !found && !aliasFirst {
		pos, found = byAlias()
	}
	if !found {
		return col, nil
	}
	for _, f := range fields[:pos] {
		if f.WildCard != nil {
			return col, nil // position unknown after *: the proxy resolves names
		}
	}
	col.Position = pos
	return col, nil
}

// sessionFuncNames are functions whose value belongs to the client's
// session, not to a backend connection.
var sessionFuncNames = map[string]bool{
	"database": true, "schema": true, "last_insert_id": true, "connection_id": true,
	"user": true, "current_user": true, "session_user": true, "system_user": true,
	"found_rows": true, "row_count": true,
}

type sessionFuncFinder struct{ names []string }

func (f *sessionFuncFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.FuncCallExpr:
		if sessionFuncNames[x.FnName.L] {
			f.add(strings.ToUpper(x.FnName.L))
		}
	case *ast.VariableExpr:
		name := strings.ToLower(x.Name)
		if x.IsSystem && (name == "identity" || name == "last_insert_id") {
			f.add("@@" + strings.ToUpper(name))
		}
	}
	return n, false
}

func (f *sessionFuncFinder) add(name string) {
	if !slices.Contains(f.names, name) {
		f.names = append(f.names, name)
	}
}

func (f *sessionFuncFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func sessionFuncs(stmt ast.StmtNode) []string {
	f := &sessionFuncFinder{}
	stmt.Accept(f)
	return f.names
}

// splitAverages rewrites each AVG(x) of a multi-node SELECT into SUM(x),
// keeping the column's name, plus a trailing COUNT(x) column, because an
// average of per-node averages is wrong (Mycat does the same).
func splitAverages(stmt ast.StmtNode, m *Merge) bool {
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || m.WildcardSelect || sel.Fields == nil {
		return false
	}
	changed := false
	for i := range m.Aggregates {
		a := &m.Aggregates[i]
		if a.Func != "AVG" || a.Distinct || a.Position < 0 {
			continue
		}
		f := sel.Fields.Fields[a.Position]
		avg := f.Expr.(*ast.AggregateFuncExpr)
		if f.AsName.O == "" {
			name := strings.TrimSpace(f.OriginalText())
			if name == "" || len(name) > 256 {
				continue
			}
			f.AsName = ast.NewCIStr(name)
		}
		f.Expr = &ast.AggregateFuncExpr{F: "sum", Args: avg.Args}
		count := &ast.SelectField{Expr: &ast.AggregateFuncExpr{F: "count", Args: avg.Args}}
		sel.Fields.Fields = append(sel.Fields.Fields, count)
		a.CountPosition = len(sel.Fields.Fields) - 1
		m.HiddenColumns++
		changed = true
	}
	return changed
}

// addHiddenKeys appends ORDER BY and GROUP BY keys missing from the select
// list as trailing columns, so the proxy can sort and group merged rows.
// Not under DISTINCT, where an extra column would change which rows are
// distinct, nor after *, where positions are unknown.
// splitCountDistinct asks the nodes for the distinct values instead of
// their counts: COUNT(DISTINCT x) becomes x, and x joins the GROUP BY, so
// each node returns every (group, x) pair once. The proxy counts the
// distinct x of each group across nodes (Func "COUNT_DISTINCT"). The other
// aggregates stay exact: their partial values per (group, x) add up.
func splitCountDistinct(stmt ast.StmtNode, m *Merge) bool {
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || m.WildcardSelect || m.Union || sel.Fields == nil {
		return false
	}
	changed := false
	for i := range m.Aggregates {
		a := &m.Aggregates[i]
		if a.Func != "COUNT" || !a.Distinct || a.Position < 0 {
			continue
		}
		f := sel.Fields.Fields[a.Position]
		agg, ok := f.Expr.(*ast.AggregateFuncExpr)
		if !ok || len(agg.Args) != 1 {
			continue // COUNT(DISTINCT a, b): the proxy refuses it
		}
		if f.AsName.O == "" {
			name := strings.TrimSpace(f.OriginalText())
			if name == "" || len(name) > 256 {
				continue
			}
			f.AsName = ast.NewCIStr(name)
		}
		arg := agg.Args[0]
		f.Expr = arg
		if sel.GroupBy == nil {
			sel.GroupBy = &ast.GroupByClause{}
		}
		sel.GroupBy.Items = append(sel.GroupBy.Items, &ast.ByItem{Expr: arg})
		a.Func = "COUNT_DISTINCT"
		changed = true
	}
	return changed
}

func addHiddenKeys(stmt ast.StmtNode, m *Merge) bool {
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || m.WildcardSelect || m.Distinct || sel.Fields == nil {
		return false
	}
	changed := false
	add := func(col *Column, e ast.ExprNode) {
		if col.Position >= 0 {
			return
		}
		if _, isPos := e.(*ast.PositionExpr); isPos {
			return
		}
		sel.Fields.Fields = append(sel.Fields.Fields, &ast.SelectField{Expr: e})
		col.Position = len(sel.Fields.Fields) - 1
		m.HiddenColumns++
		if agg, ok := e.(*ast.AggregateFuncExpr); ok {
			m.Aggregates = append(m.Aggregates, Aggregate{Position: col.Position, Func: strings.ToUpper(agg.F), Distinct: agg.Distinct})
		} else if containsAggregate(e) {
			m.Aggregates = append(m.Aggregates, Aggregate{Position: col.Position, Func: "EXPR"})
		}
		changed = true
	}
	if sel.GroupBy != nil {
		for i, item := range sel.GroupBy.Items {
			add(&m.GroupBy[i], item.Expr)
		}
	}
	if sel.OrderBy != nil {
		for i, item := range sel.OrderBy.Items {
			add(&m.OrderBy[i].Column, item.Expr)
		}
	}
	return changed
}
