package mycatconf

import "strings"

// Table finds a table of a schema the way Mycat's TableConfigMap does:
// case-insensitively, with backquotes ignored. It
// returns nil when the schema or the table is not configured.
func (c *Config) Table(schema, name string) *Table {
	s := c.Schema(schema)
	if s == nil {
		return nil
	}
	return s.Table(name)
}

// Schema finds a schema by name. Mycat keys schemas exactly as written; an
// exact match wins, otherwise a unique case-insensitive match is returned.
func (c *Config) Schema(name string) *Schema {
	name = unquoteIdent(name)
	if s, ok := c.Schemas[name]; ok {
		return s
	}
	var found *Schema
	for n, s := range c.Schemas {
		if strings.EqualFold(n, name) {
			if found != nil {
				return nil // ambiguous: TESTDB and testdb both exist
			}
			found = s
		}
	}
	return found
}

// Table finds a table of the schema, case-insensitively and ignoring
// backquotes; nil when it is not listed.
func (s *Schema) Table(name string) *Table {
	return s.Tables[tableKey(name)]
}

// Root is the table at the top of an ER chain (the table itself when it is
// not a child): its rule places the whole chain's rows.
func (t *Table) Root() *Table {
	for t.Parent != nil {
		t = t.Parent
	}
	return t
}

// DataHostOf returns the data host holding a data node, nil if unknown.
func (c *Config) DataHostOf(dataNode string) *DataHost {
	dn, ok := c.DataNodes[dataNode]
	if !ok {
		return nil
	}
	return c.DataHosts[dn.DataHost]
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return s[1 : len(s)-1]
	}
	return s
}

// String names a table type as schema.xml and --check show it.
func (t TableType) String() string {
	switch t {
	case TableSharded:
		return "sharded"
	case TableGlobal:
		return "global"
	case TableSingle:
		return "single"
	case TableChild:
		return "child"
	}
	return "unknown"
}
