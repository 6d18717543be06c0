package router

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// planUpdateDelete routes UPDATE and DELETE by their WHERE conditions.
func (r *Router) planUpdateDelete(cur *mycatconf.Schema, original string, stmt ast.StmtNode) (*Plan, error) {
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
	targets, limit, err := writeTargets(c, stmt)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, parseErrorf("%s names no table", strings.ToUpper(kindOf(stmt).String()))
	}
	for _, t := range targets {
		if t.system {
			return nil, unsupportedf("writing MySQL system table %s is not supported", t.tn.Name.O)
		}
	}
	if up, ok := stmt.(*ast.UpdateStmt); ok {
		for _, t := range targets {
			if err := checkAssignments(t, up.List, "UPDATE"); err != nil {
				return nil, err
			}
		}
	}
	var d decision
	var globalTarget *tableRef
	for _, t := range targets {
		if t.isGlobal() {
			globalTarget = t
		}
	}
	if globalTarget != nil && len(targets) > 1 {
		return nil, unsupportedf("a multi-table write including global table %s is not supported", globalTarget.name)
	}
	if d, err = decide(c.refs, r.tablelessNodes(schema), globalTarget); err != nil {
		return nil, err
	}
	if len(d.nodes) > 1 {
		if err := checkNestedBlocks(c, c.blocks[stmt]); err != nil {
			return nil, err
		}
	}
	if len(d.nodes) > 1 && limit {
		return nil, unsupportedf("%s with LIMIT on several data nodes (%s) is not supported: each node would apply the limit separately",
			strings.ToUpper(kindOf(stmt).String()), strings.Join(d.nodes, ","))
	}
	sql := original
	if c.rewritten {
		if sql, err = restore(stmt); err != nil {
			return nil, err
		}
	}
	plan := &Plan{Kind: kindOf(stmt), Schema: schema.Name, Writes: true, Tables: c.tableNames()}
	for _, n := range d.nodes {
		plan.Routes = append(plan.Routes, Route{DataNode: n, SQL: sql})
	}
	return plan, nil
}

// writeTargets lists the table occurrences an UPDATE or DELETE changes, and
// whether it has a LIMIT.
func writeTargets(c *collector, stmt ast.StmtNode) ([]*tableRef, bool, error) {
	switch x := stmt.(type) {
	case *ast.UpdateStmt:
		// Every table in the UPDATE's own FROM may be assigned to; the
		// assignments' qualifiers tell which.
		var targets []*tableRef
		for _, ref := range c.refs {
			if !isTop(ref) {
				continue
			}
			for _, a := range x.List {
				q := strings.ToUpper(a.Column.Table.O)
				if q == ref.alias || q == "" {
					targets = append(targets, ref)
					break
				}
			}
		}
		return targets, x.Limit != nil, nil
	case *ast.DeleteStmt:
		if !x.IsMultiTable {
			if len(c.refs) == 0 {
				return nil, false, nil
			}
			return c.refs[:1], x.Limit != nil, nil
		}
		var targets []*tableRef
		for _, tn := range x.Tables.Tables {
			q := strings.ToUpper(tn.Name.O)
			found := false
			for _, ref := range c.refs {
				if ref.alias == q {
					targets = append(targets, ref)
					found = true
					break
				}
			}
			if !found {
				return nil, false, noTablef("Unknown table '%s' in MULTI DELETE", tn.Name.O)
			}
		}
		return targets, x.Limit != nil, nil
	}
	return nil, false, nil
}

// isTop: the occurrence is in the statement's own FROM, not a subquery.
func isTop(ref *tableRef) bool { return ref.block.parent != nil && ref.block.parent.parent == nil }
