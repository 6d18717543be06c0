package mycatconf

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

func defaultSystem() System {
	return System{
		ServerPort:          8066,
		ManagerPort:         9066,
		BindIP:              "0.0.0.0",
		Charset:             "utf8",
		IdleTimeout:         30 * time.Minute,
		MaxPacketSize:       16 * 1024 * 1024,
		TxIsolation:         3,
		SequenceHandlerType: 0,
		SQLExecuteTimeout:   300 * time.Second,
		Raw:                 map[string]string{},
	}
}

// knownSystemProperties are SystemConfig's settable properties in Mycat 1.6
// that shardcat reads or deliberately ignores, plus shardcat's own
// (defaultAuthPlugin, proxyProtocolFrom, XARecoveryLogNode, mergeMaxRows,
// mergeMaxBytes); anything else is a warning.
var knownSystemProperties = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		serverPort managerPort bindIp charset idleTimeout maxPacketSize fakeMySQLVersion
		txIsolation handleDistributedTransactions sequnceHandlerType sequenceHandlerType
		sqlExecuteTimeout sslCert sslKey sslCa nonePasswordLogin
		processors processorExecutor processorBufferChunk processorBufferPool
		processorBufferLocalPercent processorBufferPoolType processorCheckPeriod
		frontSocketSoRcvbuf frontSocketSoSndbuf frontSocketNoDelay frontWriteQueueSize
		backSocketSoRcvbuf backSocketSoSndbuf backSocketNoDelay
		maxStringLiteralLength mutiNodeLimitType mutiNodePatchSize defaultSqlParser
		useCompression useHandshakeV10 ignoreUnknownCommand
		dataNodeHeartbeatPeriod dataNodeIdleCheckPeriod
		clusterHeartbeatUser clusterHeartbeatPass clusterHeartbeatPeriod
		clusterHeartbeatTimeout clusterHeartbeatRetry clusterHeartbeatRetryCount
		parserCommentVersion sqlRecordCount bufferPoolPageSize bufferPoolChunkSize
		bufferPoolPageNumber maxResultSet bigResultSizeSqlCount bufferUsagePercent
		flowControlRejectStrategy clearBigSqLResultSetMapMs defaultMaxLimit
		sequnceHandlerPattern sequenceHanlderClass sequenceMySqlRetryCount sequenceMySqlWaitTime
		usingAIO packetHeaderSize mycatNodeId useSqlStat useGlobleTableCheck
		useOffHeapForMerge memoryPageSize spillsFileBufferSize useStreamOutput
		systemReserveMemorySize XARecoveryLogBaseDir XARecoveryLogBaseName
		useZKSwitch parallExecute enableSlowLog slowTime checkTableConsistency
		checkTableConsistencyPeriod strictTxIsolation subqueryRelationshipCheck
		maxPreparedStmtCount removeGraveAccent sqlInterceptor sqlInterceptorType
		sqlInterceptorFile useCostTimeStat maxCostStatSize costSamplePercent
		lowerCaseTableNames glableTableCheckPeriod showBinlogStatusTimeout
		dataNodeSortedTempDir mappedFileSize enableBatchLoadData
		defaultAuthPlugin proxyProtocolFrom XARecoveryLogNode mergeMaxRows mergeMaxBytes`) {
		knownSystemProperties[p] = true
	}
}

// loadServer reads server.xml as XMLServerLoader does: system, users,
// firewall (and ignores the cluster section, which shardcat does not use).
func (l *loader) loadServer(root *element) {
	var firewalls []*element
	for _, e := range root.Children {
		switch e.Name {
		case "system":
			l.loadSystem(e)
		case "user":
		case "firewall", "quarantine":
			firewalls = append(firewalls, e)
		case "cluster":
			l.warnf(ServerFile, e.Line, "<cluster> is ignored: shardcat proxies are stateless peers behind the director")
		default:
			l.warnf(ServerFile, e.Line, "<%s> is not a server.xml element; ignored (expected <system>, <user> or <firewall>)", e.Name)
		}
	}
	for _, e := range root.children("user") {
		l.loadUser(e)
	}
	if len(firewalls) > 1 {
		l.errorf(ServerFile, firewalls[1].Line, "a second <%s>; expected at most one", firewalls[1].Name)
	}
	if len(firewalls) > 0 {
		l.loadFirewall(firewalls[0])
	}
}

// properties reads <property name="...">value</property> children into a map
// with the line of each; other children are reported.
func (l *loader) properties(file string, e *element, what string) (map[string]string, map[string]int) {
	props, lines := map[string]string{}, map[string]int{}
	for _, p := range e.Children {
		if p.Name != "property" {
			l.warnf(file, p.Line, "%s: <%s> ignored (expected <property name=...>)", what, p.Name)
			continue
		}
		name := strings.TrimSpace(p.get("name"))
		if name == "" {
			l.errorf(file, p.Line, "%s: <property> without a name attribute", what)
			continue
		}
		if first, dup := lines[name]; dup {
			l.warnf(file, p.Line, "%s: property %s set again (first at line %d); the last one wins", what, name, first)
		}
		props[name] = strings.TrimSpace(p.textContent())
		lines[name] = p.Line
	}
	return props, lines
}

func (l *loader) loadSystem(e *element) {
	props, lines := l.properties(ServerFile, e, "<system>")
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	sys := &l.cfg.System
	for _, name := range names {
		v, line := props[name], lines[name]
		sys.Raw[name] = v
		if !knownSystemProperties[name] {
			l.warnf(ServerFile, line, "<system>: unknown property %s (kept, not used)", name)
			continue
		}
		bad := func(format string, args ...any) {
			l.errorf(ServerFile, line, "<system> property %s=%q: %s", name, v, fmt.Sprintf(format, args...))
		}
		intValue := func(min, max int) (int, bool) {
			n, err := parseInt32(v)
			if err != nil || n < min || n > max {
				bad("expected an integer in %d..%d", min, max)
				return 0, false
			}
			return n, true
		}
		switch name {
		case "serverPort":
			if n, ok := intValue(1, 65535); ok {
				sys.ServerPort = n
			}
		case "managerPort":
			if n, ok := intValue(1, 65535); ok {
				sys.ManagerPort = n
			}
		case "bindIp":
			sys.BindIP = v
		case "charset":
			if v == "" {
				bad("expected a MySQL charset name such as utf8 or utf8mb4")
			} else {
				sys.Charset = v
			}
		case "idleTimeout":
			n, err := parseInt64(v)
			if err != nil || n <= 0 {
				bad("expected a positive number of milliseconds")
			} else {
				sys.IdleTimeout = time.Duration(n) * time.Millisecond
			}
		case "sqlExecuteTimeout":
			n, err := parseInt64(v)
			if err != nil || n <= 0 || n > 1<<31 {
				bad("expected a positive number of seconds")
			} else {
				sys.SQLExecuteTimeout = time.Duration(n) * time.Second
			}
		case "maxPacketSize":
			if n, ok := intValue(1024, 1<<30); ok {
				sys.MaxPacketSize = n
			}
		case "fakeMySQLVersion":
			if err := checkFakeVersion(v); err != nil {
				bad("%v", err)
			} else {
				sys.FakeMySQLVersion = v
			}
		case "txIsolation":
			if n, ok := intValue(1, 4); ok {
				sys.TxIsolation = n
			}
		case "handleDistributedTransactions":
			if n, ok := intValue(0, 2); ok {
				sys.HandleDistributedTransactions = n
			}
		case "sequnceHandlerType", "sequenceHandlerType":
			other := "sequenceHandlerType"
			if name == other {
				other = "sequnceHandlerType"
			}
			if ov, both := props[other]; both && ov != v {
				if name == "sequenceHandlerType" {
					bad("contradicts %s=%q; set only one", other, ov)
				}
				continue
			}
			if n, ok := intValue(0, 7); ok {
				sys.SequenceHandlerType = n
			}
		case "sslCert", "sslKey", "sslCa":
			p := l.path(v)
			if _, err := os.Stat(p); err != nil {
				bad("cannot read the file: %v", err)
				continue
			}
			switch name {
			case "sslCert":
				sys.SSLCert = p
			case "sslKey":
				sys.SSLKey = p
			default:
				sys.SSLCA = p
			}
		case "nonePasswordLogin":
			if n, ok := intValue(0, 1); ok {
				sys.NonePasswordLogin = n == 1
			}
		}
	}
	if (sys.SSLCert == "") != (sys.SSLKey == "") {
		l.errorf(ServerFile, e.Line, "<system>: sslCert and sslKey must be set together")
	}
}

// checkFakeVersion mirrors XMLServerLoader: the major.minor of the version
// must be one Mycat knows.
func checkFakeVersion(v string) error {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 3 || parts[2] == "" {
		return fmt.Errorf("expected a MySQL version such as 5.6.29")
	}
	switch parts[0] + "." + parts[1] {
	case "5.5", "5.6", "5.7", "8.0":
		return nil
	}
	return fmt.Errorf("the specified MySQL version is not valid (expected 5.5.x, 5.6.x, 5.7.x or 8.0.x)")
}

func (l *loader) loadUser(e *element) {
	l.warnUnknownAttrs(ServerFile, e)
	name := e.get("name")
	if strings.TrimSpace(name) == "" {
		l.errorf(ServerFile, e.Line, "<user>: attribute name is missing or empty")
		return
	}
	what := fmt.Sprintf("<user name=%q>", name)
	u := &User{
		Name:           name,
		DefaultAccount: javaBool(e.get("defaultAccount")),
		Pos:            Pos{ServerFile, e.Line},
	}
	var propElems []*element
	for _, c := range e.Children {
		switch c.Name {
		case "property":
			propElems = append(propElems, c)
		case "privileges":
		default:
			l.warnf(ServerFile, c.Line, "%s: <%s> ignored (expected <property> or <privileges>)", what, c.Name)
		}
	}
	props, lines := l.properties(ServerFile, &element{Children: propElems}, what)
	for k, v := range props {
		line := lines[k]
		switch k {
		case "password":
			u.Password = v
		case "schemas":
			u.Schemas = splitTrim(v)
		case "readOnly":
			u.ReadOnly = javaBool(v)
		case "defaultSchema":
			u.DefaultSchema = v
		case "benchmark":
			n, err := parseInt32(v)
			if err != nil || n < 0 {
				l.errorf(ServerFile, line, "%s: property benchmark=%q: expected a non-negative integer (connection limit)", what, v)
			} else {
				u.Benchmark = n
			}
		case "usingDecrypt":
			if strings.TrimSpace(v) == "1" {
				l.errorf(ServerFile, line, "%s: usingDecrypt=1 (encrypted password) is not supported; write the plain password", what)
			}
		default:
			l.warnf(ServerFile, line, "%s: unknown property %s ignored", what, k)
		}
	}
	sort.Strings(u.Schemas)
	if privs := e.children("privileges"); len(privs) > 0 {
		u.Privileges = l.loadPrivileges(privs, what)
	}
	if prev, dup := l.cfg.Users[name]; dup {
		l.errorf(ServerFile, e.Line, "%s: user %s duplicated (first at line %d)", what, name, prev.Pos.Line)
		return
	}
	l.cfg.Users[name] = u
}

func (l *loader) loadPrivileges(privs []*element, what string) *Privileges {
	p := &Privileges{Schemas: map[string]*SchemaPrivilege{}}
	for _, pe := range privs {
		if javaBool(pe.get("check")) {
			p.Check = true
		}
		for _, se := range pe.Children {
			if se.Name != "schema" {
				l.warnf(ServerFile, se.Line, "%s <privileges>: <%s> ignored (expected <schema name dml>)", what, se.Name)
				continue
			}
			sname := strings.TrimSpace(se.get("name"))
			dml, err := parseDML(se.get("dml"))
			if sname == "" || err != nil {
				l.errorf(ServerFile, se.Line, "%s <privileges> <schema name=%q>: %v", what, sname, orMissingName(err))
				continue
			}
			sp := &SchemaPrivilege{DML: dml, Tables: map[string]DML{}}
			for _, te := range se.Children {
				if te.Name != "table" {
					l.warnf(ServerFile, te.Line, "%s <privileges>: <%s> ignored (expected <table name dml>)", what, te.Name)
					continue
				}
				tname := upperAttr(te, "name")
				tdml, err := parseDML(te.get("dml"))
				if tname == "" || err != nil {
					l.errorf(ServerFile, te.Line, "%s <privileges> <table name=%q>: %v", what, tname, orMissingName(err))
					continue
				}
				sp.Tables[tname] = tdml
			}
			p.Schemas[sname] = sp
		}
	}
	return p
}

func orMissingName(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("attribute name is missing or empty")
}

// parseDML reads Mycat's four-digit "IUSD" flags, e.g. dml="0110".
func parseDML(s string) (DML, error) {
	var d DML
	s = strings.TrimSpace(s)
	if len(s) != 4 {
		return d, fmt.Errorf("dml=%q: expected four 0/1 digits for insert, update, select, delete (e.g. \"0110\")", s)
	}
	for i := 0; i < 4; i++ {
		switch s[i] {
		case '0':
		case '1':
			d[i] = true
		default:
			return DML{}, fmt.Errorf("dml=%q: expected four 0/1 digits for insert, update, select, delete (e.g. \"0110\")", s)
		}
	}
	return d, nil
}

// loadFirewall reads <firewall> (or the older <quarantine>): whitehost
// entries and the Druid blacklist switch with its properties.
func (l *loader) loadFirewall(e *element) {
	fw := &l.cfg.Firewall
	seen := map[string]int{}
	for _, c := range e.Children {
		switch c.Name {
		case "whitehost":
			for _, h := range c.Children {
				if h.Name != "host" {
					l.warnf(ServerFile, h.Line, "<whitehost>: <%s> ignored (expected <host host user>)", h.Name)
					continue
				}
				host := strings.TrimSpace(h.get("host"))
				if host == "" {
					l.errorf(ServerFile, h.Line, "<whitehost> <host>: attribute host is missing or empty")
					continue
				}
				if first, dup := seen[host]; dup {
					l.errorf(ServerFile, h.Line, "<whitehost>: host duplicated: %s (first at line %d)", host, first)
					continue
				}
				seen[host] = h.Line
				users := splitTrim(h.get("user"))
				if len(users) == 0 {
					l.errorf(ServerFile, h.Line, "<whitehost> <host host=%q>: attribute user is missing or empty (expected a comma list of users)", host)
					continue
				}
				fw.WhiteHosts = append(fw.WhiteHosts, WhiteHost{Host: host, Users: users, Pos: Pos{ServerFile, h.Line}})
			}
		case "blacklist":
			fw.Blacklist.Check = javaBool(c.get("check"))
			props, _ := l.properties(ServerFile, c, "<blacklist>")
			fw.Blacklist.Props = props
		default:
			l.warnf(ServerFile, c.Line, "<%s>: <%s> ignored (expected <whitehost> or <blacklist>)", e.Name, c.Name)
		}
	}
}

// checkUsers runs the cross-file checks of ConfigInitializer.checkConfig and
// XMLServerLoader.loadFirewall: users' schemas exist, whitehost users exist
// and are not schema-less (root) users.
func (l *loader) checkUsers() {
	defaults := 0
	if len(l.cfg.Users) == 0 && !l.failed[ServerFile] {
		l.warnf(ServerFile, 0, "no <user>: no client can log in")
	}
	for _, name := range sortedKeys(l.cfg.Users) {
		u := l.cfg.Users[name]
		for _, s := range u.Schemas {
			if _, ok := l.cfg.Schemas[s]; !ok && !l.failed[SchemaFile] {
				l.errorf(ServerFile, u.Pos.Line, "<user name=%q>: schema %s referred by user %s does not exist in schema.xml", u.Name, s, u.Name)
			}
		}
		if u.DefaultSchema != "" && !contains(u.Schemas, u.DefaultSchema) {
			l.errorf(ServerFile, u.Pos.Line, "<user name=%q>: defaultSchema %s is not in the user's schemas %v", u.Name, u.DefaultSchema, u.Schemas)
		}
		if u.Privileges != nil {
			for s := range u.Privileges.Schemas {
				if !contains(u.Schemas, s) {
					l.warnf(ServerFile, u.Pos.Line, "<user name=%q>: privileges for schema %s, which the user cannot use", u.Name, s)
				}
			}
		}
		if u.DefaultAccount {
			defaults++
			if defaults == 2 {
				l.errorf(ServerFile, u.Pos.Line, "<user name=%q>: a second defaultAccount=\"true\" user; expected at most one", u.Name)
			}
		}
	}
	for _, wh := range l.cfg.Firewall.WhiteHosts {
		for _, name := range wh.Users {
			u, ok := l.cfg.Users[name]
			if !ok {
				l.errorf(ServerFile, wh.Pos.Line, "<whitehost>: [user: %s] doesn't exist in [host: %s]", name, wh.Host)
			} else if len(u.Schemas) == 0 {
				l.errorf(ServerFile, wh.Pos.Line, "<whitehost>: [host: %s] contains one root privileges user: %s (a user without schemas)", wh.Host, name)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
