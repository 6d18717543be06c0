package router

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// literal is a constant from the statement, as the text a Mycat partition
// function receives: numbers in decimal as written, strings without quotes.
type literal struct {
	text   string
	null   bool
	quoted bool // a string literal (a VARCHAR shard column stores it as written)
}

// ambiguousNumber matches literal text that MySQL reads as a number other
// than its text says: '260.0', ' 260', '00254', '+5', '276abc' all equal an
// integer column's 260, 254, 5, 276, while a partition function placing
// the text itself would pick another node. A canonical integer ("0",
// "-12") and text that is not a number ('abc', '2014-01-02') are not.
var ambiguousNumber = regexp.MustCompile(`^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?([A-Za-z_]\w*)?\s*$`)
var canonicalInteger = regexp.MustCompile(`^(0|-?[1-9]\d*)$`)

// ambiguous reports whether placing the literal's text could pick a node
// other than the one holding the rows it matches.
func (l literal) ambiguous() bool {
	return !l.null && !canonicalInteger.MatchString(l.text) && ambiguousNumber.MatchString(l.text)
}

// errNotLiteral: the expression is not a constant the router can place.
type notLiteralError struct{ why string }

func (e *notLiteralError) Error() string { return e.why }

// literalOf reads a constant. An expression that is not a plain literal
// (a column, a function call, a '?' parameter) gives a *notLiteralError;
// a literal Mycat would see differently (floats, hex, booleans) gives an
// *Error, because placing it could differ from Mycat.
func literalOf(e ast.ExprNode) (literal, error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return literalOf(x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op != opcode.Minus && x.Op != opcode.Plus {
			break
		}
		inner, err := literalOf(x.V)
		if err != nil {
			return literal{}, err
		}
		v, ok := x.V.(*test_driver.ValueExpr)
		if !ok || inner.null || !isNumberKind(v.Kind()) {
			break
		}
		if x.Op == opcode.Minus {
			if inner.text[0] == '-' {
				inner.text = inner.text[1:]
			} else {
				inner.text = "-" + inner.text
			}
		}
		return inner, nil
	case *test_driver.ParamMarkerExpr:
		return literal{}, &notLiteralError{"a '?' parameter (bind parameters before routing)"}
	case *test_driver.ValueExpr:
		switch x.Kind() {
		case test_driver.KindNull:
			return literal{null: true}, nil
		case test_driver.KindInt64:
			if x.Type.GetFlag()&mysql.IsBooleanFlag != 0 {
				return literal{}, unsupportedf("a boolean literal cannot place a row; write the value as a number or a string")
			}
			return literal{text: strconv.FormatInt(x.GetInt64(), 10)}, nil
		case test_driver.KindUint64:
			return literal{text: strconv.FormatUint(x.GetUint64(), 10)}, nil
		case test_driver.KindMysqlDecimal:
			return literal{text: x.GetMysqlDecimal().String()}, nil
		case test_driver.KindString, test_driver.KindBytes:
			return literal{text: x.GetString(), quoted: true}, nil
		case test_driver.KindFloat32, test_driver.KindFloat64:
			return literal{}, unsupportedf("a floating-point literal with an exponent cannot place a row as Mycat would; write it in plain decimal or as a string")
		default:
			return literal{}, unsupportedf("a hexadecimal or bit literal cannot place a row; write the value as a number or a string")
		}
	}
	return literal{}, &notLiteralError{fmt.Sprintf("an expression (%T)", e)}
}

func isNumberKind(k byte) bool {
	switch k {
	case test_driver.KindInt64, test_driver.KindUint64, test_driver.KindMysqlDecimal,
		test_driver.KindFloat32, test_driver.KindFloat64:
		return true
	}
	return false
}
