// Package mycatconf reads a Mycat 1.6 conf directory (server.xml, schema.xml,
// rule.xml and the map/properties files they name) into a validated model.
// Only the wiring layer reads the model; nothing here does I/O after Load.
package mycatconf

import (
	"strconv"
	"time"

	"github.com/shardcat/shardcat/internal/shard"
)

// Config is one loaded conf directory.
type Config struct {
	Dir       string
	System    System
	Users     map[string]*User // by user name
	Firewall  Firewall
	Schemas   map[string]*Schema   // by schema name as written
	DataNodes map[string]*DataNode // by data node name
	DataHosts map[string]*DataHost // by data host name
	Rules     map[string]*TableRule
	Functions map[string]*Function
	// Sequences is the global-sequence configuration (sequence_*.properties),
	// read according to System.SequenceHandlerType.
	Sequences SequenceConfig
}

// Pos is where an element was declared, for error messages and --check.
type Pos struct {
	File string
	Line int
}

// System holds server.xml's <system> properties. Raw keeps every property as
// written so that nothing the operator set is lost.
type System struct {
	ServerPort                    int           // 8066
	ManagerPort                   int           // 9066
	BindIP                        string        // 0.0.0.0
	Charset                       string        // utf8
	IdleTimeout                   time.Duration // 30 min
	MaxPacketSize                 int           // 16 MiB
	FakeMySQLVersion              string        // "" = ours
	TxIsolation                   int           // Mycat's Isolations: 1 READ UNCOMMITTED, 2 READ COMMITTED, 3 REPEATABLE READ (default), 4 SERIALIZABLE
	HandleDistributedTransactions int           // 0 allow (default), 1 reject, 2 allow and log
	SequenceHandlerType           int           // sequnceHandlerType or sequenceHandlerType; default 0
	SQLExecuteTimeout             time.Duration
	SSLCert, SSLKey, SSLCA        string // absolute paths once loaded ("" = no TLS)
	NonePasswordLogin             bool
	Raw                           map[string]string
}

// User is a <user> of server.xml.
type User struct {
	Name           string
	Password       string
	Schemas        []string
	ReadOnly       bool
	DefaultSchema  string
	Benchmark      int // connection limit, 0 = none
	DefaultAccount bool
	Privileges     *Privileges // nil = no privilege checks
	Pos            Pos
}

// DML is Mycat's four-flag privilege string "IUSD": insert, update, select, delete.
type DML [4]bool

const (
	DMLInsert = iota
	DMLUpdate
	DMLSelect
	DMLDelete
)

// Privileges is <privileges check="true">.
type Privileges struct {
	Check   bool
	Schemas map[string]*SchemaPrivilege // by schema name
}

// SchemaPrivilege is <schema name dml> with its <table name dml> children.
type SchemaPrivilege struct {
	DML    DML
	Tables map[string]DML // by upper-case table name
}

// Firewall is server.xml's <firewall>.
type Firewall struct {
	// WhiteHosts maps a host pattern (wildcards * and %) to the users allowed
	// from it. Empty means every host is allowed.
	WhiteHosts []WhiteHost
	Blacklist  Blacklist
}

type WhiteHost struct {
	Host  string
	Users []string
	Pos   Pos
}

// Blacklist is <blacklist check="true"> with Druid WallConfig properties.
type Blacklist struct {
	Check bool
	Props map[string]string
}

// Schema is a logical schema from schema.xml.
type Schema struct {
	Name           string
	CheckSQLSchema bool
	SQLMaxLimit    int               // -1 = none
	DataNode       string            // default node for tables not listed ("" = none)
	RandomDataNode string            // randomDataNode attribute as written ("" = none)
	Tables         map[string]*Table // by upper-case name without backquotes, child tables included (use Schema.Table)
	Pos            Pos
}

// TableType distinguishes how rows are placed.
type TableType int

const (
	TableSharded TableType = iota // rule over DataNodes
	TableGlobal                   // every row on every node
	TableSingle                   // one data node, no rule
	TableChild                    // ER child: rows follow the parent row
)

