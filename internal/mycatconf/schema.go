package mycatconf

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// loadSchemaFile reads schema.xml as XMLSchemaLoader does: all dataHosts,
// then all dataNodes, then the schemas with their tables.
func (l *loader) loadSchemaFile(root *element) {
	for _, e := range root.Children {
		switch e.Name {
		case "schema", "dataNode", "dataHost":
		default:
			l.warnf(SchemaFile, e.Line, "<%s> is not a schema.xml element; ignored (expected <schema>, <dataNode> or <dataHost>)", e.Name)
		}
	}
	for _, e := range root.children("dataHost") {
		l.loadDataHost(e)
	}
	for _, e := range root.children("dataNode") {
		l.loadDataNode(e)
	}
	for _, e := range root.children("schema") {
		l.loadSchema(e)
	}
	used := map[string]bool{}
	for _, dn := range l.cfg.DataNodes {
		used[dn.DataHost] = true
	}
	for _, name := range sortedKeys(l.cfg.DataHosts) {
		if dh := l.cfg.DataHosts[name]; !used[name] {
			l.warnf(SchemaFile, dh.Pos.Line, "<dataHost name=%q> holds no dataNode; unused", name)
		}
	}
}

// intAttr reads an optional integer attribute; def when absent or empty.
func (l *loader) intAttr(e *element, what, name string, def int) int {
	v, ok := e.attr(name)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	n, err := parseInt32(v)
	if err != nil {
		l.errorf(SchemaFile, e.Line, "%s: attribute %s: %v", what, name, err)
		return def
	}
	return n
}

// requiredIntAttr reads an integer attribute Mycat parses unconditionally.
func (l *loader) requiredIntAttr(e *element, what, name string) int {
	v, ok := e.attr(name)
	if !ok || strings.TrimSpace(v) == "" {
		l.errorf(SchemaFile, e.Line, "%s: attribute %s is required (an integer)", what, name)
		return 0
	}
	return l.intAttr(e, what, name, 0)
}

func (l *loader) oneOf(e *element, what, name string, v int, allowed ...int) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	l.errorf(SchemaFile, e.Line, "%s: %s=%d is not one of %v", what, name, v, allowed)
}

