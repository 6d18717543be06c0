package router

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// narrowRefs computes every table occurrence's node set from the
// conditions of its own block, and enforces ruleRequired. skip names
// occurrences whose nodes the caller computes (an INSERT's target).
func narrowRefs(refs []*tableRef, skip *tableRef) error {
	for _, ref := range refs {
		ref.nodes = sortedNodes(ref.allNodes())
		if ref == skip {
			continue
		}
		p, ok := placementOf(ref.table)
		if !ok {
			if ref.table != nil && ref.table.RuleRequired && ref.table.Type == mycatconf.TableChild {
				return unsupportedf("table %s requires a condition on its joinKey %s (ruleRequired), but its parent is not placed by %s",
					ref.name, ref.table.JoinKey, ref.table.ParentKey)
			}
			continue
		}
		var terms []ast.ExprNode
		terms = conjuncts(ref.block.where, terms)
		for _, on := range ref.block.innerOns {
			terms = conjuncts(on, terms)
		}
		nodes, narrowed, err := narrowing{ref: ref, p: p}.evalAnd(terms)
		if err != nil {
			return err
		}
		if narrowed {
			ref.nodes, ref.narrowed = intersect(sortedNodes(nodes), ref.nodes), true
		} else if ref.table.RuleRequired {
			return unsupportedf("table %s requires a condition on its shard column %s (ruleRequired)", ref.name, p.column)
		}
	}
	return nil
}

// relevantColumn: name could be a column that links ref to another table.
func relevantColumn(ref *tableRef, name string) bool {
	if ref.table == nil {
		return false
	}
	if p, ok := placementOf(ref.table); ok && p.column == name {
		return true
	}
	if ref.table.Type == mycatconf.TableChild && (ref.table.JoinKey == name) {
		return true
	}
	for _, ch := range ref.table.Children {
		if ch.ParentKey == name {
			return true
		}
	}
	return false
}

// colocated: rows of a and b that satisfy a.ca = b.cb are always on the
// same data node.
func colocated(a *tableRef, ca string, b *tableRef, cb string) bool {
	if a.table == nil || b.table == nil {
		return false
	}
	pa, oka := placementOf(a.table)
	pb, okb := placementOf(b.table)
	if oka && okb && pa.sameRule(pb) && pa.column == ca && pb.column == cb {
		return true
	}
	isChildOf := func(c *tableRef, cc string, p *tableRef, pc string) bool {
		return c.table.Type == mycatconf.TableChild && c.table.Parent == p.table &&
			c.table.JoinKey == cc && c.table.ParentKey == pc
	}
	return isChildOf(a, ca, b, cb) || isChildOf(b, cb, a, ca)
}

// groups joins table occurrences whose rows are co-located through the
// statement's equality conditions (union-find over refs).
func groups(refs []*tableRef) [][]*tableRef {
	parent := map[*tableRef]*tableRef{}
	var find func(*tableRef) *tableRef
	find = func(r *tableRef) *tableRef {
		if p, ok := parent[r]; ok && p != r {
			root := find(p)
			parent[r] = root
			return root
		}
		return r
	}
	var blocks []*block
	for _, ref := range refs {
		if !slices.Contains(blocks, ref.block) {
			blocks = append(blocks, ref.block)
		}
	}
	for _, b := range blocks {
		terms := conjuncts(b.where, nil)
		for _, on := range append(slices.Clone(b.innerOns), b.outerOns...) {
			terms = conjuncts(on, terms)
		}
		for _, t := range terms {
			eq, ok := t.(*ast.BinaryOperationExpr)
			if !ok || eq.Op != opcode.EQ {
				continue
			}
			lc, lok := eq.L.(*ast.ColumnNameExpr)
			rc, rok := eq.R.(*ast.ColumnNameExpr)
			if !lok || !rok {
				continue
			}
			a := resolveColumn(b, lc.Name, relevantColumn)
			bb := resolveColumn(b, rc.Name, relevantColumn)
			if a == nil || bb == nil || a == bb {
				continue
			}
			if colocated(a, strings.ToUpper(lc.Name.Name.O), bb, strings.ToUpper(rc.Name.Name.O)) {
				parent[find(a)] = find(bb)
				if a.block.within(bb.block) {
					a.block.correlated = true
				} else if bb.block.within(a.block) {
					bb.block.correlated = true
				}
			}
		}
	}
	byName := map[*ast.TableName]*tableRef{}
	for _, ref := range refs {
		byName[ref.tn] = ref
	}
	for _, b := range blocks {
		for _, j := range b.usings {
			left, right := sideRefs(j.Left, b, byName), sideRefs(j.Right, b, byName)
			for _, col := range j.Using {
				name := strings.ToUpper(col.Name.O)
				for _, l := range left {
					for _, r := range right {
						if colocated(l, name, r, name) {
							parent[find(l)] = find(r)
						}
					}
				}
			}
		}
	}
	var out [][]*tableRef
	index := map[*tableRef]int{}
	for _, ref := range refs {
		if ref.isGlobal() {
			continue
		}
		root := find(ref)
		i, ok := index[root]
		if !ok {
			i = len(out)
			index[root] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], ref)
	}
	return out
}

