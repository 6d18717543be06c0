package proxy

import (
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
)

// managerHandler serves Mycat's 9066 management commands.
type managerHandler struct {
	mysql.BaseHandler
	p *Proxy
}

type managerSession struct{ user *mycatconf.User }

func (m *managerHandler) Authenticate(c *mysql.Conn, req *mysql.AuthRequest) error {
	u, _, err := m.p.authenticate(c, &mysql.AuthRequest{User: req.User, RemoteAddr: req.RemoteAddr, Plugin: req.Plugin,
		Scramble: req.Scramble, Response: req.Response, Cleartext: req.Cleartext})
	if err != nil {
		return err
	}
	c.Data = &managerSession{user: u}
	return nil
}

// table is a manager command's answer before it is written.
type table struct {
	cols []string
	rows [][]string
}

func (t *table) add(vals ...any) {
	row := make([]string, len(vals))
	for i, v := range vals {
		row[i] = fmt.Sprint(v)
	}
	t.rows = append(t.rows, row)
}

func (m *managerHandler) ComQuery(c *mysql.Conn, query string) error {
	q := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(query), ";"))
	t, msg, err := m.p.managerCommand(q)
	if err != nil {
		return err
	}
	if t == nil {
		return c.WriteOK(&mysql.OKPacket{Info: msg})
	}
	rows := make([]mysql.Row, len(t.rows))
	for i, r := range t.rows {
		rows[i] = make(mysql.Row, len(r))
		for j, v := range r {
			rows[i][j] = []byte(v)
		}
	}
	if err := c.WriteColumns(textColumns(t.cols...)); err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.WriteRow(r); err != nil {
			return err
		}
	}
	return c.WriteResultSetEnd(0, 0)
}

var whereName = regexp.MustCompile(`(?i)\s+where\s+(\w+)\s*=\s*['"]?([^'"\s]+)['"]?\s*$`)

