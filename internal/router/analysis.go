package router

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// systemSchemas are MySQL's own databases: tables there exist on every node.
var systemSchemas = map[string]bool{
	"INFORMATION_SCHEMA": true, "MYSQL": true, "PERFORMANCE_SCHEMA": true, "SYS": true,
}

// block is one query block (SELECT, UPDATE, DELETE, or the statement itself
// for DDL): the scope in which column qualifiers resolve.
type block struct {
	parent *block
	refs   []*tableRef
	where  ast.ExprNode
	// innerOns narrow like WHERE; outerOns only link tables (an outer join's
	// ON does not restrict the rows of its preserved side).
	innerOns, outerOns []ast.ExprNode
	// usings are joins with USING (columns): equalities between the sides.
	usings []*ast.Join
	// node is the block's statement; correlated is set when an equality
	// co-locates one of its tables with a table of an enclosing block, so
	// it only ever sees rows of that table's node.
	node       ast.Node
	correlated bool
}

// within reports whether b is nested (at any depth) inside outer.
func (b *block) within(outer *block) bool {
	for s := b.parent; s != nil; s = s.parent {
		if s == outer {
			return true
		}
	}
	return false
}

// tableRef is one table occurrence in a statement.
type tableRef struct {
	tn    *ast.TableName
	alias string // upper-case alias, or the table name
	block *block

	schema      *mycatconf.Schema
	name        string           // upper-case table name
	table       *mycatconf.Table // nil for tables not in schema.xml and system tables
	defaultNode string           // table not in schema.xml: the schema's dataNode
	system      bool             // information_schema and friends: on every node

	// nodes is where this occurrence's rows can be; narrowed is true when
	// WHERE conditions reduced it from all the table's nodes.
	nodes    []string
	narrowed bool
}

// allNodes is every node holding the table.
func (t *tableRef) allNodes() []string {
	switch {
	case t.table != nil:
		return t.table.DataNodes
	case t.defaultNode != "":
		return []string{t.defaultNode}
	}
	return nil
}

func (t *tableRef) isGlobal() bool {
	return t.system || (t.table != nil && t.table.Type == mycatconf.TableGlobal)
}

// collector walks a statement, gathering table occurrences by block and
// stripping logical schema qualifiers (they are not database names on the
// data nodes).
type collector struct {
	r         *Router
	cur       *mycatconf.Schema
	stack     []*block
	root      *block
	refs      []*tableRef
	skip      map[*ast.TableName]bool
	ctes      map[string]bool
	rewritten bool
	err       error
	// blocks maps each SELECT/UPDATE/DELETE to its block; blockList keeps
	// them in text order.
	blocks    map[ast.Node]*block
	blockList []*block
}

func (r *Router) collect(cur *mycatconf.Schema, stmt ast.Node) (*collector, error) {
	c := &collector{r: r, cur: cur, skip: map[*ast.TableName]bool{}, ctes: map[string]bool{}, blocks: map[ast.Node]*block{}}
	c.root = &block{}
	c.stack = []*block{c.root}
	// CTE names are not tables; DELETE's target list repeats aliases.
	stmt.Accept(&preScan{c: c})
	stmt.Accept(c)
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

type preScan struct{ c *collector }

func (p *preScan) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.CommonTableExpression:
		p.c.ctes[strings.ToUpper(x.Name.O)] = true
	case *ast.DeleteStmt:
		if x.Tables != nil {
			for _, tn := range x.Tables.Tables {
				p.c.skip[tn] = true
				p.c.stripSchema(tn)
			}
		}
	}
	return n, false
}

func (p *preScan) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (c *collector) top() *block { return c.stack[len(c.stack)-1] }

func (c *collector) push(n ast.Node, where ast.ExprNode) {
	b := &block{parent: c.top(), where: where, node: n}
	c.blocks[n] = b
	c.blockList = append(c.blockList, b)
	c.stack = append(c.stack, b)
}

// refsUnder lists the table occurrences inside query block n.
func (c *collector) refsUnder(n ast.Node) []*tableRef {
	b := c.blocks[n]
	var out []*tableRef
	for _, ref := range c.refs {
		for s := ref.block; s != nil; s = s.parent {
			if s == b {
				out = append(out, ref)
				break
			}
		}
	}
	return out
}