func (l *loader) loadDataHost(e *element) {
	l.warnUnknownAttrs(SchemaFile, e)
	name := strings.TrimSpace(e.get("name"))
	if name == "" {
		l.errorf(SchemaFile, e.Line, "<dataHost>: attribute name is missing or empty")
		return
	}
	what := fmt.Sprintf("<dataHost name=%q>", name)
	if prev, dup := l.cfg.DataHosts[name]; dup {
		l.errorf(SchemaFile, e.Line, "%s: dataHost name %s duplicated (first at line %d)", what, name, prev.Pos.Line)
		return
	}
	dh := &DataHost{
		Name:                  name,
		MaxCon:                l.requiredIntAttr(e, what, "maxCon"),
		MinCon:                l.requiredIntAttr(e, what, "minCon"),
		Balance:               l.requiredIntAttr(e, what, "balance"),
		BalanceType:           l.intAttr(e, what, "balanceType", 0),
		WriteType:             l.intAttr(e, what, "writeType", 0),
		SwitchType:            l.intAttr(e, what, "switchType", -1),
		SlaveThreshold:        l.intAttr(e, what, "slaveThreshold", -1),
		TempReadHostAvailable: l.intAttr(e, what, "tempReadHostAvailable", 0) > 0,
		MaxRetryCount:         l.intAttr(e, what, "maxRetryCount", 3),
		DBType:                strings.TrimSpace(e.get("dbType")),
		DBDriver:              strings.TrimSpace(e.get("dbDriver")),
		Pos:                   Pos{SchemaFile, e.Line},
	}
	if dh.MinCon < 0 || dh.MaxCon < dh.MinCon {
		l.errorf(SchemaFile, e.Line, "%s: expected 0 <= minCon <= maxCon, got minCon=%d maxCon=%d", what, dh.MinCon, dh.MaxCon)
	}
	l.oneOf(e, what, "balance", dh.Balance, 0, 1, 2, 3)
	l.oneOf(e, what, "balanceType", dh.BalanceType, 0, 1, 2)
	l.oneOf(e, what, "writeType", dh.WriteType, 0, 1, 2)
	l.oneOf(e, what, "switchType", dh.SwitchType, -1, 1, 2, 3)
	// shardcat speaks only the MySQL protocol to its data hosts.
	if !strings.EqualFold(dh.DBType, "mysql") {
		l.errorf(SchemaFile, e.Line, "%s: dbType=%q is not supported (shardcat connects to MySQL/MariaDB only; expected dbType=\"mysql\")", what, dh.DBType)
	}
	switch strings.ToLower(dh.DBDriver) {
	case "native", "jdbc":
	default:
		l.errorf(SchemaFile, e.Line, "%s: dbDriver=%q, expected \"native\" or \"jdbc\"", what, dh.DBDriver)
	}
	hb := e.children("heartbeat")
	if len(hb) == 0 {
		l.errorf(SchemaFile, e.Line, "%s: <heartbeat> is required (e.g. <heartbeat>select user()</heartbeat>)", what)
	} else {
		dh.Heartbeat = strings.TrimSpace(hb[0].textContent())
	}
	if init := e.children("connectionInitSql"); len(init) > 0 {
		dh.ConnectionInitSQL = strings.TrimSpace(init[0].textContent())
	}
	for _, c := range e.Children {
		switch c.Name {
		case "heartbeat", "connectionInitSql":
		case "writeHost":
			w := l.loadHost(c, dh, what)
			if w == nil {
				continue
			}
			for _, r := range c.Children {
				if r.Name != "readHost" {
					l.warnf(SchemaFile, r.Line, "%s: <%s> inside <writeHost> ignored (expected <readHost>)", what, r.Name)
					continue
				}
				if rh := l.loadHost(r, dh, what); rh != nil {
					w.ReadHosts = append(w.ReadHosts, rh)
				}
			}
			dh.WriteHosts = append(dh.WriteHosts, w)
		default:
			l.warnf(SchemaFile, c.Line, "%s: <%s> ignored (expected <heartbeat>, <connectionInitSql> or <writeHost>)", what, c.Name)
		}
	}
	if len(e.children("writeHost")) == 0 {
		l.errorf(SchemaFile, e.Line, "%s: no <writeHost> (a dataHost needs at least one)", what)
	}
	l.cfg.DataHosts[name] = dh
}

// loadHost reads a writeHost or readHost (createDBHostConf).
func (l *loader) loadHost(e *element, dh *DataHost, what string) *Host {
	l.warnUnknownAttrs(SchemaFile, e)
	h := &Host{
		Name:     strings.TrimSpace(e.get("host")),
		URL:      strings.TrimSpace(e.get("url")),
		User:     e.get("user"),
		Password: e.get("password"),
		Weight:   l.intAttr(e, what+" <"+e.Name+">", "weight", 0),
		Pos:      Pos{SchemaFile, e.Line},
	}
	if h.Name == "" || h.URL == "" || h.User == "" {
		l.errorf(SchemaFile, e.Line, "%s: <%s host=%q>: attributes host, url and user must not be empty", what, e.Name, h.Name)
		return nil
	}
	if h.Weight < 0 {
		l.errorf(SchemaFile, e.Line, "%s: <%s host=%q>: weight=%d must not be negative", what, e.Name, h.Name, h.Weight)
	}
	if javaBool(e.get("usingDecrypt")) || strings.TrimSpace(e.get("usingDecrypt")) == "1" {
		l.errorf(SchemaFile, e.Line, "%s: <%s host=%q>: usingDecrypt (encrypted passwords) is not supported; write the plain password", what, e.Name, h.Name)
	}
	addr, err := hostAddr(h.URL)
	if err != nil {
		l.errorf(SchemaFile, e.Line, "%s: <%s host=%q>: url %q: %v", what, e.Name, h.Name, h.URL, err)
		return nil
	}
	h.Addr = addr
	return h
}

