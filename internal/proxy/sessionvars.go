package proxy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// sessionVars is the client-visible session state that every backend
// connection a session uses must share: SET NAMES, system variables and user
// variables. The proxy answers SET itself and applies the state lazily, before
// a statement runs on a backend connection whose applied state differs.
type sessionVars struct {
	charset   string // SET NAMES charset ("" = the server default)
	collation string
	// vars maps a normalised name to the SQL text that sets it, e.g.
	// "autocommit" -> "0", "@a" -> "1", "sql_mode" -> "'ANSI'".
	vars map[string]string
}

func newSessionVars(charset string) sessionVars {
	return sessionVars{charset: charset, vars: map[string]string{}}
}

func (s sessionVars) clone() sessionVars {
	c := s
	c.vars = make(map[string]string, len(s.vars))
	for k, v := range s.vars {
		c.vars[k] = v
	}
	return c
}

// equal reports whether two states are the same, so no SET is needed.
func (s sessionVars) equal(o sessionVars) bool {
	if s.charset != o.charset || s.collation != o.collation || len(s.vars) != len(o.vars) {
		return false
	}
	for k, v := range s.vars {
		if ov, ok := o.vars[k]; !ok || ov != v {
			return false
		}
	}
	return true
}

// covers reports whether applying s over a connection in state o is enough:
// every variable o set is also set by s (otherwise the connection must be reset).
func (s sessionVars) covers(o sessionVars) bool {
	if o.collation != "" && s.collation == "" || o.charset != "" && s.charset == "" {
		return false
	}
	for k := range o.vars {
		if _, ok := s.vars[k]; !ok {
			return false
		}
	}
	return true
}

// setStatement renders the statement that brings a connection in state from
// to state s; "" when nothing differs. from must be covered by s.
func (s sessionVars) setStatement(from sessionVars) string {
	var parts []string
	if s.charset != "" && (s.charset != from.charset || s.collation != from.collation) {
		p := "NAMES " + quoteString(s.charset)
		if s.collation != "" {
			p += " COLLATE " + quoteString(s.collation)
		}
		parts = append(parts, p)
	}
	keys := make([]string, 0, len(s.vars))
	for k := range s.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.vars[k]
		if ov, ok := from.vars[k]; ok && ov == v {
			continue
		}
		switch {
		case strings.HasPrefix(k, "@"):
			parts = append(parts, k+"="+v)
		case k == "tx_isolation":
			// Portable between MariaDB and MySQL 8 (which dropped tx_isolation).
			parts = append(parts, "SESSION TRANSACTION ISOLATION LEVEL "+isolationSQL(v))
		case k == "tx_read_only":
			if v == "1" || strings.EqualFold(v, "'1'") || strings.EqualFold(v, "ON") {
				parts = append(parts, "SESSION TRANSACTION READ ONLY")
			} else {
				parts = append(parts, "SESSION TRANSACTION READ WRITE")
			}
		default:
			parts = append(parts, "@@session."+k+"="+v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	// SET TRANSACTION cannot share a statement with other assignments.
	var plain, tx []string
	for _, p := range parts {
		if strings.HasPrefix(p, "SESSION TRANSACTION") {
			tx = append(tx, "SET "+p)
		} else {
			plain = append(plain, p)
		}
	}
	var stmts []string
	if len(plain) > 0 {
		stmts = append(stmts, "SET "+strings.Join(plain, ", "))
	}
	stmts = append(stmts, tx...)
	return strings.Join(stmts, "; ")
}

// isolationSQL turns 'READ-COMMITTED' into READ COMMITTED.
func isolationSQL(v string) string {
	v = strings.Trim(v, "'\"")
	return strings.ToUpper(strings.ReplaceAll(v, "-", " "))
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// apply records a SET statement in the session state. Global assignments are
// refused: a proxy must not change every backend behind the client's back.
func (s *sessionVars) apply(stmt *ast.SetStmt) error {
	for _, v := range stmt.Variables {
		if v.IsGlobal {
			return fmt.Errorf("SET GLOBAL is not supported through the proxy (set %s on the data hosts)", v.Name)
		}
		switch v.Name {
		case ast.SetNames:
			cs, err := restore(v.Value)
			if err != nil {
				return err
			}
			s.charset = strings.Trim(cs, "'\"`")
			s.collation = ""
			if v.ExtendValue != nil {
				s.collation = v.ExtendValue.GetString()
			}
			if strings.EqualFold(s.charset, "default") {
				s.charset, s.collation = "", ""
			}
			continue
		case ast.SetCharset:
			cs, err := restore(v.Value)
			if err != nil {
				return err
			}
			s.charset, s.collation = strings.Trim(cs, "'\"`"), ""
			continue
		}
		name := strings.ToLower(v.Name)
		if !v.IsSystem {
			name = "@" + name
		}
		if name == "transaction_isolation" {
			name = "tx_isolation"
		}
		if name == "transaction_read_only" {
			name = "tx_read_only"
		}
		if v.Value == nil {
			return fmt.Errorf("SET %s: missing value", v.Name)
		}
		if _, isDefault := v.Value.(*ast.DefaultExpr); isDefault && v.IsSystem {
			delete(s.vars, name)
			continue
		}
		val, err := restore(v.Value)
		if err != nil {
			return err
		}
		if col, bare := v.Value.(*ast.ColumnNameExpr); bare && v.IsSystem {
			// SET sql_mode=ANSI: a bare word is a string value for system variables.
			val = quoteString(col.Name.Name.O)
		}
		if name == "autocommit" {
			val = normaliseBool(val)
		}
		s.vars[name] = val
	}
	return nil
}

// autocommit reports the session's autocommit (default on).
func (s sessionVars) autocommit() bool {
	v, ok := s.vars["autocommit"]
	return !ok || v == "1"
}

func normaliseBool(v string) string {
	switch strings.ToUpper(strings.Trim(v, "'\"`")) {
	case "0", "OFF", "FALSE":
		return "0"
	case "1", "ON", "TRUE":
		return "1"
	}
	return v
}

func restore(n ast.Node) (string, error) {
	var sb strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameBackQuotes | format.RestoreStringWithoutCharset
	if err := n.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", err
	}
	return sb.String(), nil
}