// Table is a <table> or <childTable>.
type Table struct {
	Name      string // upper-case, as Mycat keys tables
	Schema    string // the owning schema's name
	Type      TableType
	DataNodes []string // expanded, in Mycat's order; a child inherits its root parent's
	// Rule is set for sharded tables only. A TableSharded with a nil Rule is
	// a table listing several dataNodes and no rule: Mycat sends every
	// statement on it to all of them.
	Rule          *TableRule
	RuleRequired  bool
	PrimaryKey    string // upper-case
	AutoIncrement bool
	NeedAddLimit  bool // default true
	// Distribute is dataNode="distribute(...)": DataNodes is already
	// reordered round-robin over data hosts as Mycat does.
	Distribute bool
	// SubTables is the expanded subTables attribute (Mycat's in-node table
	// splitting), nil when absent.
	SubTables []string
	// ER child tables.
	Parent    *Table
	JoinKey   string // child column, upper-case
	ParentKey string // parent column, upper-case
	Children  []*Table
	Pos       Pos
}

// TableRule is a rule.xml <tableRule>.
type TableRule struct {
	Name     string
	Column   string // upper-case
	Function *Function
	Pos      Pos
	// Base is the shared rule this one was copied from, for functions Mycat
	// instantiates per table (PartitionByCRC32PreSlot): such a copy is named
	// RULE_TABLE and owns its own Function. Nil for ordinary rules.
	Base *TableRule
}

// Function is a rule.xml <function>; Impl is the constructed partition function.
type Function struct {
	Name      string
	Class     string // short class name, package stripped
	FullClass string // class attribute as written, e.g. io.mycat.route.function.PartitionByMod
	Props     map[string]string
	// Impl is nil when no table uses the function (it is not constructed),
	// and on the shared Function of a per-table rule (see TableRule.Base).
	Impl shard.Function
	Pos  Pos
}

// DataNode is a <dataNode> after $-range expansion.
type DataNode struct {
	Name     string
	DataHost string
	Database string
	Pos      Pos
}

// DataHost is a <dataHost>.
type DataHost struct {
	Name           string
	MaxCon, MinCon int
	Balance        int // 0..3
	BalanceType    int
	WriteType      int // 0, 1, 2
	SwitchType     int // -1, 1, 2, 3; -1 when absent (Mycat's loader)
	SlaveThreshold int // -1 = off
	// TempReadHostAvailable keeps read hosts serving when their write host
	// is down (tempReadHostAvailable > 0).
	TempReadHostAvailable bool
	MaxRetryCount         int // default 3
	DBType, DBDriver      string
	Heartbeat             string
	ConnectionInitSQL     string
	WriteHosts            []*Host
	Pos                   Pos
}

// Host is a writeHost or readHost.
type Host struct {
	Name      string // the host attribute
	Addr      string // host:port from url (jdbc: prefixes stripped)
	URL       string // url attribute as written
	User      string
	Password  string
	Weight    int
	ReadHosts []*Host // writeHost only
	Pos       Pos
}

// SequenceConfig holds the sequence properties files for the handler type in use.
type SequenceConfig struct {
	// Local (type 0, sequence_conf.properties): NAME -> fields.
	Local map[string]LocalSequence
	// DB (type 1, sequence_db_conf.properties): NAME -> data node.
	DB map[string]string
	// Time (type 2, sequence_time_conf.properties).
	WorkerID, DatacenterID int64
}

type LocalSequence struct {
	HisIDs       string
	MinID, MaxID int64
	CurID        int64
}

// Finding is a warning or an error from loading, with where it came from.
type Finding struct {
	Pos     Pos
	Warning bool
	Message string
}

func (f Finding) String() string {
	kind := "error"
	if f.Warning {
		kind = "warning"
	}
	return f.Pos.File + ":" + strconv.Itoa(f.Pos.Line) + ": " + kind + ": " + f.Message
}