// hostAddr turns a writeHost url into host:port. Mycat's native driver takes
// "ip:port"; its jdbc driver a "jdbc:mysql://host:port/..." URL, whose port
// defaults to 3306 as MySQL Connector/J's does. Both forms are accepted for
// either driver.
func hostAddr(raw string) (string, error) {
	if rest, ok := strings.CutPrefix(raw, "jdbc:"); ok {
		u, err := url.Parse(rest)
		if err != nil {
			return "", fmt.Errorf("invalid jdbc url: %v", err)
		}
		if u.Scheme != "mysql" && u.Scheme != "mariadb" {
			return "", fmt.Errorf("jdbc:%s is not a MySQL url (expected jdbc:mysql://host:port)", u.Scheme)
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			return "", fmt.Errorf("no host (expected jdbc:mysql://host:port)")
		}
		if port == "" {
			port = "3306"
		}
		if err := checkPort(port); err != nil {
			return "", err
		}
		return net.JoinHostPort(host, port), nil
	}
	host, port, err := net.SplitHostPort(raw)
	if err != nil || host == "" {
		return "", fmt.Errorf("expected host:port (e.g. 127.0.0.1:3306) or jdbc:mysql://host:port")
	}
	if err := checkPort(port); err != nil {
		return "", err
	}
	return net.JoinHostPort(strings.TrimSpace(host), port), nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", p)
	}
	return nil
}

func (l *loader) loadDataNode(e *element) {
	l.warnUnknownAttrs(SchemaFile, e)
	rawName, rawDB, rawHost := e.get("name"), e.get("database"), e.get("dataHost")
	what := fmt.Sprintf("<dataNode name=%q>", rawName)
	if strings.TrimSpace(rawName) == "" || strings.TrimSpace(rawDB) == "" || strings.TrimSpace(rawHost) == "" {
		l.errorf(SchemaFile, e.Line, "%s: attributes name, dataHost and database are all required and non-empty", what)
		return
	}
	names, err1 := expandNames(rawName)
	dbs, err2 := expandNames(rawDB)
	hosts, err3 := expandNames(rawHost)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			l.errorf(SchemaFile, e.Line, "%s: %v", what, err)
			return
		}
	}
	if len(names) == 0 || len(dbs) == 0 || len(hosts) == 0 {
		l.errorf(SchemaFile, e.Line, "%s: name, dataHost and database must each name at least one item", what)
		return
	}
	// Every host holds every database, host-major (mergerHostDatabase).
	// Mycat copies a single name's database and dataHost verbatim even when
	// they hold ranges; that is always a typo, so it is an error here.
	if len(names) != len(dbs)*len(hosts) {
		l.errorf(SchemaFile, e.Line, "%s: %d names but %d databases x %d dataHosts (dnNames.length must be = databases.length*hostStrings.length)",
			what, len(names), len(dbs), len(hosts))
		return
	}
	k := 0
	for _, host := range hosts {
		for _, db := range dbs {
			l.createDataNode(e, names[k], db, host)
			k++
		}
	}
}

func (l *loader) createDataNode(e *element, name, db, host string) {
	if prev, dup := l.cfg.DataNodes[name]; dup {
		l.errorf(SchemaFile, e.Line, "<dataNode name=%q>: dataNode %s duplicated (first at line %d)", e.get("name"), name, prev.Pos.Line)
		return
	}
	if _, ok := l.cfg.DataHosts[host]; !ok {
		l.errorf(SchemaFile, e.Line, "<dataNode name=%q>: dataNode %s references dataHost %q, which is not defined", e.get("name"), name, host)
		return
	}
	l.cfg.DataNodes[name] = &DataNode{Name: name, DataHost: host, Database: db, Pos: Pos{SchemaFile, e.Line}}
}