func (c *collector) Enter(n ast.Node) (ast.Node, bool) {
	if c.err != nil {
		return n, true
	}
	switch x := n.(type) {
	case *ast.SelectStmt:
		c.push(x, x.Where)
	case *ast.UpdateStmt:
		c.push(x, x.Where)
	case *ast.DeleteStmt:
		c.push(x, x.Where)
	case *ast.Join:
		if len(x.Using) > 0 {
			c.top().usings = append(c.top().usings, x)
		}
		if x.On != nil {
			b := c.top()
			if x.Tp == ast.CrossJoin {
				b.innerOns = append(b.innerOns, x.On.Expr)
			} else {
				b.outerOns = append(b.outerOns, x.On.Expr)
			}
		}
	case *ast.TableSource:
		if tn, ok := x.Source.(*ast.TableName); ok && !c.skip[tn] {
			c.skip[tn] = true
			alias := x.AsName.O
			c.add(tn, alias)
		}
	case *ast.TableName:
		if !c.skip[x] {
			c.skip[x] = true
			c.add(x, "")
		}
	case *ast.ColumnName:
		if x.Schema.O != "" && c.r.schema(x.Schema.O) != nil {
			x.Schema = ast.CIStr{}
			c.rewritten = true
		}
	}
	return n, false
}

func (c *collector) Leave(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SelectStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		c.stack = c.stack[:len(c.stack)-1]
	}
	return n, true
}

// stripSchema removes a logical schema qualifier, returning the schema it named.
func (c *collector) stripSchema(tn *ast.TableName) *mycatconf.Schema {
	if tn.Schema.O == "" {
		return nil
	}
	s := c.r.schema(tn.Schema.O)
	if s != nil {
		tn.Schema = ast.CIStr{}
		c.rewritten = true
	}
	return s
}

func (c *collector) add(tn *ast.TableName, alias string) {
	name := strings.ToUpper(tn.Name.O)
	if tn.Schema.O == "" && c.ctes[name] {
		return
	}
	ref := &tableRef{tn: tn, name: name, block: c.top()}
	ref.alias = name
	if alias != "" {
		ref.alias = strings.ToUpper(alias)
	}
	qualifier := tn.Schema.O
	switch s := c.stripSchema(tn); {
	case s != nil:
		ref.schema = s
	case qualifier != "" && systemSchemas[strings.ToUpper(qualifier)]:
		ref.system = true
	case qualifier != "":
		c.err = badDBf("Unknown database '%s'", qualifier)
		return
	case c.cur == nil:
		c.err = noDBf("No database selected")
		return
	default:
		ref.schema = c.cur
	}
	if ref.schema != nil {
		if t := ref.schema.Tables[name]; t != nil {
			ref.table = t
		} else if ref.schema.DataNode != "" {
			ref.defaultNode = ref.schema.DataNode
		} else {
			c.err = noTablef("Table '%s.%s' doesn't exist: it is not in schema.xml and schema %s has no default dataNode",
				ref.schema.Name, tn.Name.O, ref.schema.Name)
			return
		}
	}
	c.top().refs = append(c.top().refs, ref)
	c.refs = append(c.refs, ref)
}

// statementSchema is the one logical schema the statement's tables live in.
func (c *collector) statementSchema() (*mycatconf.Schema, error) {
	var s *mycatconf.Schema
	for _, ref := range c.refs {
		if ref.schema == nil {
			continue
		}
		if s != nil && s != ref.schema {
			return nil, unsupportedf("statement mixes tables of logical schemas %s and %s", s.Name, ref.schema.Name)
		}
		s = ref.schema
	}
	if s == nil {
		s = c.cur
	}
	return s, nil
}

// tableNames lists the distinct logical tables, in first-use order.
func (c *collector) tableNames() []string {
	var names []string
	for _, ref := range c.refs {
		if ref.schema != nil && !slices.Contains(names, ref.name) {
			names = append(names, ref.name)
		}
	}
	return names
}

// conjuncts flattens a tree of ANDs (and parentheses) into its terms.
func conjuncts(e ast.ExprNode, out []ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case nil:
		return out
	case *ast.ParenthesesExpr:
		return conjuncts(x.Expr, out)
	case *ast.BinaryOperationExpr:
		if x.Op.String() == "and" {
			return conjuncts(x.R, conjuncts(x.L, out))
		}
	}
	return append(out, e)
}

// resolveColumn finds the table occurrence a column belongs to, or nil when
// that cannot be told without the tables' full column lists. Qualified
// names search outward through enclosing blocks; unqualified names stay in
// their block and resolve only when one table there could own them.
func resolveColumn(b *block, col *ast.ColumnName, relevant func(*tableRef, string) bool) *tableRef {
	name := strings.ToUpper(col.Name.O)
	if col.Table.O != "" {
		q := strings.ToUpper(col.Table.O)
		for s := b; s != nil; s = s.parent {
			for _, ref := range s.refs {
				if ref.alias == q {
					return ref
				}
			}
		}
		return nil
	}
	if len(b.refs) == 1 {
		return b.refs[0]
	}
	var found *tableRef
	for _, ref := range b.refs {
		if relevant(ref, name) {
			if found != nil {
				return nil
			}
			found = ref
		}
	}
	return found
}