// managerCommand runs one 9066 command: a table to show, or an OK message.
func (p *Proxy) managerCommand(q string) (*table, string, error) {
	lower := strings.ToLower(strings.Join(strings.Fields(q), " "))
	filterKey, filterVal := "", ""
	if m := whereName.FindStringSubmatch(q); m != nil {
		filterKey, filterVal = strings.ToLower(m[1]), m[2]
		lower = strings.ToLower(strings.TrimSpace(q[:len(q)-len(m[0])]))
	}
	t := p.topo.Load()
	switch lower {
	case "show @@help":
		tb := &table{cols: []string{"STATEMENT", "DESCRIPTION"}}
		for _, h := range managerHelp {
			tb.add(h[0], h[1])
		}
		return tb, "", nil
	case "show @@version":
		tb := &table{cols: []string{"VERSION"}}
		tb.add(p.server.ServerVersion)
		return tb, "", nil
	case "show @@time.current":
		tb := &table{cols: []string{"TIMESTAMP"}}
		tb.add(time.Now().UnixMilli())
		return tb, "", nil
	case "show @@time.startup":
		tb := &table{cols: []string{"TIMESTAMP"}}
		tb.add(p.started.UnixMilli())
		return tb, "", nil
	case "show @@server":
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		tb := &table{cols: []string{"UPTIME", "USED_MEMORY", "TOTAL_MEMORY", "MAX_MEMORY", "RELOAD_TIME", "ROLLBACK_TIME", "CHARSET", "STATUS"}}
		status := "ON"
		if p.offline.Load() {
			status = "OFF"
		}
		charset := t.cfg.System.Charset
		if charset == "" {
			charset = "utf8"
		}
		tb.add(time.Since(p.started).Round(time.Second).String(), ms.HeapAlloc, ms.Sys, ms.Sys, t.loaded.UnixMilli(), 0, charset, status)
		return tb, "", nil
	case "show @@database":
		tb := &table{cols: []string{"DATABASE"}}
		for _, n := range sortedKeys(t.cfg.Schemas) {
			tb.add(n)
		}
		return tb, "", nil
	case "show @@datanode":
		tb := &table{cols: []string{"NAME", "DATHOST", "INDEX", "TYPE", "ACTIVE", "IDLE", "SIZE", "EXECUTE", "TOTAL_TIME", "MAX_TIME", "MAX_SQL", "RECOVERY_TIME"}}
		names := sortedKeys(t.nodes)
		if filterKey == "schema" {
			names = schemaNodes(t.cfg, filterVal)
		}
		for _, name := range names {
			n := t.nodes[name]
			if n == nil {
				continue
			}
			h := n.host.ActiveWrite()
			st := h.PoolStats()
			tb.add(name, n.host.Name()+"/"+n.database, n.host.Config().WriteHosts[0].Name, "mysql", h.Active(), st.Idle, n.host.Config().MaxCon, h.Executed(), 0, 0, 0, -1)
		}
		return tb, "", nil
	case "show @@datasource":
		tb := &table{cols: []string{"DATANODE", "NAME", "TYPE", "HOST", "PORT", "W/R", "ACTIVE", "IDLE", "SIZE", "EXECUTE", "READ_LOAD", "WRITE_LOAD"}}
		for _, name := range sortedKeys(t.nodes) {
			n := t.nodes[name]
			if filterKey == "datanode" && !strings.EqualFold(name, filterVal) {
				continue
			}
			for _, h := range append(n.host.WriteHosts(), n.host.ReadHosts()...) {
				host, port := splitAddr(h.Config.Addr)
				rw := "R"
				if h.IsWrite {
					rw = "W"
				}
				st := h.PoolStats()
				tb.add(name, h.Config.Name, "mysql", host, port, rw, h.Active(), st.Idle, n.host.Config().MaxCon, h.Executed(), 0, 0)
			}
		}
		return tb, "", nil
	case "show @@heartbeat":
		tb := &table{cols: []string{"NAME", "TYPE", "HOST", "PORT", "RS_CODE", "RETRY", "STATUS", "TIMEOUT", "EXECUTE_TIME", "LAST_ACTIVE_TIME", "STOP"}}
		for _, dn := range sortedKeys(t.hosts) {
			d := t.hosts[dn]
			for _, h := range append(d.WriteHosts(), d.ReadHosts()...) {
				host, port := splitAddr(h.Config.Addr)
				code := 1 // Mycat's OK_STATUS
				if !h.Up() {
					code = -1 // ERROR_STATUS
				}
				tb.add(h.Config.Name, "mysql", host, port, code, 0, "idle", 0, "0,0,0", "", "false")
			}
		}
		return tb, "", nil
	case "show @@connection":
		tb := &table{cols: []string{"PROCESSOR", "ID", "HOST", "PORT", "LOCAL_PORT", "USER", "SCHEMA", "CHARSET", "TX_ACTIVE", "AUTOCOMMIT", "BACKENDS_HELD"}}
		p.mu.Lock()
		ids := make([]int, 0, len(p.sessions))
		for id := range p.sessions {
			ids = append(ids, int(id))
		}
		sort.Ints(ids)
		for _, id := range ids {
			s := p.sessions[uint32(id)]
			host, port := splitAddr(s.conn.RemoteAddr().String())
			_, lport := splitAddr(p.serverAddr)
			tb.add("Processor0", id, host, port, lport, s.user.Name, s.schema, s.vars.charset, s.inTx, s.vars.autocommit(), len(s.held))
		}
		p.mu.Unlock()
		return tb, "", nil
	case "show @@backend":
		tb := &table{cols: []string{"DATAHOST", "HOST", "ADDR", "W/R", "UP", "OPEN", "IDLE", "WAITING", "DIALS", "DIAL_ERRORS", "LAST_ERROR"}}
		for _, dn := range sortedKeys(t.hosts) {
			d := t.hosts[dn]
			for _, h := range append(d.WriteHosts(), d.ReadHosts()...) {
				st := h.PoolStats()
				rw := "R"
				if h.IsWrite {
					rw = "W"
				}
				tb.add(dn, h.Config.Name, h.Config.Addr, rw, h.Up(), st.Open, st.Idle, st.Waiting, st.Dials, st.DialErrors, h.LastError())
			}
		}
		return tb, "", nil
	case "show @@sysparam":
		tb := &table{cols: []string{"PARAM_NAME", "PARAM_VALUE", "PARAM_DESCR"}}
		for _, k := range sortedKeys(t.cfg.System.Raw) {
			tb.add(k, t.cfg.System.Raw[k], "server.xml <system> property")
		}
		return tb, "", nil
	case "show @@sql.sum", "show @@processor":
		tb := &table{cols: []string{"NAME", "QUERIES", "ERRORS", "MERGED", "SESSIONS"}}
		p.mu.Lock()
		n := len(p.sessions)
		p.mu.Unlock()
		tb.add("Processor0", p.stats.queries.Load(), p.stats.errors.Load(), p.stats.merged.Load(), n)
		return tb, "", nil
	case "offline":
		p.offline.Store(true)
		return nil, "proxy is offline: pings fail so directors drain it", nil
	case "online":
		p.offline.Store(false)
		return nil, "proxy is online", nil
	case "reload @@config", "reload @@config_all":
		cfg, _, err := mycatconf.Load(t.cfg.Dir)
		if err != nil {
			return nil, "", mysql.NewSQLError(mysql.ERUnknownError, "reload failed, configuration unchanged: %v", err)
		}
		if err := p.Reload(cfg); err != nil {
			return nil, "", mysql.NewSQLError(mysql.ERUnknownError, "reload failed, configuration unchanged: %v", err)
		}
		return nil, "reload config success", nil
	}
	if strings.HasPrefix(lower, "switch @@datasource ") {
		arg := strings.TrimSpace(q[len("switch @@datasource "):])
		name, idx, ok := strings.Cut(arg, ":")
		i, err := strconv.Atoi(idx)
		h := t.hosts[name]
		if !ok || err != nil || h == nil {
			return nil, "", mysql.NewSQLError(mysql.ERUnknownError, "usage: switch @@datasource DATAHOST:INDEX (unknown %q)", arg)
		}
		if err := h.SwitchTo(i); err != nil {
			return nil, "", mysql.NewSQLError(mysql.ERUnknownError, "%v", err)
		}
		return nil, fmt.Sprintf("dataHost %s now writes to index %d", name, i), nil
	}
	if strings.HasPrefix(lower, "kill @@connection ") {
		killed := 0
		for _, f := range strings.Split(q[len("kill @@connection "):], ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				continue
			}
			p.mu.Lock()
			s := p.sessions[uint32(id)]
			p.mu.Unlock()
			if s != nil {
				s.conn.Close()
				killed++
			}
		}
		return nil, fmt.Sprintf("%d connection(s) killed", killed), nil
	}
	return nil, "", mysql.NewSQLError(mysql.ERUnknownCom, "Unsupported manager statement: %s (try show @@help)", q)
}