func (l *loader) loadSchema(e *element) {
	l.warnUnknownAttrs(SchemaFile, e)
	name := strings.TrimSpace(e.get("name"))
	if name == "" {
		l.errorf(SchemaFile, e.Line, "<schema>: attribute name is missing or empty")
		return
	}
	what := fmt.Sprintf("<schema name=%q>", name)
	s := &Schema{
		Name:           name,
		CheckSQLSchema: javaBool(e.get("checkSQLschema")),
		SQLMaxLimit:    l.intAttr(e, what, "sqlMaxLimit", -1),
		DataNode:       strings.TrimSpace(e.get("dataNode")),
		RandomDataNode: strings.TrimSpace(e.get("randomDataNode")),
		Tables:         map[string]*Table{},
		Pos:            Pos{SchemaFile, e.Line},
	}
	if s.DataNode != "" {
		if _, ok := l.cfg.DataNodes[s.DataNode]; !ok {
			l.errorf(SchemaFile, e.Line, "%s: default dataNode %q is not defined (no <dataNode name=%q>)", what, s.DataNode, s.DataNode)
		}
	}
	for _, c := range e.Children {
		switch c.Name {
		case "table":
			l.loadTable(s, c)
		default:
			l.warnf(SchemaFile, c.Line, "%s: <%s> ignored (expected <table>)", what, c.Name)
		}
	}
	if prev, dup := l.cfg.Schemas[name]; dup {
		l.errorf(SchemaFile, e.Line, "%s: schema %s duplicated (first at line %d)", what, name, prev.Pos.Line)
		return
	}
	if s.DataNode == "" && len(s.Tables) == 0 && len(e.children("table")) == 0 {
		l.errorf(SchemaFile, e.Line, "%s: schema %s didn't config tables, so you must set dataNode property", what, name)
	}
	l.cfg.Schemas[name] = s
}

