package router

import (
	"errors"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// placement is how a table's rows are placed by a column's value: the
// function and node list of the table's rule, or for an ER child whose
// joinKey chain leads to the root's shard column, the root's rule.
type placement struct {
	rule   *mycatconf.TableRule
	nodes  []string
	column string // the column of THIS table whose value places the row
}

// placementOf returns the table's placement, ok=false when rows are not
// placed by one of its own column values.
func placementOf(t *mycatconf.Table) (placement, bool) {
	if t == nil {
		return placement{}, false
	}
	switch t.Type {
	case mycatconf.TableSharded:
		if t.Rule == nil {
			return placement{}, false
		}
		return placement{rule: t.Rule, nodes: t.DataNodes, column: t.Rule.Column}, true
	case mycatconf.TableChild:
		p, ok := placementOf(t.Parent)
		if !ok || p.column != t.ParentKey {
			return placement{}, false
		}
		p.column = t.JoinKey
		return p, true
	}
	return placement{}, false
}

// sameRule: two placements put equal values on the same node.
func (p placement) sameRule(q placement) bool {
	return p.rule.Function == q.rule.Function && slices.Equal(p.nodes, q.nodes)
}

// node places one value.
func (p placement) node(table string, v literal) (string, error) {
	if v.null {
		return "", otherf("sharding column %s.%s can't be null", table, p.column)
	}
	fn := p.rule.Function
	if fn == nil || fn.Impl == nil {
		return "", otherf("rule %s of table %s has no partition function", p.rule.Name, table)
	}
	i, err := fn.Impl.Calculate(v.text)
	if err != nil {
		return "", otherf("can't find a data node for %s.%s = %s: %v", table, p.column, v.text, err)
	}
	if i < 0 || i >= len(p.nodes) {
		return "", otherf("rule %s placed %s.%s = %s on partition %d, but the table has %d data nodes",
			p.rule.Name, table, p.column, v.text, i, len(p.nodes))
	}
	return p.nodes[i], nil
}

// nodeRange places begin..end inclusive; all=true means every node.
func (p placement) nodeRange(table string, begin, end literal) (nodes []string, all bool, err error) {
	if begin.null || end.null {
		return nil, true, nil
	}
	fn := p.rule.Function
	if fn == nil || fn.Impl == nil {
		return nil, false, otherf("rule %s of table %s has no partition function", p.rule.Name, table)
	}
	idx, all, err := fn.Impl.CalculateRange(begin.text, end.text)
	if err != nil {
		return nil, false, otherf("can't find data nodes for %s.%s between %s and %s: %v", table, p.column, begin.text, end.text, err)
	}
	if all {
		return nil, true, nil
	}
	for _, i := range idx {
		if i < 0 || i >= len(p.nodes) {
			return nil, false, otherf("rule %s placed a range of %s.%s on partition %d, but the table has %d data nodes",
				p.rule.Name, table, p.column, i, len(p.nodes))
		}
		nodes = addNode(nodes, p.nodes[i])
	}
	return nodes, false, nil
}

func addNode(set []string, n string) []string {
	if i, found := slices.BinarySearch(set, n); !found {
		set = slices.Insert(set, i, n)
	}
	return set
}

func sortedNodes(nodes []string) []string {
	out := slices.Clone(nodes)
	slices.Sort(out)
	return slices.Compact(out)
}

func intersect(a, b []string) []string {
	var out []string
	for _, n := range a {
		if slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		out = addNode(out, n)
	}
	return out
}

// narrowing evaluates conditions on one table occurrence's placement column.
type narrowing struct {
	ref *tableRef
	p   placement
}

// eval returns the nodes rows satisfying e can be on; ok=false when e does
// not restrict them.
func (n narrowing) eval(e ast.ExprNode) (nodes []string, ok bool, err error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return n.eval(x.Expr)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd:
			return n.evalAnd(conjuncts(x, nil))
		case opcode.LogicOr:
			l, lok, err := n.eval(x.L)
			if err != nil || !lok {
				return nil, false, err
			}
			r, rok, err := n.eval(x.R)
			if err != nil || !rok {
				return nil, false, err
			}
			return union(l, r), true, nil
		case opcode.EQ, opcode.NullEQ:
			v, found, err := n.columnValue(x.L, x.R)
			if err != nil || !found {
				return nil, false, err
			}
			if v.null || v.ambiguous() {
				return nil, false, nil // every node: MySQL may match it on any
			}
			node, err := n.p.node(n.ref.name, v)
			if err != nil {
				return nil, false, err
			}
			return []string{node}, true, nil
		case opcode.GE, opcode.GT, opcode.LE, opcode.LT:
			// One bound alone cannot narrow; evalAnd pairs bounds.
			return nil, false, nil
		}
	case *ast.PatternInExpr:
		if x.Not || x.Sel != nil || !n.isColumn(x.Expr) {
			return nil, false, nil
		}
		var nodes []string
		for _, item := range x.List {
			v, err := literalOf(item)
			if err != nil {
				return nil, false, ignoreNotLiteral(err)
			}
			if v.null {
				continue
			}
			if v.ambiguous() {
				return nil, false, nil
			}
			node, err := n.p.node(n.ref.name, v)
			if err != nil {
				return nil, false, err
			}
			nodes = addNode(nodes, node)
		}
		return nodes, true, nil
	case *ast.BetweenExpr:
		if x.Not || !n.isColumn(x.Expr) {
			return nil, false, nil
		}
		lo, err := literalOf(x.Left)
		if err != nil {
			return nil, false, ignoreNotLiteral(err)
		}
		hi, err := literalOf(x.Right)
		if err != nil {
			return nil, false, ignoreNotLiteral(err)
		}
		if lo.ambiguous() || hi.ambiguous() {
			return nil, false, nil
		}
		nodes, all, err := n.p.nodeRange(n.ref.name, lo, hi)
		return nodes, !all && err == nil, err
	}
	return nil, false, nil
}