// groupNodes is where a co-located group's rows can be.
func groupNodes(g []*tableRef) []string {
	nodes := g[0].nodes
	for _, ref := range g[1:] {
		nodes = intersect(nodes, ref.nodes)
	}
	if len(nodes) == 0 {
		// Contradictory conditions match no row; one node still answers
		// with the right (empty) result.
		all := sortedNodes(g[0].allNodes())
		if len(all) > 0 {
			nodes = all[:1]
		}
	}
	return nodes
}

// decision is where a statement runs.
type decision struct {
	nodes   []string
	anyNode bool
}

// decide finds the nodes a statement over refs runs on. tableless is where
// a statement with only system tables may run; target is the table a write
// changes (nil for reads).
func decide(refs []*tableRef, tableless []string, target *tableRef) (decision, error) {
	gs := groups(refs)
	var globals []*tableRef
	for _, ref := range refs {
		if ref.isGlobal() {
			globals = append(globals, ref)
		}
	}
	covers := func(nodes []string) error {
		for _, g := range globals {
			if g.system {
				continue
			}
			for _, n := range nodes {
				if !slices.Contains(g.nodes, n) {
					return unsupportedf("global table %s is not on data node %s, where the rest of the statement runs", g.name, n)
				}
			}
		}
		return nil
	}
	if target != nil && target.isGlobal() {
		if len(gs) > 0 {
			return decision{}, unsupportedf("writing global table %s from non-global table %s is not supported (the write must reach every node of %s)",
				target.name, gs[0][0].name, target.name)
		}
		nodes := sortedNodes(target.allNodes())
		return decision{nodes: nodes}, covers(nodes)
	}
	switch {
	case len(gs) == 0:
		var nodes []string
		seen := false
		for _, g := range globals {
			if g.system {
				continue
			}
			if !seen {
				nodes, seen = sortedNodes(g.nodes), true
			} else {
				nodes = intersect(nodes, g.nodes)
			}
		}
		if !seen {
			nodes = tableless
		}
		if len(nodes) == 0 {
			return decision{}, unsupportedf("no data node holds all of the statement's global tables")
		}
		return decision{nodes: nodes, anyNode: true}, nil
	case len(gs) == 1:
		nodes := groupNodes(gs[0])
		return decision{nodes: nodes}, covers(nodes)
	}
	first := groupNodes(gs[0])
	for _, g := range gs[1:] {
		nodes := groupNodes(g)
		if len(first) != 1 || !slices.Equal(first, nodes) {
			return decision{}, unsupportedf("cross-node join is not supported: %s (on %s) and %s (on %s) are not co-located; join them on their shard columns (or an ER parent/child key) or narrow both to one data node",
				gs[0][0].name, strings.Join(first, ","), g[0].name, strings.Join(nodes, ","))
		}
	}
	return decision{nodes: first}, covers(first)
}

// schemaNodes are the nodes a table-less statement may run on: the
// schema's default node, or any node of its tables.
func schemaNodes(s *mycatconf.Schema) []string {
	if s == nil {
		return nil
	}
	if s.DataNode != "" {
		return []string{s.DataNode}
	}
	var nodes []string
	for _, t := range s.Tables {
		for _, n := range t.DataNodes {
			nodes = addNode(nodes, n)
		}
	}
	return nodes
}