// loadTable reads one <table> (loadTables), which may name several tables.
func (l *loader) loadTable(s *Schema, e *element) {
	l.warnUnknownAttrs(SchemaFile, e)
	rawName := strings.TrimSpace(e.get("name"))
	what := fmt.Sprintf("<table name=%q>", rawName)
	if rawName == "" {
		l.errorf(SchemaFile, e.Line, "<table>: attribute name is missing or empty")
		return
	}
	nameList := strings.ToUpper(strings.ReplaceAll(rawName, "`", ""))
	if suffix := strings.TrimSpace(e.get("nameSuffix")); suffix != "" {
		if strings.Contains(nameList, ",") {
			l.errorf(SchemaFile, e.Line, "%s: nameSuffix %s requires a single table name", what, suffix)
			return
		}
		expanded, err := tableNameSuffix(nameList, strings.ToUpper(suffix))
		if err != nil {
			l.errorf(SchemaFile, e.Line, "%s: nameSuffix: %v", what, err)
			return
		}
		nameList = expanded
	}
	var names []string
	for _, n := range strings.Split(nameList, ",") {
		if n = strings.TrimSpace(n); n == "" {
			l.errorf(SchemaFile, e.Line, "%s: empty table name in the name list", what)
			return
		}
		names = append(names, n)
	}

	global := strings.EqualFold(strings.TrimSpace(e.get("type")), "global")
	if t, ok := e.attr("type"); ok && !global && strings.TrimSpace(t) != "" {
		l.warnf(SchemaFile, e.Line, "%s: type=%q is not \"global\"; the table is not global", what, t)
	}
	var rule *TableRule
	if rn, ok := e.attr("rule"); ok {
		rule = l.cfg.Rules[strings.TrimSpace(rn)]
		if rule == nil && l.failed[RuleFile] {
			return // rule.xml's own error says it all
		}
		if rule == nil {
			l.errorf(SchemaFile, e.Line, "%s: rule %q is not found (no <tableRule name=%q> in rule.xml)", what, rn, rn)
			return
		}
	}
	ruleRequired := javaBool(e.get("ruleRequired"))
	if ruleRequired && rule == nil {
		l.errorf(SchemaFile, e.Line, "%s: ruleRequired=\"true\" but no rule attribute", what)
		return
	}
	dataNode := strings.TrimSpace(e.get("dataNode"))
	distribute := false
	if inner, ok := strings.CutPrefix(dataNode, "distribute("); ok {
		inner, ok = strings.CutSuffix(inner, ")")
		if !ok {
			l.errorf(SchemaFile, e.Line, "%s: dataNode %q: distribute( without closing )", what, dataNode)
			return
		}
		distribute, dataNode = true, inner
	}
	nodes, err := expandNames(dataNode)
	if err != nil {
		l.errorf(SchemaFile, e.Line, "%s: dataNode: %v", what, err)
		return
	}
	if len(nodes) == 0 {
		l.errorf(SchemaFile, e.Line, "%s: attribute dataNode is required (e.g. dataNode=\"dn1,dn2\" or \"dn$1-2\")", what)
		return
	}
	for _, n := range nodes {
		if _, ok := l.cfg.DataNodes[n]; !ok {
			l.errorf(SchemaFile, e.Line, "%s: dataNode %q is not found (no <dataNode name=%q>)", what, n, n)
			return
		}
	}
	if distribute {
		nodes = l.distributeDataNodes(nodes)
	}
	var subTables []string
	if st := strings.TrimSpace(e.get("subTables")); st != "" {
		if subTables, err = expandNames(st); err != nil {
			l.errorf(SchemaFile, e.Line, "%s: subTables: %v", what, err)
			return
		}
	}
	if global && rule != nil {
		l.warnf(SchemaFile, e.Line, "%s: rule %s on a global table is ignored for routing (every row goes to every dataNode)", what, rule.Name)
	}
	if !global && rule == nil && len(nodes) > 1 {
		l.warnf(SchemaFile, e.Line, "%s: %d dataNodes but no rule: like Mycat, every statement on it goes to all of them", what, len(nodes))
	}

	if javaBool(e.get("autoIncrement")) && strings.TrimSpace(e.get("primaryKey")) == "" {
		l.warnf(SchemaFile, e.Line, "%s: autoIncrement=\"true\" without primaryKey: there is no column to fill from the sequence", what)
	}
	var created []*Table
	for _, name := range names {
		t := &Table{
			Name:          name,
			Schema:        s.Name,
			DataNodes:     append([]string(nil), nodes...),
			RuleRequired:  ruleRequired,
			PrimaryKey:    upperAttr(e, "primaryKey"),
			AutoIncrement: javaBool(e.get("autoIncrement")),
			NeedAddLimit:  boolAttr(e, "needAddLimit", true),
			Distribute:    distribute,
			SubTables:     subTables,
			Pos:           Pos{SchemaFile, e.Line},
		}
		var tableRule *TableRule
		if rule != nil {
			tableRule = l.ruleForTable(rule, name, len(nodes))
			l.ruleChecks = append(l.ruleChecks, ruleCheck{t, tableRule})
		}
		switch {
		case global:
			t.Type = TableGlobal
		case tableRule != nil:
			t.Type, t.Rule = TableSharded, tableRule
		case len(nodes) == 1:
			t.Type = TableSingle
		default:
			t.Type = TableSharded
		}
		if prev, dup := s.Tables[name]; dup {
			l.errorf(SchemaFile, e.Line, "%s: table %s duplicated in schema %s (first at line %d)", what, name, s.Name, prev.Pos.Line)
			continue
		}
		s.Tables[name] = t
		created = append(created, t)
	}
	children := e.children("childTable")
	if len(names) == 1 && len(created) == 1 {
		l.loadChildTables(s, created[0], e, 1)
	} else if len(children) > 0 {
		l.warnf(SchemaFile, e.Line, "%s: <childTable> ignored: Mycat reads child tables only under a <table> naming one table", what)
	}
	for _, c := range e.Children {
		if c.Name != "childTable" {
			l.warnf(SchemaFile, c.Line, "%s: <%s> ignored (expected <childTable>)", what, c.Name)
		}
	}
}

