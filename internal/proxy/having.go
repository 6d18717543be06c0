package proxy

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/shardcat/shardcat/internal/merge"
	"github.com/shardcat/shardcat/internal/mysql"
)

// havingFilter applies a HAVING clause to merged groups. The router removed
// it from the nodes' SQL (a group's rows may be spread over nodes); every
// aggregate or name it uses must be a column of the result, which the
// filter reads instead of recomputing.
type havingFilter struct {
	expr  ast.ExprNode
	refs  map[string]int // restored select expression or upper-case alias -> column
	kinds []merge.ValueKind
}

// compileHaving prepares the filter from the SQL the nodes received (its
// select list gives the columns) and the HAVING text.
func compileHaving(nodeSQL, having string, cols []*mysql.ColumnDef) (*havingFilter, error) {
	p := parser.New()
	st, err := p.ParseOneStmt(nodeSQL, "", "")
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*ast.SelectStmt)
	if !ok {
		return nil, fmt.Errorf("HAVING outside a SELECT")
	}
	f := &havingFilter{refs: map[string]int{}}
	for i, field := range sel.Fields.Fields {
		if field.WildCard != nil {
			return nil, fmt.Errorf("HAVING with * in the select list")
		}
		if text, err := restore(field.Expr); err == nil {
			if _, dup := f.refs[text]; !dup {
				f.refs[text] = i
			}
		}
		if field.AsName.O != "" {
			f.refs["AS:"+strings.ToUpper(field.AsName.O)] = i
		}
	}
	hs, err := p.ParseOneStmt("SELECT "+having, "", "")
	if err != nil {
		return nil, err
	}
	f.expr = hs.(*ast.SelectStmt).Fields.Fields[0].Expr
	for _, c := range cols {
		f.kinds = append(f.kinds, merge.KindOf(c.Type, c.Charset, c.Flags))
	}
	if err := f.check(f.expr); err != nil {
		return nil, err
	}
	return f, nil
}

// column finds the result column an expression names, or -1.
func (f *havingFilter) column(e ast.ExprNode) int {
	if cn, ok := e.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
		if i, ok := f.refs["AS:"+strings.ToUpper(cn.Name.Name.O)]; ok {
			return i
		}
	}
	if text, err := restore(e); err == nil {
		if i, ok := f.refs[text]; ok {
			return i
		}
	}
	return -1
}

// check accepts only what eval can compute exactly.
func (f *havingFilter) check(e ast.ExprNode) error {
	if i := f.column(e); i >= 0 {
		if i >= len(f.kinds) {
			return fmt.Errorf("HAVING refers to column %d of %d", i+1, len(f.kinds))
		}
		return nil
	}
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return f.check(x.Expr)
	case *test_driver.ValueExpr:
		return nil
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor, opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NullEQ,
			opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div:
			if err := f.check(x.L); err != nil {
				return err
			}
			return f.check(x.R)
		}
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Not || x.Op == opcode.Not2 || x.Op == opcode.Minus {
			return f.check(x.V)
		}
	case *ast.IsNullExpr:
		return f.check(x.Expr)
	case *ast.BetweenExpr:
		for _, s := range []ast.ExprNode{x.Expr, x.Left, x.Right} {
			if err := f.check(s); err != nil {
				return err
			}
		}
		return nil
	case *ast.PatternInExpr:
		if x.Sel != nil {
			break
		}
		if err := f.check(x.Expr); err != nil {
			return err
		}
		for _, s := range x.List {
			if err := f.check(s); err != nil {
				return err
			}
		}
		return nil
	}
	text, _ := restore(e)
	return fmt.Errorf("HAVING %s: only comparisons, AND/OR/NOT, arithmetic and the select list's columns and aggregates can be evaluated after a cross-node merge", text)
}

// value is a SQL value during evaluation: NULL, a number or a string.
type value struct {
	null bool
	num  *big.Rat // set for numbers
	str  string
	kind merge.ValueKind
}

var one, zero = value{num: big.NewRat(1, 1)}, value{num: new(big.Rat)}

func boolValue(b bool) value {
	if b {
		return one
	}
	return zero
}

// number converts as MySQL does in a numeric context (a string's leading
// number, else 0).
func (v value) number() *big.Rat {
	if v.num != nil {
		return v.num
	}
	s := strings.TrimSpace(v.str)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && (s[end] == '-' || s[end] == '+'))) {
		end++
	}
	r, ok := new(big.Rat).SetString(s[:end])
	if !ok {
		return new(big.Rat)
	}
	return r
}

