package router

// Kind classifies a statement so the proxy knows whether to forward it or
// answer it itself (session and transaction statements).
type Kind int

const (
	KindOther Kind = iota
	KindSelect
	KindInsert
	KindReplace
	KindUpdate
	KindDelete
	KindDDL
	KindTruncate
	KindSet
	KindShow
	KindUse
	KindBegin
	KindCommit
	KindRollback
	KindExplain
)

var kindNames = [...]string{
	KindOther: "other", KindSelect: "select", KindInsert: "insert", KindReplace: "replace",
	KindUpdate: "update", KindDelete: "delete", KindDDL: "ddl", KindTruncate: "truncate",
	KindSet: "set", KindShow: "show", KindUse: "use", KindBegin: "begin",
	KindCommit: "commit", KindRollback: "rollback", KindExplain: "explain",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// MarshalText makes kinds readable in JSON plans.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Plan is where one statement goes and what the proxy must do with the
// results. A plan with no Routes and a non-nil Sequences, AutoIncrement or
// Lookup asks the proxy for a value first; the proxy then routes again (or,
// for Lookup, sends Lookup.Then to the node it found).
type Plan struct {
	Kind Kind `json:"kind"`
	// Schema is the logical schema the statement was routed in ("" for
	// statements that name no table and run in no schema).
	Schema string `json:"schema,omitempty"`
	// Routes lists each data node and the exact SQL it receives, sorted by
	// data node name.
	Routes []Route `json:"routes,omitempty"`
	// AnyNode: every route is the same read and any ONE of them serves it
	// (global tables, table-less SELECTs); the proxy picks one.
	AnyNode bool `json:"anyNode,omitempty"`
	// Writes is true when the statement changes data or schema (read/write
	// split and read-only users).
	Writes bool `json:"writes,omitempty"`
	// ForceMaster is set by the /*#mycat:db_type=master*/ hint; ForceSlave
	// by db_type=slave.
	ForceMaster bool `json:"forceMaster,omitempty"`
	ForceSlave  bool `json:"forceSlave,omitempty"`
	// Merge describes how to combine results from several routes; nil when
	// there is at most one route, or AnyNode, or the statement returns no rows.
	Merge *Merge `json:"merge,omitempty"`
	// Sequences lists, in text order, the sequence name of each
	// "next value for MYCATSEQ_NAME" in the statement; the proxy replaces
	// them with FillSequences and routes again.
	Sequences []string `json:"sequences,omitempty"`
	// AutoIncrement asks the proxy to generate primary keys for an INSERT
	// into an autoIncrement table that omits them (see AddPrimaryKeys).
	AutoIncrement *AutoIncrement `json:"autoIncrement,omitempty"`
	// Lookup asks the proxy to find the node of a child row's parent.
	Lookup *Lookup `json:"lookup,omitempty"`
	// Inner is the plan of the statement under EXPLAIN.
	Inner *Plan `json:"inner,omitempty"`
	// SessionFuncs lists the session-dependent functions and variables of a
	// table-less SELECT (DATABASE, LAST_INSERT_ID, @@IDENTITY ...): a data
	// node would answer them for its own connection, so the proxy must.
	SessionFuncs []string `json:"sessionFuncs,omitempty"`
	// Tables lists the logical tables the statement uses (upper-case), for
	// privilege checks.
	Tables []string `json:"tables,omitempty"`
}

// Route is one statement for one data node.
type Route struct {
	DataNode string `json:"dataNode"`
	SQL      string `json:"sql"`
}

// Merge describes a multi-node SELECT's result merge. Column positions are
// 0-based indexes into the select list as sent to the nodes.
type Merge struct {
	// OrderBy lists the ORDER BY keys in order.
	OrderBy []OrderKey `json:"orderBy,omitempty"`
	// GroupBy lists the GROUP BY keys in order.
	GroupBy []Column `json:"groupBy,omitempty"`
	// Aggregates lists the select-list aggregate functions.
	Aggregates []Aggregate `json:"aggregates,omitempty"`
	// Distinct: SELECT DISTINCT, duplicates across nodes must be removed.
	Distinct bool `json:"distinct,omitempty"`
	// Having is the HAVING condition, removed from the nodes' SQL (a group's
	// rows may be spread over several nodes): the proxy applies it after
	// merging the groups, or refuses the statement.
	Having string `json:"having,omitempty"`
	// Union: the statement is a UNION/EXCEPT/INTERSECT; UnionDistinct is set
	// when rows must be de-duplicated across nodes.
	Union         bool `json:"union,omitempty"`
	UnionDistinct bool `json:"unionDistinct,omitempty"`
	// Limit is the client's row count (-1: none) and Offset its offset;
	// the nodes received LIMIT Offset+Limit.
	Limit  int64 `json:"limit"`
	Offset int64 `json:"offset,omitempty"`
	// HiddenColumns is how many columns the router appended to the select
	// list for the merge (COUNTs for AVG); the proxy drops that many trailing
	// columns before answering.
	HiddenColumns int `json:"hiddenColumns,omitempty"`
	// WildcardSelect: the select list contains *, so positions of columns
	// after it are unknown (-1) and the proxy must resolve names.
	WildcardSelect bool `json:"wildcardSelect,omitempty"`
}

// Column names a merge key: its select-list position (-1 when the key is
// not in the select list) and its expression text.
type Column struct {
	Position int    `json:"position"`
	Expr     string `json:"expr"`
	// Name is the bare column name when the key is a column reference
	// (to find it by name in results when Position is -1).
	Name string `json:"name,omitempty"`
}

// OrderKey is one ORDER BY item.
type OrderKey struct {
	Column
	Desc bool `json:"desc,omitempty"`
}

// Aggregate is one select-list aggregate function.
type Aggregate struct {
	Position int    `json:"position"`
	Func     string `json:"func"` // COUNT, SUM, MIN, MAX, AVG, COUNT_DISTINCT (nodes return the values), or another aggregate's name
	Distinct bool   `json:"distinct,omitempty"`
	// CountPosition is set for a rewritten AVG: the nodes return SUM(x) at
	// Position and COUNT(x) at CountPosition; the average is the sum of the
	// sums divided by the sum of the counts.
	CountPosition int `json:"countPosition,omitempty"`
}

// AutoIncrement: an INSERT into an autoIncrement table without its primary
// key. The proxy takes Rows values from Sequence and calls AddPrimaryKeys.
type AutoIncrement struct {
	Table    string `json:"table"`
	Column   string `json:"column"`
	Sequence string `json:"sequence"`
	Rows     int    `json:"rows"`
}

// Lookup: an INSERT into an ER child table whose parentKey is not the
// parent's shard column. The proxy runs SQL on each of DataNodes, sends
// Then to the (first) node that returns a row, and fails with
// "can't find parent sharding node" when none does.
type Lookup struct {
	ParentTable string   `json:"parentTable"`
	ParentKey   string   `json:"parentKey"`
	Value       string   `json:"value"`
	DataNodes   []string `json:"dataNodes"`
	SQL         string   `json:"sql"`
	Then        string   `json:"then"`
}