// loadChildTables reads nested <childTable>s (processChildTables). A child
// lives wherever its parent row does, so its dataNodes are its root's.
func (l *loader) loadChildTables(s *Schema, parent *Table, e *element, depth int) {
	if parent.Type == TableGlobal && len(e.children("childTable")) > 0 {
		l.warnf(SchemaFile, e.Line, "<table name=%q>: child tables of a global table: rows follow no shard key", parent.Name)
	}
	for _, c := range e.children("childTable") {
		l.warnUnknownAttrs(SchemaFile, c)
		name := tableKey(c.get("name"))
		what := fmt.Sprintf("<childTable name=%q>", c.get("name"))
		if name == "" {
			l.errorf(SchemaFile, c.Line, "<childTable>: attribute name is missing or empty")
			continue
		}
		t := &Table{
			Name:          name,
			Schema:        s.Name,
			Type:          TableChild,
			DataNodes:     append([]string(nil), parent.DataNodes...),
			PrimaryKey:    upperAttr(c, "primaryKey"),
			AutoIncrement: javaBool(c.get("autoIncrement")),
			NeedAddLimit:  boolAttr(c, "needAddLimit", true),
			Parent:        parent,
			JoinKey:       upperAttr(c, "joinKey"),
			ParentKey:     upperAttr(c, "parentKey"),
			Pos:           Pos{SchemaFile, c.Line},
		}
		if st := strings.TrimSpace(c.get("subTables")); st != "" {
			sub, err := expandNames(st)
			if err != nil {
				l.errorf(SchemaFile, c.Line, "%s: subTables: %v", what, err)
				continue
			}
			t.SubTables = sub
		}
		if t.AutoIncrement && t.PrimaryKey == "" {
			l.warnf(SchemaFile, c.Line, "%s: autoIncrement=\"true\" without primaryKey: there is no column to fill from the sequence", what)
		}
		if t.JoinKey == "" || t.ParentKey == "" {
			l.errorf(SchemaFile, c.Line, "%s: joinKey and parentKey are required (the child column and the parent column it references)", what)
			continue
		}
		if prev, dup := s.Tables[name]; dup {
			l.errorf(SchemaFile, c.Line, "%s: table %s duplicated in schema %s (first at line %d)", what, name, s.Name, prev.Pos.Line)
			continue
		}
		s.Tables[name] = t
		parent.Children = append(parent.Children, t)
		if depth >= maxDepth {
			continue
		}
		l.loadChildTables(s, t, c, depth+1)
	}
}

// tableKey is how Mycat keys a table name (TableConfigMap): upper-case,
// backquotes removed.
func tableKey(name string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "`", ""))
}

func upperAttr(e *element, name string) string {
	return strings.ToUpper(strings.TrimSpace(e.get(name)))
}

func boolAttr(e *element, name string, def bool) bool {
	if v, ok := e.attr(name); ok {
		return javaBool(v)
	}
	return def
}

// ruleCheck is a table whose rule's partition count is checked once the
// functions are built (checkRuleSuitTable).
type ruleCheck struct {
	table *Table
	rule  *TableRule
}

// checkPartitionCounts rejects a table with fewer dataNodes than its
// function has partitions, and warns when some nodes can never be chosen,
// as AbstractPartitionAlgorithm.suitableFor does.
func (l *loader) checkPartitionCounts() {
	for _, c := range l.ruleChecks {
		fn := c.rule.Function
		if fn == nil || fn.Impl == nil {
			continue
		}
		n := fn.Impl.PartitionNum()
		if n <= 0 {
			continue
		}
		size := len(c.table.DataNodes)
		if len(c.table.SubTables) > 0 {
			size = len(c.table.SubTables)
		}
		switch {
		case size < n:
			l.errorf(SchemaFile, c.table.Pos.Line, "<table name=%q>: rule function %s partition size %d > table datanode size %d; make sure table datanode size = function partition size",
				c.table.Name, fn.Name, n, size)
		case size > n:
			l.warnf(SchemaFile, c.table.Pos.Line, "<table name=%q>: rule function %s partition size %d < table datanode size %d; some dataNodes are never used",
				c.table.Name, fn.Name, n, size)
		}
	}
}