func (f *havingFilter) eval(e ast.ExprNode, row merge.Row) value {
	if i := f.column(e); i >= 0 {
		raw := row[i]
		if raw == nil {
			return value{null: true}
		}
		if k := f.kinds[i]; k == merge.KindExact || k == merge.KindFloat {
			if r, ok := new(big.Rat).SetString(string(raw)); ok {
				return value{num: r, kind: k}
			}
		}
		return value{str: string(raw), kind: f.kinds[i]}
	}
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return f.eval(x.Expr, row)
	case *test_driver.ValueExpr:
		switch x.Kind() {
		case test_driver.KindNull:
			return value{null: true}
		case test_driver.KindInt64:
			return value{num: new(big.Rat).SetInt64(x.GetInt64())}
		case test_driver.KindUint64:
			return value{num: new(big.Rat).SetUint64(x.GetUint64())}
		case test_driver.KindMysqlDecimal:
			r, _ := new(big.Rat).SetString(x.GetMysqlDecimal().String())
			return value{num: r}
		case test_driver.KindFloat32, test_driver.KindFloat64:
			r, _ := new(big.Rat).SetString(strconv.FormatFloat(x.GetFloat64(), 'g', -1, 64))
			return value{num: r}
		default:
			return value{str: x.GetString(), kind: merge.KindText}
		}
	case *ast.UnaryOperationExpr:
		v := f.eval(x.V, row)
		if v.null {
			return v
		}
		if x.Op == opcode.Minus {
			return value{num: new(big.Rat).Neg(v.number())}
		}
		return boolValue(v.number().Sign() == 0) // NOT
	case *ast.IsNullExpr:
		return boolValue(f.eval(x.Expr, row).null != x.Not)
	case *ast.BetweenExpr:
		v, lo, hi := f.eval(x.Expr, row), f.eval(x.Left, row), f.eval(x.Right, row)
		if v.null || lo.null || hi.null {
			return value{null: true}
		}
		in := compare(v, lo) >= 0 && compare(v, hi) <= 0
		return boolValue(in != x.Not)
	case *ast.PatternInExpr:
		v := f.eval(x.Expr, row)
		if v.null {
			return v
		}
		sawNull := false
		for _, item := range x.List {
			w := f.eval(item, row)
			if w.null {
				sawNull = true
				continue
			}
			if compare(v, w) == 0 {
				return boolValue(!x.Not)
			}
		}
		if sawNull {
			return value{null: true}
		}
		return boolValue(x.Not)
	case *ast.BinaryOperationExpr:
		return f.evalBinary(x, row)
	}
	return value{null: true} // unreachable after check
}

func (f *havingFilter) evalBinary(x *ast.BinaryOperationExpr, row merge.Row) value {
	l, r := f.eval(x.L, row), f.eval(x.R, row)
	switch x.Op {
	case opcode.LogicAnd:
		if (!l.null && l.number().Sign() == 0) || (!r.null && r.number().Sign() == 0) {
			return zero
		}
		if l.null || r.null {
			return value{null: true}
		}
		return one
	case opcode.LogicOr:
		if (!l.null && l.number().Sign() != 0) || (!r.null && r.number().Sign() != 0) {
			return one
		}
		if l.null || r.null {
			return value{null: true}
		}
		return zero
	case opcode.NullEQ:
		if l.null || r.null {
			return boolValue(l.null && r.null)
		}
		return boolValue(compare(l, r) == 0)
	}
	if l.null || r.null {
		return value{null: true}
	}
	switch x.Op {
	case opcode.LogicXor:
		return boolValue((l.number().Sign() != 0) != (r.number().Sign() != 0))
	case opcode.EQ:
		return boolValue(compare(l, r) == 0)
	case opcode.NE:
		return boolValue(compare(l, r) != 0)
	case opcode.LT:
		return boolValue(compare(l, r) < 0)
	case opcode.LE:
		return boolValue(compare(l, r) <= 0)
	case opcode.GT:
		return boolValue(compare(l, r) > 0)
	case opcode.GE:
		return boolValue(compare(l, r) >= 0)
	case opcode.Plus:
		return value{num: new(big.Rat).Add(l.number(), r.number())}
	case opcode.Minus:
		return value{num: new(big.Rat).Sub(l.number(), r.number())}
	case opcode.Mul:
		return value{num: new(big.Rat).Mul(l.number(), r.number())}
	case opcode.Div:
		if r.number().Sign() == 0 {
			return value{null: true} // MySQL: division by zero is NULL
		}
		return value{num: new(big.Rat).Quo(l.number(), r.number())}
	}
	return value{null: true}
}

// compare orders two non-NULL values: numerically when either is a number
// (MySQL converts the string), else as text under the column's collation.
func compare(a, b value) int {
	if a.num != nil || b.num != nil {
		return a.number().Cmp(b.number())
	}
	kind := a.kind
	if kind != merge.KindBinary && b.kind == merge.KindBinary {
		kind = merge.KindBinary
	}
	if kind != merge.KindBinary && kind != merge.KindTemporal {
		kind = merge.KindText
	}
	return merge.CompareValues([]byte(a.str), []byte(b.str), kind)
}

// havingStream keeps the groups for which the HAVING condition is true.
type havingStream struct {
	src    merge.Stream
	filter *havingFilter
}

func (h *havingStream) Next() (merge.Row, error) {
	for {
		r, err := h.src.Next()
		if err != nil {
			return nil, err
		}
		v := h.filter.eval(h.filter.expr, r)
		if !v.null && v.number().Sign() != 0 {
			return r, nil
		}
	}
}
