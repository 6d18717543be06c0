package router

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// AddPrimaryKeys rewrites an INSERT that omits its autoIncrement primary key
// (Plan.AutoIncrement) to include it: column is appended to the column list
// and ids[i], a decimal integer from the sequence, to row i. A leading Mycat
// hint is kept. The proxy routes the result again.
func (r *Router) AddPrimaryKeys(sql, column string, ids []string) (string, error) {
	_, rest, hinted, err := splitHint(sql)
	if err != nil {
		return "", err
	}
	prefix := ""
	if hinted {
		prefix = sql[:len(sql)-len(rest)]
		sql = rest
	}
	stmt, err := r.parse(sql)
	if err != nil {
		return "", err
	}
	ins, ok := stmt.(*ast.InsertStmt)
	if !ok || ins.Select != nil || len(ins.Columns) == 0 {
		return "", unsupportedf("AddPrimaryKeys needs an INSERT ... (columns) VALUES statement")
	}
	for _, c := range ins.Columns {
		if strings.EqualFold(c.Name.O, column) {
			return "", otherf("INSERT already sets primary key %s", column)
		}
	}
	if len(ids) != len(ins.Lists) {
		return "", otherf("INSERT has %d rows but %d ids were given", len(ins.Lists), len(ids))
	}
	ins.Columns = append(ins.Columns, &ast.ColumnName{Name: ast.NewCIStr(column)})
	for i, id := range ids {
		var v any
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			v = n
		} else if u, err := strconv.ParseUint(id, 10, 64); err == nil {
			v = u
		} else {
			return "", otherf("sequence value %q is not an integer", id)
		}
		ins.Lists[i] = append(ins.Lists[i], ast.NewValueExpr(v, "", ""))
	}
	out, err := restore(ins)
	if err != nil {
		return "", err
	}
	return prefix + out, nil
}