// distributeDataNodes reorders nodes round-robin over their data hosts, in
// the order Mycat's HashMap<host, nodes> iterates (distributeDataNodes), so
// that "distribute(...)" places rows exactly where Mycat does.
func (l *loader) distributeDataNodes(nodes []string) []string {
	var hosts []string
	byHost := map[string][]string{}
	for _, n := range nodes {
		h := l.cfg.DataNodes[n].DataHost
		if _, seen := byHost[h]; !seen {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], n)
	}
	hosts = javaHashMapOrder(hosts, len(l.cfg.DataHosts))
	out := make([]string, 0, len(nodes))
	for len(out) < len(nodes) {
		for _, h := range hosts {
			if q := byHost[h]; len(q) > 0 {
				out = append(out, q[0])
				byHost[h] = q[1:]
			}
		}
	}
	return out
}

// javaHashMapOrder returns keys (distinct, in insertion order) in the order
// java.util.HashMap<String,?> created with initialCapacity iterates them:
// by bucket index in the final table, then by insertion within a bucket
// (resizes split buckets keeping relative order).
func javaHashMapOrder(keys []string, initialCapacity int) []string {
	capacity := 1
	for capacity < initialCapacity {
		capacity <<= 1
	}
	for float64(len(keys)) > float64(capacity)*0.75 {
		capacity <<= 1
	}
	type entry struct {
		key    string
		bucket int
		order  int
	}
	entries := make([]entry, len(keys))
	for i, k := range keys {
		h := javaStringHash(k)
		h ^= int32(uint32(h) >> 16)
		entries[i] = entry{k, int(uint32(h) & uint32(capacity-1)), i}
	}
	// Stable insertion sort by bucket keeps insertion order within a bucket.
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].bucket < entries[j-1].bucket; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.key
	}
	return out
}

// javaStringHash is String.hashCode over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// tableNameSuffix expands nameSuffix (doTableNameSuffix): "YYYYMM,y,m,n"
// names n+1 monthly tables starting the month before y-m (Mycat sets day 0
// of that month), "YYYYMMDD,y,m,d,n" n+1 daily tables from y-m-d.
func tableNameSuffix(name, suffix string) (string, error) {
	params := strings.Split(suffix, ",")
	ints := func(want int) ([]int, error) {
		if len(params) != want+1 {
			return nil, fmt.Errorf("%s expects %d numbers, got %q", params[0], want, suffix)
		}
		out := make([]int, want)
		for i := range out {
			n, err := parseInt32(params[i+1])
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	var names []string
	switch strings.TrimSpace(params[0]) {
	case "YYYYMM":
		p, err := ints(3)
		if err != nil {
			return "", err
		}
		year, month, last := p[0], p[1], p[2]
		if year < 1600 || year > 9999 || last < 0 || last >= maxExpanded {
			return "", fmt.Errorf("year %d or count %d out of range", year, last)
		}
		idx := year*12 + month - 2
		for i := 0; i <= last; i++ {
			y, m := (idx+i)/12, (idx+i)%12+1
			if y > 9999 || idx+i < 0 {
				return "", fmt.Errorf("month out of range")
			}
			names = append(names, fmt.Sprintf("%s%04d%02d", name, y, m))
		}
	case "YYYYMMDD":
		p, err := ints(4)
		if err != nil {
			return "", err
		}
		year, month, day, last := p[0], p[1], p[2], p[3]
		if year < 1600 || year > 9999 || last < 0 || last >= maxExpanded || month < -1200 || month > 1200 || day < -40000 || day > 40000 {
			return "", fmt.Errorf("date %d-%d-%d or count %d out of range", year, month, day, last)
		}
		d := time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC)
		for i := 0; i <= last; i++ {
			names = append(names, name+d.AddDate(0, 0, i).Format("20060102"))
		}
	default:
		return "", fmt.Errorf("format %q is not YYYYMM or YYYYMMDD", params[0])
	}
	return strings.Join(names, ","), nil
}