// sideRefs lists the table occurrences of one side of a join in block b.
func sideRefs(n ast.Node, b *block, byName map[*ast.TableName]*tableRef) []*tableRef {
	if n == nil {
		return nil
	}
	f := &tableNameFinder{}
	n.Accept(f)
	var out []*tableRef
	for _, tn := range f.names {
		if ref := byName[tn]; ref != nil && ref.block == b {
			out = append(out, ref)
		}
	}
	return out
}

type tableNameFinder struct{ names []*ast.TableName }

func (f *tableNameFinder) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		f.names = append(f.names, tn)
	}
	return n, false
}

func (f *tableNameFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// checkNestedBlocks rejects, for a statement running on several nodes,
// nested queries whose result depends on rows of other nodes: aggregates,
// GROUP BY, DISTINCT, HAVING or LIMIT inside a derived table, a subquery
// or a UNION branch would be computed per node and come out wrong. A
// subquery correlated through co-located keys is safe: it sees only rows
// of its outer row's node. top is the block the merge describes (nil for
// set operations).
func checkNestedBlocks(c *collector, top *block) error {
	for _, b := range c.blockList {
		if b == top || b.correlated {
			continue
		}
		sel, ok := b.node.(*ast.SelectStmt)
		if !ok {
			continue
		}
		if sel.GroupBy != nil || sel.Distinct || sel.Having != nil || sel.Limit != nil || hasAggregate(sel) {
			return unsupportedf("a subquery, derived table or UNION branch with aggregates, GROUP BY, DISTINCT, HAVING or LIMIT cannot run on several data nodes: each node would compute it over its own rows only")
		}
	}
	return nil
}

// checkGlobalDriven rejects, for a statement running on several nodes, the
// shapes whose output rows do not each come from exactly one node: the
// statement's own FROM reads only global tables (sharded tables appear in
// subqueries only: IN / EXISTS / NOT EXISTS over the sharded rows of each
// node), or an outer join preserves a global-only side against a sharded
// side (unmatched global rows would come back once per node).
func checkGlobalDriven(c *collector, top *block, stmt ast.Node) error {
	if top == nil {
		return nil
	}
	var driving, sharded *tableRef
	for _, ref := range c.refs {
		if ref.block != top {
			continue
		}
		if ref.isGlobal() || ref.system {
			if driving == nil {
				driving = ref
			}
			continue
		}
		sharded = ref
	}
	if sharded == nil && driving != nil {
		return unsupportedf("global table %s drives a statement whose sharded tables are read in subqueries on several data nodes: each node would answer for its own rows", driving.name)
	}
	var bad error
	stmt.Accept(joinVisitor(func(j *ast.Join) {
		if bad != nil || j.Right == nil || (j.Tp != ast.LeftJoin && j.Tp != ast.RightJoin) {
			return
		}
		preserved, other := j.Left, j.Right
		if j.Tp == ast.RightJoin {
			preserved, other = j.Right, j.Left
		}
		if onlyGlobal(c, preserved) && !onlyGlobal(c, other) {
			bad = unsupportedf("an outer join that keeps every row of global tables against a sharded table cannot run on several data nodes: unmatched rows would come back once per node")
		}
	}))
	return bad
}

// onlyGlobal reports whether every table under n is a global (or system) table.
func onlyGlobal(c *collector, n ast.Node) bool {
	names := map[*ast.TableName]bool{}
	n.Accept(tableNameVisitor(func(tn *ast.TableName) { names[tn] = true }))
	for _, ref := range c.refs {
		if names[ref.tn] && !ref.isGlobal() && !ref.system {
			return false
		}
	}
	return true
}

type tableNameVisitor func(*ast.TableName)

func (v tableNameVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		v(tn)
	}
	return n, false
}

func (v tableNameVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

type joinVisitor func(*ast.Join)

func (v joinVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if j, ok := n.(*ast.Join); ok {
		v(j)
	}
	return n, false
}

func (v joinVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