// evalAnd intersects what each term allows, and pairs a lower with an upper
// bound on the column into one range (a superset of the true range when a
// bound is strict, which is safe).
func (n narrowing) evalAnd(terms []ast.ExprNode) ([]string, bool, error) {
	var nodes []string
	narrowed := false
	var lower, upper *literal
	for _, t := range terms {
		if b, ok := t.(*ast.BinaryOperationExpr); ok && isComparison(b.Op) {
			v, op, found, err := n.bound(b)
			if err != nil {
				return nil, false, err
			}
			if found {
				switch op {
				case opcode.GE, opcode.GT:
					if lower == nil {
						lower = &v
					}
				case opcode.LE, opcode.LT:
					if upper == nil {
						upper = &v
					}
				}
				continue
			}
		}
		s, ok, err := n.eval(t)
		if err != nil {
			return nil, false, err
		}
		if ok {
			if narrowed {
				nodes = intersect(nodes, s)
			} else {
				nodes, narrowed = s, true
			}
		}
	}
	if lower != nil && upper != nil && !lower.ambiguous() && !upper.ambiguous() {
		s, all, err := n.p.nodeRange(n.ref.name, *lower, *upper)
		if err != nil {
			return nil, false, err
		}
		if !all {
			if narrowed {
				nodes = intersect(nodes, s)
			} else {
				nodes, narrowed = s, true
			}
		}
	}
	return nodes, narrowed, nil
}

func isComparison(op opcode.Op) bool {
	return op == opcode.GE || op == opcode.GT || op == opcode.LE || op == opcode.LT
}

// bound reads "col OP literal" or "literal OP col", normalised to col OP v.
func (n narrowing) bound(b *ast.BinaryOperationExpr) (literal, opcode.Op, bool, error) {
	flip := map[opcode.Op]opcode.Op{opcode.GE: opcode.LE, opcode.GT: opcode.LT, opcode.LE: opcode.GE, opcode.LT: opcode.GT}
	if n.isColumn(b.L) {
		v, err := literalOf(b.R)
		if err != nil {
			return literal{}, 0, false, ignoreNotLiteral(err)
		}
		return v, b.Op, true, nil
	}
	if n.isColumn(b.R) {
		v, err := literalOf(b.L)
		if err != nil {
			return literal{}, 0, false, ignoreNotLiteral(err)
		}
		return v, flip[b.Op], true, nil
	}
	return literal{}, 0, false, nil
}

// columnValue reads "col = literal" in either order.
func (n narrowing) columnValue(l, r ast.ExprNode) (literal, bool, error) {
	if n.isColumn(r) {
		l, r = r, l
	}
	if !n.isColumn(l) {
		return literal{}, false, nil
	}
	v, err := literalOf(r)
	if err != nil {
		return literal{}, false, ignoreNotLiteral(err)
	}
	return v, true, nil
}

// isColumn: e is this table occurrence's placement column.
func (n narrowing) isColumn(e ast.ExprNode) bool {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	c, ok := e.(*ast.ColumnNameExpr)
	if !ok || !strings.EqualFold(c.Name.Name.O, n.p.column) {
		return false
	}
	if c.Name.Table.O != "" {
		return strings.EqualFold(c.Name.Table.O, n.ref.alias)
	}
	return true
}

// ignoreNotLiteral turns "not a constant" into "no restriction" and keeps
// real errors.
func ignoreNotLiteral(err error) error {
	var nl *notLiteralError
	if errors.As(err, &nl) {
		return nil
	}
	return err
}