var managerHelp = [][2]string{
	{"show @@help", "Report usage"},
	{"show @@version", "Report server version"},
	{"show @@server", "Report server status"},
	{"show @@time.current", "Report current timestamp"},
	{"show @@time.startup", "Report startup timestamp"},
	{"show @@database", "Report databases"},
	{"show @@datanode [where schema = ?]", "Report dataNodes"},
	{"show @@datasource [where dataNode = ?]", "Report dataSources"},
	{"show @@heartbeat", "Report heartbeat status"},
	{"show @@connection", "Report connection activity"},
	{"show @@backend", "Report backend connection pools"},
	{"show @@processor", "Report query counters"},
	{"show @@sysparam", "Report system parameters"},
	{"switch @@datasource name:index", "Switch a dataHost's write host"},
	{"kill @@connection id1,id2,...", "Kill the specified connections"},
	{"reload @@config", "Reload the conf dir"},
	{"offline", "Change the proxy status to OFF (pings fail)"},
	{"online", "Change the proxy status to ON"},
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func splitAddr(addr string) (string, string) {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[:i], addr[i+1:]
	}
	return addr, ""
}

func schemaNodes(cfg *mycatconf.Config, schema string) []string {
	sc := cfg.Schemas[canonicalSchema(cfg, schema)]
	if sc == nil {
		return nil
	}
	seen := map[string]bool{}
	if sc.DataNode != "" {
		seen[sc.DataNode] = true
	}
	for _, tb := range sc.Tables {
		for _, n := range tb.DataNodes {
			seen[n] = true
		}
	}
	return sortedKeys(seen)
}
